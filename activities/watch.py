"""The engine's watch: a cycle or task workflow that keeps failing is told to the officers.

A bug in workflow code, or a store the engine cannot read, makes Temporal retry the
workflow's task: the year is never FAILED, but it stops moving. Temporal flags such a
workflow with the `TemporalReportedProblems` search attribute after two failures in a row;
this activity lists the flagged ones and writes one message per officer and per run to the
outbox (its key holds the run, so each is told once).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import activity

from activities.notify import NotificationActivities
from notifications import formatting
from notifications.compose import Outgoing, fault_view
from notifications.context import Recipient, plan_context
from notifications.messages import MessageType
from store.database import SessionFactory
from store.tables import Task
from workflows.types import ActivityName, SendReport

STUCK = 'TemporalReportedProblems IS NOT NULL AND ExecutionStatus = "Running"'
AT_MOST = 200  # a watch lists this many; the rest are told at the next one


class WatchActivities:
    def __init__(self, sessions: SessionFactory, notify: NotificationActivities) -> None:
        self.sessions = sessions
        self.notify = notify

    @activity.defn(name=ActivityName.report_stuck_workflows)
    async def report_stuck_workflows(self, fired_at: str) -> SendReport:
        stuck: list[tuple[str, str, list[str]]] = []
        async for execution in activity.client().list_workflows(STUCK, limit=AT_MOST):
            problems = execution.search_attributes.get("TemporalReportedProblems", [])
            stuck.append((execution.id, execution.run_id, [str(p) for p in problems]))
        if not stuck:
            return SendReport()
        outgoing = await asyncio.to_thread(self._messages, stuck, datetime.fromisoformat(fired_at))
        return await self.notify.delivery.deliver_all(outgoing)

    def _messages(
        self, stuck: list[tuple[str, str, list[str]]], fired_at: datetime
    ) -> list[Outgoing]:
        snapshot = self.notify.directory.snapshot()
        titles = self._task_titles([workflow_id for workflow_id, _, _ in stuck])
        outgoing = []
        for workflow_id, run_id, problems in stuck:
            cycle_id, task_id, what = self._subject(workflow_id, titles, snapshot.portfolios)
            cause = ", ".join(p.split("=", 1)[-1] for p in problems if p.startswith("cause="))
            for officer in snapshot.officers:
                locale = snapshot.locale_of(officer)
                context = plan_context(
                    Recipient(officer.id, officer.name, officer.email, locale),
                    snapshot.organisation,
                    {},
                    {"view": fault_view(task_id, self.notify.config.app_url)},
                    fault={
                        "what": what,
                        "workflow_id": workflow_id,
                        "cause": cause or "?",
                        "seen_text": formatting.when(fired_at, snapshot.zone, locale),
                    },
                )
                outgoing.append(
                    Outgoing(
                        key=f"engine-fault|{workflow_id}|{run_id}|{officer.id}",
                        message=MessageType.engine_fault,
                        person=officer,
                        locale=locale,
                        context=context,
                        task_id=task_id,
                        cycle_id=cycle_id,
                        scheduled_at=fired_at,
                    )
                )
        return outgoing

    def _task_titles(self, workflow_ids: list[str]) -> dict[str, Task]:
        ids = [w.removeprefix("task:") for w in workflow_ids if w.startswith("task:")]
        if not ids:
            return {}
        with self.sessions() as session:
            return {task_id: task for task_id in ids if (task := session.get(Task, task_id))}

    @staticmethod
    def _subject(
        workflow_id: str, tasks: dict[str, Task], portfolios: dict[str, str]
    ) -> tuple[str | None, str | None, str]:
        """The cycle and task a workflow runs, and how people call it."""
        kind, _, rest = workflow_id.partition(":")
        if kind == "cycle":
            portfolio, _, year = rest.rpartition(":")
            name = portfolios.get(portfolio, portfolio)
            return f"{portfolio}/{year}", None, f"{name} {year}"
        if kind == "task":
            task = tasks.get(rest)
            if task is not None:
                name = portfolios.get(task.portfolio, task.portfolio)
                return task.cycle_id, task.id, f"{task.title} ({name} {task.year})"
            return None, None, rest
        return None, None, workflow_id
