"""`cti-gateway events --token T [--url ...]`: watch exactly what a desktop receives on `/ws`.

It authenticates with a first `auth` message (so the token stays out of URLs and logs), prints each
frame readably, and after a disconnect reconnects with `last_seq`, so nothing is missed or repeated.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from cti_gateway.commands.event_view import print_frame
from cti_gateway.hub.envelope import dumps
from cti_gateway.hub.protocol import CloseCode

DEFAULT_URL = "ws://127.0.0.1:8000/ws"
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)

app = typer.Typer(help="Print the event stream a token receives, as a desktop would see it.")

FrameHandler = Callable[[Mapping[str, Any]], None]
NoticeHandler = Callable[[str], None]


class StreamRefused(Exception):
    """The server closed with a code that reconnecting cannot fix (bad, revoked or powerless token)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed by the gateway with {code}: {reason}")
        self.code = code


@dataclass
class EventFollower:
    """Follows one token's stream across disconnects, resuming with the last seq it received."""

    url: str
    token: str
    on_frame: FrameHandler
    on_notice: NoticeHandler
    last_seq: int | None = None

    async def run(self, *, max_connections: int | None = None) -> None:
        """Connect, print, reconnect; returns after `max_connections` connections, raises `StreamRefused`."""
        connections = 0
        failures = 0
        while max_connections is None or connections < max_connections:
            connections += 1
            try:
                code, reason = await self._follow_once()
                failures = 0
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                code, reason = None, f"cannot connect to {self.url}: {exc}"
                failures += 1
            if code is not None and code >= 4000 and not _resumable(code):
                raise StreamRefused(code, reason)
            if max_connections is not None and connections >= max_connections:
                return
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
            resume = f"resuming after seq {self.last_seq}" if self.last_seq is not None else "starting fresh"
            self.on_notice(
                f"disconnected ({code or 'no close code'}: {reason}); reconnecting in {delay:g} s, {resume}"
            )
            await asyncio.sleep(delay)

    async def _follow_once(self) -> tuple[int | None, str]:
        async with connect(self.url, max_size=None, open_timeout=10) as ws:
            await ws.send(dumps({"type": "auth", "token": self.token, "last_seq": self.last_seq}))
            try:
                async for text in ws:
                    frame = json.loads(text)
                    if isinstance(frame.get("seq"), int):
                        self.last_seq = frame["seq"]
                    self.on_frame(frame)
            except ConnectionClosed:
                pass
            received = ws.protocol.close_rcvd
            return (received.code, received.reason) if received else (None, "connection lost")


def _resumable(code: int) -> bool:
    try:
        return CloseCode(code).may_resume
    except ValueError:
        return True


@app.callback(invoke_without_command=True)
def events(
    token: Annotated[str, typer.Option("--token", envvar="CTI_TOKEN", help="Agent token or API key.")],
    url: Annotated[str, typer.Option("--url", help="The gateway's WebSocket URL.")] = DEFAULT_URL,
    raw: Annotated[bool, typer.Option("--json", help="Print each frame as received JSON.")] = False,
) -> None:
    """Print the event stream this token receives, one line per event; screen pops as a card."""
    console = Console(highlight=False)

    def show(frame: Mapping[str, Any]) -> None:
        if raw:
            console.print_json(dumps(frame))
        else:
            print_frame(console, frame)

    follower = EventFollower(url, token, show, lambda notice: console.print(notice, style="yellow"))
    try:
        asyncio.run(follower.run())
    except StreamRefused as exc:
        console.print(str(exc), style="bold red")
        raise typer.Exit(code=2) from None
    except InvalidURI as exc:
        console.print(f"--url: {exc}", style="bold red")
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        raise typer.Exit(code=0) from None
