"""Typed ARI WebSocket events (the ones the gateway acts on), plus a generic event for every other type.

Each class name is the event's `type` on the wire and its Swagger model name in `events.json`.
"""

from __future__ import annotations

from datetime import datetime

from adapters.asterisk.ari.models.resources import AriModel, Bridge, Channel, LiveRecording, Playback


class AriEvent(AriModel):
    """Fields every ARI event carries (Swagger `Message` + `Event`); unknown types decode to this class."""

    type: str
    timestamp: datetime | None = None
    application: str = ""
    asterisk_id: str | None = None


class GenericEvent(AriEvent):
    """An event type the gateway has no model for; its fields stay available in `model_extra`."""


class StasisStart(AriEvent):
    """A channel entered the Stasis application; from now on the app controls it."""

    args: tuple[str, ...] = ()
    channel: Channel
    replace_channel: Channel | None = None


class StasisEnd(AriEvent):
    """A channel left the Stasis application (hung up, continued in dialplan or moved)."""

    channel: Channel


class ChannelStateChange(AriEvent):
    """A channel's state changed (Down, Ring, Ringing, Up, Busy …)."""

    channel: Channel


class ChannelDtmfReceived(AriEvent):
    """A DTMF digit was received on a channel."""

    digit: str
    duration_ms: int = 0
    channel: Channel


class PlaybackStarted(AriEvent):
    """A playback began (also sent for media Asterisk will never finish, see wire INDEX item 30)."""

    playback: Playback


class PlaybackFinished(AriEvent):
    """A playback ended: `playback.state` is `done`, `failed` or `canceled`."""

    playback: Playback


class ChannelHangupRequest(AriEvent):
    """Someone asked a channel to hang up; `cause` 32 with `soft` is ARI's own DELETE, not Q.850."""

    cause: int | None = None
    tech_cause: int | None = None
    soft: bool | None = None
    channel: Channel


class ChannelDestroyed(AriEvent):
    """A channel is gone; `cause` is the Q.850 hangup cause (0 on the `;1` half of a failed Local call)."""

    cause: int = 0
    cause_txt: str = ""
    tech_cause: int | None = None
    channel: Channel


class ChannelEnteredBridge(AriEvent):
    """A channel joined a bridge."""

    bridge: Bridge
    channel: Channel | None = None


class ChannelLeftBridge(AriEvent):
    """A channel left a bridge."""

    bridge: Bridge
    channel: Channel


class Dial(AriEvent):
    """Progress of a dial; originated channels have only `peer`, no `caller` (wire INDEX item 26)."""

    caller: Channel | None = None
    peer: Channel
    forward: str | None = None
    forwarded: Channel | None = None
    dialstring: str | None = None
    dialstatus: str = ""


class ChannelVarset(AriEvent):
    """A channel variable was set; `channel` is absent for a global variable."""

    variable: str
    value: str = ""
    channel: Channel | None = None


class RecordingStarted(AriEvent):
    """A live recording started."""

    recording: LiveRecording


class RecordingFinished(AriEvent):
    """A live recording ended (`state: done` even when cancelled, see wire INDEX item 31)."""

    recording: LiveRecording


class BridgeCreated(AriEvent):
    """A bridge was created."""

    bridge: Bridge


class BridgeDestroyed(AriEvent):
    """A bridge was destroyed."""

    bridge: Bridge


class ChannelCallerId(AriEvent):
    """A channel's caller id changed."""

    caller_presentation: int = 0
    caller_presentation_txt: str = ""
    channel: Channel


class ChannelConnectedLine(AriEvent):
    """A channel's connected line changed."""

    channel: Channel


class ChannelDialplan(AriEvent):
    """A channel moved on in the dialplan and now runs `dialplan_app`."""

    channel: Channel
    dialplan_app: str = ""
    dialplan_app_data: str = ""


class ApplicationMoveFailed(AriEvent):
    """`POST /channels/{id}/move` named an app that is not registered; the channel stays where it was."""

    channel: Channel
    destination: str = ""
    args: tuple[str, ...] = ()


EVENT_MODELS: dict[str, type[AriEvent]] = {
    model.__name__: model
    for model in (
        StasisStart,
        StasisEnd,
        ChannelStateChange,
        ChannelDtmfReceived,
        PlaybackStarted,
        PlaybackFinished,
        ChannelHangupRequest,
        ChannelDestroyed,
        ChannelEnteredBridge,
        ChannelLeftBridge,
        Dial,
        ChannelVarset,
        RecordingStarted,
        RecordingFinished,
        BridgeCreated,
        BridgeDestroyed,
        ChannelCallerId,
        ChannelConnectedLine,
        ChannelDialplan,
        ApplicationMoveFailed,
    )
}
"""Typed event classes by wire `type`; any other type decodes to `GenericEvent`."""
