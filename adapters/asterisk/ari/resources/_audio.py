"""Playing prompts to, and recording, a channel or a bridge: ARI offers both operations on either target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.asterisk.ari.inputs import join_args, path_segment
from adapters.asterisk.ari.models import LiveRecording, Playback
from adapters.asterisk.ari.resources._decode import as_model
from adapters.asterisk.ari.rest import AriRest


@dataclass(frozen=True, slots=True)
class AudioTarget:
    """A kind of ARI object addressed by id that audio can be played to or recorded from."""

    collection: str
    """The resource's path, e.g. `/channels`."""
    id_name: str
    """How error messages name the id, e.g. `channel id`."""

    def path(self, target_id: str) -> str:
        """The object's URL path, the id checked and percent-encoded."""
        return f"{self.collection}/{path_segment(target_id, self.id_name)}"


CHANNEL = AudioTarget("/channels", "channel id")
BRIDGE = AudioTarget("/bridges", "bridge id")


async def play(
    rest: AriRest,
    target: AudioTarget,
    target_id: str,
    media: str | Sequence[str],
    *,
    lang: str | None,
    offsetms: int | None,
    skipms: int | None,
    playback_id: str | None,
) -> Playback:
    """`POST {target}/play`: start playing `media`; Playback events follow."""
    params = {
        "media": join_args(media, "media"),
        "lang": lang,
        "offsetms": offsetms,
        "skipms": skipms,
        "playbackId": playback_id,
    }
    data = await rest.call("POST", f"{target.path(target_id)}/play", params=params)
    return as_model(Playback, data, f"POST {target.collection}/{{id}}/play")


async def record(
    rest: AriRest,
    target: AudioTarget,
    target_id: str,
    name: str,
    format: str,
    *,
    max_duration_seconds: int | None,
    max_silence_seconds: int | None,
    if_exists: str | None,
    beep: bool | None,
    terminate_on: str | None,
) -> LiveRecording:
    """`POST {target}/record`: start recording into stored recording `name`."""
    params = {
        "name": name,
        "format": format,
        "maxDurationSeconds": max_duration_seconds,
        "maxSilenceSeconds": max_silence_seconds,
        "ifExists": if_exists,
        "beep": beep,
        "terminateOn": terminate_on,
    }
    data = await rest.call("POST", f"{target.path(target_id)}/record", params=params)
    return as_model(LiveRecording, data, f"POST {target.collection}/{{id}}/record")
