"""The audit trail: every write through the API, recorded after its answer is known."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import redacted_path
from services.tokens import bearer_for
from store.audit import Changes, append, recording
from store.database import SessionFactory
from store.tables import AuditEntry

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
log = logging.getLogger("boucle.audit")


class AuditTrail:
    """ASGI middleware: reads pass straight through; writes leave one chained row each.

    It wraps the body limit too, so a refused oversized body is recorded like any write.
    """

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

        with recording() as changes:
            try:
                await self.app(scope, receive, remember_status)
            finally:
                await anyio.to_thread.run_sync(self._record, scope, status, changes)

    def _record(self, scope: Scope, status: int, changes: Changes) -> None:
        state = scope.get("state", {})
        endpoint = scope.get("endpoint")
        path = redacted_path(scope["path"])
        parameters = scope.get("path_params") if path == scope["path"] else None
        named = "/".join(str(value) for value in (parameters or {}).values())
        target = (state.get("audit_target") or named)[:200] or None
        try:
            sessions: SessionFactory = self.sessions()
            bearer = state.get("bearer") or _bearer_of(sessions, scope)
            append(
                sessions,
                AuditEntry(
                    at=datetime.now(UTC),
                    person_id=bearer.person.id if bearer else state.get("actor"),
                    token_id=bearer.token_id if bearer else None,
                    method=scope["method"],
                    path=path[:400],
                    action=getattr(endpoint, "__name__", "unknown")[:80],
                    target=target,
                    status=status,
                    changes=changes or None,
                ),
            )
        except Exception:  # noqa: BLE001 - a write that happened must still be answered
            log.exception("could not record the audit entry for %s %s", scope["method"], path)


def _bearer_of(sessions: SessionFactory, scope: Scope) -> Any:
    """Who sent a write refused before any route read its token (a body too large)."""
    headers = dict(scope.get("headers") or [])
    header = headers.get(b"authorization", b"").decode("latin-1")
    if not header.lower().startswith("bearer "):
        return None
    with sessions() as session:
        return bearer_for(session, header[7:].strip())
