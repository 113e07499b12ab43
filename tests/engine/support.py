"""Helpers for engine tests: a recording mailer, a store with a plan, a worker."""

from __future__ import annotations

import asyncio
import os
import re
import sysconfig
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities.notify import NotificationConfig
from activities.registry import build_activities, sending
from boucle.temporal import Workers
from domain.model import PlanFile
from notifications.email import Mail
from notifications.smtp import DeliveryError
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation, save_plan_version
from store.tables import Cycle
from workflows.registry import SANDBOXED_RUNNER, WORKFLOWS
from workflows.types import mail_queue

SCRIPTS = Path(sysconfig.get_path("scripts"))


class RecordingMailer:
    """Keeps every message instead of sending it; can refuse for a while."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.refuse_next = 0
        self.permanent = False

    async def send(self, mail: Mail) -> None:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            raise DeliveryError(
                "451 try again later" if not self.permanent else "550 no such user",
                permanent=self.permanent,
            )
        self.sent.append(mail.parsed())


def store_with(document: PlanFile, folder: Path) -> SessionFactory:
    engine = make_engine(f"sqlite:///{folder / 'boucle.db'}")
    migrate(engine)
    sessions = SessionFactory(engine)
    with sessions() as session:
        save_organisation(session, document)
        for plan in document.plans:
            save_plan_version(session, document, plan, created_by="test")
        session.commit()
    return sessions


def engine_workers(
    client: Client,
    *,
    task_queue: str,
    activities: list[Any],
    activity_executor: ThreadPoolExecutor,
    **options: Any,
) -> Workers:
    """A queue's workflow worker (every workflow, in the sandbox) and its mail queue's worker."""
    return Workers(
        Worker(
            client,
            task_queue=task_queue,
            workflows=options.pop("workflows", WORKFLOWS),
            activities=activities,
            activity_executor=activity_executor,
            workflow_runner=options.pop("workflow_runner", SANDBOXED_RUNNER),
            **options,
        ),
        Worker(
            client,
            task_queue=mail_queue(task_queue),
            activities=sending(activities),
            activity_executor=activity_executor,
        ),
    )


@asynccontextmanager
async def running_worker(
    client: Client,
    sessions: SessionFactory,
    mailer: RecordingMailer,
    config: NotificationConfig | None = None,
) -> AsyncIterator[str]:
    """A worker on a fresh task queue; yields the queue's name."""
    queue = f"boucle-test-{uuid.uuid4().hex[:8]}"
    activities = build_activities(sessions, mailer, config or NotificationConfig())
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with engine_workers(
            client, task_queue=queue, activities=activities, activity_executor=executor
        ):
            yield queue


@contextmanager
def refused(pattern: str) -> Iterator[None]:
    """Expect a workflow update to be refused by its validator with a reason matching `pattern`."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        yield
    reason = str(caught.value.cause)
    assert re.search(pattern, reason), reason


HISTORIES = Path(__file__).resolve().parent.parent / "histories" / "current"


async def save_histories(client: Client, workflow_id: str, name: str) -> None:
    """Write every run of a workflow (following continue-as-new) as replay fixtures.

    Only when BOUCLE_RECORD_HISTORIES is set: fixtures are recorded on purpose, then kept.
    """
    if not os.environ.get("BOUCLE_RECORD_HISTORIES"):
        return
    handle = client.get_workflow_handle(workflow_id)
    run_id: str | None = (
        await handle.describe()
    ).raw_description.workflow_execution_info.first_run_id or None
    number = 0
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        number += 1
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / f"{name}-{number}.json").write_text(history.to_json())
        last = history.events[-1]
        attributes = last.workflow_execution_continued_as_new_event_attributes
        run_id = (
            attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """The app behind a real uvicorn server on a free port, in this event loop; yields its URL."""
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    running = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await running


def running_cycle(portfolio: str = "restauration", year: int = 2027) -> Cycle:
    """The store's row of a cycle executing version 1 of its plan."""
    return Cycle(
        id=f"{portfolio}/{year}",
        portfolio=portfolio,
        year=year,
        phase="executing",
        workflow_id=f"cycle:{portfolio}:{year}",
        plan_version=1,
    )
