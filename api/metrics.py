"""The API's /metrics, and each request's latency under its route's template."""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access import anyone
from api.errors import ApiError
from services.metrics import REGISTRY, REQUEST_DURATION

UNMATCHED = "unmatched"  # a path no route serves: one label, whatever was asked for

router = APIRouter(
    tags=["health"],
    dependencies=[
        anyone("no person's token: for Prometheus (BOUCLE_METRICS_TOKEN when it is set)")
    ],
)


@router.get("/metrics", response_class=Response)
async def read_metrics(request: Request) -> Response:
    """Boucle's metrics in Prometheus's text format: counts, delays, latencies by route."""
    expected = request.app.state.settings.metrics_token
    if expected is not None:
        given = request.headers.get("authorization", "")
        wanted = f"Bearer {expected.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), wanted.encode()):
            raise ApiError(401, "token_required")  # the one BOUCLE_METRICS_TOKEN
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class RouteLatency:
    """ASGI middleware: times every request, labelled by its route's path template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            route = scope.get("route")
            # The template (`/act/{token}`), never the path: a link or a secret stays out.
            template = getattr(route, "path", None) or UNMATCHED
            REQUEST_DURATION.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
