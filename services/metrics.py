"""Boucle's Prometheus metrics: what the worker sends, what every process starts, API latency.

They hold message types, workflow types and route templates, never a person, a token or a
link: anyone who can reach the metrics learns the traffic's shape and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from threading import Thread
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from temporalio.client import Interceptor, OutboundInterceptor, StartWorkflowInput

REGISTRY = CollectorRegistry(auto_describe=True)  # ours alone: a test's process counts afresh

NOTIFICATIONS_SENT = Counter(
    "boucle_notifications_sent",
    "Emails the SMTP server accepted, by message type.",
    ["type"],
    registry=REGISTRY,
)
NOTIFICATIONS_FAILED = Counter(
    "boucle_notifications_failed",
    "Emails the SMTP server refused for good (5xx), by message type; the officers are told.",
    ["type"],
    registry=REGISTRY,
)
NOTIFICATIONS_RETRIED = Counter(
    "boucle_notifications_retried",
    "Attempts that failed for now (4xx, timeout, connection) and will be tried again.",
    ["type"],
    registry=REGISTRY,
)
NOTIFICATION_DELAY = Histogram(
    "boucle_notification_delay_seconds",
    "From a notice's scheduled instant to the SMTP server's acceptance of its email.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 3600),
    registry=REGISTRY,
)
WORKFLOWS_STARTED = Counter(
    "boucle_workflows_started",
    "Workflow start requests the Temporal server accepted, by workflow type.",
    ["workflow_type"],
    registry=REGISTRY,
)
REQUEST_DURATION = Histogram(
    "boucle_http_request_duration_seconds",
    "API requests from arrival to the last byte of the answer, by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)


def count_sent(message_type: str, scheduled_at: datetime, accepted_at: datetime) -> None:
    NOTIFICATIONS_SENT.labels(message_type).inc()
    # A clock a little behind the server's would make it negative: that is no delay at all.
    NOTIFICATION_DELAY.observe(max((accepted_at - scheduled_at).total_seconds(), 0.0))


class WorkflowStarts(Interceptor):
    """Counts every workflow start this process's Temporal client has made."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _CountingStarts(next)


class _CountingStarts(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        # A start refused as already running raises and is not counted; one that finds it
        # running under WorkflowIDConflictPolicy.USE_EXISTING (a retried activity) is.
        handle = await super().start_workflow(input)
        WORKFLOWS_STARTED.labels(input.workflow).inc()
        return handle


class MetricsServer:
    """The worker's metrics over HTTP (Prometheus text format) on every interface."""

    def __init__(self, port: int) -> None:
        server, thread = start_http_server(port, addr="0.0.0.0", registry=REGISTRY)
        self._server = server
        self._thread: Thread = thread

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
