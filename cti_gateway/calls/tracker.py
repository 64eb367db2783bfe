"""The call tracker: a state machine fed with PBX events that reports call facts as `CtiEvent`s.

Channels are grouped into calls by Linkedid when they appear; afterwards a channel stays with its call
until a bridge joins it to another one (attended transfer, conference), when the younger call merges into
the older. Local channel pairs are one participant: the `;1` half is the party, the `;2` half is its
phone, unless the `;2` half dials on: then the pair is a mere routing hop and the dialed channel is the party.

Supervisors join the call they monitor: a ChanSpy spyer on `ChanSpyStart` (its mode read from the
ChanSpy options of the dialplan `Newexten` or the gateway's `OriginateResponse`), or the phone bridged
with an ARI snoop channel `Snoop/<spied Uniqueid>-<n>`. They leave on `ChanSpyStop`, when the snoop goes,
or when they hang up, and never keep the monitored call alive.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cti_gateway.calls.model import (
    AttachedDataKey,
    Call,
    CallDirection,
    MonitorMode,
    Party,
    PartyRole,
    PartyState,
    TransferKind,
)
from cti_gateway.calls.view import call_audience, call_view, party_view
from cti_gateway.events.model import CtiEvent, EventSink, EventType
from cti_gateway.ports.pbx import ChannelSnapshot, PbxEvent, PbxSnapshot

AgentResolver = Callable[[str], str | None]
"""Maps a channel name, queue member interface or dial string to an agent id, or None."""

UNKNOWN = "<unknown>"
ATTACHED_VARIABLE_PREFIX = "CTI_"
"""Dialplan variables named `CTI_<KEY>` (or `__CTI_<KEY>`) join the call's attached data as `<key>`."""
IVR_DIGITS_VARIABLE = "DIGITS"
"""The variable the reference IVR's `Read()` fills; it becomes the `ivr_digits` attached data."""
RESYNC_REASON = "resync"
MERGED_REASON = "merged"
MONITOR_STOPPED = "Monitoring stopped"
"""The `end_cause_text` of a supervisor party whose ChanSpy or snoop ended before its phone hung up."""
SPY_APPLICATIONS = frozenset({"ChanSpy", "ExtenSpy"})
SNOOP_PREFIX = "Snoop/"
_OPTION_ARGUMENTS = re.compile(r"\([^)]*\)")


class UnknownCallError(KeyError):
    """Raised by `CallTracker.attach` when the call id names no live call."""


def _text(fields: Mapping[str, Any], header: str) -> str:
    value = fields.get(header)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    text = str(value)
    return "" if text == UNKNOWN else text


def _cause(fields: Mapping[str, Any]) -> int:
    try:
        return int(_text(fields, "Cause") or 0)
    except ValueError:
        return 0


def endpoint_of(channel_name: str) -> str:
    """The device behind a channel: `Local/1001@agents-0000000a;1` is `Local/1001@agents`."""
    base = channel_name.split(";", 1)[0]
    head, dash, tail = base.rpartition("-")
    if dash and tail and all(c in "0123456789abcdef" for c in tail.lower()):
        return head
    return base


def monitor_mode_of(spy_arguments: str) -> MonitorMode:
    """The mode ChanSpy arguments (`<channel>,<options>`) ask for: `B` barge, `w`/`W` whisper, else listen."""
    _, _, options = spy_arguments.partition(",")
    options = _OPTION_ARGUMENTS.sub("", options)  # `g(grp)`, `e(ext)`, `v(-4)`: arguments, not options
    if "B" in options:
        return MonitorMode.BARGE
    if "w" in options or "W" in options:
        return MonitorMode.WHISPER
    return MonitorMode.LISTEN


def _snooped_unique_id(channel_name: str) -> str:
    """`Snoop/<spied channel's Uniqueid>-00000001` names the channel it listens to; other names give ''."""
    if not channel_name.startswith(SNOOP_PREFIX):
        return ""
    return channel_name[len(SNOOP_PREFIX) :].rpartition("-")[0]


def _local_half(name: str) -> int:
    if not name.startswith("Local/"):
        return 0
    if name.endswith(";1"):
        return 1
    if name.endswith(";2"):
        return 2
    return 0


@dataclass(slots=True, eq=False)
class _Channel:
    unique_id: str
    name: str
    linked_id: str
    state: str = ""
    number: str = ""
    caller_name: str = ""
    exten: str = ""
    half: int = 0
    peer: _Channel | None = None
    calling: _Tracked | None = None
    party: Party | None = None
    hop: bool = False
    pending: bool = False
    originated: bool = False
    dialed_as: str = ""
    queue: str | None = None
    bridge: str | None = None
    gone: bool = False
    cause: int = 0
    cause_text: str = ""
    spy_mode: MonitorMode | None = None
    snoop: bool = False
    monitoring: bool = False
    via: _Channel | None = None


@dataclass(slots=True, eq=False)
class _Tracked:
    call: Call
    order: int
    channels: dict[str, _Channel] = field(default_factory=dict)
    announced: bool = False
    first: _Channel | None = None
    last_cause: int | None = None
    last_cause_text: str = ""
    transferred_since_answer: bool = False
    transferers: set[str] = field(default_factory=set)


class CallTracker:
    """Turns AMI (and ARI) events into calls and parties, and reports each change to `sink` in PBX order."""

    def __init__(self, sink: EventSink, agent_for: AgentResolver) -> None:
        self._sink = sink
        self._agent_for = agent_for
        self._calls: dict[str, _Tracked] = {}
        self._by_linked_id: dict[str, _Tracked] = {}
        self._channels: dict[str, _Channel] = {}
        self._names: dict[str, _Channel] = {}
        self._bridges: dict[str, set[str]] = {}
        self._holding_bridges: set[str] = set()
        self._member_hints: dict[str, str] = {}
        self._order = itertools.count()
        self._handlers: dict[str, Callable[[Mapping[str, Any]], None]] = {
            "Newchannel": self._on_new_channel,
            "Newstate": self._on_new_state,
            "NewCallerid": self._on_caller_id,
            "Rename": self._on_rename,
            "LocalBridge": self._on_local_bridge,
            "AgentCalled": self._on_agent_called,
            "DialBegin": self._on_dial_begin,
            "DialState": self._on_dial_begin,
            "DialEnd": self._on_dial_end,
            "BridgeEnter": self._on_bridge_enter,
            "BridgeLeave": self._on_bridge_leave,
            "BridgeDestroy": self._on_bridge_destroy,
            "Hold": self._on_hold,
            "Unhold": self._on_unhold,
            "MusicOnHoldStart": self._on_music_on_hold_start,
            "MusicOnHoldStop": self._on_music_on_hold_stop,
            "QueueCallerJoin": self._on_queue_caller_join,
            "QueueCallerLeave": self._on_queue_caller_leave,
            "BlindTransfer": self._on_blind_transfer,
            "AttendedTransfer": self._on_attended_transfer,
            "ConfbridgeJoin": self._on_conference_join,
            "Newexten": self._on_new_extension,
            "OriginateResponse": self._on_originate_response,
            "ChanSpyStart": self._on_spy_start,
            "ChanSpyStop": self._on_spy_stop,
            "VarSet": self._on_variable,
            "Hangup": self._on_hangup,
        }
        self._ari_handlers: dict[str, Callable[[Mapping[str, Any]], None]] = {
            "ChannelHold": self._on_ari_hold,
            "ChannelUnhold": self._on_ari_unhold,
        }

    # public surface ---------------------------------------------------------------------------

    def apply(self, event: PbxEvent) -> None:
        """Feed one PBX event; unrelated events are ignored cheaply."""
        handlers = self._handlers if event.source == "ami" else self._ari_handlers
        handler = handlers.get(event.name)
        if handler is not None:
            handler(event.fields)

    __call__ = apply

    def calls(self) -> list[Call]:
        """Every live call that has been announced with `call.created`."""
        return [tracked.call for tracked in self._calls.values() if tracked.announced]

    def get(self, call_id: str) -> Call | None:
        """The live call with this id, if any."""
        tracked = self._calls.get(call_id)
        return tracked.call if tracked is not None and tracked.announced else None

    def call_for_channel(self, unique_id_or_name: str) -> Call | None:
        """The live call a channel (by Uniqueid or name) belongs to."""
        channel = self._channels.get(unique_id_or_name) or self._names.get(unique_id_or_name)
        if channel is None or channel.calling is None or not channel.calling.announced:
            return None
        return channel.calling.call

    def attach(self, call_id: str, updates: Mapping[str, Any]) -> None:
        """Merge `updates` into the call's attached data and emit `call.data_updated` if anything changed."""
        tracked = self._calls.get(call_id)
        if tracked is None or not tracked.announced:
            raise UnknownCallError(f"no live call with id {call_id!r}; it may have ended")
        self._attach(tracked, updates)

    def replace_with(self, snapshot: PbxSnapshot) -> None:
        """After a resync: end calls whose channels are gone, learn calls that were missed."""
        present = {channel.unique_id: channel for channel in snapshot.channels}
        for tracked in list(self._calls.values()):
            left: list[Party] = []
            for channel in list(tracked.channels.values()):
                if channel.unique_id not in present:
                    self._forget_channel(channel)
                    if channel.party is not None and channel.party.is_active:
                        self._end_party(tracked, channel.party, 0, "Gone after resync")
                        left.append(channel.party)
            if not tracked.channels:
                self._end_call(tracked, reason=RESYNC_REASON)
            elif tracked.announced:
                for party in left:
                    self._emit(tracked, EventType.CALL_PARTY_LEFT, party=party, reason=RESYNC_REASON)
        missed = [channel for channel in snapshot.channels if channel.unique_id not in self._channels]
        by_linked_id: dict[str, list[ChannelSnapshot]] = {}
        for snapshot_channel in missed:
            key = snapshot_channel.linked_id or snapshot_channel.unique_id
            by_linked_id.setdefault(key, []).append(snapshot_channel)
        for linked_id, channels in by_linked_id.items():
            self._learn_call(linked_id, channels)

    # channels ---------------------------------------------------------------------------------

    def _on_new_channel(self, fields: Mapping[str, Any]) -> None:
        unique_id = _text(fields, "Uniqueid")
        if not unique_id or unique_id in self._channels:
            return
        name = _text(fields, "Channel")
        channel = _Channel(
            unique_id=unique_id,
            name=name,
            linked_id=_text(fields, "Linkedid") or unique_id,
            state=_text(fields, "ChannelStateDesc"),
            number=_text(fields, "CallerIDNum"),
            caller_name=_text(fields, "CallerIDName"),
            exten=_text(fields, "Exten"),
            half=_local_half(name),
        )
        self._channels[unique_id] = channel
        self._names[name] = channel
        if channel.half == 2:
            one = self._names.get(name[:-1] + "1")
            if one is not None and not one.gone:
                self._pair(one, channel)
        spied = self._channels.get(_snooped_unique_id(name))
        if spied is not None and spied.calling is not None:
            # An ARI snoop taps the spied channel and is never a party; the phone bridged with it supervises.
            channel.snoop = channel.monitoring = channel.hop = True
            self._join(spied.calling, channel)
            return
        tracked = channel.peer.calling if channel.peer is not None else None
        if tracked is None:
            tracked = self._by_linked_id.get(channel.linked_id)
        if tracked is None:
            tracked = self._new_call(channel)
        self._join(tracked, channel)
        self._maybe_caller(channel)

    def _maybe_caller(self, channel: _Channel) -> None:
        """A phone or trunk that dials in (state `Ring`, not dialed by anyone) is the call's caller."""
        tracked = channel.calling
        if (
            tracked is not None
            and tracked.first is channel
            and channel.party is None
            and channel.half == 0
            and not channel.originated
            and channel.state == "Ring"
        ):
            self._add_party(tracked, channel, PartyState.TALKING)

    def _on_local_bridge(self, fields: Mapping[str, Any]) -> None:
        one = self._channels.get(_text(fields, "LocalOneUniqueid"))
        two = self._channels.get(_text(fields, "LocalTwoUniqueid"))
        if one is not None and two is not None and one.peer is None:
            self._pair(one, two)

    @staticmethod
    def _pair(one: _Channel, two: _Channel) -> None:
        one.peer, two.peer = two, one
        one.half, two.half = 1, 2

    def _on_rename(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        new_name = _text(fields, "Newname")
        if channel is not None and new_name:
            self._names.pop(channel.name, None)
            channel.name = new_name
            self._names[new_name] = channel
            if channel.party is not None:
                channel.party.channel = new_name

    def _on_caller_id(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None:
            return
        channel.number = _text(fields, "CallerIDNum")
        channel.caller_name = _text(fields, "CallerIDName")
        party = channel.party
        if party is not None and party.role is PartyRole.CALLER:
            party.number, party.name = channel.number, channel.caller_name

    def _on_new_state(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None:
            return
        channel.state = _text(fields, "ChannelStateDesc")
        if channel.state == "Ring":
            self._maybe_caller(channel)
        if channel.pending and not channel.hop and channel.state in ("Ringing", "Up"):
            self._announce_pending(channel)

    # dialing ----------------------------------------------------------------------------------

    def _on_agent_called(self, fields: Mapping[str, Any]) -> None:
        destination = self._channels.get(_text(fields, "DestUniqueid"))
        if destination is None or destination.party is not None:
            return
        interface = _text(fields, "Interface")
        destination.dialed_as = interface
        self._member_hints[destination.unique_id] = interface
        tracked = destination.calling
        if tracked is not None:
            self._ring(tracked, destination)

    def _on_dial_begin(self, fields: Mapping[str, Any]) -> None:
        destination = self._channels.get(_text(fields, "DestUniqueid"))
        if destination is None or destination.party is not None:
            return
        destination.dialed_as = destination.dialed_as or _text(fields, "DialString")
        destination.exten = _text(fields, "DestExten") or destination.exten
        caller = self._channels.get(_text(fields, "Uniqueid"))
        if caller is None:
            destination.originated = True
        else:
            self._maybe_caller(caller)
            if caller.half == 2 and caller.peer is not None:
                self._make_hop(caller.peer)
        if caller is not None and caller.calling is not None and destination.calling is not caller.calling:
            self._move(destination, caller.calling)
        tracked = destination.calling
        if tracked is not None:
            self._ring(tracked, destination)

    def _ring(self, tracked: _Tracked, destination: _Channel) -> None:
        if destination.hop or destination.half == 2:
            return
        if destination.half == 1 and self._agent_id(destination) is None:
            destination.pending = True  # a Local channel may turn out to be a routing hop
            if destination.state in ("Ringing", "Up"):
                self._announce_pending(destination)
            return
        self._add_party(tracked, destination, PartyState.RINGING)

    def _announce_pending(self, channel: _Channel) -> None:
        channel.pending = False
        tracked = channel.calling
        if tracked is not None and channel.party is None:
            self._add_party(tracked, channel, PartyState.RINGING)

    def _on_dial_end(self, fields: Mapping[str, Any]) -> None:
        if _text(fields, "DialStatus") != "ANSWER":
            return
        destination = self._channels.get(_text(fields, "DestUniqueid"))
        if destination is None:
            return
        if destination.party is None and not destination.hop and destination.calling is not None:
            self._ring(destination.calling, destination)
        if destination.pending and not destination.hop:
            self._announce_pending(destination)
        party = destination.party
        tracked = destination.calling
        if party is None or tracked is None or party.answered_at is not None or not party.is_active:
            return
        now = time.time()
        party.state, party.answered_at = PartyState.TALKING, now
        call = tracked.call
        if call.answered_at is None:
            call.answered_at = now
        tracked.transferred_since_answer = False
        self._emit(tracked, EventType.CALL_ANSWERED, party=party)

    def _make_hop(self, one: _Channel) -> None:
        """A Local pair whose `;2` half dials on only routes the call; the dialed channel is the party."""
        one.hop = True
        one.pending = False

    # bridges, hold, queues --------------------------------------------------------------------

    def _on_bridge_enter(self, fields: Mapping[str, Any]) -> None:
        bridge_id = _text(fields, "BridgeUniqueid")
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None or not bridge_id:
            return
        kind = (_text(fields, "BridgeTechnology") + _text(fields, "BridgeType")).lower()
        if "holding" in kind or "parking" in kind:
            self._holding_bridges.add(bridge_id)
        members = self._bridges.setdefault(bridge_id, set())
        channel.bridge = bridge_id
        if self._bridged_with_snoop(channel, members):
            members.add(channel.unique_id)
            return
        if bridge_id not in self._holding_bridges and channel.calling is not None:
            for other_id in list(members):
                other = self._channels.get(other_id)
                if other is not None and other.calling is not None and other.calling is not channel.calling:
                    self._merge(channel.calling, other.calling)
        members.add(channel.unique_id)

    def _on_bridge_leave(self, fields: Mapping[str, Any]) -> None:
        bridge_id = _text(fields, "BridgeUniqueid")
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None:
            return
        self._bridges.get(bridge_id, set()).discard(channel.unique_id)
        if channel.bridge == bridge_id:
            channel.bridge = None
        if channel.snoop:
            self._release_supervisors_of(channel)
        elif channel.via is not None:
            self._stop_supervising(channel)

    def _on_bridge_destroy(self, fields: Mapping[str, Any]) -> None:
        bridge_id = _text(fields, "BridgeUniqueid")
        self._bridges.pop(bridge_id, None)
        self._holding_bridges.discard(bridge_id)

    def _peers_in_bridge(self, channel: _Channel) -> list[_Channel]:
        if channel.bridge is None:
            return []
        peers = (self._channels.get(uid) for uid in self._bridges.get(channel.bridge, ()))
        return [peer for peer in peers if peer is not None and peer is not channel]

    def _on_hold(self, fields: Mapping[str, Any]) -> None:
        """`Hold` names the channel that asked for hold; the ones bridged with it are the held parties."""
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is not None:
            for peer in self._peers_in_bridge(channel):
                self._set_held(peer, held=True)

    def _on_unhold(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is not None:
            for peer in self._peers_in_bridge(channel):
                self._set_held(peer, held=False)

    def _on_music_on_hold_start(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is not None and channel.queue is None:  # queue music is waiting, not hold
            self._set_held(channel, held=True)

    def _on_music_on_hold_stop(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is not None and channel.queue is None:
            self._set_held(channel, held=False)

    def _on_ari_hold(self, fields: Mapping[str, Any]) -> None:
        self._set_held(self._ari_channel(fields), held=True)

    def _on_ari_unhold(self, fields: Mapping[str, Any]) -> None:
        self._set_held(self._ari_channel(fields), held=False)

    def _ari_channel(self, fields: Mapping[str, Any]) -> _Channel | None:
        channel = fields.get("channel")
        if isinstance(channel, Mapping):
            return self._channels.get(str(channel.get("id", "")))
        return None

    def _party_of(self, channel: _Channel | None) -> Party | None:
        if channel is None:
            return None
        if channel.party is not None:
            return channel.party
        if channel.half == 2 and channel.peer is not None and not channel.peer.hop:
            return channel.peer.party
        return None

    def _set_held(self, channel: _Channel | None, *, held: bool) -> None:
        party = self._party_of(channel)
        if party is None or channel is None or channel.calling is None:
            return
        if held and party.state is PartyState.TALKING:
            party.state = PartyState.HELD
            self._emit(channel.calling, EventType.CALL_HELD, party=party)
        elif not held and party.state is PartyState.HELD:
            party.state = PartyState.TALKING
            self._emit(channel.calling, EventType.CALL_RETRIEVED, party=party)

    def _on_queue_caller_join(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None or channel.calling is None:
            return
        tracked = channel.calling
        queue = _text(fields, "Queue")
        channel.queue = queue
        call = tracked.call
        was_connected = call.answered_at is not None and any(
            party.role is PartyRole.AGENT and party.answered_at is not None for party in call.parties.values()
        )
        call.queue = queue
        call.direction = CallDirection.INBOUND
        party = self._party_of(channel)
        if party is not None:
            party.number, party.name = _text(fields, "CallerIDNum"), _text(fields, "CallerIDName")
        updates: dict[str, Any] = {AttachedDataKey.QUEUE.value: queue}
        ani = _text(fields, "CallerIDNum")
        if ani and AttachedDataKey.ANI.value not in call.attached:
            updates[AttachedDataKey.ANI.value] = ani
        if AttachedDataKey.DNIS.value not in call.attached:
            updates[AttachedDataKey.DNIS.value] = _text(fields, "Exten")
        if was_connected and not tracked.transferred_since_answer:
            # An AMI Redirect out of an answered call into another queue is a blind transfer.
            tracked.transferred_since_answer = True
            self._attach(tracked, updates)
            self._emit(tracked, EventType.CALL_TRANSFERRED, kind=TransferKind.BLIND.value, to=queue)
            return
        self._attach(tracked, updates)

    def _on_queue_caller_leave(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is not None:
            channel.queue = None

    def _on_variable(self, fields: Mapping[str, Any]) -> None:
        variable = fields.get("Variable")
        if not isinstance(variable, str):
            return
        if variable == IVR_DIGITS_VARIABLE:
            key = AttachedDataKey.IVR_DIGITS.value
        elif ATTACHED_VARIABLE_PREFIX in variable:
            name = variable.lstrip("_")
            if not name.startswith(ATTACHED_VARIABLE_PREFIX):
                return
            key = name[len(ATTACHED_VARIABLE_PREFIX) :].lower()
        else:
            return
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is not None and channel.calling is not None and key:
            self._attach(channel.calling, {key: _text(fields, "Value") or None})

    # transfers and conferences ----------------------------------------------------------------

    def _on_blind_transfer(self, fields: Mapping[str, Any]) -> None:
        if _text(fields, "Result") != "Success":
            return
        transferer = self._channels.get(_text(fields, "TransfererUniqueid"))
        transferee = self._channels.get(_text(fields, "TransfereeUniqueid"))
        anchor = transferee or transferer
        if anchor is None or anchor.calling is None:
            return
        tracked = anchor.calling
        tracked.transferred_since_answer = True
        party = self._party_of(transferer)
        if party is not None:
            tracked.transferers.add(party.party_id)
        self._emit(
            tracked,
            EventType.CALL_TRANSFERRED,
            kind=TransferKind.BLIND.value,
            transferer=party.party_id if party is not None else None,
            to=_text(fields, "Extension"),
        )

    def _on_attended_transfer(self, fields: Mapping[str, Any]) -> None:
        if _text(fields, "Result") != "Success":
            return
        original = self._channels.get(_text(fields, "OrigTransfererUniqueid"))
        second = self._channels.get(_text(fields, "SecondTransfererUniqueid"))
        tracked = None
        for channel in (original, second):
            if channel is not None and channel.calling is not None:
                tracked = channel.calling if tracked is None else self._merge(tracked, channel.calling)
        if tracked is None:
            return
        tracked.transferred_since_answer = True
        party = self._party_of(original)
        for transferer in (self._party_of(original), self._party_of(second)):
            if transferer is not None:
                tracked.transferers.add(transferer.party_id)
        self._emit(
            tracked,
            EventType.CALL_TRANSFERRED,
            kind=TransferKind.ATTENDED.value,
            transferer=party.party_id if party is not None else None,
        )

    def _on_conference_join(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None or channel.calling is None:
            return
        party = self._party_of(channel)
        conference = _text(fields, "Conference")
        channel.calling.call.conference = conference
        self._emit(channel.calling, EventType.CALL_CONFERENCED, party=party, conference=conference)

    # supervisors -------------------------------------------------------------------------------

    def _on_new_extension(self, fields: Mapping[str, Any]) -> None:
        if _text(fields, "Application") in SPY_APPLICATIONS:
            channel = self._channels.get(_text(fields, "Uniqueid"))
            if channel is not None:
                channel.spy_mode = monitor_mode_of(_text(fields, "AppData"))

    def _on_originate_response(self, fields: Mapping[str, Any]) -> None:
        """The gateway's monitor originates straight into ChanSpy; only this response shows its options."""
        if _text(fields, "Application") in SPY_APPLICATIONS and _text(fields, "Response") == "Success":
            channel = self._channels.get(_text(fields, "Uniqueid"))
            if channel is not None:
                channel.spy_mode = monitor_mode_of(_text(fields, "Data"))

    def _on_spy_start(self, fields: Mapping[str, Any]) -> None:
        spyer = self._channels.get(_text(fields, "SpyerUniqueid"))
        spyee = self._channels.get(_text(fields, "SpyeeUniqueid"))
        if spyer is None or spyee is None or spyee.calling is None or spyer is spyee:
            return
        self._join_as_supervisor(spyer, spyee.calling, spyer.spy_mode)

    def _on_spy_stop(self, fields: Mapping[str, Any]) -> None:
        spyer = self._channels.get(_text(fields, "SpyerUniqueid"))
        if spyer is not None and spyer.monitoring and spyer.via is None:
            self._stop_supervising(spyer)

    def _bridged_with_snoop(self, channel: _Channel, members: set[str]) -> bool:
        """A phone bridged with an ARI snoop supervises the snooped call instead of merging calls."""
        others = [
            o for o in (self._channels.get(uid) for uid in members) if o is not None and o is not channel
        ]
        if channel.snoop:
            if channel.calling is not None:
                for other in others:
                    if not other.snoop and other.via is not channel:
                        self._join_as_supervisor(other, channel.calling, None, via=channel)
            return True
        snoop = next((other for other in others if other.snoop), None)
        if snoop is None:
            return False
        if snoop.calling is not None:
            self._join_as_supervisor(channel, snoop.calling, None, via=snoop)
        return True

    def _release_supervisors_of(self, snoop: _Channel) -> None:
        tracked = snoop.calling
        if tracked is not None:
            for channel in [c for c in tracked.channels.values() if c.via is snoop]:
                self._stop_supervising(channel)

    @staticmethod
    def _carrier(channel: _Channel) -> _Channel:
        """The channel that carries the party: a `;2` half running ChanSpy speaks for its `;1` half."""
        return channel.peer if channel.half == 2 and channel.peer is not None else channel

    def _join_as_supervisor(
        self, spyer: _Channel, monitored: _Tracked, mode: MonitorMode | None, *, via: _Channel | None = None
    ) -> None:
        """Move a supervisor's phone into the call it monitors; its own call, now empty, ends as merged."""
        holder = self._carrier(spyer)
        old = holder.calling
        party = holder.party if holder.party is not None and holder.party.is_active else None
        if not monitored.announced or (
            old is monitored and party is not None and party.role is PartyRole.SUPERVISOR
        ):
            return
        for channel in (holder, holder.peer):
            if channel is not None and not channel.gone and channel.calling is old:
                if old is not None:
                    old.channels.pop(channel.unique_id, None)
                self._join(monitored, channel)
                channel.monitoring = True
        spyer.via = via
        if old is not None and old is not monitored:
            if party is not None and old.channels:
                old.call.parties.pop(party.party_id, None)  # its call goes on without the supervisor
            elif not old.channels:
                self._retire(old, monitored, keep_linked_ids=False)
        now = time.time()
        if party is None:
            party = Party(
                party_id=holder.unique_id,
                role=PartyRole.SUPERVISOR,
                channel=holder.name,
                unique_id=holder.unique_id,
                number=holder.number or holder.exten,
                name=holder.caller_name,
                agent_id=self._agent_id(holder),
                endpoint=endpoint_of(holder.name),
                state=PartyState.TALKING,
            )
            holder.party = party
        taken = monitored.call.parties.get(party.party_id)
        if taken is not None and taken is not party:  # the same phone monitors this call a second time
            earlier = sum(1 for key in monitored.call.parties if key.startswith(holder.unique_id))
            party.party_id = f"{holder.unique_id}-{earlier + 1}"
        party.role, party.monitor_mode = PartyRole.SUPERVISOR, mode
        if party.state is PartyState.RINGING:
            party.state = PartyState.TALKING
        party.answered_at = party.answered_at or now
        monitored.call.parties[party.party_id] = party
        self._emit(monitored, EventType.CALL_ANSWERED, party=party)

    def _stop_supervising(self, spyer: _Channel, *, announce: bool = True) -> None:
        """The supervisor leaves the monitored call; its phone, if still up, is a call of its own again."""
        holder = self._carrier(spyer)
        tracked = holder.calling
        if tracked is None:
            return
        party = holder.party
        fresh: _Tracked | None = None
        for channel in (holder, holder.peer):
            if channel is None or tracked.channels.get(channel.unique_id) is not channel:
                continue
            del tracked.channels[channel.unique_id]
            channel.monitoring, channel.via, channel.party, channel.calling = False, None, None, None
            fresh = fresh or self._new_call(channel)
            self._join(fresh, channel)
        spyer.via = None
        if party is None or party.role is not PartyRole.SUPERVISOR or not party.is_active:
            return
        self._end_party(tracked, party, 0, MONITOR_STOPPED)
        if (
            not self._settle(tracked)
            and announce
            and self._goes_on_without(tracked, party, PartyState.TALKING)
        ):
            self._emit(tracked, EventType.CALL_PARTY_LEFT, party=party)

    def _settle(self, tracked: _Tracked) -> bool:
        """End the call when no channel or only supervisors and snoops are left; True if it ended."""
        if tracked.channels and all(channel.monitoring for channel in tracked.channels.values()):
            for channel in list(tracked.channels.values()):
                if channel.snoop:
                    self._release_supervisors_of(channel)
                    tracked.channels.pop(channel.unique_id, None)
                    channel.calling = None
                elif tracked.channels.get(channel.unique_id) is channel:
                    self._stop_supervising(channel, announce=False)
        if tracked.channels:
            return False
        self._end_call(tracked)
        return True

    @staticmethod
    def _goes_on_without(tracked: _Tracked, party: Party, was: PartyState) -> bool:
        """Whether a departure is news: someone is still connected and the call is not merely ending."""
        if not tracked.announced:
            return False
        staying = [p for p in tracked.call.active_parties() if p.role is not PartyRole.SUPERVISOR]
        if not any(p.state in (PartyState.TALKING, PartyState.HELD) for p in staying):
            return False
        return (
            len(staying) >= 2
            or was is PartyState.RINGING
            or party.role is PartyRole.SUPERVISOR
            or party.party_id in tracked.transferers
            or any(channel.queue for channel in tracked.channels.values())
        )

    # hangups ----------------------------------------------------------------------------------

    def _on_hangup(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid"))
        if channel is None:
            return
        channel.gone = True
        channel.cause, channel.cause_text = _cause(fields), _text(fields, "Cause-txt")
        tracked = channel.calling
        if channel.snoop:
            self._release_supervisors_of(channel)
        self._forget_channel(channel)
        if tracked is None:
            return
        if channel.pending and channel.originated and not channel.hop and channel.party is None:
            # An originate that never rang (busy, congestion, unallocated) is still a call that failed.
            self._add_party(tracked, channel, PartyState.RINGING, announce_ringing=False)
        party = self._party_of(channel)
        other = channel.peer
        left: Party | None = None
        if party is not None and party.is_active:
            if channel.cause == 0 and other is not None and not other.gone:
                pass  # busy/congestion causes appear on the other half only; wait for it
            else:
                cause, cause_text = channel.cause, channel.cause_text
                if cause == 0 and other is not None and other.gone:
                    cause, cause_text = other.cause, other.cause_text
                was = party.state
                self._end_party(tracked, party, cause, cause_text)
                left = party if self._goes_on_without(tracked, party, was) else None
        if not self._settle(tracked) and left is not None:
            self._emit(tracked, EventType.CALL_PARTY_LEFT, party=left)
        if other is not None and other.gone:
            channel.peer = other.peer = None  # both halves gone: free them without waiting for the GC

    def _forget_channel(self, channel: _Channel) -> None:
        channel.gone = True
        self._channels.pop(channel.unique_id, None)
        if self._names.get(channel.name) is channel:
            del self._names[channel.name]
        if channel.bridge is not None:
            self._bridges.get(channel.bridge, set()).discard(channel.unique_id)
        self._member_hints.pop(channel.unique_id, None)
        tracked = channel.calling
        if tracked is not None:
            tracked.channels.pop(channel.unique_id, None)

    @staticmethod
    def _end_party(tracked: _Tracked, party: Party, cause: int, cause_text: str) -> None:
        party.state = PartyState.ENDED
        party.ended_at = time.time()
        party.end_cause, party.end_cause_text = cause, cause_text
        if party.role is PartyRole.SUPERVISOR:
            return  # a supervisor hanging up says nothing about how the customer's call ended
        if cause or tracked.last_cause is None:
            tracked.last_cause, tracked.last_cause_text = cause, cause_text

    def _end_call(self, tracked: _Tracked, *, reason: str | None = None, **extra: Any) -> None:
        call = tracked.call
        self._calls.pop(call.call_id, None)
        if self._by_linked_id.get(call.linked_id) is tracked:
            del self._by_linked_id[call.linked_id]
        for linked_id in [key for key, value in self._by_linked_id.items() if value is tracked]:
            del self._by_linked_id[linked_id]
        tracked.first = None  # the call's first channel pointed back at it: free both at once
        if call.ended:
            return
        call.ended_at = time.time()
        for party in call.parties.values():
            if party.is_active:
                self._end_party(tracked, party, 0, "Gone after resync" if reason == RESYNC_REASON else "")
        call.end_cause = tracked.last_cause if reason is None else None
        call.end_cause_text = tracked.last_cause_text if reason is None else reason
        if tracked.announced:
            self._emit(
                tracked,
                EventType.CALL_ENDED,
                cause=call.end_cause,
                cause_text=call.end_cause_text,
                reason=reason,
                **extra,
            )

    # calls and parties ------------------------------------------------------------------------

    def _new_call(self, channel: _Channel) -> _Tracked:
        call_id = channel.linked_id
        suffix = itertools.count(2)
        while call_id in self._calls:
            call_id = f"{channel.linked_id}-{next(suffix)}"
        call = Call(
            call_id=call_id,
            linked_id=channel.linked_id,
            direction=CallDirection.OUTBOUND if channel.state == "Down" else CallDirection.INBOUND,
            created_at=time.time(),
        )
        tracked = _Tracked(call=call, order=next(self._order), first=channel)
        self._calls[call_id] = tracked
        self._by_linked_id.setdefault(channel.linked_id, tracked)
        return tracked

    def _join(self, tracked: _Tracked, channel: _Channel) -> None:
        channel.calling = tracked
        tracked.channels[channel.unique_id] = channel

    def _move(self, channel: _Channel, tracked: _Tracked) -> None:
        old = channel.calling
        if old is not None:
            old.channels.pop(channel.unique_id, None)
        self._join(tracked, channel)
        if channel.peer is not None and channel.peer.calling is old:
            self._move(channel.peer, tracked)
        if old is not None and not old.channels and not old.announced:
            self._calls.pop(old.call.call_id, None)

    def _agent_id(self, channel: _Channel) -> str | None:
        for name in (channel.name, channel.dialed_as, self._member_hints.get(channel.unique_id, "")):
            if name:
                agent_id = self._agent_for(name)
                if agent_id is not None:
                    return agent_id
        return None

    def _add_party(
        self, tracked: _Tracked, channel: _Channel, state: PartyState, *, announce_ringing: bool = True
    ) -> Party:
        channel.pending = False
        agent_id = self._agent_id(channel)
        call = tracked.call
        has_caller = any(party.role is PartyRole.CALLER for party in call.parties.values())
        if agent_id is not None:
            role = PartyRole.AGENT
            if tracked.first is channel and not has_caller:
                call.direction = CallDirection.OUTBOUND
        elif not has_caller and (tracked.first is channel or not call.parties):
            role = PartyRole.CALLER
        else:
            role = PartyRole.EXTERNAL
        now = time.time()
        party = Party(
            party_id=channel.unique_id,
            role=role,
            channel=channel.name,
            unique_id=channel.unique_id,
            number=channel.number if role is PartyRole.CALLER else (channel.exten or channel.number),
            name=channel.caller_name if role is PartyRole.CALLER else "",
            agent_id=agent_id,
            endpoint=endpoint_of(channel.name),
            state=state,
            ringing_at=now if state is PartyState.RINGING else None,
        )
        channel.party = party
        call.parties[party.party_id] = party
        if not tracked.announced:
            self._announce(tracked, party)
        if state is PartyState.RINGING and announce_ringing:
            self._emit(tracked, EventType.CALL_RINGING, party=party)
        return party

    def _announce(self, tracked: _Tracked, first_party: Party) -> None:
        tracked.announced = True
        call = tracked.call
        call.created_at = time.time()
        if first_party.role is PartyRole.CALLER and first_party.number:
            call.attached.merge({AttachedDataKey.ANI.value: first_party.number})
        self._emit(tracked, EventType.CALL_CREATED)

    def _merge(self, first: _Tracked, second: _Tracked) -> _Tracked:
        """Join two calls that now share a bridge; the older one keeps its id, the younger one ends."""
        if first is second:
            return first
        survivor, absorbed = (first, second) if first.order <= second.order else (second, first)
        if not survivor.announced and absorbed.announced:
            survivor, absorbed = absorbed, survivor
        for channel in list(absorbed.channels.values()):
            self._join(survivor, channel)
        absorbed.channels.clear()
        for party_id, party in absorbed.call.parties.items():
            survivor.call.parties.setdefault(party_id, party)
        survivor.transferers |= absorbed.transferers
        missing = {k: v for k, v in absorbed.call.attached.items() if k not in survivor.call.attached}
        if missing:
            survivor.call.attached.merge(missing)
        self._retire(absorbed, survivor)
        if survivor.call.answered_at is None and absorbed.call.answered_at is not None:
            survivor.call.answered_at = absorbed.call.answered_at
        return survivor

    def _retire(self, absorbed: _Tracked, survivor: _Tracked, *, keep_linked_ids: bool = True) -> None:
        """End a call whose channels now belong to `survivor`, saying where they went."""
        for linked_id, value in list(self._by_linked_id.items()):
            if value is absorbed:
                if keep_linked_ids:
                    self._by_linked_id[linked_id] = survivor
                else:
                    del self._by_linked_id[linked_id]
        absorbed_call = absorbed.call
        self._calls.pop(absorbed_call.call_id, None)
        absorbed.first = None
        if absorbed.announced and not absorbed_call.ended:
            absorbed_call.ended_at = time.time()
            absorbed_call.end_cause_text = MERGED_REASON
            self._emit(
                absorbed,
                EventType.CALL_ENDED,
                cause=None,
                cause_text="",
                reason=MERGED_REASON,
                merged_into=survivor.call.call_id,
            )

    def _learn_call(self, linked_id: str, channels: list[ChannelSnapshot]) -> None:
        ordered = sorted(channels, key=lambda c: c.unique_id)
        tracked: _Tracked | None = None
        for snapshot in ordered:
            channel = _Channel(
                unique_id=snapshot.unique_id,
                name=snapshot.name,
                linked_id=linked_id,
                state=snapshot.state,
                number=snapshot.caller_number,
                caller_name=snapshot.caller_name,
                exten=snapshot.extension,
                half=_local_half(snapshot.name),
            )
            self._channels[channel.unique_id] = channel
            self._names[channel.name] = channel
            if channel.half == 2:
                one = self._names.get(channel.name[:-1] + "1")
                if one is not None:
                    self._pair(one, channel)
            if tracked is None:
                tracked = self._by_linked_id.get(linked_id) or self._new_call(channel)
            self._join(tracked, channel)
        if tracked is None:
            return
        for channel in list(tracked.channels.values()):
            if channel.half == 2 or channel.party is not None:
                continue
            state = PartyState.TALKING if channel.state == "Up" else PartyState.RINGING
            party = self._add_party(tracked, channel, state, announce_ringing=False)
            if state is PartyState.TALKING:
                party.answered_at = time.time()
                tracked.call.answered_at = tracked.call.answered_at or party.answered_at

    # reporting --------------------------------------------------------------------------------

    def _attach(self, tracked: _Tracked, updates: Mapping[str, Any]) -> None:
        changed = tracked.call.attached.merge(updates)
        if changed and tracked.announced:
            self._emit(tracked, EventType.CALL_DATA_UPDATED, changed=changed)

    def _emit(
        self, tracked: _Tracked, event_type: EventType, *, party: Party | None = None, **extra: Any
    ) -> None:
        call = tracked.call
        data = call_view(call)
        if party is not None:
            data["party"] = party_view(party)
        data.update(extra)
        self._sink(CtiEvent(type=event_type, data=data, call_id=call.call_id, audience=call_audience(call)))
