"""The direction sends a submitted plan back with a comment: the officer is told why, edits it,
submits it again, and the direction is asked anew before it approves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from activities.notify import NotificationConfig
from activities.registry import build_activities
from domain.model import PlanFile
from store.database import SessionFactory
from store.tables import Cycle
from tests.engine.support import (
    RecordingMailer,
    engine_workers,
    refused,
    running_worker,
    store_with,
)
from tests.plans import plan_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import (
    ActivityName,
    ApprovalRequest,
    CycleInput,
    Phase,
    PlanNotice,
    PlanReturn,
    PlanRevision,
    SendReport,
    SubmitRequest,
    cycle_workflow_id,
)

ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15"}
"""
EDITED = (
    ITEMS
    + """
    - {id: sourcing, kind: supplier_meeting, title: Rencontre fournisseurs locaux,
       start: "2027-04-13T14:00", duration: PT2H, assignees: [qdd], attendees: [resto]}
"""
)
COMMENT = (
    "L'objectif bio est trop timide au regard du bilan 2026 : visez 25 %.\n"
    "Ajoutez une rencontre fournisseurs au printemps."
)
RETURNED = datetime(2026, 12, 9, 10, tzinfo=UTC)
RESUBMITTED = datetime(2026, 12, 10, 10, tzinfo=UTC)
APPROVED = datetime(2026, 12, 15, 9, 30, tzinfo=UTC)  # approve_by is 10:30 Paris that day


def plan(items: str) -> PlanFile:
    document = plan_with(items)
    year = document.plans[0].model_copy(update={"approve_by": "2026-12-15T10:30"})
    return document.model_copy(update={"plans": [year]})


async def sleep_until(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def until(condition: Callable[[], bool]) -> None:
    """Wait (in real time: the test server's clock stays) for the workflow to act."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the cycle did not act in time")


async def test_a_plan_sent_back_is_edited_submitted_again_and_approved(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan(ITEMS)
    sessions = store_with(document, tmp_path)
    told: list[PlanNotice] = []

    @activity.defn(name=ActivityName.send_plan_notice)
    async def send_plan_notice(notice: PlanNotice) -> SendReport:
        told.append(notice)
        return SendReport(sent=len(notice.to))

    real = build_activities(sessions, RecordingMailer(), NotificationConfig())
    activities = [a for a in real if a.__name__ != "send_plan_notice"] + [send_plan_notice]
    queue = "boucle-test-send-back"

    def sent() -> list[tuple[str, str, tuple[str, ...]]]:
        return [(n.message, n.scheduled_at.isoformat(), n.to) for n in told]

    with ThreadPoolExecutor(max_workers=4) as executor:
        async with engine_workers(
            env.client,
            task_queue=queue,
            activities=activities,
            activity_executor=executor,
        ):
            handle = await env.client.start_workflow(
                PortfolioCycleWorkflow.run,
                CycleInput(
                    portfolio="restauration",
                    year=2027,
                    document=document,
                    plan_version=1,
                    holidays=cycle_holidays(document.organisation, 2027),
                    search_attributes=False,
                ),
                id=cycle_workflow_id("restauration", 2027),
                task_queue=queue,
            )
            send_back = PortfolioCycleWorkflow.send_back
            with refused("not submitted"):
                await handle.execute_update(send_back, PlanReturn(by="dgs", comment=COMMENT))
            first = await handle.execute_update(
                PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd")
            )
            assert first.submitted_at is not None
            await until(lambda: len(told) == 1)
            asked = (
                "plan_approval_request",
                first.submitted_at.isoformat(),
                ("dgs",),
            )
            assert sent() == [asked]

            await sleep_until(env, RETURNED)
            with refused("only the direction sends a plan back"):
                await handle.execute_update(send_back, PlanReturn(by="resto", comment=COMMENT))
            with refused("only the direction"):  # nor the officer her own plan
                await handle.execute_update(send_back, PlanReturn(by="qdd", comment=COMMENT))
            with refused("with a comment"):
                await handle.execute_update(send_back, PlanReturn(by="dgs", comment=" \n "))
            with refused("at most 4000 characters"):
                await handle.execute_update(send_back, PlanReturn(by="dgs", comment="x" * 4001))
            view = await handle.execute_update(send_back, PlanReturn(by="dgs", comment=COMMENT))
            assert view.submitted_at is None and view.approved_at is None
            assert (view.returned_by, view.return_comment) == ("dgs", COMMENT)
            assert view.returned_at is not None and view.returned_at >= RETURNED
            await until(lambda: len(told) == 2)
            returned = told[1]
            # The officer is told, once, who sent it back and why; the submission reminder of
            # 8 December (before the return) is not sent late.
            assert (returned.message, returned.to) == ("plan_returned", ("qdd",))
            assert returned.key == "restauration/2027|returned|1"
            assert returned.scheduled_at == view.returned_at
            assert returned.facts["returned_by"] == "dgs"
            assert returned.facts["comment"] == COMMENT
            assert returned.facts["deadline"] == "2026-12-15T10:30:00+01:00"
            assert returned.facts["items"] == 1
            with refused("not submitted"):
                await handle.execute_update(
                    PortfolioCycleWorkflow.approve, ApprovalRequest(by="dgs")
                )

            await sleep_until(env, RESUBMITTED)
            edited = plan(EDITED)
            await handle.execute_update(
                PortfolioCycleWorkflow.revise, PlanRevision(by="qdd", document=edited, version=2)
            )
            again = await handle.execute_update(
                PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd")
            )
            assert again.submitted_at is not None and again.plan_version == 2
            assert (again.returned_by, again.return_comment) == ("dgs", COMMENT)  # still shown
            await until(lambda: len(told) == 3)
            assert told[2].message == "plan_approval_request" and told[2].to == ("dgs",)
            assert told[2].key == (
                f"restauration/2027|plan_approval_request|{again.submitted_at.isoformat()}|round-1"
            )
            assert told[2].facts["items"] == 2  # what the direction is asked about is the edit

            await sleep_until(env, APPROVED)
            approved = await handle.execute_update(
                PortfolioCycleWorkflow.approve, ApprovalRequest(by="dgs")
            )
            assert approved.approved_by == "dgs"
            await until(lambda: any(n.message == "plan_approved" for n in told))
            await until(lambda: stored_phase(sessions) == Phase.executing)  # the next run
            with refused("not waiting for approval"):
                await handle.execute_update(send_back, PlanReturn(by="dgs", comment=COMMENT))
            view = await handle.query(PortfolioCycleWorkflow.view)
            assert view.phase == Phase.executing and view.plan_version == 2

    # Every planning message of the year, written out: the return, the second request, the
    # direction's reminders before and on its deadline (09:00 Paris), the approval.
    assert sent() == [
        asked,
        ("plan_returned", view_time(told[1]), ("qdd",)),
        ("plan_approval_request", view_time(told[2]), ("dgs",)),
        ("plan_approval_request", "2026-12-11T09:00:00+01:00", ("dgs",)),
        ("plan_approval_request", "2026-12-15T09:00:00+01:00", ("dgs",)),
        ("plan_approved", view_time(told[5]), ("qdd", "resto")),
    ]
    assert [n.key.rsplit("|", 1)[-1] for n in told[3:5]] == ["round-1", "round-1"]


def stored_phase(sessions: SessionFactory) -> str | None:
    with sessions() as session:
        row = session.get(Cycle, "restauration/2027")
    return row.phase if row else None


def view_time(notice: PlanNotice) -> str:
    return notice.scheduled_at.isoformat()


async def test_the_officer_reads_the_comment_and_the_direction_is_asked_again(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The emails themselves, through the real notification activities."""
    document = plan(ITEMS)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    config = NotificationConfig(app_url="https://boucle.example.org")

    def mails() -> list[tuple[str, str]]:
        return [(str(m["To"].addresses[0].username), str(m["Subject"])) for m in mailer.sent]

    async with running_worker(env.client, sessions, mailer, config) as queue:
        handle = await env.client.start_workflow(
            PortfolioCycleWorkflow.run,
            CycleInput(
                portfolio="restauration",
                year=2027,
                document=document,
                plan_version=1,
                holidays=cycle_holidays(document.organisation, 2027),
                search_attributes=False,
            ),
            id=cycle_workflow_id("restauration", 2027),
            task_queue=queue,
        )
        await handle.execute_update(PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd"))
        await until(lambda: len(mailer.sent) == 1)
        await sleep_until(env, RETURNED)
        await handle.execute_update(
            PortfolioCycleWorkflow.send_back, PlanReturn(by="dgs", comment=COMMENT)
        )
        await until(lambda: len(mailer.sent) == 2)
        returned = mailer.sent[1]
        assert mails()[1] == ("claire.martin", "Plan 2027 renvoyé par la direction : Restauration")
        text = str(returned.get_body(("plain",)).get_content()).replace("\r\n", "\n")
        assert (
            "Anne Leroy vous renvoie le plan 2027 du portefeuille « Restauration » avec ce "
            "commentaire :\n\n"
            "L'objectif bio est trop timide au regard du bilan 2026 : visez 25 %.\n"
            "Ajoutez une rencontre fournisseurs au printemps.\n\n"
            "Modifiez le plan, puis soumettez-le à nouveau : la direction recevra une nouvelle "
            "demande d'approbation. Il doit être approuvé au plus tard le mardi 15 décembre 2026."
        ) in text
        assert "Voir dans Boucle : https://boucle.example.org/app/plans/restauration/2027" in text

        await sleep_until(env, RESUBMITTED)
        await handle.execute_update(PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd"))
        await until(lambda: len(mailer.sent) == 3)
    assert mails() == [
        ("anne.leroy", "Plan 2027 à approuver : Restauration"),
        ("claire.martin", "Plan 2027 renvoyé par la direction : Restauration"),
        ("anne.leroy", "Plan 2027 à approuver : Restauration"),
    ]
