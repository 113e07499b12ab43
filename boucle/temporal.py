"""The worker's assembly, shared by `boucle worker`, `boucle dev` and tests."""

from __future__ import annotations

import asyncio
import gc
import ssl
import warnings
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, contextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notify import NotificationConfig
from activities.registry import build_activities, sending
from notifications.smtp import Mailer, SmtpMailer
from services.metrics import MetricsServer
from services.settings import (
    Settings,
    SettingsInvalid,
    smtp_problems,
)
from store.database import SessionFactory
from workflows.registry import WORKFLOWS, workflow_runner
from workflows.types import mail_queue


def mailer_for(settings: Settings) -> SmtpMailer:
    """The SMTP transport the settings describe; SettingsInvalid when it could never work."""
    if found := smtp_problems(settings):
        raise SettingsInvalid("; ".join(found))
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_ssl,
        allow_plain_auth=settings.smtp_allow_plain_auth,
        tls_context=(
            ssl.create_default_context(cafile=settings.smtp_ca_file)
            if settings.smtp_ca_file
            else None
        ),
    )


def notification_config(settings: Settings) -> NotificationConfig:
    return NotificationConfig(
        sender_name=settings.mail_from_name,
        sender_email=settings.mail_from,
        app_url=settings.base_url,
        message_domain=settings.message_domain,
        templates_dir=settings.templates_dir,
        link_secret=settings.link_secret,
    )


STICKY_WAIT = timedelta(seconds=30)


class Workers:
    """A process's two workers, started and stopped together: the workflow queue's (every
    workflow, store activities) and the mail queue's (sends, within the relay's quota)."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers

    async def __aenter__(self) -> Workers:
        self._stack = AsyncExitStack()
        for worker in self.workers:
            await self._stack.enter_async_context(worker)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def run(self) -> None:
        await asyncio.gather(*(worker.run() for worker in self.workers))


def build_worker(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    mailer: Mailer,
    executor: ThreadPoolExecutor,
) -> Workers:
    """The workers of a process; store activities run on `executor`."""
    # Async activities (sending mail) do not use the thread pool, so a pool smaller than
    # the activity slots is intended; the SDK's warning about it is silenced.
    warnings.filterwarnings("ignore", message="Worker max_concurrent_activities")
    activities = build_activities(sessions, mailer, notification_config(settings))
    workflows = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        activity_executor=executor,
        workflow_runner=workflow_runner(settings.workflow_sandbox),
        max_concurrent_activities=settings.worker_activities,
        max_cached_workflows=settings.worker_cached_workflows,
        max_concurrent_workflow_task_polls=10,
        max_concurrent_activity_task_polls=10,
        # When a thousand reminders fall due at once, a workflow task may wait longer than
        # the default 10 s for this busy but live worker; past the timeout the server hands
        # it to the shared queue and the workflow is replayed from its whole history. A
        # worker that died stops polling, and the server notices that without this timeout.
        sticky_queue_schedule_to_start_timeout=STICKY_WAIT,
    )
    mail = Worker(
        client,
        task_queue=mail_queue(settings.task_queue),
        activities=sending(activities),
        activity_executor=executor,
        max_concurrent_activities=settings.worker_activities,
        max_concurrent_activity_task_polls=10,
        # The server hands out the queue's activities at this rate to all its workers.
        max_task_queue_activities_per_second=settings.mail_per_second or None,
    )
    return Workers(workflows, mail)


@contextmanager
def worker_metrics(settings: Settings) -> Iterator[MetricsServer | None]:
    """The worker's /metrics on BOUCLE_WORKER_METRICS_PORT while it runs (0: none)."""
    if settings.worker_metrics_port <= 0:
        yield None
        return
    server = MetricsServer(settings.worker_metrics_port)
    try:
        yield server
    finally:
        server.stop()


def settle_garbage_collector() -> None:
    """Leave everything loaded at start out of the cyclic collector's full passes.

    A worker holds thousands of cached workflows and every full pass walks all of them, plus
    the 124,000 objects that importing the SDK, pydantic and Boucle leaves: frozen, those
    passes took 0.7 instead of 1.2-1.4 s over a run of the burst benchmark, with no change
    in memory. Collecting less often as well (thresholds 10,000 or 20,000 instead of 700)
    saved a little more CPU but raised the approval's peak from 770 to 970-1,140 MB.
    """
    gc.collect()
    gc.freeze()


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run a worker process on uvloop where it is installed (not on Windows).

    The SDK takes one workflow activation and one activity task per turn of the event loop,
    so a loop that turns faster takes more of them: a burst of reminders went from about 70
    to 85 per second on this machine's two cores.
    """
    settle_garbage_collector()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)
