"""Task workflows started before the engine of 2026-12, kept as they ran.

`TaskWorkflow` hands an execution to this class when its history has no ENGINE_2026_12
marker: those executions must replay the commands they issued. It recomputes its notices at
every wake and closes at `TaskInput.closes_at`. Since 2026-12 a closing one also records
itself missed (behind its own patch). Only validators (which write nothing to history) may
change here; a continue-as-new moves the task onto today's code.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.execution import due_problem
    from domain.scorecard import TaskOutcome
    from domain.tasks import Task
    from domain.timeline import Notice, NoticeType, task_timeline
    from workflows.common import SEND_RETRY, STORE_RETRY, refuse
    from workflows.types import (
        ActivityName,
        CancelRequest,
        CompleteRequest,
        ReassignRequest,
        Refusal,
        RescheduleDecision,
        RescheduleProposal,
        RescheduleRequest,
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

# Histories recorded before this patch send through regular activities; they replay as such.
SEND_LOCALLY = "send-task-notice-locally"
# A legacy task that reaches its close time since 2026-12 records itself missed.
RECORD_MISSED = "record-missed-at-close"


class LegacyTask:
    """Sends a task's reminders on time until it is done, cancelled or closed."""

    def __init__(self, input: TaskInput) -> None:
        self.input = input
        self.state = input.state or TaskState(task=input.task)
        self.calendar = WorkingCalendar.of(input.organisation, input.holidays)
        self.changed = False
        self.skip_before: datetime | None = None

    @property
    def task(self) -> Task:
        return self.state.task

    async def run(self, input: TaskInput) -> TaskOutcome:
        while self.state.status == TaskStatus.open:
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(input.model_copy(update={"state": self.state}))
            if self.skip_before is not None:
                self._skip_past(self.skip_before)
                self.skip_before = None
            pending = self._pending()
            now = workflow.now()
            target = pending[0].at if pending else input.closes_at
            if target > now:
                self.changed = False
                try:
                    await workflow.wait_condition(
                        lambda: self.changed or self.state.status != TaskStatus.open,
                        timeout=target - now,
                    )
                except TimeoutError:
                    if not pending:
                        break  # closed: nobody completed it
                continue
            if not pending:
                break
            await self._send_notice(pending[0])
            self.state.handled.append(pending[0].key)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.status == TaskStatus.open and workflow.patched(RECORD_MISSED):
            self.state.status = TaskStatus.missed
            await self._project()
            with contextlib.suppress(FailureError):  # a cycle already closed needs no report
                await workflow.get_external_workflow_handle(
                    cycle_workflow_id(self.task.portfolio, self.task.year)
                ).signal("task_ended", TaskEnded(task=self.task.id, status=self.state.status))
        return TaskOutcome(
            task=self.task.id,
            kind=self.task.kind.value,
            due=self.task.due,
            status=self.state.status.value,
            done_at=self.state.done_at,
        )

    # --- timeline --------------------------------------------------------------------------

    def _timeline(self) -> list[Notice]:
        return task_timeline(
            self.task, self.calendar, self.input.officers, self.input.execution_start
        )

    def _pending(self) -> list[Notice]:
        handled = set(self.state.handled)
        return [notice for notice in self._timeline() if notice.key not in handled]

    def _skip_past(self, moment: datetime) -> None:
        for notice in self._pending():
            if notice.at < moment:
                self.state.handled.append(notice.key)

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
        if self.input.sends_locally or workflow.patched(SEND_LOCALLY):
            return await workflow.execute_local_activity(
                ActivityName.send_task_notice,
                notice,
                result_type=SendReport,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=SEND_RETRY,
            )
        return await workflow.execute_activity(
            ActivityName.send_task_notice,
            notice,
            result_type=SendReport,
            start_to_close_timeout=timedelta(minutes=2),
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
        )
        await workflow.execute_activity(
            ActivityName.project_tasks,
            [row],
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STORE_RETRY,
        )

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

    # --- query -----------------------------------------------------------------------------

    def view(self) -> TaskView:
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
            closes_at=self.input.closes_at,
        )

    # --- validators (they write nothing to history: they may follow today's rules) ---------

    def require_open(self) -> None:
        if self.state.status != TaskStatus.open:
            raise refuse(
                Refusal.conflict,
                "task_closed",
                f"task is already {self.state.status.value}",
                status=self.state.status.value,
            )

    def require_officer(self, by: str) -> None:
        if by not in self.input.officers:
            raise refuse(
                Refusal.forbidden, "officer_only", "only the Quality & SD officer may do this"
            )

    def validate_due(self, due: datetime) -> None:
        problem = due_problem(due, self.calendar, workflow.now())
        if problem is not None:
            raise refuse(Refusal.invalid, problem.code, problem.message, **problem.params)

    # --- updates: what people do (bodies as they ran) --------------------------------------

    async def complete(self, request: CompleteRequest) -> TaskView:
        self._finish(request.by, request.comment, request.evidence_url)
        await self._project()
        return self.view()

    def _finish(self, by: str, comment: str | None, evidence: str | None) -> None:
        self.state.status = TaskStatus.done
        self.state.done_at = workflow.now()
        self.state.done_by = by
        self.state.comment = comment
        self.state.evidence_url = evidence

    async def submit_values(self, request: ValuesRequest) -> TaskView:
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

    async def reschedule(self, request: RescheduleRequest) -> TaskView:
        await self._apply_reschedule(request.due, request.reason)
        return self.view()

    async def _apply_reschedule(self, due: datetime, reason: str | None) -> None:
        self.state.task = self.task.model_copy(update={"due": due})
        self.state.sequence += 1
        self.skip_before = workflow.now()
        self.changed = True
        message = "invitation_updated" if self.task.is_event else "task_updated"
        await self._tell(
            message, self.task.people if self.task.is_event else self.task.assignees, reason
        )
        await self._project()

    async def request_reschedule(self, proposal: RescheduleProposal) -> TaskView:
        self.state.proposal = proposal
        await self._tell(
            "reschedule_requested",
            self.input.officers,
            f"{proposal.due.isoformat()}|{proposal.reason or ''}",
            proposal,  # who asks, for when and why: what the officer's email says
        )
        return self.view()

    async def decide_reschedule(self, decision: RescheduleDecision) -> TaskView:
        proposal = self.state.proposal
        assert proposal is not None
        self.state.proposal = None
        message = "reschedule_approved" if decision.approve else "reschedule_refused"
        await self._tell(message, (proposal.by,), decision.reason, proposal)
        if decision.approve:
            await self._apply_reschedule(proposal.due, decision.reason or proposal.reason)
        return self.view()

    async def reassign(self, request: ReassignRequest) -> TaskView:
        await self._apply_reassign(tuple(request.assignees), request.reason)
        return self.view()

    async def _apply_reassign(self, assignees: tuple[str, ...], reason: str | None) -> None:
        before = set(self.task.people)
        self.state.task = self.task.model_copy(update={"assignees": assignees})
        self.state.sequence += 1
        self.changed = True
        added = tuple(p for p in self.task.people if p not in before)
        removed = tuple(p for p in before if p not in self.task.people)
        if self.task.is_event:
            await self._tell("invitation", added, reason)
            await self._tell(
                "invitation_updated", tuple(p for p in self.task.people if p not in added), reason
            )
            await self._tell("invitation_cancelled", removed, reason)
        else:
            await self._tell("task_assigned", added, reason)
            await self._tell("task_cancelled", removed, reason)
        await self._project()

    async def cancel(self, request: CancelRequest) -> TaskView:
        await self._apply_cancel(request.reason)
        return self.view()

    async def _apply_cancel(self, reason: str | None) -> None:
        self.state.status = TaskStatus.cancelled
        self.state.sequence += 1
        if self.task.is_event:
            await self._tell("invitation_cancelled", self.task.people, reason)
        else:
            await self._tell("task_cancelled", self.task.assignees, reason)
        await self._project()

    async def cycle_cancel(self, request: CancelRequest) -> None:
        if self.state.status == TaskStatus.open:
            await self._apply_cancel(request.reason)

    async def cycle_reassign(self, request: ReassignRequest) -> None:
        if self.state.status == TaskStatus.open:
            await self._apply_reassign(tuple(request.assignees), request.reason)
