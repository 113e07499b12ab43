"""The audit trail: every write through the API, recorded after its answer is known."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError
from store.database import SessionFactory
from store.tables import AuditEntry

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
log = logging.getLogger("boucle.audit")


class AuditTrail:
    """ASGI middleware: reads pass straight through; writes leave one row each."""

    def __init__(self, app: ASGIApp, sessions: Any) -> None:
        self.app = app
        self.sessions = sessions  # a callable returning the SessionFactory (set at startup)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            await anyio.to_thread.run_sync(self._record, scope, status)

    def _record(self, scope: Scope, status: int) -> None:
        bearer = scope.get("state", {}).get("bearer")
        endpoint = scope.get("endpoint")
        parameters = scope.get("path_params") or {}
        target = "/".join(str(value) for value in parameters.values()) or None
        entry = AuditEntry(
            at=datetime.now(UTC),
            person_id=bearer.person.id if bearer else scope.get("state", {}).get("actor"),
            token_id=bearer.token_id if bearer else None,
            method=scope["method"],
            path=scope["path"][:400],
            action=getattr(endpoint, "__name__", "unknown")[:80],
            target=target[:200] if target else None,
            status=status,
        )
        try:
            sessions: SessionFactory = self.sessions()
            with sessions() as session:
                session.add(entry)
                session.commit()
        except Exception:  # noqa: BLE001 - a write that happened must still be answered
            log.exception("could not record the audit entry for %s %s", entry.method, entry.path)


class BodyLimit:
    """ASGI middleware: a body larger than the limit is refused with 413 before it is read whole.

    Files (multipart) may be larger than JSON or plan bodies; each route may be stricter.
    """

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.upload_limit if content_type.startswith("multipart/") else self.json_limit
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised where the route reads its body: answered as a 413 problem.
                    raise ApiError(413, "too_large", limit=limit)
            return message

        await self.app(scope, counting, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        from starlette.requests import Request

        from api.errors import message, problem

        request = Request(scope, receive)
        response = problem(
            413, message("too_large", request, limit=limit), request, code="too_large"
        )
        await response(scope, receive, send)
