"""ARI snoop channels: a supervisor's view into (and voice onto) a live call.

Asterisk names a snoop channel `Snoop/<spied channel id>-<8 hex digits>`, creates it Up, and puts it
straight into Stasis for the requested app (without the Stasis dialplan application, so it gets no
STASISSTATUS). Attaching it to a bridged channel makes the bridge re-publish its BRIDGEPEER values, and it
hangs up when the spied channel does. Audio is not simulated; the spy/whisper directions are kept so that
tests and the ARI server can tell what was asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pbxsim.engine import messages as m
from pbxsim.engine.channel import Channel
from pbxsim.engine.errors import InvalidMediaRequest
from pbxsim.engine.model import ChannelSnapshot, ChannelState

if TYPE_CHECKING:
    from pbxsim.engine.engine import Engine

SNOOP_DIRECTIONS = frozenset({"none", "both", "out", "in"})


@dataclass(frozen=True, slots=True)
class SnoopSession:
    """Who is snooped on, in which directions, and which app controls the snoop channel."""

    snoop_id: str
    spied_id: str
    spy: str
    whisper: str
    app: str
    app_args: tuple[str, ...]


class SnoopDesk:
    """Creates snoop channels and remembers their sessions until they hang up."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sequence = 0
        self._sessions: dict[str, SnoopSession] = {}

    def snoop(
        self,
        channel_id: str,
        *,
        spy: str = "none",
        whisper: str = "none",
        app: str,
        app_args: Sequence[str] = (),
        snoop_id: str | None = None,
    ) -> ChannelSnapshot:
        """Create the snoop channel (ChannelCreated, then StasisStart); returns it as it was created."""
        for label, direction in (("spy", spy), ("whisper", whisper)):
            if direction not in SNOOP_DIRECTIONS:
                raise InvalidMediaRequest(
                    f"{label} direction {direction!r} must be one of none, both, out, in"
                )
        if spy == "none" and whisper == "none":
            raise InvalidMediaRequest("a snoop needs a spy or a whisper direction other than 'none'")
        if not app:
            raise InvalidMediaRequest("a snoop channel needs the Stasis application that will control it")
        engine = self._engine
        spied = engine.live_channel(channel_id)
        self._sequence += 1
        uniqueid = snoop_id or engine.new_uniqueid()
        snoop = Channel(
            id=uniqueid,
            name=f"Snoop/{spied.id}-{self._sequence:08x}",
            state=ChannelState.UP,
            creation_time=engine.now(),
            linkedid=uniqueid,
            context="default",
            exten="s",
        )
        engine.adopt_channel(snoop)
        created = snoop.snapshot()
        args = tuple(app_args)
        self._sessions[snoop.id] = SnoopSession(snoop.id, spied.id, spy, whisper, app, args)
        snoop.on_end.append(lambda: self._forget(snoop.id))
        snoop.app_name, snoop.app_data = "Stasis", ",".join((app, *args))
        snoop.last_app, snoop.last_data = snoop.app_name, snoop.app_data
        snoop.stasis_app = app
        engine.publish(m.StasisStarted(timestamp=engine.now(), app=app, args=args, channel=snoop.snapshot()))
        spied.on_end.append(lambda: self._spied_gone(snoop))
        if spied.bridge is not None and engine.bridge_peers.applies_to(spied.bridge):
            engine.bridge_peers.announce(spied.bridge)
        return created

    def _forget(self, snoop_id: str) -> None:
        self._sessions.pop(snoop_id, None)

    def _spied_gone(self, snoop: Channel) -> None:
        if not snoop.ended:
            self._engine.hangup(snoop.id, 16)

    def session(self, snoop_id: str) -> SnoopSession | None:
        """The session of a live snoop channel."""
        return self._sessions.get(snoop_id)

    def sessions(self) -> list[SnoopSession]:
        """Every live snoop session."""
        return list(self._sessions.values())
