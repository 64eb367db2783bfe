"""AMI ingest benchmark: events/s from a loopback socket to a handler, our AmiClient against panoramisk.

The stream is made of real Asterisk 22 queue-call events (with all their VarSet/Newexten noise) from
the wire transcripts, repeated to the requested count. A separate server process logs the client in,
answers its actions, then writes the whole stream as fast as the socket takes it. Also times our
parser on one 4 MiB CoreShowChannels reply arriving in 4 KiB chunks.

Run: python bench/ami_ingest.py [--events 200000] [--repeats 3]
Prints a table, then one JSON line: gateway_events_per_s, panoramisk_events_per_s, ratio, big_reply_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.asterisk.ami import AmiClient, AmiFrameParser
from cti_gateway.ports.pbx import PbxEvent
from tests.support.wire import load_wire_scenario

QUEUE_SCENARIOS = (
    "ami_queue_call_answered",
    "ami_queue_ring_no_answer_and_timeout",
    "ami_queue_abandon",
    "ami_redirect_blind",
    "ami_blindtransfer",
    "ami_atxfer_complete",
)
SKIPPED_EVENTS = ("Event: FullyBooted\r\n", "Event: SuccessfulAuth\r\n")
END_MARKER = "BenchEnd"


def build_stream(event_count: int) -> tuple[bytes, int]:
    """Real call events repeated to `event_count`, ending with a marker event; returns (bytes, events)."""
    frames: list[str] = []
    for name in QUEUE_SCENARIOS:
        for frame in load_wire_scenario(name).frames_of("ami", "recv"):
            text = frame.data
            if (
                text.startswith("Event: ")
                and "\r\nEventList: " not in text
                and not text.startswith(SKIPPED_EVENTS)
            ):
                frames.append(text)
    repeated = (frames * (event_count // len(frames) + 1))[: event_count - 1]
    repeated.append(f"Event: {END_MARKER}\r\nPrivilege: user,all\r\n\r\n")
    return "".join(repeated).encode(), len(repeated)


def big_core_show_channels_reply(size: int = 4 * 1024 * 1024) -> bytes:
    """A CoreShowChannels reply of about `size` bytes built from the recorded list items."""
    items = [
        frame.data
        for frame in load_wire_scenario("ami_coreshowchannels_status").frames_of("ami", "recv")
        if frame.data.startswith("Event: CoreShowChannel\r\n")
    ]
    body = "".join(items).encode()
    head = b"Response: Success\r\nActionID: 1\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
    return head + body * (size // len(body) + 1)


# --- the server process ------------------------------------------------------------------------


def _reply_for(action: dict[str, str]) -> bytes:
    name = action.get("action", "").lower()
    action_id = action.get("actionid", "")
    head = f"Response: Success\r\nActionID: {action_id}\r\n"
    if name == "login":
        return f"{head}Message: Authentication accepted\r\n\r\n".encode()
    if name == "coresettings":
        return f"{head}AMIversion: 11.0.0\r\nAsteriskVersion: 22.10.1\r\n\r\n".encode()
    if name in ("coreshowchannels", "queuestatus"):
        complete = "CoreShowChannelsComplete" if name == "coreshowchannels" else "QueueStatusComplete"
        return (
            f"{head}EventList: start\r\nMessage: will follow\r\n\r\n"
            f"Event: {complete}\r\nActionID: {action_id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        ).encode()
    if name == "logoff":
        goodbye = "Response: Goodbye\r\nActionID: {}\r\nMessage: Thanks for all the fish.\r\n\r\n"
        return goodbye.format(action_id).encode()
    return f"{head}Ping: Pong\r\n\r\n".encode()


def _serve_one(conn: socket.socket, stream: bytes, start_delay: float) -> None:
    lock = threading.Lock()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sendall(b"Asterisk Call Manager/11.0.0\r\n")
    logged_in = threading.Event()

    def answer() -> None:
        buffer = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b"\r\n\r\n" in buffer:
                block, buffer = buffer.split(b"\r\n\r\n", 1)
                action = {}
                for line in block.decode().split("\r\n"):
                    key, _, value = line.partition(":")
                    action[key.strip().lower()] = value.strip()
                with lock:
                    conn.sendall(_reply_for(action))
                if action.get("action", "").lower() == "login":
                    logged_in.set()

    threading.Thread(target=answer, daemon=True).start()
    logged_in.wait(10)
    time.sleep(start_delay)
    view = memoryview(stream)
    for start in range(0, len(stream), 65536):
        with lock:
            conn.sendall(view[start : start + 65536])


def serve(listener: socket.socket, stream: bytes, start_delay: float) -> None:
    """Serve every connection in its own thread until killed."""
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(conn, stream, start_delay), daemon=True).start()


# --- the two clients ---------------------------------------------------------------------------


class Stopwatch:
    """Counts events; notes when the first arrived and when the end marker arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()

    def tick(self, name: str) -> None:
        if self.count == 0:
            self.first = time.perf_counter()
        self.count += 1
        if name == END_MARKER:
            self.last = time.perf_counter()
            self.done.set()

    def rate(self) -> float:
        return (self.count - 1) / (self.last - self.first)


async def run_gateway(port: int) -> Stopwatch:
    watch = Stopwatch()
    client = AmiClient("127.0.0.1", port, "cti", "cti-secret", ping_interval=60.0)

    def handler(event: PbxEvent) -> None:
        watch.tick(event.name)

    client.on_event(handler)
    await client.start()
    await asyncio.wait_for(watch.done.wait(), 300)
    await client.stop()
    return watch


async def run_panoramisk(port: int) -> Stopwatch:
    from panoramisk import Manager

    watch = Stopwatch()
    manager = Manager(
        loop=asyncio.get_running_loop(),
        host="127.0.0.1",
        port=port,
        username="cti",
        secret="cti-secret",
        ping_delay=60,
        ping_interval=60,
    )

    def handler(_manager: Any, event: Any) -> None:
        watch.tick(event.event)

    manager.register_event("*", handler)
    await manager.connect()
    await asyncio.wait_for(watch.done.wait(), 600)
    manager.close()
    return watch


def time_big_reply(repeats: int) -> float:
    data = big_core_show_channels_reply()
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    timings = []
    for _ in range(repeats):
        parser = AmiFrameParser(expect_banner=False)
        started = time.perf_counter()
        for chunk in chunks:
            parser.feed(chunk)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--events", type=int, default=200_000)
    arguments.add_argument("--repeats", type=int, default=3)
    options = arguments.parse_args()
    logging.basicConfig(level=logging.ERROR)

    stream, event_count = build_stream(options.events)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(listener, stream, 0.3), daemon=True
    )
    server.start()
    listener.close()

    gateway_rates: list[float] = []
    panoramisk_rates: list[float] = []
    try:
        for _ in range(options.repeats):
            watch = asyncio.run(run_gateway(port))
            assert watch.count == event_count, (watch.count, event_count)
            gateway_rates.append(watch.rate())
            watch = asyncio.run(run_panoramisk(port))
            assert watch.count == event_count, (watch.count, event_count)
            panoramisk_rates.append(watch.rate())
    finally:
        server.kill()
        server.join()
    big_reply_ms = time_big_reply(5)

    gateway = statistics.median(gateway_rates)
    panoramisk = statistics.median(panoramisk_rates)
    print(
        f"stream: {event_count} events, {len(stream) / 1e6:.1f} MB over loopback TCP;"
        f" median of {options.repeats} runs"
    )
    print(f"{'client':<28}{'events/s':>14}   runs")
    for label, median, runs in (
        ("gateway AmiClient", gateway, gateway_rates),
        ("panoramisk 1.4 Manager", panoramisk, panoramisk_rates),
    ):
        print(f"{label:<28}{median:>14,.0f}   {', '.join(f'{r:,.0f}' for r in runs)}")
    print(f"{'ratio (goal >= 3.0)':<28}{gateway / panoramisk:>14.2f}")
    print(f"{'4 MiB reply, 4 KiB chunks':<28}{big_reply_ms:>11.1f} ms   (goal < 50 ms)")
    print(
        json.dumps(
            {
                "gateway_events_per_s": round(gateway),
                "panoramisk_events_per_s": round(panoramisk),
                "ratio": round(gateway / panoramisk, 2),
                "big_reply_ms": round(big_reply_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
