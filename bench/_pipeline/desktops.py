"""The agent desktops: N WebSocket clients in their own process, timing every `screen_pop` they receive.

Run by bench/event_pipeline.py as `python desktops.py --url WS --tokens FILE --out FILE`. It connects
every desktop, writes one line `connected <ok> <failed>` to stdout, keeps reading until a line arrives
on stdin, then writes what it saw as JSON to --out: each pop's (agent, call, arrival wall-clock time),
frames received per whole second, and connections that closed early.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONNECT_CONCURRENCY = 50
SCREEN_POP_MARK = '"screen_pop"'


@dataclass
class DesktopLog:
    """What all desktops saw; kept as plain lists so that the hot path does almost nothing."""

    pops: list[tuple[str, str, float]] = field(default_factory=list)
    frames_per_second: Counter[int] = field(default_factory=Counter)
    frames: int = 0
    characters: int = 0
    closed_early: list[tuple[str, int | None, str]] = field(default_factory=list)


async def _run_desktop(ws: ClientConnection, agent_id: str, log: DesktopLog) -> None:
    clock = time.time
    pops = log.pops
    per_second = log.frames_per_second
    try:
        async for message in ws:
            now = clock()
            log.frames += 1
            per_second[int(now)] += 1
            text = message if isinstance(message, str) else message.decode()
            log.characters += len(text)
            if SCREEN_POP_MARK in text:
                frame = json.loads(text)
                if frame.get("type") == "screen_pop":
                    pops.append((str(frame["data"].get("agent_id")), str(frame.get("call_id")), now))
    except ConnectionClosed as exc:
        received = exc.rcvd
        log.closed_early.append(
            (agent_id, received.code if received else None, received.reason if received else "")
        )


async def _connect(url: str, token: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        ws = await connect(f"{url}?token={token}", compression=None, open_timeout=60, max_queue=None)
        hello = json.loads(await ws.recv())
        if hello.get("type") != "hello":
            raise RuntimeError(f"expected a hello frame, got {hello!r}")
        return ws


async def run(url: str, tokens: list[tuple[str, str]], out: Path) -> None:
    """Connect every desktop, read until told to stop on stdin, then save the log to `out`."""
    log = DesktopLog()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    results = await asyncio.gather(
        *(_connect(url, token, gate) for _, token in tokens), return_exceptions=True
    )
    sockets: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []
    failures: list[str] = []
    for (agent_id, _), result in zip(tokens, results, strict=True):
        if isinstance(result, BaseException):
            failures.append(f"{agent_id}: {result!r}")
            continue
        sockets.append(result)
        readers.append(asyncio.create_task(_run_desktop(result, agent_id, log)))
    sys.stdout.write(f"connected {len(sockets)} {len(failures)}\n")
    sys.stdout.flush()

    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    await stdin.readline()

    still_open = len([task for task in readers if not task.done()])
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True), 10)
    report: dict[str, Any] = {
        "pops": log.pops,
        "frames": log.frames,
        "characters": log.characters,
        "frames_per_second": {str(k): v for k, v in log.frames_per_second.items()},
        "closed_early": log.closed_early,
        "connect_failures": failures[:20],
        "connect_failed": len(failures),
        "open_at_end": still_open,
    }
    out.write_text(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", type=Path, required=True, help="JSON list of [agent_id, secret]")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    tokens = [(str(a), str(t)) for a, t in json.loads(args.tokens.read_text())]
    try:
        import uvloop

        uvloop.run(run(args.url, tokens, args.out))
    except ImportError:
        asyncio.run(run(args.url, tokens, args.out))


if __name__ == "__main__":
    main()
