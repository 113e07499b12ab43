"""A worker killed between "the SMTP server accepted it" and "the outbox marked it sent":
nothing is lost, and the only second copies are of messages that were in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from domain.tasks import Task
from services.settings import process_environment
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from store.tables import Notification
from tests.integration.conftest import Inbox
from tests.integration.test_dev_server import settings_for, wait_for
from tests.plans import plan_with
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id

pytestmark = pytest.mark.asyncio(loop_scope="session")
REMINDERS = 40
KILLED_AFTER = 12  # the 12th message the SMTP server accepts kills the worker


async def test_a_worker_killed_right_after_the_smtp_server_accepted_a_message(
    dev_server: WorkflowEnvironment, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    settings = settings_for(dev_server, tmp_path, port, "it-crash-window")
    engine = make_engine(settings.database)
    migrate(engine)
    sessions = SessionFactory(engine)
    document = plan_with("")
    with sessions() as session:
        save_organisation(session, document)
        session.commit()
    environment = process_environment(settings)
    log = tmp_path / "sends.log"
    crashing = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crashing_worker", str(KILLED_AFTER), str(log)],
        env=environment,
        start_new_session=True,
    )
    # Forty reminders due at the same second, to two buyers, in flight together.
    fire_at = (datetime.now(UTC) + timedelta(seconds=12)).replace(microsecond=0)
    due = fire_at + timedelta(hours=1)
    policy = document.policy_for_defaults().model_copy(
        update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
    )
    before = len(inbox.messages)
    for number in range(REMINDERS):
        task = Task(
            id=f"rafale/{due.year}/rappel-{number:02d}/{due.date().isoformat()}",
            portfolio="restauration",
            year=due.year,
            item=f"rappel-{number:02d}",
            kind="action",
            title=f"Action {number}",
            due=due,
            original=due,
            assignees=(("resto", "nett")[number % 2],),
            policy=policy,
        )
        await dev_server.client.start_workflow(
            TaskWorkflow.run,
            TaskInput(
                task=task,
                organisation=document.organisation,
                holidays=cycle_holidays(document.organisation, due.year),
                officers=("qdd",),
                assignable=("resto", "nett", "qdd"),
                execution_start=datetime.now(UTC),
                closes_at=due + timedelta(minutes=5),
            ),
            id=task_workflow_id(task.id),
            task_queue=settings.task_queue,
        )
    try:
        await asyncio.get_running_loop().run_in_executor(None, crashing.wait, 120)
    finally:
        if crashing.poll() is None:
            os.killpg(crashing.pid, signal.SIGKILL)
    assert crashing.returncode == -signal.SIGKILL

    # At the instant of death: what the log says was handed to SMTP, what the outbox marked.
    lines = [line.split(" ", 1) for line in log.read_text().splitlines()]
    started = [message_id for event, message_id in lines if event == "start"]
    accepted = [message_id for event, message_id in lines if event == "accepted"]
    with sessions() as session:
        marked = {
            row.message_id
            for row in session.exec(select(Notification).where(Notification.status == "sent"))
        }
    in_flight = set(started) - marked
    assert len(accepted) == KILLED_AFTER
    assert accepted[-1] in in_flight  # the message whose acceptance killed the worker

    restarted = subprocess.Popen(
        [sys.executable, "-m", "boucle.cli", "worker"],
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def every_reminder_sent() -> bool:
            with sessions() as session:
                rows = session.exec(select(Notification)).all()
            return len(rows) == REMINDERS and all(row.status == "sent" for row in rows)

        # What was in flight keeps its lease (a minute) before it is sent again.
        await wait_for(every_reminder_sent, timeout=180)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)
    assert restarted.returncode == 0  # a worker stopped with SIGTERM exits cleanly

    received = [str(m["Message-ID"]) for m in inbox.messages[before:]]
    with sessions() as session:
        expected = {row.message_id for row in session.exec(select(Notification))}
    assert set(received) == expected  # nothing lost: every reminder reached the SMTP server
    twice = {message_id for message_id in received if received.count(message_id) > 1}
    assert twice <= in_flight, twice - in_flight  # a second copy only of what was in flight
    assert accepted[-1] in twice  # accepted, then killed: sent again, under its Message-ID
    print(f"in flight at the kill: {len(in_flight)}; received twice: {len(twice)}")
