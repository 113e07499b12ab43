"""How large a request body may be: refused with 413 before anything reads it whole."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import WRITES
from api.errors import ApiError


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
