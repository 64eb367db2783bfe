"""Replay a recorded AMI wire scenario against pbxsim and compare what comes back with the recording.

Every AMI connection of the scenario (`cid`) is replayed at its recorded time, divided by the speed-up.
Channel names in the client's frames are rewritten from recorded to simulated names, learned from the
events in the order they appear (per `Local/<exten>@<context>` and half). What is compared, and why
some things are compared loosely:
* Responses (Response, Message) per connection, in order, and whether the server closed the socket.
* Events per channel: the same event names in the same order. Left out of the order: Cdr and
  DeviceStateChange (posted from other threads, their place next to Hangup is racy, wire INDEX 10;
  device states coalesce) and OriginateResponse (sent by the originate thread; compared per ActionID).
* List events (no Privilege header: CoreShowChannel, Status, QueueMember …): their values, except ids,
  times and the rig's history counters, per list, as a sorted multiset. Asterisk lists channels in the
  order of its hashed channel container, which depends on the channel sequence numbers, and those differ
  between runs (INDEX, non-determinism).
* Field names per event type. AgentComplete may lack its caller and/or Dest block (INDEX 18, racy).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.support.wire import WireScenario

_NAME = re.compile(r"(Local/[^@\s]+@[^-\s]+)-([0-9a-f]{8});([12])")

RACY_LEFT_OUT = ("Cdr", "DeviceStateChange", "OriginateResponse", "SuccessfulAuth", "FullyBooted")
CHANNEL_KEYS = ("Channel", "DestChannel", "LocalOneChannel", "Parkee", "SpyerChannel", "TransfererChannel")
# Values that depend on ids, clocks or on the reference rig's earlier calls.
VOLATILE_FIELDS = frozenset(
    {
        "Uniqueid",
        "Linkedid",
        "DestUniqueid",
        "DestLinkedid",
        "BridgeUniqueid",
        "BridgeID",
        "BridgeId",
        "Timestamp",
        "Seconds",
        "Duration",
        "Wait",
        "LastCall",
        "LoginTime",
        "LastPause",
        "CallsTaken",
        "Holdtime",
        "HoldTime",
        "TalkTime",
        "Completed",
        "Abandoned",
        "ServicelevelPerf",
        "ServicelevelPerf2",
        "LongestHoldTime",
        "Challenge",
        "Uptime",
        "LastReload",
        "ParkingDuration",
        "AnsweredTime",
        "ParkeeUniqueid",
        "ParkeeLinkedid",
    }
)


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
    """Frames received on one connection, split into responses and events; whether the server hung up."""

    frames: list[list[tuple[str, str]]] = field(default_factory=list)
    closed_by_server: bool = False

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


def connection_ids(scenario: WireScenario) -> list[str | None]:
    """The AMI connections of a scenario, in the order they were opened."""
    cids: list[str | None] = []
    for frame in scenario.frames:
        if frame.conn == "ami" and frame.cid not in cids:
            cids.append(frame.cid)
    return cids


async def _replay_connection(
    scenario: WireScenario, cid: str | None, port: int, speed: float, names: NameMap, start: float
) -> Stream:
    loop = asyncio.get_running_loop()
    mine = [f for f in scenario.frames if f.conn == "ami" and f.cid == cid]
    connect_at = next((f.t for f in mine if f.ctl == "connect"), mine[0].t if mine else 0.0)
    await asyncio.sleep(max(0.0, start + connect_at / speed - loop.time()))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stream = Stream()

    async def read_all() -> None:
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                stream.closed_by_server = True
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
    for frame in mine:
        if frame.dir != "send" or frame.data is None:
            continue
        delay = start + frame.t / speed - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if reading.done():
            break
        writer.write(names.rewrite(frame.data).encode())
        with contextlib.suppress(ConnectionError):
            await writer.drain()
    last = max((f.t for f in mine), default=0.0)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(reading), max(0.0, start + last / speed - loop.time()) + 2.0)
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    writer.close()
    return stream


async def replay(scenario: WireScenario, port: int, speed: float) -> tuple[dict[str | None, Stream], NameMap]:
    """Replay every AMI connection of the scenario concurrently; returns what each received."""
    names = NameMap()
    for frame in scenario.frames:
        if frame.conn == "ami" and frame.dir == "recv" and isinstance(frame.data, str):
            names.learn_recorded(frame.data)
    start = asyncio.get_running_loop().time()
    cids = connection_ids(scenario)
    streams = await asyncio.gather(
        *(_replay_connection(scenario, cid, port, speed, names, start) for cid in cids)
    )
    return dict(zip(cids, streams, strict=True)), names


def recorded_stream(scenario: WireScenario, cid: str | None = None) -> Stream:
    """What the real Asterisk sent on one connection."""
    stream = Stream()
    for frame in scenario.frames_of("ami", "recv", cid):
        if frame.data.startswith("Asterisk Call Manager"):
            continue
        stream.frames.append(parse_frame(frame.data))
    stream.closed_by_server = any(
        f.conn == "ami" and f.cid == cid and f.ctl == "eof" for f in scenario.frames
    )
    return stream


def per_channel(
    stream: Stream,
    names: NameMap,
    simulated: bool,
    order_free: Iterable[str] = (),
    left_out: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Event names per (canonical) channel, racy kinds left out; `order_free` kinds are sorted to the end."""
    free = set(order_free)
    skipped = set(RACY_LEFT_OUT) | set(left_out)
    ordered: dict[str, list[str]] = defaultdict(list)
    loose: dict[str, list[str]] = defaultdict(list)
    for event in stream.events():
        name = event["Event"]
        if name in skipped:
            continue
        key = names.canonical(next((event[k] for k in CHANNEL_KEYS if k in event), "<none>"), simulated)
        (loose if name in free else ordered)[key].append(name)
    for key, extra in loose.items():
        ordered[key].extend(sorted(extra))
    return dict(ordered)


def list_values(
    stream: Stream, names: NameMap, simulated: bool
) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    """Per list (ActionID): the stable fields of its items, sorted. List items are the events without a
    Privilege header, plus `Status` (which carries `Privilege: Call`, INDEX 6)."""
    lists: dict[str, list[tuple[tuple[str, str], ...]]] = defaultdict(list)
    for frame in stream.frames:
        if not frame or frame[0][0] != "Event" or frame[0][1] == "FullyBooted":
            continue
        if any(k == "Privilege" for k, _ in frame) and frame[0][1] != "Status":
            continue
        action_id = dict(frame).get("ActionID", "")
        lists[action_id].append(
            tuple((k, names.canonical(v, simulated)) for k, v in frame if k not in VOLATILE_FIELDS)
        )
    return {key: sorted(items) for key, items in lists.items()}


def field_names(stream: Stream) -> dict[str, set[tuple[str, ...]]]:
    """The field-name lists seen per event type (ids and values ignored)."""
    result: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for frame in stream.frames:
        if frame and frame[0][0] == "Event":
            result[frame[0][1]].add(tuple(k for k, _ in frame))
    return dict(result)


def _agent_complete_forms(shape: tuple[str, ...]) -> set[tuple[str, ...]]:
    """An AgentComplete shape with and without its caller and Dest blocks (INDEX 18)."""
    head = shape[:3]
    tail = shape[shape.index("Queue") :]
    caller = tuple(k for k in shape[3 : shape.index("Queue")] if not k.startswith("Dest"))
    dest = tuple(k for k in shape[3 : shape.index("Queue")] if k.startswith("Dest"))
    if not caller:
        caller = tuple(k.removeprefix("Dest") for k in dest)
    if not dest:
        dest = tuple(f"Dest{k}" for k in caller)
    return {head + c + d + tail for c in (caller, ()) for d in (dest, ())}


def originate_results(stream: Stream) -> list[tuple[str, str, str]]:
    """(ActionID, Response, Reason) of every OriginateResponse, sorted by ActionID."""
    return sorted(
        (e.get("ActionID", ""), e.get("Response", ""), e.get("Reason", ""))
        for e in stream.events()
        if e["Event"] == "OriginateResponse"
    )


def assert_replay_matches(
    scenario: WireScenario,
    simulated: dict[str | None, Stream],
    names: NameMap,
    *,
    order_free: Iterable[str] = (),
    left_out: Iterable[str] = (),
) -> None:
    """Assert that pbxsim answered every connection as the recording shows (see the module docstring).

    `left_out` event kinds are not compared per channel at all (the caller compares them another way)."""
    free = tuple(order_free)
    skipped = tuple(left_out)
    for cid, sim in simulated.items():
        rec = recorded_stream(scenario, cid)
        assert sim.responses() == rec.responses(), f"responses on connection {cid}"
        assert sim.closed_by_server == rec.closed_by_server, f"server close on connection {cid}"
        assert originate_results(sim) == originate_results(rec)
        assert per_channel(sim, names, True, free, skipped) == per_channel(
            rec, names, False, free, skipped
        ), f"events on {cid}"
        assert list_values(sim, names, True) == list_values(rec, names, False), f"list values on {cid}"
        sim_fields = field_names(sim)
        for event, shapes in field_names(rec).items():
            if event == "SuccessfulAuth":
                continue
            assert event in sim_fields, f"{event} never sent on {cid}"
            if event == "AgentComplete":
                allowed = set().union(*(_agent_complete_forms(s) for s in shapes))
                assert sim_fields[event] <= allowed, f"AgentComplete fields: {sim_fields[event]}"
                continue
            assert sim_fields[event] & shapes, f"{event} fields differ: {sim_fields[event]} vs {shapes}"


def bridge_variables_by_join_order(
    stream: Stream, bridge_creator: str, variables: Iterable[str]
) -> list[tuple[str, str, str]]:
    """(member, variable, value) of the given VarSets in stream order, each channel name replaced by its
    place in the join order of the bridges made by `bridge_creator` (`#1` joined first). For bridges whose
    join order is racy (ConfBridge, INDEX 22) while what each member is told still follows that order."""
    wanted = set(variables)
    bridges: set[str] = set()
    joined: list[str] = []
    for event in stream.events():
        if event["Event"] == "BridgeCreate" and event.get("BridgeCreator") == bridge_creator:
            bridges.add(event.get("BridgeUniqueid", ""))
        elif (
            event["Event"] == "BridgeEnter"
            and event.get("BridgeUniqueid") in bridges
            and event["Channel"] not in joined
        ):
            joined.append(event["Channel"])

    def place(text: str) -> str:
        return ",".join(
            f"#{joined.index(p) + 1}" if p in joined else p.split("-")[0] for p in text.split(",")
        )

    return [
        (place(e["Channel"]), e["Variable"], place(e["Value"]))
        for e in stream.events()
        if e["Event"] == "VarSet" and e.get("Variable") in wanted and e.get("Channel") in joined
    ]
