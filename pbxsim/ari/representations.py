"""ARI JSON models (Channel, Bridge, Playback, LiveRecording, StoredRecording) built from engine snapshots.

Key order follows what Asterisk 22 sends, so a byte-level diff against a recording shows only ids and times.
"""

from __future__ import annotations

from typing import Any

from pbxsim.ari.formats import ari_timestamp
from pbxsim.engine.model import BridgeSnapshot, ChannelSnapshot, PlaybackSnapshot, RecordingSnapshot

JsonObject = dict[str, Any]


def channel_json(channel: ChannelSnapshot) -> JsonObject:
    """The ARI `Channel` model."""
    return {
        "id": channel.id,
        "name": channel.name,
        "state": channel.state.description,
        "protocol_id": "",
        "caller": {"name": channel.caller.name, "number": channel.caller.number},
        "connected": {"name": channel.connected.name, "number": channel.connected.number},
        "accountcode": channel.accountcode,
        "dialplan": {
            "context": channel.dialplan.context,
            "exten": channel.dialplan.exten,
            "priority": channel.dialplan.priority,
            "app_name": channel.dialplan.app_name,
            "app_data": channel.dialplan.app_data,
        },
        "creationtime": ari_timestamp(channel.creation_time),
        "language": channel.language,
    }


def bridge_json(bridge: BridgeSnapshot) -> JsonObject:
    """The ARI `Bridge` model; `channels` lists channel ids in join order."""
    return {
        "id": bridge.id,
        "technology": bridge.technology,
        "bridge_type": bridge.bridge_type,
        "bridge_class": bridge.bridge_class,
        "creator": bridge.creator,
        "name": bridge.name,
        "channels": list(bridge.channel_ids),
        "creationtime": ari_timestamp(bridge.creation_time),
        "video_mode": bridge.video_mode,
    }


def playback_json(playback: PlaybackSnapshot, *, state: str | None = None) -> JsonObject:
    """The ARI `Playback` model; `state` overrides the snapshot's (the 201 reply always says `queued`)."""
    return {
        "id": playback.id,
        "media_uri": playback.media_uri,
        "target_uri": playback.target_uri,
        "language": playback.language,
        "state": state or playback.state,
    }


def live_recording_json(recording: RecordingSnapshot, *, state: str | None = None) -> JsonObject:
    """The ARI `LiveRecording` model; `duration` appears only once the recording has ended."""
    document: JsonObject = {
        "name": recording.name,
        "format": recording.format,
        "state": state or recording.state,
        "target_uri": recording.target_uri,
    }
    if (state or recording.state) in ("done", "failed", "canceled"):
        document["duration"] = recording.duration
        if recording.cause:
            document["cause"] = recording.cause
    return document


def stored_recording_json(name: str, file_format: str) -> JsonObject:
    """The ARI `StoredRecording` model."""
    return {"name": name, "format": file_format}
