"""ASGI middleware of the review desk: answers an unexpected error with JSON and logs no
exception message; adds the headers that keep its pages out of other sites' frames.

Starlette's error middleware re-raises after its handler, so the server logs the traceback and
message; a database error's message can hold page text. NoTracebacks answers first and keeps
only the error's type and where it was raised.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.errors import where_raised

log = logging.getLogger(__name__)


class NoTracebacks:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            log.error(
                "%s %s failed with %s at %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                where_raised(exc),
            )
            if not started:
                body = {"error": f"internal error ({type(exc).__name__})"}
                await JSONResponse(body, status_code=500)(scope, receive, send)


#: a page framed by another site could take a reviewer's Enter as a confirmation
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
