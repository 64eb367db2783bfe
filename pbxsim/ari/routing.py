"""Which ARI application sees which engine message, as Asterisk's per-application subscriptions decide.

Pure bookkeeping, no I/O: `EventRouter.route(message)` returns the ARI events to deliver and to whom.
Rules reproduced from Asterisk 22 recordings:
* An app watches a channel from StasisStart until StasisEnd, so a channel that entered Stasis from the
  dialplan (or a snoop channel) gets no ChannelDestroyed.
* A channel originated with `app=` is watched until it is destroyed: `;2` from its creation, `;1` from
  its first Dial event (its creation-time VarSet/CallerId/Newexten are not sent, as in Asterisk).
* An app watches a bridge once one of its channels enters it, until the bridge is destroyed.
* ChannelCreated and BridgeCreated reach only `subscribeAll` applications.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pbxsim.ari import events as ari
from pbxsim.ari.events import AriEvent
from pbxsim.engine import messages as m
from pbxsim.engine.model import ChannelSnapshot


@dataclass(slots=True)
class _AppWatch:
    """What one application watches: channels (and whether it holds them until destruction) and bridges."""

    channels_until_stasis_end: set[str] = field(default_factory=set)
    channels_until_destroyed: set[str] = field(default_factory=set)
    bridges: set[str] = field(default_factory=set)
    subscribe_all: bool = False

    def watches_channel(self, channel_id: str) -> bool:
        return channel_id in self.channels_until_destroyed or channel_id in self.channels_until_stasis_end


@dataclass(frozen=True, slots=True)
class RoutedEvent:
    """An ARI event addressed to one application."""

    application: str
    event: AriEvent


def _translate(message: m.EngineMessage) -> AriEvent | None:
    """The ARI event for an engine message, or None when ARI has no such event."""
    at = message.timestamp
    builder = _BUILDERS.get(type(message))
    return builder(message, at) if builder is not None else None


def _dtmf(message: m.DtmfEnded, at: float) -> AriEvent | None:
    if message.direction != "Received":
        return None
    return ari.channel_dtmf_received(at, message.channel, message.digit, message.duration_ms)


def _user_event(message: m.UserEventRaised, at: float) -> AriEvent | None:
    if message.channel is None:
        return None
    return ari.channel_userevent(at, message.channel, message.name, message.headers)


def _varset(message: m.ChannelVarSet, at: float) -> AriEvent | None:
    if message.channel is None:
        return None
    return ari.channel_varset(at, message.channel, message.variable, message.value)


_BUILDERS: dict[type, Callable[..., AriEvent | None]] = {
    m.ChannelCreated: lambda msg, at: ari.channel_created(at, msg.channel),
    m.ChannelStateChanged: lambda msg, at: ari.channel_state_change(at, msg.channel),
    m.ChannelDialplanEntered: lambda msg, at: ari.channel_dialplan(
        at, msg.channel, msg.channel.dialplan.app_name, msg.channel.dialplan.app_data
    ),
    m.ChannelVarSet: _varset,
    m.UserEventRaised: _user_event,
    m.ChannelCallerIdChanged: lambda msg, at: ari.channel_caller_id(at, msg.channel, msg.caller_presentation),
    m.ChannelConnectedLineChanged: lambda msg, at: ari.channel_connected_line(at, msg.channel),
    m.ChannelHangupRequested: lambda msg, at: ari.channel_hangup_request(
        at, msg.channel, msg.cause, soft=msg.soft
    ),
    m.ChannelEnded: lambda msg, at: ari.channel_destroyed(at, msg.channel, msg.cause),
    m.DialBegun: lambda msg, at: ari.dial(at, msg.peer, msg.dialstring, "", msg.caller, msg.forward),
    m.DtmfEnded: _dtmf,
    m.ChannelEnteredBridge: lambda msg, at: ari.channel_entered_bridge(at, msg.bridge, msg.channel),
    m.ChannelLeftBridge: lambda msg, at: ari.channel_left_bridge(at, msg.bridge, msg.channel),
    m.BridgeCreated: lambda msg, at: ari.bridge_created(at, msg.bridge),
    m.BridgeDestroyed: lambda msg, at: ari.bridge_destroyed(at, msg.bridge),
    m.PlaybackStarted: lambda msg, at: ari.playback_started(at, msg.playback),
    m.PlaybackFinished: lambda msg, at: ari.playback_finished(at, msg.playback),
    m.RecordingStarted: lambda msg, at: ari.recording_started(at, msg.recording),
    m.RecordingFinished: lambda msg, at: ari.recording_finished(at, msg.recording),
    m.ChannelHeld: lambda msg, at: ari.channel_hold(at, msg.channel, msg.moh_class),
    m.ChannelUnheld: lambda msg, at: ari.channel_unhold(at, msg.channel),
    m.StasisStarted: lambda msg, at: ari.stasis_start(at, msg.channel, msg.args),
    m.StasisEnded: lambda msg, at: ari.stasis_end(at, msg.channel),
    m.ApplicationMoveFailed: lambda msg, at: ari.application_move_failed(
        at, msg.channel, msg.destination, msg.args
    ),
}


class EventRouter:
    """Keeps each application's subscriptions and turns engine messages into addressed ARI events."""

    def __init__(self, originating_app: Callable[[ChannelSnapshot], str | None] | None = None) -> None:
        """`originating_app` names the app an ARI originate/create gave a newly created channel, if any."""
        self._apps: dict[str, _AppWatch] = {}
        self._dial_strings: dict[str, str] = {}
        self._expected: dict[str, str] = {}
        self._dialing_first_halves: dict[str, str] = {}
        self._originating_app = originating_app

    # --- registration --------------------------------------------------------------------------

    def register(self, application: str, *, subscribe_all: bool = False) -> None:
        """An application connected its event WebSocket."""
        watch = self._apps.setdefault(application, _AppWatch())
        watch.subscribe_all = watch.subscribe_all or subscribe_all

    def unregister(self, application: str) -> None:
        """The application's last WebSocket closed; it keeps nothing."""
        self._apps.pop(application, None)

    def is_registered(self, application: str) -> bool:
        """Whether an application with this name has an events WebSocket."""
        return application in self._apps

    @property
    def applications(self) -> list[str]:
        """Registered applications, in registration order."""
        return list(self._apps)

    def watch_channel_until_destroyed(self, application: str, channel_id: str) -> None:
        """Subscribe an app to a channel it originated, for the channel's whole life."""
        watch = self._apps.get(application)
        if watch is not None:
            watch.channels_until_destroyed.add(channel_id)

    def expect_originated(self, application: str, channel_ids: Iterable[str]) -> None:
        """Channels about to be created by an originate with `app=`: watch them from their creation on."""
        for channel_id in channel_ids:
            self._expected[channel_id] = application

    def forget_expected(self, channel_ids: Iterable[str]) -> None:
        """The originate failed before creating these channels."""
        for channel_id in channel_ids:
            self._expected.pop(channel_id, None)

    def watch_bridge(self, application: str, bridge_id: str) -> None:
        """Subscribe an app to a bridge until it is destroyed."""
        watch = self._apps.get(application)
        if watch is not None:
            watch.bridges.add(bridge_id)

    def channel_ids(self, application: str) -> list[str]:
        """Channels the application watches (for GET /applications)."""
        watch = self._apps.get(application)
        if watch is None:
            return []
        return sorted(watch.channels_until_destroyed | watch.channels_until_stasis_end)

    def bridge_ids(self, application: str) -> list[str]:
        """Bridges the application watches (for GET /applications)."""
        watch = self._apps.get(application)
        return sorted(watch.bridges) if watch is not None else []

    # --- routing -------------------------------------------------------------------------------

    def route(self, message: m.EngineMessage) -> list[RoutedEvent]:
        """Update subscriptions for `message` and return the ARI events it produces, per application."""
        self._subscribe_before(message)
        event = _dial_event(message, self._dial_strings)
        if event is None:
            event = _translate(message)
        routed: list[RoutedEvent] = []
        if event is not None:
            routed = [RoutedEvent(app, event) for app in self._audience(message, event)]
        self._unsubscribe_after(message)
        return routed

    def _audience(self, message: m.EngineMessage, event: AriEvent) -> list[str]:
        if isinstance(message, m.StasisStarted | m.StasisEnded | m.ApplicationMoveFailed):
            return [message.app] if message.app in self._apps else []
        audience = []
        for name, watch in self._apps.items():
            if watch.subscribe_all:
                audience.append(name)
            elif event.type in ("ChannelCreated", "BridgeCreated"):
                continue
            elif any(watch.watches_channel(c) for c in event.channel_ids) or any(
                b in watch.bridges for b in event.bridge_ids
            ):
                audience.append(name)
        return audience

    def _subscribe_before(self, message: m.EngineMessage) -> None:
        if isinstance(message, m.ChannelCreated):
            channel = message.channel
            app = self._expected.pop(channel.id, None)
            if app is None and self._originating_app is not None and channel.technology == "Local":
                app = self._originating_app(channel)
            if app is not None and channel.name.endswith(";1"):
                self._dialing_first_halves[channel.id] = app
            elif app is not None:
                self.watch_channel_until_destroyed(app, channel.id)
        elif isinstance(message, m.DialBegun | m.DialStateChanged | m.DialEnded):
            app = self._dialing_first_halves.pop(message.peer.id, None)
            if app is not None:
                self.watch_channel_until_destroyed(app, message.peer.id)
        elif isinstance(message, m.StasisStarted):
            watch = self._apps.get(message.app)
            if watch is not None and message.channel.id not in watch.channels_until_destroyed:
                watch.channels_until_stasis_end.add(message.channel.id)
        elif isinstance(message, m.ChannelEnteredBridge):
            for watch in self._apps.values():
                if watch.watches_channel(message.channel.id):
                    watch.bridges.add(message.bridge.id)

    def _unsubscribe_after(self, message: m.EngineMessage) -> None:
        if isinstance(message, m.StasisEnded):
            watch = self._apps.get(message.app)
            if watch is not None:
                watch.channels_until_stasis_end.discard(message.channel.id)
        elif isinstance(message, m.ChannelEnded):
            self._dial_strings.pop(message.channel.id, None)
            self._dialing_first_halves.pop(message.channel.id, None)
            for watch in self._apps.values():
                watch.channels_until_stasis_end.discard(message.channel.id)
                watch.channels_until_destroyed.discard(message.channel.id)
        elif isinstance(message, m.BridgeDestroyed):
            for watch in self._apps.values():
                watch.bridges.discard(message.bridge.id)


def _dial_event(message: m.EngineMessage, dial_strings: dict[str, str]) -> AriEvent | None:
    """Dial events: DialState/DialEnd carry no dial string, so remember it from DialBegin."""
    if isinstance(message, m.DialBegun):
        dial_strings[message.peer.id] = message.dialstring
        return None
    if isinstance(message, m.DialStateChanged | m.DialEnded):
        dialstring = dial_strings.get(message.peer.id, "")
        forward = message.forward if isinstance(message, m.DialEnded) else ""
        return ari.dial(
            message.timestamp, message.peer, dialstring, message.dialstatus, message.caller, forward
        )
    return None
