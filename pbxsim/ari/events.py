"""ARI event documents with Asterisk 22's key order, and the facts needed to route them to applications.

Builders are pure: they take engine snapshots and return an `AriEvent`. Rendering adds `asterisk_id`
and `application` last, per receiving application, exactly as Asterisk does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pbxsim.ari.formats import ari_timestamp, compact_json
from pbxsim.ari.representations import (
    JsonObject,
    bridge_json,
    channel_json,
    live_recording_json,
    playback_json,
)
from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    PlaybackSnapshot,
    RecordingSnapshot,
    cause_text,
)


@dataclass(frozen=True, slots=True)
class AriEvent:
    """One event before it is addressed: its ordered body and the channels/bridges it concerns."""

    type: str
    body: JsonObject
    channel_ids: tuple[str, ...] = ()
    bridge_ids: tuple[str, ...] = ()

    def render(self, application: str, asterisk_id: str) -> str:
        """The WebSocket text for one application: the body, then `asterisk_id`, then `application`."""
        document = dict(self.body)
        document["asterisk_id"] = asterisk_id
        document["application"] = application
        return compact_json(document)


def _head(event_type: str, at: float) -> JsonObject:
    return {"type": event_type, "timestamp": ari_timestamp(at)}


def _channel_event(event_type: str, at: float, channel: ChannelSnapshot, **fields: Any) -> AriEvent:
    body = _head(event_type, at)
    body.update(fields)
    body["channel"] = channel_json(channel)
    return AriEvent(event_type, body, channel_ids=(channel.id,))


def stasis_start(at: float, channel: ChannelSnapshot, args: Sequence[str]) -> AriEvent:
    """A channel entered the application (`args` are the Stasis() or originate appArgs)."""
    return _channel_event("StasisStart", at, channel, args=list(args))


def stasis_end(at: float, channel: ChannelSnapshot) -> AriEvent:
    """A channel left the application (continue, hangup, or move)."""
    return _channel_event("StasisEnd", at, channel)


def channel_state_change(at: float, channel: ChannelSnapshot) -> AriEvent:
    """The channel's state changed (Ring, Ringing, Up …); the new state is in the snapshot."""
    return _channel_event("ChannelStateChange", at, channel)


def channel_connected_line(at: float, channel: ChannelSnapshot) -> AriEvent:
    """The connected-line party of the channel changed."""
    return _channel_event("ChannelConnectedLine", at, channel)


def channel_dialplan(at: float, channel: ChannelSnapshot, app_name: str, app_data: str) -> AriEvent:
    """The channel started a dialplan application."""
    return _channel_event("ChannelDialplan", at, channel, dialplan_app=app_name, dialplan_app_data=app_data)


def channel_caller_id(at: float, channel: ChannelSnapshot, presentation: int = 0) -> AriEvent:
    """The channel's caller id changed."""
    return _channel_event(
        "ChannelCallerId",
        at,
        channel,
        caller_presentation=presentation,
        caller_presentation_txt=_PRESENTATION_TEXT.get(presentation, "Unknown"),
    )


_PRESENTATION_TEXT = {
    0: "Presentation Allowed, Not Screened",
    1: "Presentation Allowed, Passed Screen",
    2: "Presentation Allowed, Failed Screen",
    3: "Presentation Allowed, Network Number",
    32: "Presentation Prohibited, Not Screened",
    67: "Number Unavailable",
}


def channel_dtmf_received(at: float, channel: ChannelSnapshot, digit: str, duration_ms: int) -> AriEvent:
    """A DTMF digit ended on the channel."""
    return _channel_event("ChannelDtmfReceived", at, channel, digit=digit, duration_ms=duration_ms)


def channel_destroyed(at: float, channel: ChannelSnapshot, cause: int) -> AriEvent:
    """The channel is gone; `cause_txt` is Asterisk's text for the cause."""
    return _channel_event("ChannelDestroyed", at, channel, cause=cause, cause_txt=cause_text(cause))


def channel_varset(at: float, channel: ChannelSnapshot, variable: str, value: str) -> AriEvent:
    """A channel variable was set; Asterisk puts `variable` and `value` before `type`."""
    body: JsonObject = {"variable": variable, "value": value}
    body.update(_head("ChannelVarset", at))
    body["channel"] = channel_json(channel)
    return AriEvent("ChannelVarset", body, channel_ids=(channel.id,))


def channel_hangup_request(at: float, channel: ChannelSnapshot, cause: int, *, soft: bool) -> AriEvent:
    """A hangup was requested; ARI DELETE gives `cause 32, soft true` (32 is the soft-hangup flag)."""
    body: JsonObject = {"cause": cause}
    if soft:
        body["soft"] = True
    body.update(_head("ChannelHangupRequest", at))
    body["channel"] = channel_json(channel)
    return AriEvent("ChannelHangupRequest", body, channel_ids=(channel.id,))


def dial(
    at: float,
    peer: ChannelSnapshot,
    dialstring: str,
    dialstatus: str,
    caller: ChannelSnapshot | None = None,
    forward: str = "",
) -> AriEvent:
    """Dial progress; an originate has no caller, so only `peer` is present."""
    body = _head("Dial", at)
    body.update(dialstatus=dialstatus, forward=forward, dialstring=dialstring)
    if caller is not None:
        body["caller"] = channel_json(caller)
    body["peer"] = channel_json(peer)
    channel_ids = (peer.id,) if caller is None else (caller.id, peer.id)
    return AriEvent("Dial", body, channel_ids=channel_ids)


def channel_entered_bridge(at: float, bridge: BridgeSnapshot, channel: ChannelSnapshot) -> AriEvent:
    """A channel joined a bridge; the bridge snapshot already lists it."""
    body = _head("ChannelEnteredBridge", at)
    body["bridge"] = bridge_json(bridge)
    body["channel"] = channel_json(channel)
    return AriEvent("ChannelEnteredBridge", body, channel_ids=(channel.id,), bridge_ids=(bridge.id,))


def channel_left_bridge(at: float, bridge: BridgeSnapshot, channel: ChannelSnapshot) -> AriEvent:
    """A channel left a bridge; the bridge snapshot no longer lists it."""
    body = _head("ChannelLeftBridge", at)
    body["bridge"] = bridge_json(bridge)
    body["channel"] = channel_json(channel)
    return AriEvent("ChannelLeftBridge", body, channel_ids=(channel.id,), bridge_ids=(bridge.id,))


def bridge_created(at: float, bridge: BridgeSnapshot) -> AriEvent:
    """A bridge was created (sent only to applications already watching it, i.e. subscribeAll)."""
    body = _head("BridgeCreated", at)
    body["bridge"] = bridge_json(bridge)
    return AriEvent("BridgeCreated", body, bridge_ids=(bridge.id,))


def bridge_destroyed(at: float, bridge: BridgeSnapshot) -> AriEvent:
    """A bridge was destroyed."""
    body = _head("BridgeDestroyed", at)
    body["bridge"] = bridge_json(bridge)
    return AriEvent("BridgeDestroyed", body, bridge_ids=(bridge.id,))


def _target_ids(target_uri: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    kind, _, target = target_uri.partition(":")
    if kind == "channel":
        return (target,), ()
    if kind == "bridge":
        return (), (target,)
    return (), ()


def playback_started(at: float, playback: PlaybackSnapshot) -> AriEvent:
    """A playback began (state `playing`)."""
    body = _head("PlaybackStarted", at)
    body["playback"] = playback_json(playback, state="playing")
    channels, bridges = _target_ids(playback.target_uri)
    return AriEvent("PlaybackStarted", body, channel_ids=channels, bridge_ids=bridges)


def playback_finished(at: float, playback: PlaybackSnapshot) -> AriEvent:
    """A playback ended (`done`, `failed` or `cancelled`)."""
    body = _head("PlaybackFinished", at)
    body["playback"] = playback_json(playback)
    channels, bridges = _target_ids(playback.target_uri)
    return AriEvent("PlaybackFinished", body, channel_ids=channels, bridge_ids=bridges)


def recording_started(at: float, recording: RecordingSnapshot) -> AriEvent:
    """A live recording began (state `recording`)."""
    body = _head("RecordingStarted", at)
    body["recording"] = live_recording_json(recording, state="recording")
    channels, bridges = _target_ids(recording.target_uri)
    return AriEvent("RecordingStarted", body, channel_ids=channels, bridge_ids=bridges)


def recording_finished(at: float, recording: RecordingSnapshot) -> AriEvent:
    """A live recording ended; a cancelled one still reports `done`, as Asterisk 22 does."""
    body = _head("RecordingFinished", at)
    body["recording"] = live_recording_json(recording)
    channels, bridges = _target_ids(recording.target_uri)
    return AriEvent("RecordingFinished", body, channel_ids=channels, bridge_ids=bridges)


def application_move_failed(
    at: float, channel: ChannelSnapshot, destination: str, args: Sequence[str]
) -> AriEvent:
    """`move` named an application that is not registered; the channel stays where it was."""
    body = _head("ApplicationMoveFailed", at)
    body["channel"] = channel_json(channel)
    body["destination"] = destination
    body["args"] = list(args)
    return AriEvent("ApplicationMoveFailed", body, channel_ids=(channel.id,))


def channel_created(at: float, channel: ChannelSnapshot) -> AriEvent:
    """A channel was created (reaches only subscribeAll applications)."""
    return _channel_event("ChannelCreated", at, channel)


def channel_hold(at: float, channel: ChannelSnapshot, moh_class: str) -> AriEvent:
    """A bridge feature put the channel on hold (never seen on Local channels)."""
    if moh_class:
        return _channel_event("ChannelHold", at, channel, musicclass=moh_class)
    return _channel_event("ChannelHold", at, channel)


def channel_unhold(at: float, channel: ChannelSnapshot) -> AriEvent:
    """The channel was taken off hold."""
    return _channel_event("ChannelUnhold", at, channel)


def channel_userevent(
    at: float, channel: ChannelSnapshot, name: str, headers: Sequence[tuple[str, str]]
) -> AriEvent:
    """UserEvent() on a channel; custom headers become the `userevent` object."""
    body = _head("ChannelUserevent", at)
    body["eventname"] = name
    body["userevent"] = dict(headers)
    body["channel"] = channel_json(channel)
    return AriEvent("ChannelUserevent", body, channel_ids=(channel.id,))
