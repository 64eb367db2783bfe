"""Replay a recorded AMI wire scenario against pbxsim and compare what comes back with the recording.

Channel names in the client's frames are rewritten from recorded to simulated names, learned from
the Newchannel events in the order they appear (per `Local/<exten>@<context>` and half). Comparison
is per channel: same event names in the same order. Tolerated, and why:
* OriginateResponse is compared as the list of (Response, Reason) per ActionID, not by position: it is
  sent by the originate thread and its place among the channel's events varies between runs.
* Cdr and DeviceStateChange are left out of the per-channel order; Asterisk posts them from other threads,
  so their place relative to Hangup is racy (wire INDEX item 10) and device-state changes coalesce.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass, field

from tests.support.wire import WireScenario

_NAME = re.compile(r"(Local/[^@\s]+@[^-\s]+)-([0-9a-f]{8});([12])")


def parse_frame(data: str) -> list[tuple[str, str]]:
    """Split a frame into (key, value) pairs."""
    pairs = []
    for line in data.replace("\r\n", "\n").split("\n"):
        if ": " in line:
            key, value = line.split(": ", 1)
            pairs.append((key, value))
        elif line.endswith(":"):
            pairs.append((line[:-1], ""))
    return pairs


@dataclass
class Stream:
    """Frames received on one connection, split into responses and events."""

    frames: list[list[tuple[str, str]]] = field(default_factory=list)

    def events(self) -> list[dict[str, str]]:
        return [dict(f) for f in self.frames if f and f[0][0] == "Event"]

    def responses(self) -> list[tuple[str, str]]:
        return [
            (dict(f).get("Response", ""), dict(f).get("Message", ""))
            for f in self.frames
            if f and f[0][0] == "Response"
        ]


class NameMap:
    """Recorded Local channel ids → simulated ids, in order of first appearance per base name."""

    def __init__(self) -> None:
        self.recorded: dict[str, list[str]] = defaultdict(list)
        self.simulated: dict[str, list[str]] = defaultdict(list)

    @staticmethod
    def _learn(store: dict[str, list[str]], text: str) -> None:
        for base, seq, _half in _NAME.findall(text):
            if seq not in store[base]:
                store[base].append(seq)

    def learn_recorded(self, text: str) -> None:
        self._learn(self.recorded, text)

    def learn_simulated(self, text: str) -> None:
        self._learn(self.simulated, text)

    def rewrite(self, text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            base, seq, half = match.groups()
            try:
                index = self.recorded[base].index(seq)
                return f"{base}-{self.simulated[base][index]};{half}"
            except (ValueError, IndexError):
                return match.group(0)

        return _NAME.sub(swap, text)

    def canonical(self, text: str, simulated: bool) -> str:
        """`Local/2001@customers#0;1`: the name with its sequence replaced by its order of appearance."""
        store = self.simulated if simulated else self.recorded

        def swap(match: re.Match[str]) -> str:
            base, seq, half = match.groups()
            index = store[base].index(seq) if seq in store[base] else -1
            return f"{base}#{index};{half}"

        return _NAME.sub(swap, text)


async def replay(
    scenario: WireScenario, port: int, speed: float, cid: str | None = None
) -> tuple[Stream, NameMap]:
    """Send the client's frames with the recorded spacing divided by `speed`; collect what comes back."""
    names = NameMap()
    for frame in scenario.frames:
        if frame.conn == "ami" and frame.dir == "recv" and isinstance(frame.data, str):
            names.learn_recorded(frame.data)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stream = Stream()
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def read_all() -> None:
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            while True:
                if buffer.startswith(b"Asterisk Call Manager"):
                    end = buffer.find(b"\r\n")
                    buffer = buffer[end + 2 :]
                    continue
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    break
                text = buffer[:end].decode()
                buffer = buffer[end + 4 :]
                names.learn_simulated(text)
                stream.frames.append(parse_frame(text))

    reading = asyncio.create_task(read_all())
    last_t = 0.0
    for frame in scenario.frames:
        if frame.conn != "ami" or frame.cid != cid or frame.dir != "send" or frame.data is None:
            continue
        delay = start + frame.t / speed - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        last_t = frame.t
        writer.write(names.rewrite(frame.data).encode())
        await writer.drain()
    del last_t
    try:
        await asyncio.wait_for(reading, 5.0)
    except TimeoutError:
        reading.cancel()
    writer.close()
    return stream, names


def recorded_stream(scenario: WireScenario, cid: str | None = None) -> Stream:
    """What the real Asterisk sent on one connection."""
    stream = Stream()
    for frame in scenario.frames_of("ami", "recv", cid):
        if frame.data.startswith("Asterisk Call Manager"):
            continue
        stream.frames.append(parse_frame(frame.data))
    return stream


RACY_COUNT_ONLY = ("Cdr", "DeviceStateChange", "OriginateResponse")
CHANNEL_KEYS = ("Channel", "DestChannel", "LocalOneChannel", "Parkee", "SpyerChannel", "TransfererChannel")


def per_channel(stream: Stream, names: NameMap, simulated: bool) -> dict[str, list[str]]:
    """Event names per (canonical) channel, racy kinds left out."""
    result: dict[str, list[str]] = defaultdict(list)
    for event in stream.events():
        name = event["Event"]
        if name in RACY_COUNT_ONLY or name in ("SuccessfulAuth", "FullyBooted"):
            continue
        key = next((event[k] for k in CHANNEL_KEYS if k in event), "<none>")
        result[names.canonical(key, simulated)].append(name)
    return dict(result)


def field_names(stream: Stream) -> dict[str, set[tuple[str, ...]]]:
    """The field-name lists seen per event type (ids and values ignored)."""
    result: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for frame in stream.frames:
        if frame and frame[0][0] == "Event":
            result[frame[0][1]].add(tuple(k for k, _ in frame))
    return dict(result)


def originate_results(stream: Stream) -> list[tuple[str, str, str]]:
    """(ActionID, Response, Reason) of every OriginateResponse, sorted by ActionID."""
    return sorted(
        (e.get("ActionID", ""), e.get("Response", ""), e.get("Reason", ""))
        for e in stream.events()
        if e["Event"] == "OriginateResponse"
    )
