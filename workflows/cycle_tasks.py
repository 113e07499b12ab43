"""What a cycle does for its year's tasks from approval on: it writes their rows, invites
people to the events, starts each task's workflow a week before its first notice, applies
amendments to the tasks still open, and waits for what comes next."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.documents import as_data
    from domain.execution import (
        LAUNCH_AHEAD,
        ExecutedPlan,
        amendment_effects,
        close_time,
        every_task,
        first_need,
        is_cancelled,
        notices_from,
        with_changes,
    )
    from domain.model import PlanFile, Role
    from domain.tasks import Task
    from domain.timeline import Notice, NoticeType, task_timeline
    from workflows.common import (
        SEND_RETRY,
        SENDS_ON_MAIL_QUEUE,
        STORE_RETRY,
        WAKES_KEPT,
        send_on_mail_queue,
    )
    from workflows.types import (
        ActivityName,
        Amendment,
        CycleInput,
        CycleState,
        DraftRecord,
        Phase,
        PlanNotice,
        SendReport,
        TaskChange,
        TaskChangeOutcome,
        TaskInput,
        TaskNotice,
        TaskRow,
        TaskState,
        TaskStatus,
    )

NOTICE_TIMEOUT = timedelta(minutes=2)
LAUNCH_BATCH = 100  # task workflows started per activity
INVITE_BATCH = 50  # events invited to per activity
PROJECT_BATCH = 500  # task rows written per activity


def _batches(rows: list, size: int) -> list[list]:
    return [rows[index : index + size] for index in range(0, len(rows), size)]


class YearTasks:
    """The part of PortfolioCycleWorkflow that tends the year's tasks (imported in the
    sandbox like the workflow itself)."""

    input: CycleInput
    document: PlanFile
    state: CycleState
    phase: Phase
    calendar: WorkingCalendar
    woken: bool
    amendments: list[tuple[str, Amendment]]
    applied: set[str]
    start_requests: set[str]
    launched_until: datetime | None
    next_launch: datetime | None
    planned: int | None
    _schedules: dict[tuple[Task, datetime], list[Notice]]

    @property
    def executed(self) -> ExecutedPlan:
        if self.state.executed is None:  # a cycle whose executing began before 2026-12
            self.state.executed = ExecutedPlan(
                document=self.document, cancelled_items=list(self.state.cancelled_items)
            )
        return self.state.executed

    @property
    def cycle_id(self) -> str:
        return f"{self.input.portfolio}/{self.input.year}"

    def _next(self, phase: Phase) -> None:
        """Continue as new in `phase` (handlers have all finished: see `_settle`)."""
        document = self.executed.document if self.state.executed else self.document
        workflow.continue_as_new(
            self.input.model_copy(
                update={"phase": phase, "state": self.state, "document": document}
            )
        )

    async def _activity(self, name: str, *args: object, result_type: Any = None) -> Any:
        """A store activity, retried until it succeeds (a store that is down only delays)."""
        return await workflow.execute_activity(
            name,
            args=list(args),
            result_type=result_type,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=STORE_RETRY,
        )

    async def _plan_notice(
        self, key: str, message: str, to: tuple[str, ...], at: datetime, **facts: object
    ) -> None:
        if not to:
            return
        notice = PlanNotice(
            key=f"{self.cycle_id}|{key}",
            message=message,
            portfolio=self.input.portfolio,
            year=self.input.year,
            to=to,
            scheduled_at=at,
            facts=dict(facts),
        )
        await self._mail(ActivityName.send_plan_notice, notice, NOTICE_TIMEOUT, STORE_RETRY)

    async def _mail(
        self, name: str, argument: object, timeout: timedelta, retry: RetryPolicy
    ) -> SendReport:
        """A send: on the mail queue, or where this execution sent before it existed."""
        if workflow.patched(SENDS_ON_MAIL_QUEUE):
            return await send_on_mail_queue(name, argument, timeout, retry)
        report: SendReport = await workflow.execute_activity(
            name,
            argument,
            result_type=SendReport,
            start_to_close_timeout=timeout,
            retry_policy=retry,
        )
        return report

    # --- waiting while the year's tasks go on ----------------------------------------------

    async def _wait(self, until: datetime | None, done: Callable[[], bool] = lambda: False) -> None:
        """Keep the tasks going until `until` or `done()`: amendments applied, task workflows
        started as their first notice nears, continue-as-new when the history grows."""
        kept = workflow.patched(WAKES_KEPT)
        while True:
            if kept:
                self.woken = False  # before the steps: what arrives during them wakes the wait
            await self._tend()
            if done():
                return
            now = workflow.now()
            if until is not None and now >= until:
                return
            if workflow.info().is_continue_as_new_suggested():
                await self._settle()
                self._next(self.phase)
            moments = [m for m in (until, self.next_launch) if m is not None and m > now]
            if not kept:
                self.woken = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self.woken or done(),
                    timeout=min(moments) - now if moments else None,
                )

    async def _settle(self) -> None:
        """Apply what handlers wait for until none is left running (before a continue-as-new)."""
        kept = workflow.patched(WAKES_KEPT)
        while True:
            if kept:
                self.woken = False
            await self._tend()
            if workflow.all_handlers_finished():
                return
            if not kept:
                self.woken = False
            await workflow.wait_condition(lambda: self.woken or workflow.all_handlers_finished())

    async def _tend(self) -> None:
        if self.state.execution_start is None:
            return  # planning: nothing reaches buyers before approval
        if not self.state.projected:
            # Those starting now are written by their start; the rest of the year here.
            soon = workflow.now() + LAUNCH_AHEAD
            later = [
                task
                for task in every_task(self.executed, self.calendar)
                if is_cancelled(self.executed, task)
                or first_need(task, self._without_invitation(task)) > soon
            ]
            await self._project(later)
            self.state.projected = True
        while self.amendments:
            update_id, amendment = self.amendments[0]
            await self._apply(update_id, amendment)
            self.amendments.pop(0)
            self.applied.add(update_id)
        await self._invite()
        await self._launch_due()
        self._schedules.clear()  # shared by one wake's steps only: a cycle sleeps light

    def _task_input(self, task: Task, schedule: list[Notice]) -> TaskInput:
        document = self.executed.document
        assert self.state.execution_start is not None
        return TaskInput(
            task=task,
            organisation=document.organisation,
            holidays=self.input.holidays,
            officers=document.officers,
            assignable=tuple(p.id for p in document.people if p.role in (Role.buyer, Role.officer)),
            execution_start=notices_from(self.executed, task, self.state.execution_start),
            closes_at=close_time(task, schedule),
            state=TaskState(
                task=task,
                schedule=schedule,
                closes_at=close_time(task, schedule),
                handled=[n.key for n in schedule if self._is_invitation(task, n)],
            ),
        )

    def _schedule(self, task: Task) -> list[Notice]:
        assert self.state.execution_start is not None
        start = notices_from(self.executed, task, self.state.execution_start)
        key = (task, start)
        known = self._schedules.get(key)
        if known is None:  # each wake asks for every task's; a change makes another key
            known = task_timeline(task, self.calendar, self.executed.document.officers, start)
            self._schedules[key] = known
        return known

    def _row(self, task: Task) -> TaskRow:
        schedule = self._schedule(task)
        cancelled = is_cancelled(self.executed, task)
        return TaskRow(
            task=task,
            cycle_id=self.cycle_id,
            status=TaskStatus.cancelled if cancelled else TaskStatus.open,
            closes_at=None if cancelled else close_time(task, schedule),
            schedule=[] if cancelled else schedule,
        )

    async def _project(self, tasks: list[Task]) -> None:
        """Write the rows of tasks whose workflow has not started (a started one writes its own)."""
        started = set(self.state.started)
        rows = [self._row(task) for task in tasks if task.id not in started]
        for batch in _batches(rows, PROJECT_BATCH):
            await self._activity(ActivityName.project_planned_tasks, batch)

    def _is_invitation(self, task: Task, notice: Notice) -> bool:
        return notice.type == NoticeType.invitation and task.id in self.state.invited

    def _without_invitation(self, task: Task) -> list[Notice]:
        """What a task's workflow will have to send: an event's invitation is the cycle's."""
        return [n for n in self._schedule(task) if n.type != NoticeType.invitation]

    async def _invite(self) -> None:
        """Invite people to the events of the year that have not started yet, in one go.

        An event's invitation goes out when execution starts; its workflow starts only weeks
        before its first reminder, its invitation marked as sent.
        """
        now, started = workflow.now(), set(self.state.started)
        invited = set(self.state.invited)
        notices, tasks = [], []
        for task in every_task(self.executed, self.calendar):
            if task.id in started or task.id in invited or is_cancelled(self.executed, task):
                continue
            first = next(iter(self._schedule(task)), None)
            if first is None or first.type != NoticeType.invitation or first.at > now:
                continue
            notices.append(
                TaskNotice(
                    key=first.key,
                    message=first.type.value,
                    task=task,
                    to=first.to,
                    scheduled_at=first.at,
                )
            )
            tasks.append(task.id)
        for batch in _batches(notices, INVITE_BATCH):
            await self._mail(
                ActivityName.send_task_notices, batch, timedelta(minutes=10), SEND_RETRY
            )
        self.state.invited += tasks

    async def _launch_due(self) -> None:
        """Start the workflow of every task whose first notice is near, or that is asked for."""
        now = workflow.now()
        horizon = now + LAUNCH_AHEAD
        started = set(self.state.started)
        launching: list[TaskInput] = []
        later: list[datetime] = []
        active = 0
        for task in every_task(self.executed, self.calendar):
            if is_cancelled(self.executed, task):
                continue
            active += 1
            if task.id in started:
                continue
            schedule = self._schedule(task)
            need = first_need(task, self._without_invitation(task))
            if need <= horizon or task.id in self.start_requests:
                launching.append(self._task_input(task, schedule))
            else:
                later.append(need - LAUNCH_AHEAD)
        for batch in _batches(launching, LAUNCH_BATCH):
            # It writes each row (the schedule pinned now) before starting the workflow; what
            # it returns is recorded, so the cycle's list never depends on a replay's rules.
            started_now = await self._activity(
                ActivityName.start_tasks, batch, result_type=list[str]
            )
            self.state.started += [task for task in started_now if task not in started]
        self.start_requests -= {item.task.id for item in launching}
        self.launched_until = horizon
        self.next_launch = min(later) if later else None
        self.planned = active

    async def _apply(self, update_id: str, amendment: Amendment) -> None:
        """Change the plan, then the started tasks still open (one update each, run once)."""
        previous = self.executed
        before = {task.id: task for task in every_task(previous, self.calendar)}
        amended = with_changes(previous, amendment, workflow.now())
        # An event people were invited to hears of its change from its own workflow (the
        # calendar update or cancellation): it starts first, as it was.
        invited = set(self.state.invited) - set(self.state.started)
        changed = {
            task.id
            for task in every_task(amended, self.calendar)
            if task.id in invited and (before.get(task.id) != task or is_cancelled(amended, task))
        }
        if changed:
            self.start_requests |= changed
            await self._launch_due()
        self.state.executed = amended
        after = every_task(self.executed, self.calendar)
        # As they stood when the amendment came: tasks it cancels report their end meanwhile.
        ended, started = set(self.state.ended), set(self.state.started)
        changes: list[TaskChange] = []
        touched: list[Task] = []
        for task in after:
            old = before.get(task.id)
            cancelled = is_cancelled(self.executed, task)
            if old is not None and old == task and cancelled == is_cancelled(previous, old):
                continue
            if task.id not in started:
                touched.append(task)  # its row changes; its workflow starts from the new plan
                continue
            if task.id in ended:
                continue  # a done task stays done
            change = TaskChange(
                task_id=task.id,
                update_id=f"{update_id}|{task.id}",
                by=amendment.by,
                reason=amendment.reason,
            )
            if cancelled:
                changes.append(change.model_copy(update={"cancel": True}))
                continue
            if old is not None and old.assignees != task.assignees:
                changes.append(
                    change.model_copy(
                        update={
                            "assignees": list(task.assignees),
                            "update_id": change.update_id + "|to",
                        }
                    )
                )
            if old is not None and old.due != task.due:
                changes.append(
                    change.model_copy(
                        update={"due": task.due, "update_id": change.update_id + "|at"}
                    )
                )
        await self._project(touched)
        for batch in _batches(changes, LAUNCH_BATCH):
            outcomes = await self._activity(
                ActivityName.change_tasks, batch, result_type=list[TaskChangeOutcome]
            )
            for outcome in outcomes:
                if not outcome.applied:
                    workflow.logger.info("amendment skips %s: %s", outcome.task_id, outcome.reason)
        version = await self._activity(
            ActivityName.save_draft,
            DraftRecord(
                portfolio=self.input.portfolio,
                year=self.input.year,
                document=as_data(self.executed.document),
                created_by=amendment.by,
            ),
            result_type=int,
        )
        # The version in force: what the store's cycle row and the cycle's view say from now.
        self.input = self.input.model_copy(update={"plan_version": version})
        # One message per person, saying everything this amendment changes for them.
        effects = amendment_effects(previous, self.executed, self.calendar, ended)
        told = {person: effect for person, effect in effects.items() if person != amendment.by}
        await self._plan_notice(
            f"amended|{update_id}",
            "plan_amended",
            tuple(told),
            workflow.now(),
            amended=told,
            amended_by=amendment.by,
            reason=amendment.reason or "",
        )

    def _unfinished(self) -> list[str]:
        started = set(self.state.started)
        waiting = [
            task.id
            for task in every_task(self.executed, self.calendar)
            if task.id not in started and not is_cancelled(self.executed, task)
        ]
        return waiting + [task for task in self.state.started if task not in self.state.ended]
