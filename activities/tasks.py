"""Task workflows as a cycle drives them: started in batches, changed by amendments, looked up."""

from __future__ import annotations

import asyncio
import contextlib

from sqlmodel import col, select
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.store import StoreActivities
from domain.calendar import WorkingCalendar
from domain.execution import close_time
from domain.timeline import task_timeline
from store.database import SessionFactory
from store.tables import Task
from workflows.types import (
    ActivityName,
    CancelRequest,
    PinnedSchedule,
    ReassignRequest,
    RescheduleRequest,
    ScheduleRequest,
    TaskChange,
    TaskChangeOutcome,
    TaskInput,
    TaskRow,
    TaskStatus,
    task_workflow_id,
)

AT_ONCE = 20  # requests to the Temporal frontend in flight per activity


@activity.defn(name=ActivityName.task_schedule)
def task_schedule(request: ScheduleRequest) -> PinnedSchedule:
    """A task's notices and close time under today's rules (recorded where a workflow asks)."""
    calendar = WorkingCalendar.of(request.organisation, request.holidays)
    schedule = task_timeline(request.task, calendar, request.officers, request.execution_start)
    return PinnedSchedule(schedule=schedule, closes_at=close_time(request.task, schedule))


class TaskActivities:
    """Starts, changes and looks up task workflows through the worker's own client."""

    def __init__(self, sessions: SessionFactory, store: StoreActivities) -> None:
        self.sessions = sessions
        self.store = store

    def _client(self) -> Client:
        return activity.client()

    @activity.defn(name=ActivityName.start_tasks)
    async def start_tasks(self, inputs: list[TaskInput]) -> list[str]:
        """Write each task's row with its pinned schedule, then start its workflow; a task
        whose workflow runs or has ended is left as it is (a retry starts nothing twice).
        Returns the tasks whose workflow runs or ran."""
        rows = [
            TaskRow(
                task=item.task,
                cycle_id=f"{item.task.portfolio}/{item.task.year}",
                closes_at=item.closes_at,
                schedule=item.state.schedule if item.state else None,
            )
            for item in inputs
        ]
        await asyncio.to_thread(self.store.project_planned_tasks, rows)
        client = self._client()
        queue = activity.info().task_queue
        gate = asyncio.Semaphore(AT_ONCE)

        async def start(item: TaskInput) -> str:
            async with gate:
                with contextlib.suppress(WorkflowAlreadyStartedError):
                    await client.start_workflow(
                        "TaskWorkflow",
                        item,
                        id=task_workflow_id(item.task.id),
                        task_queue=queue,
                        # A task that has ended is never started again under its id.
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    )
            return item.task.id

        return list(await asyncio.gather(*(start(item) for item in inputs)))

    @activity.defn(name=ActivityName.change_tasks)
    async def change_tasks(self, changes: list[TaskChange]) -> list[TaskChangeOutcome]:
        """Run each change as its task's update, once (by its update id); a task that has
        ended or refuses the change is skipped and said so."""
        client = self._client()
        gate = asyncio.Semaphore(AT_ONCE)

        async def change(item: TaskChange) -> TaskChangeOutcome:
            handle = client.get_workflow_handle(task_workflow_id(item.task_id))
            argument: CancelRequest | ReassignRequest | RescheduleRequest
            if item.cancel:
                name, argument = (
                    "cancel",
                    CancelRequest(by=item.by, reason=item.reason, quiet=True),
                )
            elif item.assignees is not None:
                name, argument = (
                    "reassign",
                    ReassignRequest(
                        by=item.by, assignees=item.assignees, reason=item.reason, quiet=True
                    ),
                )
            else:
                assert item.due is not None
                name, argument = (
                    "reschedule",
                    RescheduleRequest(by=item.by, due=item.due, reason=item.reason, quiet=True),
                )
            async with gate:
                try:
                    await handle.execute_update(name, argument, id=item.update_id)
                except WorkflowUpdateFailedError as error:
                    return TaskChangeOutcome(
                        task_id=item.task_id, applied=False, reason=str(error.cause)
                    )
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise  # the engine is unreachable: the activity is retried
                    return TaskChangeOutcome(
                        task_id=item.task_id, applied=False, reason="the task has ended"
                    )
            return TaskChangeOutcome(task_id=item.task_id, applied=True)

        return list(await asyncio.gather(*(change(item) for item in changes)))

    @activity.defn(name=ActivityName.ended_tasks)
    async def ended_tasks(self, task_ids: list[str]) -> dict[str, TaskStatus]:
        """Which of these task workflows have ended, with their final state; a task that
        ended before tasks recorded being missed is recorded missed now."""
        client = self._client()
        gate = asyncio.Semaphore(AT_ONCE)

        async def closed(task_id: str) -> bool:
            async with gate:
                try:
                    description = await client.get_workflow_handle(
                        task_workflow_id(task_id)
                    ).describe()
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise
                    return True
            return description.status != WorkflowExecutionStatus.RUNNING

        found = await asyncio.gather(*(closed(task_id) for task_id in task_ids))
        ended = [task_id for task_id, is_closed in zip(task_ids, found, strict=True) if is_closed]
        return await asyncio.to_thread(self._final_states, ended)

    def _final_states(self, task_ids: list[str]) -> dict[str, TaskStatus]:
        states: dict[str, TaskStatus] = {}
        with self.sessions() as session:
            for task in session.exec(select(Task).where(col(Task.id).in_(task_ids))):
                if task.status == TaskStatus.open.value:
                    task.status = TaskStatus.missed.value
                    session.add(task)
                states[task.id] = TaskStatus(task.status)
            session.commit()
        for task_id in task_ids:
            states.setdefault(task_id, TaskStatus.missed)
        return states
