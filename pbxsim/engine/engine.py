"""The simulation engine: channels, Local pairs, dialplan execution, dialing, bridges and Stasis.

The AMI and ARI servers are renderers on top of it: they call its methods for actions and requests
and subscribe to its message bus for events. Everything runs on one asyncio loop; all simulated
durations are divided by `EngineConfig.speed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbxsim.engine import messages as m
from pbxsim.engine.bus import Listener, MessageBus, Subscription
from pbxsim.engine.channel import Bridge, Channel, DialAttempt
from pbxsim.engine.dialplan import Dialplan, substitute
from pbxsim.engine.errors import (
    BridgeNotFound,
    ChannelNotFound,
    ChannelNotInStasis,
    DuplicateId,
    InvalidEndpoint,
)
from pbxsim.engine.media import StoredRecording
from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    ChannelState,
    PartyId,
    PlaybackSnapshot,
    RecordingSnapshot,
    cause_text,
)
from pbxsim.engine.results import OriginateOutcome

_log = logging.getLogger(__name__)

_LOCAL = re.compile(r"^Local/(?P<exten>[^@/]+)@(?P<context>[^/]+?)(?P<opts>/[a-zA-Z]+)?$")


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the simulator runs: time acceleration, randomness, noise and configuration files."""

    speed: float = 1.0
    seed: int = 0
    noisy: bool = True
    dialplan_path: Path | None = None
    queues_path: Path | None = None
    system_name: str = "pbxsim"
    recording_dir: str = "/var/spool/asterisk/recording"
    """Asterisk's `<astspooldir>/recording`: files written here are ARI stored recordings."""
    monitor_dir: str = "/var/spool/asterisk/monitor"
    """Where MixMonitor puts a file given without a directory."""


class Hangup(Exception):
    """Raised inside a dialplan application to end the channel's dialplan (like the Hangup app)."""


class Engine:
    """The simulated Asterisk core (see CONTRACT.md for the surface other components may use)."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        from pbxsim.engine.bridge_peers import BridgePeers
        from pbxsim.engine.conference import ConferenceManager
        from pbxsim.engine.media import MediaCenter
        from pbxsim.engine.parking import ParkingLot
        from pbxsim.engine.queues import QueueManager
        from pbxsim.engine.snoop import SnoopDesk

        self.config = config or EngineConfig()
        self.speed = self.config.speed if self.config.speed > 0 else 1.0
        self.noisy = self.config.noisy
        self.bus = MessageBus()
        self.dialplan = Dialplan.load(self.config.dialplan_path)
        self.globals: dict[str, str] = dict(self.dialplan.globals)
        self.rng = random.Random(self.config.seed)
        self.started_at = time.time()
        self._channels: dict[str, Channel] = {}
        self._bridges: dict[str, Bridge] = {}
        self._uid_counter = 0
        self._local_seq = 0
        self._snoop_seq = 0
        self._apps: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._device_use: dict[str, int] = {}
        self.queues = QueueManager(self, self.config.queues_path)
        self.conferences = ConferenceManager(self)
        self.parking = ParkingLot(self)
        self.bridge_peers = BridgePeers(self)
        self.media = MediaCenter(self)
        self.snoops = SnoopDesk(self)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Mark the engine running; nothing is scheduled until calls arrive."""
        self._stopping = False

    async def stop(self) -> None:
        """Cancel every running call task; no further messages are published."""
        self._stopping = True
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._channels.clear()
        self._bridges.clear()

    def subscribe(self, listener: Listener) -> Subscription:
        """Receive every published message synchronously (see bus.py)."""
        return self.bus.subscribe(listener)

    def now(self) -> float:
        """The engine clock (wall-clock epoch seconds)."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of simulated time (seconds / speed of real time)."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a background task owned by the engine (cancelled by stop())."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("engine task failed", exc_info=task.exception())

    def publish(self, message: m.EngineMessage) -> None:
        """Publish unless the engine is stopping."""
        if not self._stopping:
            self.bus.publish(message)

    # --- lookups ----------------------------------------------------------------------------------

    def channels(self) -> list[ChannelSnapshot]:
        """Every live channel, oldest first."""
        return [c.snapshot() for c in self._channels.values()]

    def channel(self, id_or_name: str) -> ChannelSnapshot | None:
        """A live channel by uniqueid or by name."""
        ch = self._find(id_or_name)
        return ch.snapshot() if ch is not None else None

    def bridges(self) -> list[BridgeSnapshot]:
        """Every live bridge."""
        return [b.snapshot() for b in self._bridges.values()]

    def bridge(self, bridge_id: str) -> BridgeSnapshot | None:
        """A bridge by id."""
        b = self._bridges.get(bridge_id)
        return b.snapshot() if b is not None else None

    def channel_app(self, channel_id: str) -> str | None:
        """The Stasis app that controls the channel, or that an ARI originate named for it or its peer."""
        ch = self._find(channel_id)
        if ch is None:
            return None
        if ch.stasis_app:
            return ch.stasis_app
        if ch.target_app:
            return ch.target_app
        if ch.peer is not None and ch.peer.target_app:
            return ch.peer.target_app
        return None

    def _find(self, id_or_name: str) -> Channel | None:
        ch = self._channels.get(id_or_name)
        if ch is not None:
            return ch
        for candidate in self._channels.values():
            if candidate.name == id_or_name:
                return candidate
        return None

    def _get(self, id_or_name: str) -> Channel:
        ch = self._find(id_or_name)
        if ch is None:
            raise ChannelNotFound(id_or_name)
        return ch

    def live_channel(self, id_or_name: str) -> Channel:
        """The live channel object (for pbxsim's own applications and servers); raises ChannelNotFound."""
        return self._get(id_or_name)

    def find_channels(self, pattern: str) -> list[ChannelSnapshot]:
        """Channels whose name matches a regular expression (AMI Hangup `/regex/`)."""
        regex = re.compile(pattern)
        return [c.snapshot() for c in self._channels.values() if regex.search(c.name)]

    # --- variables --------------------------------------------------------------------------------

    def get_variable(self, channel_id: str | None, name: str) -> str | None:
        """A variable or dialplan function value; None when unset (AMI Getvar prints it empty)."""
        if channel_id is None:
            if "(" in name:
                return self._function(None, name)
            return self.globals.get(name)
        ch = self._get(channel_id)
        if "(" in name:
            return self._function(ch, name)
        return self._variable(ch, name)

    def set_variable(self, channel_id: str | None, name: str, value: str) -> None:
        """Set a channel variable (or global when channel_id is None); CALLERID(num|name) update caller id."""
        if channel_id is None:
            self.globals[name] = value
            self.publish(m.ChannelVarSet(timestamp=self.now(), channel=None, variable=name, value=value))
            return
        self.assign(self._get(channel_id), name, value)

    def assign(self, ch: Channel, name: str, value: str) -> None:
        """Dialplan `Set()` semantics on a live channel, including functions and `__` inheritance."""
        upper = name.upper()
        if upper.startswith("CALLERID(") or upper.startswith("CALLERID "):
            part = upper[9:].rstrip(")").strip()
            before = ch.caller
            if part in ("NUM", "NUMBER"):
                ch.caller = PartyId(value, ch.caller.name)
            elif part == "NAME":
                ch.caller = PartyId(ch.caller.number, value)
            elif part == "ALL":
                ch.caller = _parse_callerid(value)
            if ch.caller != before:  # Asterisk publishes NewCallerid only for a real change
                self.publish(m.ChannelCallerIdChanged(timestamp=self.now(), channel=ch.snapshot()))
            return
        if upper.startswith("CONNECTEDLINE("):
            part = upper[14:].rstrip(")")
            if part.startswith("NUM"):
                ch.connected = PartyId(value, ch.connected.name)
            else:
                ch.connected = PartyId(ch.connected.number, value)
            self.publish(m.ChannelConnectedLineChanged(timestamp=self.now(), channel=ch.snapshot()))
            return
        if upper.startswith(("TIMEOUT(", "CHANNEL(")):
            ch.variables[name] = value
            return
        self.set_channel_var(ch, name, value)

    def set_channel_var(self, ch: Channel, name: str, value: str) -> None:
        """Store a plain channel variable and publish its VarSet (when noisy)."""
        ch.variables[name] = value
        if self.noisy:
            self.publish(
                m.ChannelVarSet(timestamp=self.now(), channel=ch.snapshot(), variable=name, value=value)
            )

    def _variable(self, ch: Channel, name: str) -> str | None:
        special = {
            "EXTEN": ch.exten,
            "CONTEXT": ch.context,
            "PRIORITY": str(ch.priority),
            "UNIQUEID": ch.id,
            "CHANNEL": ch.name,
            "LINKEDID": ch.linkedid,
            "EPOCH": str(int(self.now())),
            "HANGUPCAUSE": str(ch.hangupcause),
            "CALLERIDNUM": ch.caller.number,
        }
        if name in special:
            return special[name]
        value = ch.lookup_variable(name)
        if value is not None:
            return value
        return self.globals.get(name)

    def _function(self, ch: Channel | None, expr: str) -> str | None:
        match = re.fullmatch(r"\s*([A-Za-z_]+)\((.*)\)\s*", expr, re.S)
        if match is None:
            return None
        func, arg = match.group(1).upper(), match.group(2)
        if func == "EXISTS":
            return "1" if arg != "" else "0"
        if func == "IF":
            cond, _, rest = arg.partition("?")
            yes, _, no = rest.partition(":")
            truthy = cond.strip() not in ("", "0")
            return yes if truthy else no
        if func == "LEN":
            return str(len(arg))
        if ch is None:
            return None
        if func == "CALLERID":
            part = arg.strip().lower()
            if part in ("num", "number"):
                return ch.caller.number
            if part == "name":
                return ch.caller.name
            if part == "all":
                return f'"{ch.caller.name}" <{ch.caller.number}>'
            return ""
        if func == "CONNECTEDLINE":
            part = arg.strip().lower()
            return ch.connected.number if part.startswith("num") else ch.connected.name
        if func == "CHANNEL":
            part = arg.strip().lower()
            values = {
                "state": ch.state.description,
                "name": ch.name,
                "uniqueid": ch.id,
                "linkedid": ch.linkedid,
                "language": ch.language,
                "accountcode": ch.accountcode,
                "channeltype": ch.name.split("/", 1)[0],
                "context": ch.context,
                "exten": ch.exten,
            }
            return values.get(part, "")
        return ch.variables.get(expr, "")

    def lookup(self, ch: Channel) -> Callable[[str], str]:
        """A `${}` resolver for dialplan substitution on this channel."""

        def resolve(body: str) -> str:
            if "(" in body and body.rstrip().endswith(")"):
                return self._function(ch, body) or ""
            name, _, rest = body.partition(":")
            value = self._variable(ch, name) or ""
            if rest:
                offset_text, _, length_text = rest.partition(":")
                try:
                    offset = int(offset_text or "0")
                    value = value[offset:]
                    if length_text:
                        value = value[: int(length_text)]
                except ValueError:
                    pass
            return value

        return resolve

    def substitute(self, ch: Channel, text: str) -> str:
        """Expand `${}` and `$[]` in `text` for this channel."""
        return substitute(text, self.lookup(ch))

    # --- channel creation -------------------------------------------------------------------------

    def _new_uniqueid(self) -> str:
        self._uid_counter += 1
        return f"{int(self.now())}.{self._uid_counter}"

    def new_uniqueid(self) -> str:
        """A fresh `<epoch>.<n>` uniqueid (for channels made outside the Local machinery, like Snoop)."""
        return self._new_uniqueid()

    def next_unreal_sequence(self) -> int:
        """Advance the sequence Asterisk shares between Local, Announcer and Recorder channel names."""
        self._local_seq += 1
        return self._local_seq

    def adopt_channel(self, ch: Channel) -> None:
        """Make a channel built elsewhere (a Snoop channel) live and findable, and publish its creation."""
        self._check_ids(ch.id)
        self._channels[ch.id] = ch
        self.publish(m.ChannelCreated(timestamp=self.now(), channel=ch.snapshot()))

    def _check_ids(self, *ids: str | None) -> None:
        for wanted in ids:
            if wanted is None:
                continue
            for existing in self._channels:
                if existing == wanted or existing.startswith(wanted):
                    raise DuplicateId(wanted)

    def parse_local(self, endpoint: str) -> tuple[str, str, str]:
        """Split `Local/<exten>@<context>[/n]` into (exten, context, options)."""
        match = _LOCAL.match(endpoint.strip())
        if match is None:
            raise InvalidEndpoint(
                f"unsupported endpoint {endpoint!r}: pbxsim has only Local channels (Local/<exten>@<context>)"
            )
        return match.group("exten"), match.group("context"), (match.group("opts") or "")[1:]

    def create_local_pair(
        self,
        exten: str,
        context: str,
        *,
        linkedid: str | None = None,
        one_id: str | None = None,
        two_id: str | None = None,
        target_app: str | None = None,
    ) -> tuple[Channel, Channel]:
        """Create both halves of a Local channel and publish their Newchannel messages.

        `target_app` (an ARI originate's `app`) is set before publication, so `channel_app()` already
        answers for both halves when their ChannelCreated is delivered."""
        self._check_ids(one_id, two_id)
        self._local_seq += 1
        base = f"Local/{exten}@{context}-{self._local_seq:08x}"
        now = self.now()
        uid1 = one_id or self._new_uniqueid()
        uid2 = two_id or self._new_uniqueid()
        one = Channel(
            id=uid1,
            name=base + ";1",
            state=ChannelState.DOWN,
            creation_time=now,
            linkedid=linkedid or uid1,
            context=context,
            exten=exten,
            half=1,
            device=f"Local/{exten}@{context}",
        )
        two = Channel(
            id=uid2,
            name=base + ";2",
            state=ChannelState.RING,
            creation_time=now,
            linkedid=linkedid or uid1,
            context=context,
            exten=exten,
            half=2,
            device=f"Local/{exten}@{context}",
        )
        one.peer, two.peer = two, one
        one.target_app = target_app
        self._channels[one.id] = one
        self._channels[two.id] = two
        self.publish(m.ChannelCreated(timestamp=now, channel=one.snapshot()))
        self.publish(m.ChannelCreated(timestamp=now, channel=two.snapshot()))
        return one, two

    def newexten(self, ch: Channel) -> None:
        """Publish the channel's current dialplan location (Newexten) when noisy."""
        if self.noisy:
            self.publish(m.ChannelDialplanEntered(timestamp=self.now(), channel=ch.snapshot()))

    def set_state(self, ch: Channel, state: ChannelState) -> None:
        """Change state and publish Newstate."""
        if ch.state == state:
            return
        ch.state = state
        if state == ChannelState.UP and ch.answer_time is None:
            ch.answer_time = self.now()
        self.publish(m.ChannelStateChanged(timestamp=self.now(), channel=ch.snapshot()))

    def set_caller(self, ch: Channel, caller: PartyId) -> None:
        """Change caller id and publish NewCallerid."""
        ch.caller = caller
        self.publish(m.ChannelCallerIdChanged(timestamp=self.now(), channel=ch.snapshot()))

    def set_connected(self, ch: Channel, connected: PartyId) -> None:
        """Change connected line and publish NewConnectedLine."""
        ch.connected = connected
        self.publish(m.ChannelConnectedLineChanged(timestamp=self.now(), channel=ch.snapshot()))

    def pair_locals(self, one: Channel, two: Channel) -> None:
        """Publish LocalBridge for a freshly created pair."""
        self.publish(
            m.LocalChannelsPaired(
                timestamp=self.now(),
                one=one.snapshot(),
                two=two.snapshot(),
                context=two.context,
                exten=two.exten,
            )
        )

    def device_state(self, device: str, state: str) -> None:
        """Publish a DeviceStateChange."""
        self.publish(m.DeviceStateChanged(timestamp=self.now(), device=device, state=state))

    # --- dialplan execution -----------------------------------------------------------------------

    def start_pbx(
        self, ch: Channel, *, stasis: tuple[str, tuple[str, ...]] | None = None
    ) -> asyncio.Task[None]:
        """Start the channel's dialplan (optionally entering Stasis first, for ARI originates)."""
        task = self.spawn(self._run_pbx(ch, stasis))
        ch.runner = task
        return task

    async def _run_pbx(self, ch: Channel, stasis: tuple[str, tuple[str, ...]] | None) -> None:
        from pbxsim.engine.apps import run_stasis

        ch.in_pbx = True
        try:
            if stasis is not None:
                # Asterisk runs an ARI originate's channel in the Stasis application itself.
                ch.app_name, ch.app_data = "Stasis", ",".join((stasis[0], *stasis[1]))
                try:
                    await run_stasis(self, ch, stasis[0], stasis[1])
                except asyncio.CancelledError:
                    if self._stopping or not self._resume_after_interrupt(ch):
                        ch.soft_hangup_published = True  # ARI app channels run no PBX: no SoftHangupRequest
                        return
            while True:
                try:
                    await self._execute(ch)
                    return
                except asyncio.CancelledError:
                    if self._stopping or not self._resume_after_interrupt(ch):
                        return
                except Hangup:
                    return
        finally:
            ch.in_pbx = False
            ch.runner = None
            if not ch.ended and not self._stopping:
                if not ch.soft_hangup_published:
                    self.soft_hangup(ch)
                self.finish(ch)

    def announce_redirect(self, ch: Channel) -> None:
        """A Redirect pulls the channel out of its application: Asterisk publishes the new location at
        once (Newexten still naming the old application) and none for that first priority later."""
        if ch.redirect_to is None:
            return
        ch.context, ch.exten, ch.priority = ch.redirect_to
        self.newexten(ch)
        ch.redirect_announced = True

    def _resume_after_interrupt(self, ch: Channel) -> bool:
        """After a cancel: True (and location set) if the channel was redirected, False if hung up."""
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        if ch.redirect_to is not None and not ch.hangup_requested:
            ch.context, ch.exten, ch.priority = ch.redirect_to
            ch.redirect_to = None
            return True
        return False

    async def _execute(self, ch: Channel) -> None:
        from pbxsim.engine.apps import APPLICATIONS

        while True:
            found = self.dialplan.find(ch.context, ch.exten)
            if found is None:
                _log.info("%s: no extension %s@%s, hanging up", ch.name, ch.exten, ch.context)
                return
            priorities = found[1]
            if ch.priority < 1 or ch.priority > len(priorities):
                return
            line = priorities[ch.priority - 1]
            data = self.substitute(ch, line.data)
            ch.app_name, ch.app_data = line.app, data
            ch.last_app, ch.last_data = line.app, data
            if ch.redirect_announced:  # announce_redirect already published this location
                ch.redirect_announced = False
            else:
                self.newexten(ch)
            app = APPLICATIONS.get(line.app.lower())
            if app is None:
                _log.warning("%s: application %s is not simulated; skipping", ch.name, line.app)
                ch.priority += 1
                continue
            jumped = await app(self, ch, data)
            if not jumped:
                ch.priority += 1

    def goto(self, ch: Channel, context: str | None, exten: str | None, priority: int) -> None:
        """Move the channel's dialplan pointer (the caller must not then increment the priority)."""
        if context:
            ch.context = context
        if exten:
            ch.exten = exten
        ch.priority = priority

    # --- hangup -------------------------------------------------------------------------------

    def soft_hangup(self, ch: Channel) -> None:
        """Publish the SoftHangupRequest Asterisk emits when a channel's dialplan is told to stop."""
        ch.soft_hangup_published = True
        ch.hangup_requested = True
        self.publish(
            m.ChannelHangupRequested(timestamp=self.now(), channel=ch.snapshot(), cause=16, soft=True)
        )

    def hangup(self, channel_id: str, cause: int | None = None, *, soft_request: bool = False) -> None:
        """Hang a channel up (AMI Hangup / ARI DELETE); `cause` None keeps the channel's own cause.

        `soft_request` is ARI's DELETE: Asterisk first publishes a hangup request with the soft-hangup flag
        value 32 (not a Q.850 cause, INDEX 25); a Stasis channel then leaves its bridge and its app
        (StasisEnd) before it is destroyed with `cause`."""
        ch = self._get(channel_id)
        if cause is not None and cause > 0:
            ch.hangupcause = cause
        if soft_request and not ch.ended and not ch.hangup_requested:
            self.publish(
                m.ChannelHangupRequested(timestamp=self.now(), channel=ch.snapshot(), cause=32, soft=True)
            )
            if ch.stasis_app is not None:
                if ch.bridge is not None:
                    self.leave_bridge(ch)
                self.leave_stasis(ch)
                if ch.target_app is not None or ch.runner is None:
                    # No dialplan runs after an ARI-originated (or snoop) channel's Stasis: no second request.
                    ch.soft_hangup_published = True
        ch.hangup_requested = True
        self.interrupt(ch)

    def leave_stasis(self, ch: Channel) -> None:
        """The app lets go of the channel: StasisEnd, then the Stasis application's `STASISSTATUS=SUCCESS`."""
        if ch.stasis_app is None:
            return
        app = ch.stasis_app
        ch.stasis_app = None
        self.publish(m.StasisEnded(timestamp=self.now(), app=app, channel=ch.snapshot()))
        if not ch.name.startswith("Snoop/"):  # snoop channels enter Stasis without the Stasis application
            self.set_channel_var(ch, "STASISSTATUS", "SUCCESS")

    def interrupt(self, ch: Channel) -> None:
        """Wake whatever holds the channel so that it notices a hangup or a redirect."""
        if ch.ended:
            return
        ch.interrupted.set()
        if ch.runner is not None and not ch.runner.done():
            ch.runner.cancel()
            return
        if ch.dial_attempt is not None and not ch.dial_attempt.outcome.done():
            ch.dial_attempt.resolve("NOANSWER")
            return
        if ch.owner_wakeup is not None:
            ch.owner_wakeup.set()
            return
        if ch.hangup_requested:
            self.finish(ch)

    def finish(self, ch: Channel) -> None:
        """End a channel: propagate to its Local peer, leave its bridge, publish Hangup and Cdr."""
        if ch.ended:
            return
        ch.ended = True
        ch.hangup_requested = True
        peer = ch.peer
        propagate = (
            peer is not None and not peer.ended and not (peer.hangup_requested and peer.soft_hangup_published)
        )
        if peer is not None and propagate:
            if peer.hangupcause == 0:
                peer.hangupcause = ch.hangupcause
            if not peer.hangup_requested:
                peer.hangup_requested = True
                self.publish(
                    m.ChannelHangupRequested(
                        timestamp=self.now(), channel=peer.snapshot(), cause=ch.hangupcause, soft=False
                    )
                )
        if ch.bridge is not None:
            self.leave_bridge(ch)
        for callback in ch.on_end:
            callback()
        ch.on_end.clear()
        self.leave_stasis(ch)
        self.publish(
            m.ChannelEnded(
                timestamp=self.now(),
                channel=ch.snapshot(),
                cause=ch.hangupcause,
                cause_txt=cause_text(ch.hangupcause),
            )
        )
        if not ch.is_dial_peer:
            for cdr in self._cdrs(ch):
                self.publish(m.CdrPosted(timestamp=self.now(), fields=cdr))
        self._channels.pop(ch.id, None)
        self.queues.channel_gone(ch)
        if ch.half == 1 and ch.device:
            self.queues.device_idle(ch.device)
        if ch.half == 2 or (ch.half == 1 and ch.peer is not None and ch.peer.ended):
            self.device_state(ch.device, "NOT_INUSE")
        if peer is not None and propagate:
            self.interrupt(peer)

    def _cdrs(self, ch: Channel) -> list[tuple[tuple[str, str], ...]]:
        end = self.now()
        records = []
        for segment in ch.cdr_segments:
            records.append(self._cdr(ch, end, segment))
        records.append(self._cdr(ch, end, {}))
        return records

    def _cdr(self, ch: Channel, end: float, segment: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        start = float(segment.get("start", ch.creation_time))
        answered = segment.get("answer")
        answer = float(answered) if answered else ch.answer_time
        fmt = "%Y-%m-%d %H:%M:%S"
        seg_end = float(segment.get("end", end))
        caller = f'"{ch.caller.name}" <{ch.caller.number}>'
        return (
            ("AccountCode", ch.accountcode),
            ("Source", ch.caller.number),
            ("Destination", ch.exten),
            ("DestinationContext", ch.context),
            ("CallerID", caller),
            ("Channel", ch.name),
            ("DestinationChannel", segment.get("dest", "")),
            ("LastApplication", segment.get("app", ch.last_app)),
            ("LastData", segment.get("data", ch.last_data)),
            ("StartTime", time.strftime(fmt, time.gmtime(start))),
            ("AnswerTime", time.strftime(fmt, time.gmtime(answer)) if answer else ""),
            ("EndTime", time.strftime(fmt, time.gmtime(seg_end))),
            ("Duration", str(int(seg_end - start))),
            ("BillableSeconds", str(int(seg_end - answer)) if answer else "0"),
            ("Disposition", "ANSWERED" if answer else ("BUSY" if ch.hangupcause == 17 else "NO ANSWER")),
            ("AMAFlags", "DOCUMENTATION"),
            ("UniqueID", ch.id),
            ("UserField", ""),
        )

    # --- Local channel indications (from ;2 towards ;1) -------------------------------------------

    def indicate_ringing(self, ch: Channel) -> None:
        """Ringing() on a `;2`: the `;1` side shows Ringing and its dialer gets DialState RINGING."""
        peer = ch.peer if ch.half == 2 else None
        if peer is None or peer.ended:
            return
        if peer.state not in (ChannelState.RINGING, ChannelState.UP):
            self.set_state(peer, ChannelState.RINGING)
        attempt = peer.dial_attempt
        if attempt is not None and not attempt.rang:
            attempt.rang = True
            if attempt.on_ringing is not None:
                attempt.on_ringing()
            self.publish(
                m.DialStateChanged(
                    timestamp=self.now(),
                    caller=attempt.caller.snapshot() if attempt.caller else None,
                    peer=peer.snapshot(),
                    dialstatus="RINGING",
                )
            )
        self._device_in_use(ch)

    def _device_in_use(self, ch: Channel) -> None:
        if ch.device and self._device_use.get(ch.id) is None:
            self._device_use[ch.id] = 1
            self.device_state(ch.device, "INUSE")
            self.queues.device_in_use(ch.device)

    def answer_channel(self, ch: Channel) -> None:
        """Answer(): Up on this channel and, for a `;2`, on its `;1` (which settles the dial attempt)."""
        if ch.state != ChannelState.UP:
            self.set_state(ch, ChannelState.UP)
        peer = ch.peer if ch.half == 2 else None
        if peer is not None and not peer.ended and peer.state != ChannelState.UP:
            self.set_state(peer, ChannelState.UP)
            attempt = peer.dial_attempt
            if attempt is not None:
                attempt.resolve("ANSWER")
                if attempt.on_answer is not None:  # e.g. app_queue cancels the ring-all losers at once
                    attempt.on_answer()
        self._device_in_use(ch)

    def indicate_busy(self, ch: Channel, congestion: bool) -> None:
        """Busy()/Congestion() on a `;2`: the dial attempt of its `;1` ends BUSY or CONGESTION."""
        ch.hangupcause = 34 if congestion else 17
        self.set_state(ch, ChannelState.BUSY)
        peer = ch.peer if ch.half == 2 else None
        if peer is not None and peer.dial_attempt is not None:
            peer.dial_attempt.resolve("CONGESTION" if congestion else "BUSY")
        self._device_in_use(ch)

    # --- dialing ----------------------------------------------------------------------------------

    async def dial_local(self, caller: Channel | None, one: Channel, dialstring: str, timeout: float) -> str:
        """Ring a prepared Local `;1`: publish DialBegin, start `;2`'s dialplan, wait for the outcome.

        Returns ANSWER, BUSY, CONGESTION, NOANSWER (the far end hung up) or TIMEOUT; on cancellation
        (the caller hung up) publishes DialEnd CANCEL, hangs `;1` up and re-raises."""
        return await self.await_dial(self.begin_dial(caller, one, dialstring), timeout)

    def begin_dial(self, caller: Channel | None, one: Channel, dialstring: str) -> DialAttempt:
        """Publish DialBegin and start `;2`'s dialplan now (app_queue rings members one after the other)."""
        loop = asyncio.get_running_loop()
        attempt = DialAttempt(caller, one, dialstring, loop.create_future())
        one.dial_attempt = attempt
        self.publish(
            m.DialBegun(
                timestamp=self.now(),
                caller=caller.snapshot() if caller else None,
                peer=one.snapshot(),
                dialstring=dialstring,
            )
        )
        assert one.peer is not None
        self.start_pbx(one.peer)
        return attempt

    async def await_dial(self, attempt: DialAttempt, timeout: float) -> str:
        """Wait for a dial begun by `begin_dial` (see `dial_local` for the outcomes)."""
        caller, one = attempt.caller, attempt.peer
        try:
            if timeout > 0:
                status = await asyncio.wait_for(asyncio.shield(attempt.outcome), timeout / self.speed)
            else:
                status = await asyncio.shield(attempt.outcome)
        except TimeoutError:
            status = "TIMEOUT"
        except asyncio.CancelledError:
            if one.dial_attempt is attempt:  # not already settled (and reported) by the dialing app
                one.dial_attempt = None
                self.dial_end(caller, one, "CANCEL")
            self.finish(one)
            raise
        one.dial_attempt = None
        return status

    def dial_end(self, caller: Channel | None, peer: Channel, status: str) -> None:
        """Publish DialEnd."""
        self.publish(
            m.DialEnded(
                timestamp=self.now(),
                caller=caller.snapshot() if caller else None,
                peer=peer.snapshot(),
                dialstatus=status,
            )
        )

    def prepare_local(
        self,
        endpoint: str,
        *,
        inherit_from: Channel | None = None,
        variables: Sequence[tuple[str, str]] = (),
        caller_id: PartyId | None = None,
        app_label: str = "AppDial2",
        one_id: str | None = None,
        two_id: str | None = None,
        extra_one_vars: Sequence[tuple[str, str]] = (),
        one_caller: PartyId | None = None,
        two_ids: tuple[PartyId, PartyId] | None = None,
        target_app: str | None = None,
    ) -> tuple[Channel, Channel]:
        """Create a Local pair ready to dial, with the variable and caller-id noise Asterisk produces."""
        exten, context, _opts = self.parse_local(endpoint)
        linkedid = inherit_from.linkedid if inherit_from is not None else None
        one, two = self.create_local_pair(
            exten, context, linkedid=linkedid, one_id=one_id, two_id=two_id, target_app=target_app
        )
        one.app_name, one.app_data = app_label, "(Outgoing Line)"
        self.newexten(one)
        if one_caller is not None:
            self.set_caller(one, one_caller)
        inherited: list[tuple[str, str]] = []
        if inherit_from is not None:
            for key, value in inherit_from.variables.items():
                if key.startswith("__"):
                    inherited.append((key, value))
                elif key.startswith("_"):
                    inherited.append((key[1:], value))
        one_vars = [*inherited, *reversed(list(variables)), *extra_one_vars]
        for key, value in one_vars:
            self.set_channel_var(one, key, value)
        if caller_id is not None and (caller_id.number or caller_id.name):
            self.set_caller(one, caller_id)
            self.set_connected(one, caller_id)
        two_vars = [*extra_one_vars, *reversed(inherited), *variables] if inherit_from else list(variables)
        for key, value in two_vars:
            self.set_channel_var(two, key, value)
        if caller_id is not None and (caller_id.number or caller_id.name):
            self.set_caller(two, caller_id)
            self.set_connected(two, caller_id)
        if two_ids is not None:
            two.caller = two_ids[0]
            self.set_caller(two, two_ids[0])
            self.set_connected(two, two_ids[1])
        self.pair_locals(one, two)
        return one, two

    async def originate(
        self,
        endpoint: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str = "",
        app: str | None = None,
        app_args: Sequence[str] = (),
        timeout: float = 30.0,
        caller_id: PartyId | None = None,
        variables: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        on_created: Callable[[ChannelSnapshot], None] | None = None,
    ) -> OriginateOutcome:
        """Create a Local pair, ring it, and on answer run the target; see CONTRACT.md.

        `timeout` is in simulated seconds. Raises InvalidEndpoint or DuplicateId before creating anything.
        """
        pairs = list(variables.items()) if isinstance(variables, Mapping) else list(variables or ())
        one, _two = self.prepare_local(
            endpoint,
            variables=pairs,
            caller_id=caller_id,
            one_id=channel_id,
            two_id=other_channel_id,
            target_app=app,
        )
        if on_created is not None:
            on_created(one.snapshot())
        try:
            status = await self.dial_local(None, one, endpoint.removeprefix("Local/"), timeout)
        except asyncio.CancelledError:
            raise
        if status == "ANSWER":
            self.dial_end(None, one, "ANSWER")
            outcome = OriginateOutcome(4, one.snapshot())
            if app is not None:
                self.start_pbx(one, stasis=(app, tuple(app_args)))
            elif application:
                one.runner = self.spawn(self._run_application(one, application, data))
            else:
                one.context = context or "default"
                one.exten = exten or "s"
                one.priority = priority
                self.start_pbx(one)
            return outcome
        if status == "TIMEOUT":
            if one.hangupcause == 0:
                one.hangupcause = 19
            self.finish(one)
            return OriginateOutcome(3, None, 19)
        reason = {"BUSY": 5, "CONGESTION": 8}.get(status, 0)
        if status in ("BUSY", "CONGESTION"):
            self.dial_end(None, one, status)
        else:
            self.dial_end(None, one, "NOANSWER")
        cause = one.hangupcause
        self.finish(one)
        return OriginateOutcome(reason, None, cause)

    async def _run_application(self, ch: Channel, application: str, data: str) -> None:
        from pbxsim.engine.apps import APPLICATIONS

        try:
            app = APPLICATIONS.get(application.lower())
            ch.app_name, ch.app_data = application, data
            ch.last_app, ch.last_data = application, data
            if app is not None:
                with contextlib.suppress(Hangup):
                    await app(self, ch, data)
        except asyncio.CancelledError:
            pass
        finally:
            ch.runner = None
            if not ch.ended and not self._stopping:
                self.finish(ch)

    def create_channel(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: Sequence[str] = (),
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> ChannelSnapshot:
        """ARI /channels/create: a Local pair that is not dialed yet; `dial()` rings it."""
        one, _two = self.prepare_local(
            endpoint,
            variables=list((variables or {}).items()),
            one_id=channel_id,
            two_id=other_channel_id,
            target_app=app,
        )
        one.stasis_args = tuple(app_args)
        return one.snapshot()

    async def dial(self, channel_id: str, *, caller_id: str | None = None, timeout: float = 30.0) -> None:
        """ARI /channels/{id}/dial for a channel from create_channel: ring it; on answer it joins Stasis."""
        one = self._get(channel_id)
        if one.peer is None:
            raise InvalidEndpoint(f"channel {channel_id!r} cannot be dialed")
        status = await self.dial_local(None, one, f"{one.exten}@{one.context}", timeout)
        if status == "ANSWER":
            self.dial_end(None, one, "ANSWER")
            if one.target_app:
                self.start_pbx(one, stasis=(one.target_app, one.stasis_args))
            return
        if status == "TIMEOUT":
            one.hangupcause = one.hangupcause or 19
        else:
            self.dial_end(None, one, status if status in ("BUSY", "CONGESTION") else "NOANSWER")
        self.finish(one)

    # --- call control -------------------------------------------------------------------------------

    def answer(self, channel_id: str) -> None:
        """Answer a channel (ARI answer)."""
        self.answer_channel(self._get(channel_id))

    def ring(self, channel_id: str) -> None:
        """Indicate ringing on a channel (ARI POST ring)."""
        ch = self._get(channel_id)
        self.indicate_ringing(ch)

    def ring_stop(self, channel_id: str) -> None:
        """Stop ringing indication (ARI DELETE ring); nothing is published, as on a Local channel."""
        self._get(channel_id)

    def redirect(self, channel_id: str, context: str, exten: str, priority: int = 1) -> None:
        """AMI Redirect: move the channel (out of whatever it runs) to context/exten/priority."""
        ch = self._get(channel_id)
        ch.redirect_to = (context, exten, priority)
        if ch.runner is not None and not ch.runner.done():
            ch.runner.cancel()
        else:
            if self.parking.is_parked(ch):
                self.parking.redirected(ch)
            elif ch.bridge is not None:  # a Dial callee: Newexten of the new place first, then BridgeLeave
                self.announce_redirect(ch)
            if ch.bridge is not None:
                self.leave_bridge(ch)
            ch.context, ch.exten, ch.priority = ch.redirect_to
            ch.redirect_to = None
            if ch.owner_wakeup is not None:
                ch.owner_wakeup.set()
            self.start_pbx(ch)

    def continue_in_dialplan(
        self,
        channel_id: str,
        context: str | None = None,
        exten: str | None = None,
        priority: int | None = None,
    ) -> None:
        """Leave Stasis and resume the dialplan (next priority, or the given location)."""
        ch = self._get(channel_id)
        if ch.stasis_app is None:
            raise ChannelNotInStasis(channel_id)
        if context or exten or priority:
            ch.redirect_to = (context or ch.context, exten or ch.exten, priority or 1)
        ch.stasis_released.set()

    def move_to_application(self, channel_id: str, app: str, args: Sequence[str] = ()) -> bool:
        """Move a Stasis channel to another app; False (and ApplicationMoveFailed) if it isn't registered."""
        ch = self._get(channel_id)
        if ch.stasis_app is None:
            raise ChannelNotInStasis(channel_id)
        if app not in self._apps:
            self.publish(
                m.ApplicationMoveFailed(
                    timestamp=self.now(),
                    app=ch.stasis_app,
                    destination=app,
                    args=tuple(args),
                    channel=ch.snapshot(),
                )
            )
            return False
        old = ch.stasis_app
        self.publish(m.StasisEnded(timestamp=self.now(), app=old, channel=ch.snapshot()))
        ch.stasis_app = app
        self.publish(m.StasisStarted(timestamp=self.now(), app=app, args=tuple(args), channel=ch.snapshot()))
        return True

    # --- Stasis -------------------------------------------------------------------------------------

    def register_application(self, app: str) -> None:
        """Make `Stasis(app)` succeed (the ARI server calls this when a WebSocket subscribes)."""
        self._apps.add(app)

    def unregister_application(self, app: str) -> None:
        """Forget an application."""
        self._apps.discard(app)

    def applications(self) -> list[str]:
        """Registered Stasis applications."""
        return sorted(self._apps)

    def is_registered(self, app: str) -> bool:
        """Whether a Stasis application is registered."""
        return app in self._apps

    # --- bridges ------------------------------------------------------------------------------------

    def new_bridge(
        self,
        *,
        bridge_type: str = "basic",
        technology: str = "simple_bridge",
        bridge_class: str = "basic",
        creator: str = "<unknown>",
        name: str = "<unknown>",
        bridge_id: str | None = None,
    ) -> Bridge:
        """Create a bridge object and publish BridgeCreate."""
        if bridge_id is not None and bridge_id in self._bridges:
            raise DuplicateId(bridge_id)
        bridge = Bridge(
            id=bridge_id or str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            technology=technology,
            bridge_type=bridge_type,
            bridge_class=bridge_class,
            creator=creator,
            name=name,
            creation_time=self.now(),
        )
        self._bridges[bridge.id] = bridge
        self.publish(m.BridgeCreated(timestamp=self.now(), bridge=bridge.snapshot()))
        return bridge

    def enter_bridge(self, bridge: Bridge, ch: Channel) -> None:
        """Put a channel into a bridge (BridgeEnter)."""
        if ch.bridge is not None:
            self.leave_bridge(ch)
        ch.bridge = bridge
        bridge.channels.append(ch)
        self.publish(
            m.ChannelEnteredBridge(timestamp=self.now(), bridge=bridge.snapshot(), channel=ch.snapshot())
        )
        bridge.changed.set()

    def leave_bridge(self, ch: Channel) -> None:
        """Take a channel out of its bridge (BridgeLeave)."""
        bridge = ch.bridge
        if bridge is None:
            return
        self.bridge_peers.leaving(bridge, ch)
        if ch in bridge.channels:
            bridge.channels.remove(ch)
        ch.bridge = None
        self.publish(
            m.ChannelLeftBridge(timestamp=self.now(), bridge=bridge.snapshot(), channel=ch.snapshot())
        )
        bridge.changed.set()
        self.bridge_peers.left(bridge)

    def end_bridge(self, bridge: Bridge) -> None:
        """Destroy a bridge, removing whoever is left (BridgeLeave…, BridgeDestroy)."""
        if bridge.id not in self._bridges:
            return
        self.bridge_peers.dissolve(bridge)
        self.media.bridge_gone(bridge)
        for ch in list(bridge.channels):
            self.leave_bridge(ch)
        del self._bridges[bridge.id]
        self.publish(m.BridgeDestroyed(timestamp=self.now(), bridge=bridge.snapshot()))
        bridge.changed.set()

    def live_bridge(self, bridge_id: str) -> Bridge:
        """The live bridge object; raises BridgeNotFound."""
        bridge = self._bridges.get(bridge_id)
        if bridge is None:
            raise BridgeNotFound(bridge_id)
        return bridge

    def create_bridge(
        self, bridge_type: str = "mixing", name: str = "", bridge_id: str | None = None
    ) -> BridgeSnapshot:
        """ARI bridge creation: `bridge_type` like `mixing`, `holding` or `mixing,dtmf_events`."""
        kinds = [k.strip() for k in bridge_type.split(",") if k.strip()] or ["mixing"]
        holding = "holding" in kinds
        bridge = self.new_bridge(
            bridge_type="holding" if holding else "mixing",
            technology="holding_bridge" if holding else "simple_bridge",
            bridge_class="stasis",
            creator="Stasis",
            name=name,
            bridge_id=bridge_id,
        )
        return bridge.snapshot()

    def destroy_bridge(self, bridge_id: str) -> None:
        """ARI DELETE bridge."""
        self.end_bridge(self.live_bridge(bridge_id))

    def add_to_bridge(self, bridge_id: str, channel_id: str) -> None:
        """ARI addChannel."""
        bridge = self.live_bridge(bridge_id)
        ch = self._get(channel_id)
        if ch.moh_class is not None:
            self.moh_stop(channel_id)
        self.enter_bridge(bridge, ch)
        if bridge.technology == "simple_bridge" and len(bridge.channels) > 2:
            bridge.technology = "softmix"
        self.bridge_peers.joined(bridge, ch)

    def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        """ARI removeChannel."""
        bridge = self.live_bridge(bridge_id)
        ch = self._get(channel_id)
        if ch.bridge is not bridge:
            raise ChannelNotFound(channel_id)
        self.leave_bridge(ch)

    def bridge_moh_start(self, bridge_id: str, moh_class: str = "default") -> None:
        """Play music on hold into a bridge (Announcer channel never shows in AMI, only in BRIDGEPEER)."""
        bridge = self.live_bridge(bridge_id)
        bridge.moh_class = moh_class
        self.bridge_peers.start_announcer(bridge)

    def bridge_moh_stop(self, bridge_id: str) -> None:
        """Stop a bridge's music on hold."""
        bridge = self.live_bridge(bridge_id)
        bridge.moh_class = None
        self.bridge_peers.stop_announcer(bridge)

    # --- media ----------------------------------------------------------------------------------------

    def moh_start(self, channel_id: str, moh_class: str = "default") -> None:
        """Start music on hold on a channel (MusicOnHoldStart)."""
        self.start_moh(self._get(channel_id), moh_class)

    def moh_stop(self, channel_id: str) -> None:
        """Stop music on hold on a channel (MusicOnHoldStop)."""
        self.stop_moh(self._get(channel_id))

    def start_moh(self, ch: Channel, moh_class: str = "default") -> None:
        """MusicOnHoldStart on a live channel."""
        if ch.moh_class is not None:
            return
        ch.moh_class = moh_class
        self.publish(m.MusicOnHoldStarted(timestamp=self.now(), channel=ch.snapshot(), moh_class=moh_class))

    def stop_moh(self, ch: Channel) -> None:
        """MusicOnHoldStop on a live channel."""
        if ch.moh_class is None:
            return
        ch.moh_class = None
        self.publish(m.MusicOnHoldStopped(timestamp=self.now(), channel=ch.snapshot()))

    def hold(self, channel_id: str) -> None:
        """ARI hold: on a Local channel Asterisk only plays MOH (no Hold event)."""
        self.moh_start(channel_id)

    def unhold(self, channel_id: str) -> None:
        """ARI unhold: stops the MOH started by hold()."""
        self.moh_stop(channel_id)

    # ARI playbacks, recordings, silence and snoop live in media.py and snoop.py; these are their doors.

    def play(
        self,
        target_uri: str,
        media: str | Sequence[str],
        playback_id: str | None = None,
        language: str = "en",
    ) -> PlaybackSnapshot:
        """Queue media on `channel:<id>` or `bridge:<id>` (PlaybackStarted at once unless queued)."""
        return self.media.play(target_uri, media, playback_id=playback_id, language=language)

    def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (PlaybackFinished `done`); raises PlaybackNotFound."""
        self.media.stop_playback(playback_id)

    def record(
        self,
        target_uri: str,
        name: str,
        format: str = "wav",
        max_duration: float = 0,
        max_silence: float = 0,
        beep: bool = False,
        terminate_on: str = "none",
        if_exists: str = "fail",
    ) -> RecordingSnapshot:
        """Record a channel or bridge (RecordingStarted before this returns); see media.py."""
        return self.media.record(
            target_uri,
            name,
            format=format,
            max_duration=max_duration,
            max_silence=max_silence,
            beep=beep,
            terminate_on=terminate_on,
            if_exists=if_exists,
        )

    def stop_recording(self, name: str, cancel: bool = False) -> None:
        """Stop (keep) or cancel (discard) a live recording; RecordingFinished is `done` either way."""
        self.media.stop_recording(name, cancel=cancel)

    def pause_recording(self, name: str, paused: bool) -> None:
        """Pause or resume a live recording."""
        self.media.pause_recording(name, paused)

    def mute_recording(self, name: str, muted: bool) -> None:
        """Mute or unmute a live recording."""
        self.media.mute_recording(name, muted)

    def playback(self, playback_id: str) -> PlaybackSnapshot | None:
        """A queued or playing playback, or None once it finished."""
        return self.media.playback(playback_id)

    def playbacks(self) -> list[PlaybackSnapshot]:
        """Every queued or playing playback."""
        return self.media.playbacks()

    def live_recording(self, name: str) -> RecordingSnapshot | None:
        """A recording in progress (`recording` or `paused`), or None."""
        return self.media.live_recording(name)

    def live_recordings(self) -> list[RecordingSnapshot]:
        """Every recording in progress."""
        return self.media.live_recordings()

    def stored_recordings(self) -> list[StoredRecording]:
        """Finished recordings on disk, by name."""
        return self.media.stored_recordings()

    def stored_recording(self, name: str) -> StoredRecording | None:
        """One stored recording, or None."""
        return self.media.stored_recording(name)

    def copy_stored_recording(self, name: str, destination: str) -> StoredRecording:
        """Copy a stored recording; raises RecordingNotFound or RecordingExists."""
        return self.media.copy_stored_recording(name, destination)

    def delete_stored_recording(self, name: str) -> None:
        """Delete a stored recording; raises RecordingNotFound."""
        self.media.delete_stored_recording(name)

    def silence_start(self, channel_id: str) -> None:
        """Play silence to a channel (nothing is published)."""
        self.media.silence_start(channel_id)

    def silence_stop(self, channel_id: str) -> None:
        """Stop playing silence to a channel."""
        self.media.silence_stop(channel_id)

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
        """Create `Snoop/<spied id>-0000000n` in Stasis for `app`; returns it as created (see snoop.py)."""
        return self.snoops.snoop(
            channel_id, spy=spy, whisper=whisper, app=app, app_args=app_args, snoop_id=snoop_id
        )

    async def send_dtmf(
        self,
        channel_id: str,
        digits: str,
        *,
        before_ms: int = 0,
        between_ms: int = 100,
        duration_ms: int = 100,
        after_ms: int = 0,
    ) -> None:
        """Send DTMF out of a channel: a digit sent from a Local `;2` is received on its `;1`."""
        ch = self._get(channel_id)
        await self.play_dtmf(ch, digits, before_ms=before_ms, between_ms=between_ms, duration_ms=duration_ms)
        if after_ms:
            await self.sleep(after_ms / 1000)

    async def play_dtmf(
        self,
        ch: Channel,
        digits: str,
        *,
        before_ms: int = 0,
        between_ms: int = 100,
        duration_ms: int = 100,
        emit_begin: bool = True,
    ) -> None:
        """Play digits from `ch`; the receiving side (its Local peer, else itself) gets DTMF events."""
        # A digit sent out of one Local half is received on the other (INDEX 8, REQUESTS item 6).
        target = ch.peer if ch.peer is not None and not ch.peer.ended else ch
        if before_ms:
            await self.sleep(before_ms / 1000)
        for index, digit in enumerate(digits):
            if index and between_ms:
                await self.sleep(between_ms / 1000)
            if target.ended:
                return
            if emit_begin:
                self.publish(
                    m.DtmfBegun(
                        timestamp=self.now(), channel=target.snapshot(), digit=digit, direction="Received"
                    )
                )
            await self.sleep(duration_ms / 1000)
            if target.ended:
                return
            self.receive_dtmf(target, digit, duration_ms)

    def mute_audio(self, channel_id: str, direction: str, muted: bool) -> None:
        """AMI MuteAudio: `direction` in/out/all muted or not (no event; the state is kept on the channel)."""
        ch = self.live_channel(channel_id)
        for stream in ("in", "out") if direction == "all" else (direction,):
            if muted:
                ch.muted.add(stream)
            else:
                ch.muted.discard(stream)

    def receive_dtmf(self, ch: Channel, digit: str, duration_ms: int) -> None:
        """A digit arrives on `ch` (DTMFEnd Received) and is buffered for Read/WaitExten."""
        self.publish(
            m.DtmfEnded(
                timestamp=self.now(),
                channel=ch.snapshot(),
                digit=digit,
                duration_ms=duration_ms,
                direction="Received",
            )
        )
        ch.dtmf_buffer.put_nowait(digit)

    def user_event(
        self, name: str, headers: Sequence[tuple[str, str]] = (), channel_id: str | None = None
    ) -> None:
        """Raise a UserEvent (AMI action or dialplan)."""
        ch = self._get(channel_id) if channel_id else None
        self.publish(
            m.UserEventRaised(
                timestamp=self.now(), name=name, channel=ch.snapshot() if ch else None, headers=tuple(headers)
            )
        )


def _parse_callerid(text: str) -> PartyId:
    """Parse `"Name" <number>` / `Name <number>` / `number` into a PartyId."""
    match = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*', text)
    if match:
        return PartyId(match.group(2).strip(), match.group(1).strip())
    text = text.strip()
    if text.replace("+", "").isdigit():
        return PartyId(text, "")
    return PartyId("", text)


def parse_callerid(text: str) -> PartyId:
    """Public form of the caller-id parser for AMI Originate's `CallerID` header."""
    return _parse_callerid(text)
