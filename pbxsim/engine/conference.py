"""ConfBridge rooms: a mixing bridge per room, join/leave/mute/kick/lock and the Confbridge* messages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pbxsim.engine import messages as m
from pbxsim.engine.errors import ChannelNotFound, UnknownConference
from pbxsim.engine.results import ConferenceSnapshot, ConferenceUserSnapshot

if TYPE_CHECKING:
    from pbxsim.engine.channel import Bridge, Channel
    from pbxsim.engine.engine import Engine


@dataclass(eq=False)
class Participant:
    """A caller in a conference."""

    channel: Channel
    admin: bool
    muted: bool = False
    joined: float = 0.0
    kicked: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class Room:
    """A live conference."""

    name: str
    bridge: Bridge
    participants: list[Participant] = field(default_factory=list)
    locked: bool = False
    announcer: str = ""


class ConferenceManager:
    """Every live ConfBridge conference."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rooms: dict[str, Room] = {}

    def _publish(self, kind: str, room: Room, participant: Participant | None = None) -> None:
        self.engine.publish(
            m.ConfbridgeChanged(
                timestamp=self.engine.now(),
                kind=kind,
                conference=room.name,
                bridge=room.bridge.snapshot(),
                channel=participant.channel.snapshot() if participant else None,
                admin=participant.admin if participant else False,
                muted=participant.muted if participant else False,
            )
        )

    async def join(self, ch: Channel, name: str, *, admin: bool = False) -> None:
        """ConfBridge(): stay in the room until hung up or kicked."""
        engine = self.engine
        room = self.rooms.get(name)
        if room is None:
            bridge = engine.new_bridge(
                bridge_type="base", technology="softmix", bridge_class="base", creator="ConfBridge", name=name
            )
            # app_confbridge's announcer channel is a bridge member too (only seen in BRIDGEPEER).
            announcer = f"CBAnn/{name}-{engine.next_unreal_sequence():08x};2"
            room = Room(name, bridge, announcer=announcer)
            self.rooms[name] = room
            self._publish("Start", room)
        participant = Participant(ch, admin, joined=engine.now())
        room.participants.append(participant)
        engine.enter_bridge(room.bridge, ch)
        self._announce_peers(room)
        self._publish("Join", room, participant)
        try:
            await participant.kicked.wait()
        finally:
            self._leave(room, participant)

    def _announce_peers(self, room: Room) -> None:
        """BRIDGEPEER of every member, in join order: the announcer first, then the other members."""
        members = [p.channel for p in room.participants if p.channel.bridge is room.bridge]
        for ch in members:
            others = [room.announcer, *(c.name for c in members if c is not ch)]
            self.engine.set_channel_var(ch, "BRIDGEPEER", ",".join(others))

    def _leave(self, room: Room, participant: Participant) -> None:
        engine = self.engine
        ch = participant.channel
        if participant in room.participants:
            room.participants.remove(participant)
        if participant.kicked.is_set() and not ch.ended:
            engine.set_channel_var(ch, "CONFBRIDGE_RESULT", "KICKED")
        if not ch.ended and ch.variables.get("BRIDGEPEER"):
            engine.set_channel_var(ch, "BRIDGEPEER", "")
        self._publish("Leave", room, participant)
        if ch.bridge is room.bridge:
            engine.leave_bridge(ch)
        if room.participants:
            self._announce_peers(room)
        else:
            self._publish("End", room)
            engine.end_bridge(room.bridge)
            self.rooms.pop(room.name, None)

    def _room(self, name: str) -> Room:
        room = self.rooms.get(name)
        if room is None:
            raise UnknownConference(name)
        return room

    def _participant(self, room: Room, channel: str) -> list[Participant]:
        if channel == "all":
            return list(room.participants)
        found = [p for p in room.participants if channel in (p.channel.name, p.channel.id)]
        if not found:
            raise ChannelNotFound(channel)
        return found

    def list_rooms(self) -> list[ConferenceSnapshot]:
        """ConfbridgeListRooms data."""
        return [self.snapshot(name) for name in self.rooms]

    def snapshot(self, name: str) -> ConferenceSnapshot:
        """ConfbridgeList data for one room."""
        room = self._room(name)
        now = self.engine.now()
        users = tuple(
            ConferenceUserSnapshot(
                conference=name,
                channel=p.channel.snapshot(),
                admin=p.admin,
                marked=False,
                wait_marked=False,
                end_marked=False,
                waiting=False,
                muted=p.muted,
                talking=False,
                answered_time=int((now - p.joined) * self.engine.speed),
            )
            for p in room.participants
        )
        return ConferenceSnapshot(
            name=name,
            bridge_id=room.bridge.id,
            parties=len(room.participants),
            marked=0,
            locked=room.locked,
            muted=False,
            users=users,
        )

    def mute(self, name: str, channel: str, muted: bool) -> None:
        """ConfbridgeMute/Unmute."""
        room = self._room(name)
        for participant in self._participant(room, channel):
            participant.muted = muted
            self._publish("Mute" if muted else "Unmute", room, participant)

    def kick(self, name: str, channel: str) -> None:
        """ConfbridgeKick: the participant leaves the conference and continues in the dialplan."""
        room = self._room(name)
        for participant in self._participant(room, channel):
            participant.kicked.set()

    def lock(self, name: str, locked: bool) -> None:
        """ConfbridgeLock/Unlock: no event, as in Asterisk."""
        self._room(name).locked = locked
