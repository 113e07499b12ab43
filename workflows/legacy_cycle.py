"""Cycle workflows started before the engine of 2026-12, kept as they ran.

`PortfolioCycleWorkflow` hands an execution to this class when its history has no
ENGINE_2026_12 marker: those executions must replay the commands they issued. It starts every
task of the year as a child when execution begins and signals them on amendments (since
2026-12 a task that has ended is skipped instead of failing the cycle). Only validators (which
write nothing to history) may change here; at its next phase the cycle continues as new, on
today's code.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.documents import as_data, validate_data
    from domain.execution import MINIMUM_EXECUTION, TASK_CLOSE_AFTER
    from domain.execution import evaluation_opens as evaluation_start
    from domain.model import PlanFile, Role, YearPlan
    from domain.next_year import Review, next_year_draft
    from domain.planning import approval_deadline, planning_notices
    from domain.scorecard import compute_scorecard, portfolio_indicators
    from domain.tasks import Task, plan_tasks
    from domain.timeline import task_timeline
    from workflows.common import (
        CYCLE_PHASE,
        STORE_RETRY,
        already_started,
        refuse,
        search_attributes,
    )
    from workflows.cycle_checks import check_approve, check_review, check_revise, check_submit
    from workflows.types import (
        ActivityName,
        Amendment,
        ApprovalRequest,
        CancelRequest,
        CycleInput,
        CycleRow,
        CycleView,
        DraftRecord,
        EvaluationFacts,
        Phase,
        PlanNotice,
        PlanRevision,
        ReassignRequest,
        Refusal,
        ReviewRequest,
        SendReport,
        SubmitRequest,
        TaskInput,
        TaskRow,
        cycle_workflow_id,
        task_workflow_id,
    )

VALUES_WAIT = timedelta(days=14)
REVIEW_REMINDER_EVERY = timedelta(days=7)
NOTICE_TIMEOUT = timedelta(minutes=2)


class LegacyCycle:
    """Runs one portfolio's yearly cycle; each phase is one run (continue-as-new between)."""

    def __init__(self, input: CycleInput) -> None:
        self.input = input
        self.document = input.document
        self.state = input.state
        self.phase = input.phase
        self.calendar = WorkingCalendar.of(input.document.organisation, input.holidays)
        self.amendments: list[Amendment] = []
        self.woken = False

    @property
    def plan(self) -> YearPlan:
        return self.document.plans[0]

    @property
    def cycle_id(self) -> str:
        return f"{self.input.portfolio}/{self.input.year}"

    async def run(self, input: CycleInput) -> str:
        await self._enter(self.phase)
        if self.phase == Phase.planning:
            await self._planning()
            return self._next(Phase.executing)
        if self.phase == Phase.executing:
            await self._executing()
            return self._next(Phase.evaluating)
        if self.phase == Phase.evaluating:
            await self._evaluating()
            return self._next(Phase.improving)
        if self.phase == Phase.improving:
            await self._improving()
            await self._enter(Phase.closed)
        return self.phase.value

    def _next(self, phase: Phase) -> str:
        workflow.continue_as_new(
            self.input.model_copy(
                update={"phase": phase, "state": self.state, "document": self.document}
            )
        )

    async def _enter(self, phase: Phase) -> None:
        self.phase = phase
        if self.input.search_attributes:
            workflow.upsert_search_attributes([CYCLE_PHASE.value_set(phase.value)])
        await workflow.execute_activity(
            ActivityName.project_cycle,
            CycleRow(
                portfolio=self.input.portfolio,
                year=self.input.year,
                phase=phase,
                plan_version=self.input.plan_version,
                submitted_at=self.state.submitted_at,
                approved_at=self.state.approved_at,
                approved_by=self.state.approved_by,
                evaluate_on=evaluation_start(self.document, self.plan, self.calendar),
            ),
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )

    async def _sleep_until(self, moment: datetime) -> bool:
        """Sleep until `moment` or until something wakes the cycle; True when woken."""
        delay = moment - workflow.now()
        if delay <= timedelta(0):
            return False
        self.woken = False
        try:
            await workflow.wait_condition(lambda: self.woken, timeout=delay)
        except TimeoutError:
            return False
        return True

    async def _plan_notice(
        self, key: str, message: str, to: tuple[str, ...], at: datetime, **facts: object
    ) -> None:
        if not to:
            return
        await workflow.execute_activity(
            ActivityName.send_plan_notice,
            PlanNotice(
                key=f"{self.cycle_id}|{key}",
                message=message,
                portfolio=self.input.portfolio,
                year=self.input.year,
                to=to,
                scheduled_at=at,
                facts=dict(facts),
            ),
            result_type=SendReport,
            start_to_close_timeout=NOTICE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )

    # --- planning --------------------------------------------------------------------------

    async def _planning(self) -> None:
        if self.state.opened_at is None:
            self.state.opened_at = workflow.now()
        projected_submission = self.state.submitted_at
        while self.state.approved_at is None:
            if self.state.submitted_at != projected_submission:
                projected_submission = self.state.submitted_at
                await self._enter(Phase.planning)
            notices = planning_notices(
                self.document,
                self.plan,
                self.state.opened_at,
                self.state.submitted_at,
                self.calendar,
            )
            pending = [n for n in notices if n.key not in self.state.handled]
            if not pending:
                await workflow.wait_condition(lambda: self.woken)
                self.woken = False
                continue
            notice = pending[0]
            if await self._sleep_until(notice.at):
                continue
            deadline = approval_deadline(self.document, self.plan, self.calendar)
            await self._plan_notice(
                notice.key, notice.type.value, notice.to, notice.at, deadline=deadline.isoformat()
            )
            self.state.handled.append(notice.key)
        # Handlers only record the decision; the cycle acts on it here.
        await self._plan_notice(
            "approved",
            "plan_approved",
            tuple(dict.fromkeys((*self.document.officers, *self._portfolio_people()))),
            workflow.now(),
            approved_by=self.state.approved_by,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)

    def submit(self, request: SubmitRequest) -> CycleView:
        self.state.submitted_at = workflow.now()
        self.state.submitted_by = request.by
        self.woken = True
        return self.view()

    def validate_submit(self, request: SubmitRequest) -> None:
        check_submit(self.phase, self.state, self.document, request)

    def revise(self, revision: PlanRevision) -> CycleView:
        self.document = revision.document
        self.input = self.input.model_copy(update={"plan_version": revision.version})
        self.state.submitted_at = None  # the direction approves what it was shown
        self.state.submitted_by = None
        self.woken = True
        return self.view()

    def validate_revise(self, revision: PlanRevision) -> None:
        check_revise(self.phase, self.state, self.input.portfolio, self.input.year, revision)

    def approve(self, request: ApprovalRequest) -> CycleView:
        self.state.approved_at = workflow.now()
        self.state.approved_by = request.by
        self.woken = True
        return self.view()

    def validate_approve(self, request: ApprovalRequest) -> None:
        check_approve(self.phase, self.state, self.document, self.calendar, request)

    def _portfolio_people(self) -> tuple[str, ...]:
        for portfolio in self.document.portfolios:
            if portfolio.id == self.input.portfolio:
                return tuple(p for p in (portfolio.owner, *portfolio.buyers) if p)
        return ()

    # --- executing -------------------------------------------------------------------------

    def _tasks(self) -> list[Task]:
        cancelled = set(self.state.cancelled_items)
        return [
            task
            for task in plan_tasks(self.document, self.plan, self.calendar)
            if task.item not in cancelled
        ]

    async def _executing(self) -> None:
        if self.state.execution_start is None:
            approved = self.state.approved_at or workflow.now()
            self.state.execution_start = approved.replace(microsecond=0)
        # A plan approved late still gets a few weeks of execution before its evaluation.
        evaluate_at = max(
            evaluation_start(self.document, self.plan, self.calendar),
            self.state.execution_start + MINIMUM_EXECUTION,
        )
        while True:
            await self._start_tasks()
            while self.amendments:
                await self._apply(self.amendments.pop(0))
            if workflow.now() >= evaluate_at:
                break
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    self.input.model_copy(
                        update={
                            "phase": Phase.executing,
                            "state": self.state,
                            "document": self.document,
                        }
                    )
                )
            await self._sleep_until(evaluate_at)
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _start_tasks(self) -> None:
        """Start every task workflow not started yet, all at once; starting twice is a no-op."""
        started = set(self.state.started)
        waiting = [task for task in self._tasks() if task.id not in started]
        if not waiting:
            return
        await workflow.execute_activity(
            ActivityName.project_tasks,
            [TaskRow(task=task, cycle_id=self.cycle_id) for task in waiting],
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=STORE_RETRY,
        )
        assignable = tuple(
            p.id for p in self.document.people if p.role in (Role.buyer, Role.officer)
        )
        calendar = self.calendar
        assert self.state.execution_start is not None
        # The first batch starts when execution did; items added later start now.
        start = (
            self.state.execution_start
            if not self.state.started
            else workflow.now().replace(microsecond=0)
        )
        launches = []
        for task in waiting:
            timeline = task_timeline(task, calendar, self.document.officers, start)
            last = max([task.due, *(notice.at for notice in timeline)])
            launches.append(
                workflow.start_child_workflow(
                    "TaskWorkflow",
                    TaskInput(
                        task=task,
                        organisation=self.document.organisation,
                        holidays=self.input.holidays,
                        officers=self.document.officers,
                        assignable=assignable,
                        execution_start=start,
                        closes_at=last + TASK_CLOSE_AFTER,
                        sends_locally=True,
                    ),
                    id=task_workflow_id(task.id),
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
            )
        results = await asyncio.gather(*launches, return_exceptions=True)
        for task, result in zip(waiting, results, strict=True):
            if isinstance(result, BaseException) and not already_started(result):
                raise result
            self.state.started.append(task.id)

    async def amend(self, amendment: Amendment) -> CycleView:
        self.amendments.append(amendment)
        self.woken = True
        await workflow.wait_condition(lambda: all(a is not amendment for a in self.amendments))
        return self.view()

    def validate_amend(self, amendment: Amendment) -> None:
        if self.phase != Phase.executing:
            raise refuse(
                Refusal.conflict, "not_executing", "only a plan being executed can be amended"
            )
        if amendment.by not in self.document.officers:
            raise refuse(
                Refusal.forbidden, "officer_amends", "only the Quality & SD officer amends a plan"
            )
        if amendment.reschedule_tasks or amendment.cancel_tasks:
            raise refuse(
                Refusal.conflict,
                "occurrences_not_here",
                "this cycle amends whole items only until its evaluation",
            )
        items = {item.id for item in self.plan.items}
        unknown = [
            i for i in [*amendment.cancel_items, *amendment.reassign_items] if i not in items
        ]
        if unknown:
            raise refuse(
                Refusal.invalid,
                "unknown_items",
                "unknown items: " + ", ".join(unknown),
                items=", ".join(unknown),
            )
        _, errors = validate_data(as_data(self._amended(amendment)))
        if errors:
            detail = "; ".join(f"{e.path}: {e.message('en')}" for e in errors[:10])
            raise refuse(Refusal.invalid, "plan_invalid", detail, errors=detail)

    def _amended(self, amendment: Amendment) -> PlanFile:
        items = []
        for item in self.plan.items:
            if item.id in amendment.reassign_items:
                item = item.model_copy(update={"assignees": amendment.reassign_items[item.id]})
            items.append(item)
        items += amendment.add
        plan = self.plan.model_copy(update={"items": items})
        return self.document.model_copy(update={"plans": [plan]})

    async def _apply(self, amendment: Amendment) -> None:
        self.document = self._amended(amendment)
        self.state.cancelled_items += [
            i for i in amendment.cancel_items if i not in self.state.cancelled_items
        ]
        for task_id in list(self.state.started):
            item = task_id.split("/")[2]
            handle = workflow.get_external_workflow_handle(task_workflow_id(task_id))
            # A task that has ended is not found: it is skipped, never a failed year.
            try:
                if item in amendment.cancel_items:
                    await handle.signal(
                        "cycle_cancel",
                        CancelRequest(by=amendment.by, reason=amendment.reason),
                    )
                elif item in amendment.reassign_items:
                    await handle.signal(
                        "cycle_reassign",
                        ReassignRequest(
                            by=amendment.by,
                            assignees=amendment.reassign_items[item],
                            reason=amendment.reason,
                        ),
                    )
            except FailureError:
                workflow.logger.info("task %s has ended: the amendment skips it", task_id)
        await workflow.execute_activity(
            ActivityName.save_draft,
            DraftRecord(
                portfolio=self.input.portfolio,
                year=self.input.year,
                document=as_data(self.document),
                created_by=amendment.by,
            ),
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )
        await self._start_tasks()

    # --- evaluating ------------------------------------------------------------------------

    async def _facts(self) -> EvaluationFacts:
        return await workflow.execute_activity(
            ActivityName.evaluation_facts,
            self.cycle_id,
            result_type=EvaluationFacts,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )

    async def _evaluating(self) -> None:
        indicators = portfolio_indicators(self.document, self.input.portfolio)
        facts = await self._facts()
        if self.state.values_requested_at is None:
            self.state.values_requested_at = workflow.now()
            have = {point.indicator for point in facts.values}
            missing = [i.name for i in indicators if i.id not in have]
            if missing:
                await self._plan_notice(
                    "values", "values_request", self._owner(), workflow.now(), indicators=missing
                )
                await self._sleep_until(self.state.values_requested_at + VALUES_WAIT)
                facts = await self._facts()
        if self.state.scorecard is None:
            self.state.scorecard = compute_scorecard(
                self.document,
                self.input.portfolio,
                self.input.year,
                facts.values,
                facts.outcomes,
                workflow.now(),
                earlier=facts.earlier,
            )
            await workflow.execute_activity(
                ActivityName.save_scorecard,
                self.state.scorecard,
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=STORE_RETRY,
            )
            await self._plan_notice(
                "evaluation",
                "evaluation_ready",
                (*self.document.officers, *self.document.directors),
                workflow.now(),
            )
        reminder = 0
        while self.state.review is None:
            await self._plan_notice(
                f"review|{reminder}", "review_request", self.document.officers, workflow.now()
            )
            reminder += 1
            await self._sleep_until(workflow.now() + REVIEW_REMINDER_EVERY)
        await workflow.execute_activity(
            ActivityName.save_review,
            args=[self.cycle_id, self.state.review],
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)

    def _owner(self) -> tuple[str, ...]:
        people = self._portfolio_people()
        return people[:1] if people else self.document.officers

    def record_review(self, request: ReviewRequest) -> CycleView:
        self.state.review = Review(
            lessons=request.lessons,
            decisions=request.decisions,
            recorded_by=request.by,
            recorded_at=workflow.now(),
        )
        self.woken = True
        return self.view()

    def validate_review(self, request: ReviewRequest) -> None:
        check_review(self.phase, self.state, self.document, request)

    # --- improving -------------------------------------------------------------------------

    async def _improving(self) -> None:
        facts = await self._facts()
        draft = next_year_draft(
            self.document, self.plan, facts.outcomes, self.state.scorecard, self.state.review
        )
        record = DraftRecord(
            portfolio=self.input.portfolio, year=self.input.year + 1, document=as_data(draft)
        )
        version = await workflow.execute_activity(
            ActivityName.save_draft,
            record,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )
        self.state.next_plan_version = version
        carried = sum(1 for item in draft.plans[0].items if item.carried_over_from)
        await self._plan_notice(
            "draft",
            "draft_ready",
            self.document.officers,
            workflow.now(),
            year=self.input.year + 1,
            items=len(draft.plans[0].items),
            carried_over=carried,
        )
        # Next year is its own cycle (its own id): an officer may already have imported it.
        holidays = await workflow.execute_activity(
            ActivityName.holiday_table,
            args=[draft.organisation, self.input.year, self.input.year + 2],
            result_type=dict[str, str],
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )
        next_input = CycleInput(
            portfolio=self.input.portfolio,
            year=self.input.year + 1,
            document=draft,
            holidays=holidays,
            plan_version=version,
            search_attributes=self.input.search_attributes,
        )
        try:
            await workflow.start_child_workflow(
                "PortfolioCycleWorkflow",
                next_input,
                id=cycle_workflow_id(self.input.portfolio, self.input.year + 1),
                parent_close_policy=ParentClosePolicy.ABANDON,
                search_attributes=search_attributes(
                    self.input.portfolio, self.input.year + 1, Phase.planning
                )
                if self.input.search_attributes
                else None,
            )
        except Exception as error:  # noqa: BLE001
            if not already_started(error):
                raise

    # --- queries ---------------------------------------------------------------------------

    def view(self) -> CycleView:
        return CycleView(
            portfolio=self.input.portfolio,
            year=self.input.year,
            phase=self.phase,
            plan_version=self.input.plan_version,
            submitted_at=self.state.submitted_at,
            approved_at=self.state.approved_at,
            approved_by=self.state.approved_by,
            tasks_started=len(self.state.started),
            tasks_planned=len(self._tasks()),
            review_recorded=self.state.review is not None,
        )
