"""TaskWorkflow: one plan occurrence, sending the notices pinned when it started, until it
ends done, cancelled or missed."""

from __future__ import annotations

import contextlib
import math
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.execution import due_problem
    from domain.scorecard import TaskOutcome
    from domain.tasks import Task
    from domain.timeline import Notice, NoticeType
    from workflows.common import (
        SEND_RETRY,
        SENDS_ON_MAIL_QUEUE,
        STORE_RETRY,
        refuse,
        send_on_mail_queue,
    )
    from workflows.legacy_task import LegacyTask
    from workflows.types import (
        ActivityName,
        CancelRequest,
        CompleteRequest,
        PinnedSchedule,
        ReassignRequest,
        Refusal,
        RescheduleDecision,
        RescheduleProposal,
        RescheduleRequest,
        ScheduleRequest,
        SendReport,
        TaskEnded,
        TaskInput,
        TaskNotice,
        TaskRow,
        TaskState,
        TaskStatus,
        TaskView,
        ValuesRecord,
        ValuesRequest,
        cycle_workflow_id,
    )

# Executions started since the engine of 2026-12 carry this marker: pinned notices, a final
# state for every task, a report to the cycle. Executions without it run as they always did.
ENGINE_2026_12 = "engine-2026-12"
NOTICE_TIMEOUT = timedelta(minutes=2)


@workflow.defn
class TaskWorkflow:
    """Sends a task's reminders on time until it is done, cancelled or missed."""

    @workflow.init
    def __init__(self, input: TaskInput) -> None:
        self.legacy = None if workflow.patched(ENGINE_2026_12) else LegacyTask(input)
        self.input = input
        self.state = input.state or TaskState(task=input.task)
        self.calendar = WorkingCalendar.of(input.organisation, input.holidays)
        self.changed = False

    @property
    def task(self) -> Task:
        return self.state.task

    @workflow.run
    async def run(self, input: TaskInput) -> TaskOutcome:
        if self.legacy is not None:
            return await self.legacy.run(input)
        if self.state.schedule is None:  # a cycle passes it; anyone else, it is computed now
            await self._pin(skip_before=None)
        while self.state.status == TaskStatus.open:
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(input.model_copy(update={"state": self.state}))
            pending = self._pending()
            now = workflow.now()
            closes_at = self.state.closes_at or input.closes_at
            target = pending[0].at if pending else closes_at
            if target > now:
                self.changed = False
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self.changed or self.state.status != TaskStatus.open,
                        timeout=target - now,
                    )
                continue
            if pending:
                await self._send_notice(pending[0])
                self.state.handled.append(pending[0].key)
                continue
            self.state.status = TaskStatus.missed  # its close time passed unfinished
            await self._project()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._report_end()
        return TaskOutcome(
            task=self.task.id,
            kind=self.task.kind.value,
            due=self.task.due,
            status=self.state.status.value,
            done_at=self.state.done_at,
        )

    # --- schedule --------------------------------------------------------------------------

    async def _pin(self, skip_before: datetime | None) -> None:
        """Compute the notices and the close time; after a change, what is past is skipped.

        A local activity computes them, so its result is recorded: a replay on a release with
        other reminder rules keeps what this task was told then.
        """
        pinned = await workflow.execute_local_activity(
            ActivityName.task_schedule,
            ScheduleRequest(
                task=self.task,
                organisation=self.input.organisation,
                holidays=self.input.holidays,
                officers=self.input.officers,
                execution_start=self.input.execution_start,
            ),
            result_type=PinnedSchedule,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=STORE_RETRY,
        )
        schedule = pinned.schedule
        self.state.schedule = schedule
        self.state.closes_at = pinned.closes_at
        if skip_before is not None:
            handled = set(self.state.handled)
            self.state.handled += [
                n.key for n in schedule if n.at < skip_before and n.key not in handled
            ]

    def _pending(self) -> list[Notice]:
        handled = set(self.state.handled)
        return [notice for notice in self.state.schedule or [] if notice.key not in handled]

    async def _send_notice(self, notice: Notice) -> None:
        due_day = self.task.due.astimezone(self.calendar.zone).date()
        late = (notice.at.astimezone(self.calendar.zone).date() - due_day).days
        await self._send(
            TaskNotice(
                key=notice.key,
                message=notice.type.value,
                task=self.task,
                to=notice.to,
                scheduled_at=notice.at,
                sequence=self.state.sequence,
                overdue_days=max(late, 0)
                if notice.type in (NoticeType.overdue, NoticeType.escalation)
                else 0,
            )
        )

    async def _send(self, notice: TaskNotice) -> SendReport:
        # The outbox key and its send lease keep a rerun after a crash from sending twice.
        if workflow.patched(SENDS_ON_MAIL_QUEUE):
            return await send_on_mail_queue(ActivityName.send_task_notice, notice, NOTICE_TIMEOUT)
        # Before: a local activity inside the workflow task its timer woke.
        return await workflow.execute_local_activity(
            ActivityName.send_task_notice,
            notice,
            result_type=SendReport,
            start_to_close_timeout=NOTICE_TIMEOUT,
            retry_policy=SEND_RETRY,
        )

    async def _project(self) -> None:
        row = TaskRow(
            task=self.task,
            cycle_id=f"{self.task.portfolio}/{self.task.year}",
            status=self.state.status,
            done_at=self.state.done_at,
            done_by=self.state.done_by,
            comment=self.state.comment,
            evidence_url=self.state.evidence_url,
            sequence=self.state.sequence,
            closes_at=self.state.closes_at,
            schedule=self.state.schedule,
        )
        await workflow.execute_activity(
            ActivityName.project_tasks,
            [row],
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )

    async def _report_end(self) -> None:
        """Tell the cycle this task has ended; a cycle that has itself closed needs no report."""
        cycle = workflow.get_external_workflow_handle(
            cycle_workflow_id(self.task.portfolio, self.task.year)
        )
        try:
            await cycle.signal("task_ended", TaskEnded(task=self.task.id, status=self.state.status))
        except FailureError:
            workflow.logger.info("cycle of %s not found: nothing to report", self.task.id)

    async def _tell(
        self,
        message: str,
        to: tuple[str, ...],
        change: str | None,
        proposal: RescheduleProposal | None = None,
    ) -> None:
        if not to:
            return
        now = workflow.now()
        key = f"{self.task.id}|{message}|{self.state.sequence}|{now.isoformat()}"
        await self._send(
            TaskNotice(
                key=key,
                message=message,
                task=self.task,
                to=to,
                scheduled_at=now,
                sequence=self.state.sequence,
                change=change,
                proposal=proposal,
            )
        )

    # --- queries ---------------------------------------------------------------------------

    @workflow.query
    def view(self) -> TaskView:
        if self.legacy is not None:
            return self.legacy.view()
        pending = self._pending() if self.state.status == TaskStatus.open else []
        return TaskView(
            id=self.task.id,
            status=self.state.status,
            due=self.task.due,
            assignees=self.task.assignees,
            done_at=self.state.done_at,
            done_by=self.state.done_by,
            values=self.state.values,
            sequence=self.state.sequence,
            next_notice=pending[0].at if pending else None,
            sent=len(self.state.handled),
            proposal=self.state.proposal,
            closes_at=self.state.closes_at,
        )

    # --- what validators check -------------------------------------------------------------

    @property
    def _current(self) -> LegacyTask | TaskWorkflow:
        return self.legacy or self

    def _require_open(self) -> None:
        state = self._current.state
        if state.status != TaskStatus.open:
            raise refuse(
                Refusal.conflict,
                "task_closed",
                f"task is already {state.status.value}",
                status=state.status.value,
            )

    def _require_officer(self, by: str) -> None:
        if by not in self.input.officers:
            raise refuse(
                Refusal.forbidden, "officer_only", "only the Quality & SD officer may do this"
            )

    def _require_actor(self, by: str) -> None:
        if by not in self._current.task.assignees and by not in self.input.officers:
            raise refuse(
                Refusal.forbidden,
                "assignee_or_officer",
                "only an assignee or the officer may do this",
            )

    def _validate_due(self, due: datetime) -> None:
        problem = due_problem(due, self.calendar, workflow.now(), self.task.year)
        if problem is not None:
            raise refuse(Refusal.invalid, problem.code, problem.message, **problem.params)

    # --- updates: what people do -----------------------------------------------------------

    @workflow.update
    async def complete(self, request: CompleteRequest) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.complete(request)
        self._finish(request.by, request.comment, request.evidence_url)
        await self._project()
        return self.view()

    @complete.validator
    def _validate_complete(self, request: CompleteRequest) -> None:
        self._require_open()
        self._require_actor(request.by)
        missing = [i for i in self._current.task.indicators if i not in self._current.state.values]
        if missing and request.by not in self.input.officers:
            raise refuse(
                Refusal.conflict,
                "values_missing",
                "indicator values are missing: " + ", ".join(missing),
                indicators=", ".join(missing),
            )

    def _finish(self, by: str, comment: str | None, evidence: str | None) -> None:
        self.state.status = TaskStatus.done
        self.state.done_at = workflow.now()
        self.state.done_by = by
        self.state.comment = comment
        self.state.evidence_url = evidence

    @workflow.update
    async def submit_values(self, request: ValuesRequest) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.submit_values(request)
        await workflow.execute_activity(
            ActivityName.record_values,
            ValuesRecord(
                portfolio=self.task.portfolio,
                period=self.task.id,
                task_id=self.task.id,
                author=request.by,
                values=request.values,
                comment=request.comment,
                recorded_at=workflow.now(),
            ),
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )
        self.state.values.update(request.values)
        if all(indicator in self.state.values for indicator in self.task.indicators):
            self._finish(request.by, request.comment, None)
        await self._project()
        return self.view()

    @submit_values.validator
    def _validate_values(self, request: ValuesRequest) -> None:
        self._require_open()
        self._require_actor(request.by)
        indicators = self._current.task.indicators
        unknown = [i for i in request.values if i not in indicators]
        if unknown or not request.values:
            raise refuse(
                Refusal.invalid,
                "not_collected_here",
                "this checkpoint collects " + ", ".join(indicators) + "; got " + ", ".join(unknown),
                collects=", ".join(indicators),
                got=", ".join(unknown),
            )
        odd = [i for i, value in request.values.items() if not math.isfinite(value)]
        if odd:
            raise refuse(
                Refusal.invalid,
                "value_not_finite",
                "values must be finite numbers: " + ", ".join(odd),
                indicators=", ".join(odd),
            )

    @workflow.update
    async def reschedule(self, request: RescheduleRequest) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.reschedule(request)
        await self._apply_reschedule(request.due, request.reason, request.quiet)
        return self.view()

    @reschedule.validator
    def _validate_reschedule(self, request: RescheduleRequest) -> None:
        self._require_open()
        self._require_officer(request.by)
        self._validate_due(request.due)

    async def _apply_reschedule(self, due: datetime, reason: str | None, quiet: bool) -> None:
        self.state.task = self.task.model_copy(update={"due": due, "rescheduled": True})
        self.state.sequence += 1
        await self._pin(skip_before=workflow.now())  # the close time moves with the task
        self.changed = True
        if self.task.is_event:  # a calendar needs its update, whoever tells people
            await self._tell("invitation_updated", self.task.people, reason)
        elif not quiet:
            await self._tell("task_updated", self.task.assignees, reason)
        await self._project()

    @workflow.update
    async def request_reschedule(self, proposal: RescheduleProposal) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.request_reschedule(proposal)
        self.state.proposal = proposal
        await self._tell(
            "reschedule_requested",
            self.input.officers,
            f"{proposal.due.isoformat()}|{proposal.reason or ''}",
            proposal,  # who asks, for when and why: what the officer's email says
        )
        return self.view()

    @request_reschedule.validator
    def _validate_request(self, proposal: RescheduleProposal) -> None:
        self._require_open()
        if proposal.by not in self._current.task.assignees:
            raise refuse(
                Refusal.forbidden,
                "assignee_asks",
                "only an assignee may ask to move the task",
            )
        if self._current.state.proposal is not None:
            raise refuse(
                Refusal.conflict,
                "request_waiting",
                "a request to move this task is already waiting",
            )
        self._validate_due(proposal.due)

    @workflow.update
    async def decide_reschedule(self, decision: RescheduleDecision) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.decide_reschedule(decision)
        proposal = self.state.proposal
        assert proposal is not None
        self.state.proposal = None
        message = "reschedule_approved" if decision.approve else "reschedule_refused"
        await self._tell(message, (proposal.by,), decision.reason, proposal)
        if decision.approve:
            await self._apply_reschedule(
                proposal.due, decision.reason or proposal.reason, quiet=False
            )
        return self.view()

    @decide_reschedule.validator
    def _validate_decision(self, decision: RescheduleDecision) -> None:
        self._require_open()
        self._require_officer(decision.by)
        proposal = self._current.state.proposal
        if proposal is None:
            raise refuse(Refusal.conflict, "no_request", "no request to move this task is waiting")
        if decision.approve:
            self._validate_due(proposal.due)

    @workflow.update
    async def reassign(self, request: ReassignRequest) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.reassign(request)
        await self._apply_reassign(tuple(request.assignees), request.reason, request.quiet)
        return self.view()

    @reassign.validator
    def _validate_reassign(self, request: ReassignRequest) -> None:
        # Only a cycle reassigns a task, once its amendment has passed the plan's checks
        # (assignees are buyers or officers of the organisation's directory).
        self._require_open()
        self._require_officer(request.by)
        if not request.assignees:
            raise refuse(
                Refusal.invalid,
                "assignees_not_assignable",
                "assignees must be buyers or officers: (none given)",
                people="(none given)",
            )

    async def _apply_reassign(
        self, assignees: tuple[str, ...], reason: str | None, quiet: bool
    ) -> None:
        before = set(self.task.people)
        self.state.task = self.task.model_copy(update={"assignees": assignees})
        self.state.sequence += 1
        await self._pin(skip_before=workflow.now())
        self.changed = True
        added = tuple(p for p in self.task.people if p not in before)
        removed = tuple(p for p in before if p not in self.task.people)
        if self.task.is_event:
            await self._tell("invitation", added, reason)
            await self._tell(
                "invitation_updated", tuple(p for p in self.task.people if p not in added), reason
            )
            await self._tell("invitation_cancelled", removed, reason)
        elif not quiet:
            await self._tell("task_assigned", added, reason)
            await self._tell("task_cancelled", removed, reason)
        await self._project()

    @workflow.update
    async def cancel(self, request: CancelRequest) -> TaskView:
        if self.legacy is not None:
            return await self.legacy.cancel(request)
        await self._apply_cancel(request.reason, request.quiet)
        return self.view()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._require_open()
        self._require_officer(request.by)

    async def _apply_cancel(self, reason: str | None, quiet: bool) -> None:
        self.state.status = TaskStatus.cancelled
        self.state.sequence += 1
        if self.task.is_event:
            await self._tell("invitation_cancelled", self.task.people, reason)
        elif not quiet:
            await self._tell("task_cancelled", self.task.assignees, reason)
        await self._project()

    # --- signals from cycles that ran before 2026-12 (validated there) ----------------------

    @workflow.signal
    async def cycle_cancel(self, request: CancelRequest) -> None:
        if self.legacy is not None:
            await self.legacy.cycle_cancel(request)
        elif self.state.status == TaskStatus.open:
            await self._apply_cancel(request.reason, quiet=False)

    @workflow.signal
    async def cycle_reassign(self, request: ReassignRequest) -> None:
        if self.legacy is not None:
            await self.legacy.cycle_reassign(request)
        elif self.state.status == TaskStatus.open:
            await self._apply_reassign(tuple(request.assignees), request.reason, quiet=False)
