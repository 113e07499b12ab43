"""PortfolioCycleWorkflow: one portfolio's year, planning → executing → evaluating → improving
→ closed (until its last task has ended)."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError
from temporalio.workflow import ParentClosePolicy

from workflows.cycle_tasks import YearTasks  # in the sandbox too: workflow code

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.documents import as_data
    from domain.execution import (
        ExecutedPlan,
        amendment_problems,
        evaluation_opens,
        evaluation_time,
        every_task,
        is_cancelled,
        with_changes,
    )
    from domain.model import PlanFile, YearPlan
    from domain.next_year import Review, next_year_draft
    from domain.planning import approval_deadline, planning_notices
    from domain.scorecard import compute_scorecard, portfolio_indicators
    from domain.tasks import Task
    from domain.timeline import Notice
    from workflows.common import (
        CYCLE_PHASE,
        WAKES_KEPT,
        already_started,
        refuse,
        search_attributes,
    )
    from workflows.cycle_checks import (
        check_approve,
        check_review,
        check_revise,
        check_send_back,
        check_submit,
        return_comment,
    )
    from workflows.legacy_cycle import LegacyCycle
    from workflows.types import (
        FINAL_STATUSES,
        ActivityName,
        Amendment,
        ApprovalRequest,
        CycleInput,
        CycleRow,
        CycleView,
        DraftRecord,
        EvaluationFacts,
        Phase,
        PlanReturn,
        PlanRevision,
        Refusal,
        ReviewRequest,
        SubmitRequest,
        TaskEnded,
        TaskStatus,
        cycle_workflow_id,
    )

# Executions started since the engine of 2026-12 carry this marker; older ones run as they ran.
ENGINE_2026_12 = "engine-2026-12"
# A submission made while the cycle's first row was being written reached the store only at
# approval: the planning loop now compares with what was projected, not what it starts with.
SUBMISSION_SEEN = "planning-compares-the-projected-submission"
VALUES_WAIT = timedelta(days=14)
REVIEW_REMINDER_EVERY = timedelta(days=7)
# Tasks still running after the cycle closed are looked up this often, in case a report of
# theirs never came (a task started before 2026-12 reports nothing when it ends).
LOOK_FOR_ENDED_EVERY = timedelta(days=1)
AMENDABLE = (Phase.executing, Phase.evaluating, Phase.closed)


@workflow.defn
class PortfolioCycleWorkflow(YearTasks):
    """Runs one portfolio's yearly cycle; each phase is one run (continue-as-new between)."""

    @workflow.init
    def __init__(self, input: CycleInput) -> None:
        self.legacy = None if workflow.patched(ENGINE_2026_12) else LegacyCycle(input)
        self.input = input
        self.document = input.document
        self.state = input.state
        self.phase = input.phase
        self.calendar = WorkingCalendar.of(input.document.organisation, input.holidays)
        self.woken = False
        self.amendments: list[tuple[str, Amendment]] = []  # accepted, not applied yet
        self.applied: set[str] = set()  # ids of the amendments this run applied
        self.start_requests: set[str] = set()  # tasks someone needs running now
        self.launched_until: datetime | None = None
        self.next_launch: datetime | None = None
        self.planned: int | None = None  # tasks not cancelled, counted when they change
        self.projected_submission: datetime | None = None  # as the last cycle row has it
        self._schedules: dict[tuple[Task, datetime], list[Notice]] = {}

    @property
    def plan(self) -> YearPlan:
        return self.document.plans[0]

    @workflow.run
    async def run(self, input: CycleInput) -> str:
        if self.legacy is not None:
            return await self.legacy.run(input)
        await self._enter(self.phase)
        if self.phase == Phase.planning:
            await self._planning()
            self._next(Phase.executing)
        if self.phase == Phase.executing:
            await self._executing()
            self._next(Phase.evaluating)
        if self.phase == Phase.evaluating:
            await self._evaluating()
            self._next(Phase.improving)
        if self.phase == Phase.improving:
            await self._improving()
            self._next(Phase.closed)
        await self._closing()
        return Phase.closed.value

    async def _enter(self, phase: Phase) -> None:
        self.phase = phase
        if self.input.search_attributes:
            workflow.upsert_search_attributes([CYCLE_PHASE.value_set(phase.value)])
        self.projected_submission = self.state.submitted_at
        await self._activity(
            ActivityName.project_cycle,
            CycleRow(
                portfolio=self.input.portfolio,
                year=self.input.year,
                phase=phase,
                plan_version=self.input.plan_version,
                submitted_at=self.state.submitted_at,
                approved_at=self.state.approved_at,
                approved_by=self.state.approved_by,
                evaluate_on=evaluation_opens(self.document, self.plan, self.calendar),
            ),
        )

    # --- planning --------------------------------------------------------------------------

    async def _planning(self) -> None:
        if self.state.opened_at is None:
            self.state.opened_at = workflow.now()
        projected_submission = self.state.submitted_at
        if workflow.patched(SUBMISSION_SEEN):
            projected_submission = self.projected_submission
        kept = workflow.patched(WAKES_KEPT)
        while self.state.approved_at is None:
            if kept:
                self.woken = False  # before the steps: an approval during them is not lost
            if self.state.submitted_at != projected_submission:
                projected_submission = self.state.submitted_at
                await self._enter(Phase.planning)
            await self._returned_notice()
            notices = planning_notices(
                self.document,
                self.plan,
                self.state.opened_at,
                self.state.submitted_at,
                self.calendar,
                returned_at=self.state.returned_at,
                returns=self.state.returns,
            )
            pending = [n for n in notices if n.key not in self.state.handled]
            if not kept:
                self.woken = False
            if not pending:
                await workflow.wait_condition(lambda: self.woken)
                continue
            notice = pending[0]
            if notice.at > workflow.now():
                try:
                    await workflow.wait_condition(
                        lambda: self.woken, timeout=notice.at - workflow.now()
                    )
                    continue
                except TimeoutError:
                    pass
            deadline = approval_deadline(self.document, self.plan, self.calendar)
            await self._plan_notice(
                notice.key,
                notice.type.value,
                notice.to,
                notice.at,
                deadline=deadline.isoformat(),
                items=len(self.plan.items),
                occurrences=self.view().tasks_planned,  # no task is in the store before approval
            )
            self.state.handled.append(notice.key)
        await self._plan_notice(
            "approved",
            "plan_approved",
            tuple(dict.fromkeys((*self.document.officers, *self._portfolio_people()))),
            workflow.now(),
            approved_by=self.state.approved_by,
            items=len(self.plan.items),
            occurrences=self.view().tasks_planned,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _returned_notice(self) -> None:
        """Tell the officers the direction sent the plan back, once per return."""
        key = f"returned|{self.state.returns}"
        if not self.state.returns or key in self.state.handled:
            return  # a cycle never sent back issues the commands it always did
        returned_at = self.state.returned_at
        assert returned_at is not None
        deadline = approval_deadline(self.document, self.plan, self.calendar)
        await self._plan_notice(
            key,
            "plan_returned",
            self.document.officers,
            returned_at,
            returned_by=self.state.returned_by,
            comment=self.state.return_comment,
            deadline=deadline.isoformat(),
            items=len(self.plan.items),
            occurrences=self.view().tasks_planned,
        )
        self.state.handled.append(key)

    @workflow.update
    def submit(self, request: SubmitRequest) -> CycleView:
        if self.legacy is not None:
            return self.legacy.submit(request)
        self.state.submitted_at = workflow.now()
        self.state.submitted_by = request.by
        self.woken = True
        return self.view()

    @submit.validator
    def _validate_submit(self, request: SubmitRequest) -> None:
        current = self.legacy or self
        check_submit(current.phase, current.state, current.document, request)

    @workflow.update
    def revise(self, revision: PlanRevision) -> CycleView:
        if self.legacy is not None:
            return self.legacy.revise(revision)
        self.document = revision.document
        self.planned = None
        self.input = self.input.model_copy(update={"plan_version": revision.version})
        self.state.submitted_at = None  # the direction approves what it was shown
        self.state.submitted_by = None
        self.woken = True
        return self.view()

    @revise.validator
    def _validate_revise(self, revision: PlanRevision) -> None:
        current = self.legacy or self
        check_revise(current.phase, current.state, self.input.portfolio, self.input.year, revision)

    @workflow.update
    def send_back(self, request: PlanReturn) -> CycleView:
        """The direction sends the submitted plan back to the officer with a comment."""
        self.state.submitted_at = None  # a draft again: the officer edits and submits it anew
        self.state.submitted_by = None
        self.state.returned_at = workflow.now()
        self.state.returned_by = request.by
        self.state.return_comment = return_comment(request)
        self.state.returns += 1
        self.woken = True
        return self.view()

    @send_back.validator
    def _validate_send_back(self, request: PlanReturn) -> None:
        if self.legacy is not None:
            raise refuse(
                Refusal.conflict,
                "send_back_legacy",
                "this cycle began before plans could be sent back: "
                "the officer imports a new version instead",
            )
        check_send_back(self.phase, self.state, self.document, request)

    @workflow.update
    def approve(self, request: ApprovalRequest) -> CycleView:
        if self.legacy is not None:
            return self.legacy.approve(request)
        self.state.approved_at = workflow.now()
        self.state.approved_by = request.by
        self.woken = True
        return self.view()

    @approve.validator
    def _validate_approve(self, request: ApprovalRequest) -> None:
        current = self.legacy or self
        check_approve(current.phase, current.state, current.document, self.calendar, request)

    def _portfolio_people(self) -> tuple[str, ...]:
        for portfolio in self.document.portfolios:
            if portfolio.id == self.input.portfolio:
                return tuple(p for p in (portfolio.owner, *portfolio.buyers) if p)
        return ()

    # --- executing -------------------------------------------------------------------------

    async def _executing(self) -> None:
        if self.state.execution_start is None:
            approved = self.state.approved_at or workflow.now()
            self.state.execution_start = approved.replace(microsecond=0)
        evaluate_at = evaluation_time(
            self.executed.document, self.executed.plan, self.calendar, self.state.execution_start
        )
        await self._wait(evaluate_at)
        await self._settle()

    @workflow.update
    async def amend(self, amendment: Amendment) -> CycleView:
        if self.legacy is not None:
            return await self.legacy.amend(amendment)
        info = workflow.current_update_info()
        update_id = info.id if info else str(workflow.uuid4())
        self.amendments.append((update_id, amendment))
        self.woken = True
        await workflow.wait_condition(lambda: update_id in self.applied)
        return self.view()

    @amend.validator
    def _validate_amend(self, amendment: Amendment) -> None:
        if self.legacy is not None:
            self.legacy.validate_amend(amendment)
            return
        if self.phase not in AMENDABLE or self.state.execution_start is None:
            raise refuse(
                Refusal.conflict, "not_executing", "only a plan being executed can be amended"
            )
        if amendment.by not in self.executed.document.officers:
            raise refuse(
                Refusal.forbidden, "officer_amends", "only the Quality & SD officer amends a plan"
            )
        now = workflow.now()
        planned = self.executed  # with the amendments accepted before, not yet applied
        for _, accepted in self.amendments:
            planned = with_changes(planned, accepted, now)
        problems = amendment_problems(
            planned, amendment, self.calendar, now, ended=set(self.state.ended)
        )
        if problems:
            first = problems[0]
            raise refuse(
                Refusal.invalid,
                first.code,
                "; ".join(problem.message for problem in problems),
                **first.params,
            )

    @workflow.update
    async def start_task(self, task_id: str) -> bool:
        """Start a task's workflow now (someone acts on it before its first notice)."""
        if task_id not in self.state.started:
            self.start_requests.add(task_id)
            self.woken = True
            await workflow.wait_condition(lambda: task_id in self.state.started)
        return task_id not in self.state.ended

    @start_task.validator
    def _validate_start_task(self, task_id: str) -> None:
        if self.legacy is not None or self.state.execution_start is None:
            raise refuse(Refusal.conflict, "not_executing", "the plan is not being executed yet")
        if task_id in self.state.started:
            return
        task = next((t for t in every_task(self.executed, self.calendar) if t.id == task_id), None)
        if task is None:
            raise refuse(
                Refusal.invalid, "unknown_tasks", f"unknown occurrences: {task_id}", tasks=task_id
            )
        if is_cancelled(self.executed, task):
            raise refuse(
                Refusal.conflict, "task_closed", "task is already cancelled", status="cancelled"
            )

    @workflow.signal
    def task_ended(self, report: TaskEnded) -> None:
        if report.status in FINAL_STATUSES:
            self.state.ended[report.task] = report.status
            self.woken = True

    # --- evaluating ------------------------------------------------------------------------

    async def _facts(self) -> EvaluationFacts:
        facts = await self._activity(
            ActivityName.evaluation_facts, self.cycle_id, result_type=EvaluationFacts
        )
        assert isinstance(facts, EvaluationFacts)
        return facts

    def _missing_values(self, facts: EvaluationFacts) -> list[str]:
        have = {point.indicator for point in facts.values}
        indicators = portfolio_indicators(self.executed.document, self.input.portfolio)
        return [indicator.name for indicator in indicators if indicator.id not in have]

    async def _evaluating(self) -> None:
        document = self.executed.document
        if self.state.scorecard is None:
            facts = await self._facts()
            missing = self._missing_values(facts)
            if self.state.values_requested_at is None:
                self.state.values_requested_at = workflow.now()
                if missing:
                    await self._plan_notice(
                        "values",
                        "values_request",
                        self._owner(),
                        workflow.now(),
                        indicators=missing,
                    )
            if missing:
                await self._wait(self.state.values_requested_at + VALUES_WAIT)
                facts = await self._facts()
            self.state.scorecard = compute_scorecard(
                document,
                self.input.portfolio,
                self.input.year,
                facts.values,
                facts.outcomes,
                workflow.now(),
                earlier=facts.earlier,
                contract_shares=facts.contract_shares,
                art35_gaps=facts.art35_gaps,
            )
            await self._activity(ActivityName.save_scorecard, self.state.scorecard)
            await self._plan_notice(
                "evaluation",
                "evaluation_ready",
                (*document.officers, *document.directors),
                workflow.now(),
            )
        while self.state.review is None:
            due = self.state.review_reminded_at
            if due is None or workflow.now() >= due + REVIEW_REMINDER_EVERY:
                await self._plan_notice(
                    f"review|{self.state.review_reminders}",
                    "review_request",
                    document.officers,
                    workflow.now(),
                )
                self.state.review_reminders += 1
                self.state.review_reminded_at = workflow.now()
            reminded = self.state.review_reminded_at
            assert reminded is not None
            await self._wait(
                reminded + REVIEW_REMINDER_EVERY, lambda: self.state.review is not None
            )
        await self._activity(ActivityName.save_review, self.cycle_id, self.state.review)
        await self._settle()

    def _owner(self) -> tuple[str, ...]:
        people = self._portfolio_people()
        return people[:1] if people else self.document.officers

    @workflow.update
    def record_review(self, request: ReviewRequest) -> CycleView:
        if self.legacy is not None:
            return self.legacy.record_review(request)
        self.state.review = Review(
            lessons=request.lessons,
            decisions=request.decisions,
            recorded_by=request.by,
            recorded_at=workflow.now(),
        )
        self.woken = True
        return self.view()

    @record_review.validator
    def _validate_review(self, request: ReviewRequest) -> None:
        current = self.legacy or self
        check_review(current.phase, current.state, current.document, request)

    # --- improving -------------------------------------------------------------------------

    async def _improving(self) -> None:
        facts = await self._facts()
        # An item the officer cancelled during the year does not come back next year.
        cancelled = set(self.executed.cancelled_items)
        kept = [item for item in self.executed.plan.items if item.id not in cancelled]
        draft = next_year_draft(
            self.executed.document,
            self.executed.plan.model_copy(update={"items": kept}),
            facts.outcomes,
            self.state.scorecard,
            self.state.review,
        )
        record = DraftRecord(
            portfolio=self.input.portfolio, year=self.input.year + 1, document=as_data(draft)
        )
        version = await self._activity(ActivityName.save_draft, record, result_type=int)
        assert isinstance(version, int)
        self.state.next_plan_version = version
        carried = sum(1 for item in draft.plans[0].items if item.carried_over_from)
        await self._plan_notice(
            "draft",
            "draft_ready",
            self.executed.document.officers,
            workflow.now(),
            year=self.input.year + 1,
            items=len(draft.plans[0].items),
            carried_over=carried,
        )
        # Next year is its own cycle (its own id): an officer may already have imported it.
        holidays = await self._activity(
            ActivityName.holiday_table,
            draft.organisation,
            self.input.year,
            self.input.year + 2,
            result_type=dict[str, str],
        )
        assert isinstance(holidays, dict)
        await self._start_next_year(draft, version, holidays)
        await self._settle()

    async def _start_next_year(self, draft: PlanFile, version: int, holidays: dict) -> None:
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
                PortfolioCycleWorkflow.run,
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

    # --- closed: until the year's last task has ended --------------------------------------

    async def _closing(self) -> None:
        if self.state.execution_start is None:
            return
        while self._unfinished():
            await self._wait(workflow.now() + LOOK_FOR_ENDED_EVERY, lambda: not self._unfinished())
            running = [task for task in self.state.started if task not in self.state.ended]
            if not running:
                continue
            try:
                ended = await self._activity(
                    ActivityName.ended_tasks, running, result_type=dict[str, TaskStatus]
                )
            except ActivityError:  # pragma: no cover - retried until it succeeds
                continue
            for task, status in ended.items():
                self.state.ended.setdefault(task, status)
        await self._settle()

    # --- queries ---------------------------------------------------------------------------

    @workflow.query
    def view(self) -> CycleView:
        if self.legacy is not None:
            return self.legacy.view()
        if self.planned is None:  # a query is answered often: the plan is expanded once
            executed = self.state.executed or ExecutedPlan(document=self.document)
            self.planned = sum(
                not is_cancelled(executed, t) for t in every_task(executed, self.calendar)
            )
        return CycleView(
            portfolio=self.input.portfolio,
            year=self.input.year,
            phase=self.phase,
            plan_version=self.input.plan_version,
            submitted_at=self.state.submitted_at,
            approved_at=self.state.approved_at,
            approved_by=self.state.approved_by,
            tasks_started=len(self.state.started),
            tasks_planned=self.planned,
            review_recorded=self.state.review is not None,
            tasks_ended=len(self.state.ended),
            launched_until=self.launched_until,
            returned_at=self.state.returned_at,
            returned_by=self.state.returned_by,
            return_comment=self.state.return_comment,
        )
