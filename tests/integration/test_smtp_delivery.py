"""Delivery against a real SMTP server (aiosmtpd): retries send once, refusals are reported."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotificationActivities, NotificationConfig
from domain.tasks import plan_tasks
from notifications.smtp import SmtpMailer
from store.tables import Notification
from tests.engine.support import store_with
from tests.plans import plan_with
from workflows.types import TaskNotice


class MoodyServer:
    """Answers 451 to the first `refusals` messages, 550 to one address, then accepts."""

    def __init__(self, refusals: int, unknown: str) -> None:
        self.refusals = refusals
        self.unknown = unknown
        self.received: list[tuple[str, str]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == self.unknown:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 try again later"
        message_id = next(
            line
            for line in envelope.content.decode().splitlines()
            if line.lower().startswith("message-id:")
        )
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, message_id))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Any:
    handler = MoodyServer(refusals=3, unknown="nadia.benali@example.org")
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def test_refusals_then_acceptance_deliver_each_message_once_and_5xx_is_reported(
    server: Any, tmp_path: Path
) -> None:
    handler, port = server
    document = plan_with("""
        - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto, nett],
           due: "2027-02-15"}
    """)
    sessions = store_with(document, tmp_path)
    activities = NotificationActivities(sessions, SmtpMailer(port=port), NotificationConfig())
    (task,) = plan_tasks(document, document.plans[0])
    notice = TaskNotice(
        key=f"{task.id}|reminder|2027-02-08T08:00:00+00:00",
        message="reminder",
        task=task,
        to=("resto", "nett"),
        scheduled_at=datetime(2027, 2, 8, 8, tzinfo=UTC),
    )
    environment = ActivityEnvironment()
    attempts = 0
    while True:  # what Temporal's retry policy does, without the waiting
        attempts += 1
        try:
            report = await environment.run(activities.send_task_notice, notice)
            break
        except ApplicationError as error:
            assert "temporary delivery failure" in str(error)
            assert attempts < 10
    # Three 451 answers: two to the buyer's reminder, one to the officer's report of the 550.
    assert attempts == 3
    assert report.sent == 1 and report.failed == 1
    delivered = [recipient for recipient, _ in handler.received]
    assert delivered.count("paul.durand@example.org") == 1
    assert delivered.count("claire.martin@example.org") == 1  # told about the refusal
    with sessions() as session:
        rows = {
            row.person_id: row
            for row in session.exec(select(Notification))
            if row.type == "reminder"
        }
        report_row = session.exec(
            select(Notification).where(Notification.type == "delivery_failed")
        ).one()
    assert rows["resto"].status == "sent" and rows["resto"].attempts == 3
    assert rows["nett"].status == "failed" and "550" in rows["nett"].last_error
    assert report_row.person_id == "qdd" and report_row.status == "sent"
    assert report_row.subject.startswith("Message non distribué : Rappel : Publier")
    again = await environment.run(activities.send_task_notice, notice)  # a replayed retry
    assert again.sent == 0 and len(handler.received) == 2
