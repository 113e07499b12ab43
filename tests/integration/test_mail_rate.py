"""BOUCLE_MAIL_PER_SECOND: reminders due at the same second leave at the relay's pace."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from boucle.temporal import build_worker
from services.settings import Settings
from tests.engine.support import RecordingMailer, store_with
from tests.integration.test_worker_metrics import start_reminder
from tests.plans import plan_with

REMINDERS = 8


class TimedMailer(RecordingMailer):
    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []

    async def send(self, mail) -> None:  # noqa: ANN001
        await super().send(mail)
        self.at.append(time.monotonic())


async def test_eight_reminders_due_at_once_leave_at_two_a_second(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan_with("")
    sessions = store_with(document, tmp_path)
    settings = Settings(
        data_dir=tmp_path,
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_namespace=dev_server.client.namespace,
        task_queue=f"rate-{uuid.uuid4().hex[:8]}",
        mail_per_second=2,
    )
    mailer = TimedMailer()
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(dev_server.client, settings, sessions, mailer, executor):
            fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
            for number in range(REMINDERS):
                await start_reminder(
                    dev_server.client, settings, document, f"rate{number}", fire_at
                )
            for _ in range(300):
                if len(mailer.at) == REMINDERS:
                    break
                await asyncio.sleep(0.1)
    assert len(mailer.at) == REMINDERS
    # Two a second: eight take at least three seconds from the first to the last (a burst
    # of the limiter's first second may go at once); without the limit they go within one.
    spread = max(mailer.at) - min(mailer.at)
    assert spread >= 2.5, spread
