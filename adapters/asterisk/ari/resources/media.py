"""`/playbacks` and `/recordings`: control of prompts being played and of call recordings."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from adapters.asterisk.ari.inputs import path_segment
from adapters.asterisk.ari.models import LiveRecording, Playback, StoredRecording
from adapters.asterisk.ari.resources._decode import as_model, as_models
from adapters.asterisk.ari.rest import AriRest


class Playbacks:
    """Look at or stop a playback started by `channels.play` or `bridges.play`."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    async def get(self, playback_id: str) -> Playback:
        """The playback's current state; `AriNotFound` once it has finished."""
        path = f"/playbacks/{path_segment(playback_id, 'playback id')}"
        return as_model(Playback, await self._rest.call("GET", path), "GET /playbacks/{id}")

    async def stop(self, playback_id: str) -> None:
        """Stop the playback (PlaybackFinished follows)."""
        await self._rest.call("DELETE", f"/playbacks/{path_segment(playback_id, 'playback id')}")


class LiveRecordings:
    """Recordings in progress, addressed by the name given when they were started."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    @staticmethod
    def _path(name: str) -> str:
        return f"/recordings/live/{path_segment(name, 'recording name')}"

    async def get(self, name: str) -> LiveRecording:
        """The recording's state (`recording`, `paused` …)."""
        return as_model(LiveRecording, await self._rest.call("GET", self._path(name)), "GET /recordings/live")

    async def stop(self, name: str) -> None:
        """Stop and keep the recording (it becomes a stored recording)."""
        await self._rest.call("POST", f"{self._path(name)}/stop")

    async def cancel(self, name: str) -> None:
        """Stop and discard the recording (RecordingFinished still says `done`, wire INDEX item 31)."""
        await self._rest.call("DELETE", self._path(name))

    async def pause(self, name: str) -> None:
        """Pause the recording, e.g. while the customer reads out card details."""
        await self._rest.call("POST", f"{self._path(name)}/pause")

    async def unpause(self, name: str) -> None:
        """Resume a paused recording."""
        await self._rest.call("DELETE", f"{self._path(name)}/pause")

    async def mute(self, name: str) -> None:
        """Record silence instead of audio, keeping the timeline."""
        await self._rest.call("POST", f"{self._path(name)}/mute")

    async def unmute(self, name: str) -> None:
        """Record audio again after `mute`."""
        await self._rest.call("DELETE", f"{self._path(name)}/mute")


@dataclass(frozen=True, slots=True)
class StoredRecordingFile:
    """A stored recording's audio as ARI sends it; read `chunks()` once, then `aclose()`."""

    content_type: str
    """Asterisk's `<media type>/<file extension>`, e.g. `audio/wav`."""
    size: int | None
    _response: httpx.Response

    def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive."""
        return self._response.aiter_bytes()

    async def aclose(self) -> None:
        """Release the HTTP connection (safe to call twice)."""
        await self._response.aclose()


class StoredRecordings:
    """Finished recordings kept on the Asterisk server."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    @staticmethod
    def _path(name: str) -> str:
        return f"/recordings/stored/{path_segment(name, 'recording name')}"

    async def list(self) -> builtins.list[StoredRecording]:
        """Every stored recording."""
        data = await self._rest.call("GET", "/recordings/stored")
        return as_models(StoredRecording, data, "GET /recordings/stored")

    async def get(self, name: str) -> StoredRecording:
        """One stored recording; `AriNotFound` if it was deleted or cancelled."""
        data = await self._rest.call("GET", self._path(name))
        return as_model(StoredRecording, data, "GET /recordings/stored/{name}")

    async def file(self, name: str) -> StoredRecordingFile:
        """The recording's file (`GET /recordings/stored/{name}/file`, Asterisk 14+); `AriNotFound` if gone.

        Asterisk answers 403 when it lists the recording but cannot open its file (permissions).
        """
        response = await self._rest.open_stream(f"{self._path(name)}/file")
        length = response.headers.get("content-length")
        return StoredRecordingFile(
            content_type=response.headers.get("content-type", "application/octet-stream"),
            size=int(length) if length and length.isdigit() else None,
            _response=response,
        )

    async def delete(self, name: str) -> None:
        """Delete a stored recording."""
        await self._rest.call("DELETE", self._path(name))

    async def copy(self, name: str, destination: str) -> StoredRecording:
        """Copy a stored recording to a new name."""
        data = await self._rest.call(
            "POST", f"{self._path(name)}/copy", params={"destinationRecordingName": destination}
        )
        return as_model(StoredRecording, data, "POST /recordings/stored/{name}/copy")


class Recordings:
    """`client.recordings.live` and `client.recordings.stored`."""

    def __init__(self, rest: AriRest) -> None:
        self.live = LiveRecordings(rest)
        self.stored = StoredRecordings(rest)
