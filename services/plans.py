"""What the CLI and the API do with plans: import them, start cycles, submit, approve or send
back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.calendar import cycle_holidays
from domain.documents import cycle_document, single_plan
from domain.model import PlanFile, Role
from domain.next_year import next_year_draft
from domain.scorecard import TaskOutcome
from store.database import SessionFactory
from store.plans import save_organisation, save_plan_version
from store.tables import Cycle, Person, PlanVersion, Task
from workflows.common import search_attributes
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import (
    ApprovalRequest,
    CycleInput,
    CycleView,
    Phase,
    PlanReturn,
    PlanRevision,
    SubmitRequest,
    cycle_workflow_id,
)


@dataclass(frozen=True)
class ImportedPlan:
    portfolio: str
    year: int
    version: int
    new_version: bool
    cycle_started: bool
    cycle_revised: bool = False


async def import_plans(
    document: PlanFile,
    sessions: SessionFactory,
    client: Client,
    task_queue: str,
    *,
    by: str | None = None,
    with_search_attributes: bool = True,
) -> list[ImportedPlan]:
    """Store the organisation and each plan as a version; start each plan's cycle."""
    results = []
    for attempt in range(3):
        try:
            with sessions() as session:
                save_organisation(session, document)
                versions = [
                    (plan, *save_plan_version(session, document, plan, by))
                    for plan in document.plans
                ]
                session.commit()
                roles = {p.id: p.role for p in session.exec(select(Person)) if p.active}
            break
        except IntegrityError:
            # Another import wrote the same rows meanwhile: again, on what it wrote.
            if attempt == 2:
                raise
    # A cycle knows people by their roles in the directory: a file naming its author as the
    # direction only proposes that (an admin decides), and cannot approve through the cycle.
    people = [
        person.model_copy(update={"role": Role(roles[person.id])})
        for person in document.people
        if person.id in roles
    ]
    directory = document.model_copy(update={"people": people})
    for plan, version, created in versions:
        one = cycle_document(directory, plan)
        started = await start_cycle(
            client, task_queue, one, version.version, with_search_attributes
        )
        revised = False
        if not started and created:
            # A new version of a draft replaces it while the cycle still waits for approval.
            try:
                await cycle_handle(client, plan.portfolio, plan.year).execute_update(
                    PortfolioCycleWorkflow.revise,
                    PlanRevision(by=by, document=one, version=version.version),
                )
                revised = True
            except WorkflowUpdateFailedError:
                revised = False
        results.append(
            ImportedPlan(plan.portfolio, plan.year, version.version, created, started, revised)
        )
    return results


async def start_cycle(
    client: Client,
    task_queue: str,
    document: PlanFile,
    version: int,
    with_search_attributes: bool = True,
) -> bool:
    """Start the cycle in planning; False when it already runs (starting twice is a no-op)."""
    plan = document.plans[0]
    try:
        await client.start_workflow(
            PortfolioCycleWorkflow.run,
            CycleInput(
                portfolio=plan.portfolio,
                year=plan.year,
                document=document,
                holidays=cycle_holidays(document.organisation, plan.year),
                plan_version=version,
                search_attributes=with_search_attributes,
            ),
            id=cycle_workflow_id(plan.portfolio, plan.year),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes(plan.portfolio, plan.year, Phase.planning)
            if with_search_attributes
            else None,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


def cycle_handle(client: Client, portfolio: str, year: int) -> WorkflowHandle:
    return client.get_workflow_handle(cycle_workflow_id(portfolio, year))


async def submit_plan(client: Client, portfolio: str, year: int, by: str) -> CycleView:
    return await cycle_handle(client, portfolio, year).execute_update(
        PortfolioCycleWorkflow.submit, SubmitRequest(by=by)
    )


async def approve_plan(client: Client, portfolio: str, year: int, by: str) -> CycleView:
    return await cycle_handle(client, portfolio, year).execute_update(
        PortfolioCycleWorkflow.approve, ApprovalRequest(by=by)
    )


async def return_plan(
    client: Client, portfolio: str, year: int, by: str, comment: str
) -> CycleView:
    """The direction sends the submitted plan back to the officer, who is told why."""
    return await cycle_handle(client, portfolio, year).execute_update(
        PortfolioCycleWorkflow.send_back, PlanReturn(by=by, comment=comment)
    )


async def save_plan(
    document: PlanFile,
    portfolio: str,
    year: int,
    sessions: SessionFactory,
    client: Client,
    task_queue: str,
    *,
    by: str,
) -> ImportedPlan:
    """Import the file's plan of `portfolio` and `year` alone, as `POST /plans` does: a new
    draft version (the cycle in planning is revised to it, or started)."""
    plan = next(p for p in document.plans if p.portfolio == portfolio and p.year == year)
    [imported] = await import_plans(
        single_plan(document, plan), sessions, client, task_queue, by=by
    )
    return imported


def last_year_draft(sessions: SessionFactory, portfolio: str, year: int) -> PlanFile | None:
    """The draft of `year` made from the plan of the year before (the version its cycle ran,
    else the latest) and what became of its actions, as the cycle's improving phase makes it."""
    with sessions() as session:
        cycle = session.get(Cycle, f"{portfolio}/{year - 1}")
        versions = session.exec(
            select(PlanVersion)
            .where(PlanVersion.portfolio == portfolio, PlanVersion.year == year - 1)
            .order_by(col(PlanVersion.version))
        ).all()
        if not versions:
            return None
        ran = next((v for v in versions if cycle and v.version == cycle.plan_version), None)
        source = PlanFile.model_validate((ran or versions[-1]).document)
        outcomes = [
            TaskOutcome(task=task.id, kind=task.kind, due=task.due_at, status=task.status)
            for task in session.exec(select(Task).where(Task.cycle_id == f"{portfolio}/{year - 1}"))
        ]
    plan = next(p for p in source.plans if p.portfolio == portfolio)
    return next_year_draft(source, plan, outcomes, None, None)
