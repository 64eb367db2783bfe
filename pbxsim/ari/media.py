"""Playbacks and recordings: starting them on a target, and the `/playbacks` and `/recordings` resources."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from pbxsim.ari.errors import RECORDING_NOT_FOUND, bad_request, conflict, not_found, unprocessable
from pbxsim.ari.http import AriCall, ari_endpoint, json_reply, no_content
from pbxsim.ari.media_store import KNOWN_RECORDING_FORMATS, recording_file
from pbxsim.ari.representations import live_recording_json, playback_json, stored_recording_json
from pbxsim.engine.errors import RecordingExists

IF_EXISTS_CHOICES = frozenset({"fail", "overwrite", "append"})
TERMINATE_ON_CHOICES = frozenset({"none", "any", "*", "#"})
PLAYBACK_OPERATIONS = frozenset({"restart", "pause", "unpause", "reverse", "forward"})
PLAYBACK_NOT_FOUND = "Playback not found"


def start_playback(call: AriCall, target_uri: str) -> Response:
    """Ask the engine to play `media` on the target and answer 201 with the playback `queued`."""
    media = call.params.csv("media")
    if not media:
        raise bad_request("Required parameter 'media' not provided.")
    playback = call.context.engine.play(
        target_uri,
        media,
        playback_id=call.path.get("playback_id") or call.params.get("playbackId") or None,
        language=call.params.text("lang", "en") or "en",
    )
    call.context.media.remember_playback(playback)
    return json_reply(playback_json(playback, state="queued"), status=201)


def start_recording(call: AriCall, target_uri: str) -> Response:
    """Validate like Asterisk (name, format, ifExists), start recording, answer 201 `queued`."""
    params = call.params
    name = params.required("name", "Recording name is required")
    file_format = params.required("format", "Recording format is required")
    if_exists = params.text("ifExists", "fail") or "fail"
    terminate_on = params.text("terminateOn", "none") or "none"
    if if_exists not in IF_EXISTS_CHOICES:
        raise bad_request("ifExists invalid")
    if terminate_on not in TERMINATE_ON_CHOICES:
        raise bad_request("terminateOn invalid")
    if file_format not in KNOWN_RECORDING_FORMATS:
        raise unprocessable("specified format is unknown on this system")
    recording = call.context.engine.record(
        target_uri,
        name,
        format=file_format,
        max_duration=float(params.integer("maxDurationSeconds", 0)),
        max_silence=float(params.integer("maxSilenceSeconds", 0)),
        beep=params.boolean("beep", False),
        terminate_on=terminate_on,
        if_exists=if_exists,
    )
    return json_reply(live_recording_json(recording, state="queued"), status=201)


# --- /playbacks -----------------------------------------------------------------------------------


async def get_playback(call: AriCall) -> Response:
    """A playback that is queued or playing."""
    playback = call.context.media.playbacks.get(call.path["playback_id"])
    if playback is None:
        raise not_found(PLAYBACK_NOT_FOUND)
    return json_reply(playback_json(playback))


async def stop_playback(call: AriCall) -> Response:
    """Stop a playback (PlaybackFinished follows)."""
    playback_id = call.path["playback_id"]
    if playback_id not in call.context.media.playbacks:
        raise not_found(PLAYBACK_NOT_FOUND)
    call.context.engine.stop_playback(playback_id)
    return no_content()


async def control_playback(call: AriCall) -> Response:
    """Pause, rewind … a playback; the simulator plays no audio, so only the operation is checked."""
    if call.path["playback_id"] not in call.context.media.playbacks:
        raise not_found(PLAYBACK_NOT_FOUND)
    if call.params.required("operation") not in PLAYBACK_OPERATIONS:
        raise bad_request("Invalid operation")
    return no_content()


# --- /recordings/live -----------------------------------------------------------------------------


def _live_name(call: AriCall) -> str:
    name = call.path["recording_name"]
    if name not in call.context.media.live_recordings:
        raise not_found(RECORDING_NOT_FOUND)
    return name


async def get_live_recording(call: AriCall) -> Response:
    """A recording in progress."""
    return json_reply(live_recording_json(call.context.media.live_recordings[_live_name(call)]))


async def stop_live_recording(call: AriCall) -> Response:
    """Stop and keep a recording (RecordingFinished, then it is listed under stored)."""
    call.context.engine.stop_recording(_live_name(call))
    return no_content()


async def cancel_live_recording(call: AriCall) -> Response:
    """Stop and discard; Asterisk 22 still reports RecordingFinished `done`, and the file is gone."""
    call.context.engine.stop_recording(_live_name(call), cancel=True)
    return no_content()


async def pause_live_recording(call: AriCall) -> Response:
    """Pause a recording."""
    name = _live_name(call)
    call.context.engine.pause_recording(name, True)
    call.context.media.set_live_state(name, "paused")
    return no_content()


async def unpause_live_recording(call: AriCall) -> Response:
    """Resume a paused recording."""
    name = _live_name(call)
    call.context.engine.pause_recording(name, False)
    call.context.media.set_live_state(name, "recording")
    return no_content()


async def mute_live_recording(call: AriCall) -> Response:
    """Record silence instead of audio until unmuted."""
    call.context.engine.mute_recording(_live_name(call), True)
    return no_content()


async def unmute_live_recording(call: AriCall) -> Response:
    """Record audio again."""
    call.context.engine.mute_recording(_live_name(call), False)
    return no_content()


# --- /recordings/stored ---------------------------------------------------------------------------


async def list_stored_recordings(call: AriCall) -> Response:
    """Every finished recording, by name."""
    stored = call.context.engine.stored_recordings()
    return json_reply([stored_recording_json(r.name, r.format) for r in stored])


async def get_stored_recording(call: AriCall) -> Response:
    """One finished recording."""
    recording = call.context.engine.stored_recording(call.path["recording_name"])
    if recording is None:
        raise not_found(RECORDING_NOT_FOUND)
    return json_reply(stored_recording_json(recording.name, recording.format))


async def delete_stored_recording(call: AriCall) -> Response:
    """Remove a finished recording's file."""
    call.context.engine.delete_stored_recording(call.path["recording_name"])
    return no_content()


async def copy_stored_recording(call: AriCall) -> Response:
    """Copy a finished recording under a new name; 409 if that name is taken."""
    destination = call.params.required("destinationRecordingName")
    try:
        copy = call.context.engine.copy_stored_recording(call.path["recording_name"], destination)
    except RecordingExists:
        raise conflict("A recording with the same name already exists on the system") from None
    return json_reply(stored_recording_json(copy.name, copy.format))


async def stored_recording_file(call: AriCall) -> Response:
    """The recording's audio (silence of the recorded length; the simulator has no media)."""
    recording = call.context.engine.stored_recording(call.path["recording_name"])
    if recording is None:
        raise not_found(RECORDING_NOT_FOUND)
    media_type = f"audio/{recording.format}"  # Asterisk: "<media type>/<file extension>"
    return Response(recording_file(recording), media_type=media_type)


def routes() -> list[Route]:
    """The `/playbacks` and `/recordings` routes, mounted under `/ari`."""
    live = "/recordings/live/{recording_name}"
    stored = "/recordings/stored/{recording_name}"
    return [
        Route("/playbacks/{playback_id}", ari_endpoint(get_playback), methods=["GET"]),
        Route("/playbacks/{playback_id}", ari_endpoint(stop_playback), methods=["DELETE"]),
        Route("/playbacks/{playback_id}/control", ari_endpoint(control_playback), methods=["POST"]),
        Route(live, ari_endpoint(get_live_recording), methods=["GET"]),
        Route(live, ari_endpoint(cancel_live_recording), methods=["DELETE"]),
        Route(f"{live}/stop", ari_endpoint(stop_live_recording), methods=["POST"]),
        Route(f"{live}/pause", ari_endpoint(pause_live_recording), methods=["POST"]),
        Route(f"{live}/pause", ari_endpoint(unpause_live_recording), methods=["DELETE"]),
        Route(f"{live}/mute", ari_endpoint(mute_live_recording), methods=["POST"]),
        Route(f"{live}/mute", ari_endpoint(unmute_live_recording), methods=["DELETE"]),
        Route("/recordings/stored", ari_endpoint(list_stored_recordings), methods=["GET"]),
        Route(stored, ari_endpoint(get_stored_recording), methods=["GET"]),
        Route(stored, ari_endpoint(delete_stored_recording), methods=["DELETE"]),
        Route(f"{stored}/copy", ari_endpoint(copy_stored_recording), methods=["POST"]),
        Route(f"{stored}/file", ari_endpoint(stored_recording_file), methods=["GET"]),
    ]
