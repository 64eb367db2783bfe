"""Replay recorded Asterisk sessions through a `CallTracker` and read back the facts it reported.

Three kinds of recording exist: the raw AMI frames of `transcripts/ami_*.txt`, the wire transcripts of
`transcripts/wire/*.jsonl` (AMI and ARI), and the JSON event arrays of `third-party-ami/` (SIP phones).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from adapters.asterisk.ami.protocol.frames import AmiFrameParser, AmiMessage, AmiMessageKind
from cti_gateway.calls import CallTracker
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.ports.pbx import PbxEvent
from tests.support.wire import ASTERISK_REFERENCE, load_wire_scenario

TRANSCRIPTS = ASTERISK_REFERENCE / "transcripts"
THIRD_PARTY = ASTERISK_REFERENCE / "third-party-ami"

_AGENT_DEVICE = re.compile(r"^Local/(1\d{3})@agents(?:[-/;]|$)")


def reference_agent_for(name: str) -> str | None:
    """Agents of the reference Asterisk: every `Local/1XXX@agents` device is agent `1XXX`."""
    match = _AGENT_DEVICE.match(name)
    return match.group(1) if match else None


def raw_transcript_names() -> list[str]:
    return sorted(path.stem for path in TRANSCRIPTS.glob("ami_*.txt"))


def third_party_names() -> list[str]:
    return sorted(path.stem for path in THIRD_PARTY.glob("*.json"))


def _is_spontaneous_event(message: object) -> bool:
    """An event the PBX sent by itself; answers to list actions (`EventList`) are not call events."""
    return (
        isinstance(message, AmiMessage)
        and message.kind is AmiMessageKind.EVENT
        and "EventList" not in message.fields
    )


def _ami_events(data: bytes, *, expect_banner: bool) -> Iterator[PbxEvent]:
    for message in AmiFrameParser(expect_banner=expect_banner).feed(data):
        if isinstance(message, AmiMessage) and _is_spontaneous_event(message):
            yield PbxEvent("ami", message.name, message.fields)


def raw_transcript_events(name: str) -> list[PbxEvent]:
    """`transcripts/<name>.txt`: a `#` title line, then AMI frames with bare LF line ends."""
    text = (TRANSCRIPTS / f"{name}.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    body = "\n".join(line for line in text.split("\n") if not line.startswith("#"))
    return list(
        _ami_events(body.strip("\n").replace("\n", "\r\n").encode() + b"\r\n\r\n", expect_banner=False)
    )


def wire_events(name: str) -> list[PbxEvent]:
    """Every AMI event the recording's sessions received and every ARI WebSocket event, in order."""
    scenario = load_wire_scenario(name)
    parsers: dict[str | None, AmiFrameParser] = {}
    events: list[PbxEvent] = []
    for frame in scenario.frames:
        if frame.dir != "recv" or frame.data is None:
            continue
        if frame.conn == "ami":
            parser = parsers.setdefault(frame.cid, AmiFrameParser())
            for message in parser.feed(frame.data.encode()):
                if isinstance(message, AmiMessage) and _is_spontaneous_event(message):
                    events.append(PbxEvent("ami", message.name, message.fields))
        elif frame.conn == "ari-ws":
            decoded = json.loads(frame.data)
            events.append(PbxEvent("ari", decoded["type"], decoded))
    return events


def third_party_events(name: str) -> list[PbxEvent]:
    """`third-party-ami/<name>.json`: a JSON array of AMI events as dicts."""
    raw = json.loads((THIRD_PARTY / f"{name}.json").read_text(encoding="utf-8"))
    return [PbxEvent("ami", str(item["Event"]), item) for item in raw]


@dataclass
class Replay:
    """What a tracker reported while one recording was fed to it."""

    tracker: CallTracker
    events: list[CtiEvent] = field(default_factory=list)

    def facts(self) -> list[str]:
        """Readable facts: `call1 ringing agent 1002`, `call1 transferred blind`, `call1 ended 16` …"""
        labels: dict[str, str] = {}
        facts: list[str] = []
        for event in self.events:
            call = labels.setdefault(event.call_id or "", f"call{len(labels) + 1}")
            facts.append(f"{call} {_fact(event)}")
        return facts

    def duplicates_and_gaps(self) -> list[str]:
        """Every way the event stream breaks the contract (empty when the stream is sound)."""
        problems: list[str] = []
        created = Counter(e.call_id for e in self.events if e.type is EventType.CALL_CREATED)
        ended = Counter(e.call_id for e in self.events if e.type is EventType.CALL_ENDED)
        for call_id in set(created) | set(ended):
            if created[call_id] != 1 or ended[call_id] != 1:
                problems.append(f"{call_id}: created {created[call_id]}x, ended {ended[call_id]}x")
        seen: set[str] = set()
        finished: set[str] = set()
        for event in self.events:
            call_id = event.call_id or ""
            if event.type is EventType.CALL_CREATED:
                seen.add(call_id)
            elif call_id not in seen:
                problems.append(f"{call_id}: {event.type} before call.created")
            if call_id in finished:
                problems.append(f"{call_id}: {event.type} after call.ended")
            if event.type is EventType.CALL_ENDED:
                finished.add(call_id)
        for kind in (EventType.CALL_RINGING, EventType.CALL_ANSWERED):
            per_party = Counter(
                (e.call_id, e.data["party"]["party_id"]) for e in self.events if e.type is kind
            )
            problems += [f"{key}: {kind} {count}x" for key, count in per_party.items() if count > 1]
        left: set[tuple[str | None, str]] = set()
        for event in self.events:
            party = event.data.get("party")
            if not isinstance(party, dict):
                continue
            key = (event.call_id, party["party_id"])
            if key in left:
                problems.append(f"{key}: {event.type} after call.party_left")
            if event.type is EventType.CALL_PARTY_LEFT:
                left.add(key)
                if party["state"] != "ended":
                    problems.append(f"{key}: call.party_left names a party still {party['state']}")
        held: dict[str, bool] = {}
        for event in self.events:
            if event.type in (EventType.CALL_HELD, EventType.CALL_RETRIEVED):
                party_id = event.data["party"]["party_id"]
                now_held = event.type is EventType.CALL_HELD
                if held.get(party_id, False) == now_held:
                    problems.append(f"{party_id}: {event.type} twice in a row")
                held[party_id] = now_held
        if self.tracker.calls():
            problems.append(f"calls still live at the end: {[c.call_id for c in self.tracker.calls()]}")
        return problems


def _who(party: dict[str, object]) -> str:
    if party["role"] == "supervisor":
        mode = f" {party['monitor_mode']}" if party.get("monitor_mode") else ""
        return f"supervisor{mode} {party['agent_id'] or party['endpoint']}"
    if party.get("agent_id"):
        return f"agent {party['agent_id']}"
    return f"{party['role']} {party['endpoint']}"


def _fact(event: CtiEvent) -> str:
    data = event.data
    kind = event.type.value.removeprefix("call.")
    if event.type in (
        EventType.CALL_RINGING,
        EventType.CALL_ANSWERED,
        EventType.CALL_HELD,
        EventType.CALL_RETRIEVED,
    ):
        return f"{kind} {_who(data['party'])}"
    if event.type is EventType.CALL_PARTY_LEFT:
        return f"left {_who(data['party'])} {data['party']['end_cause']}"
    if event.type is EventType.CALL_TRANSFERRED:
        return f"transferred {data['kind']}"
    if event.type is EventType.CALL_CONFERENCED:
        return f"conferenced {data['conference']} {_who(data['party'])}"
    if event.type is EventType.CALL_ENDED:
        if data.get("reason"):
            return f"ended {data['reason']}"
        return f"ended {data['cause']}"
    if event.type is EventType.CALL_CREATED:
        callers = [p for p in data["parties"] if p["role"] == "caller" or p.get("agent_id")]
        return "created" + "".join(f" by {_who(p)}" for p in callers[:1])
    if event.type is EventType.CALL_DATA_UPDATED:
        return "data " + " ".join(f"{k}={v}" for k, v in sorted(data["changed"].items()))
    return kind


def replay(events: list[PbxEvent], agent_for: object = reference_agent_for) -> Replay:
    """Feed `events` to a fresh tracker, collecting what it reports."""
    collected: list[CtiEvent] = []
    tracker = CallTracker(collected.append, agent_for)  # type: ignore[arg-type]
    for event in events:
        tracker.apply(event)
    return Replay(tracker, collected)
