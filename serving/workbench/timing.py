"""``Server-Timing`` on the workbench's pages: how long the application took to answer,
for the browser's developer tools and the render benchmark. Pure ASGI and limited to
``/workbench`` paths, so the scoring routes pay nothing for it."""

from __future__ import annotations

from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.workbench.auth import PREFIX


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        started = perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = f"app;dur={(perf_counter() - started) * 1000:.2f}".encode()
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"server-timing", spent)],
                }
            await send(message)

        await self.app(scope, receive, timed)
