"""`AriRecordingArchive`: ARI's stored-recording answers become the core's recordings and errors.

ARI is replayed with `httpx.MockTransport` answering as Asterisk 22 does (`getStoredFile` sends
`Content-Type: audio/<extension>`, 404 `Recording not found`, 403 when the file cannot be opened); the
gateway's end-to-end tests run the same adapter against pbxsim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.asterisk.ari import AriClient
from adapters.asterisk.recordings import AriRecordingArchive
from cti_gateway.recordings import (
    InvalidRecordingName,
    RecordingNotFound,
    RecordingsUnavailable,
    RecordingUnreadable,
    StoredRecording,
)

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28


@pytest.fixture
def answers() -> dict[str, httpx.Response]:
    return {}


@pytest.fixture
async def archive(answers: dict[str, httpx.Response]) -> AsyncIterator[AriRecordingArchive]:
    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.get(request.url.raw_path.decode())
        return answer if answer is not None else httpx.Response(404, json={"message": "Recording not found"})

    async with AriClient(
        "http://127.0.0.1:8088/ari", "cti", "cti-secret", transport=httpx.MockTransport(handler)
    ) as ari:
        yield AriRecordingArchive(ari)


async def test_the_stored_list_becomes_recordings_by_name_and_format(
    archive: AriRecordingArchive, answers: dict[str, httpx.Response]
) -> None:
    answers["/ari/recordings/stored"] = httpx.Response(200, json=[{"name": "call-1", "format": "wav"}])

    assert await archive.list() == [StoredRecording("call-1", "wav")]


async def test_the_file_streams_with_asterisks_content_type_and_length(
    archive: AriRecordingArchive, answers: dict[str, httpx.Response]
) -> None:
    answers["/ari/recordings/stored/call-1/file"] = httpx.Response(
        200, content=WAV, headers={"Content-Type": "audio/wav"}
    )

    audio = await archive.open("call-1")
    received = b"".join([chunk async for chunk in audio.chunks])
    await audio.aclose()

    assert (audio.content_type, audio.size, received) == ("audio/wav", len(WAV), WAV)


async def test_an_unknown_recording_is_not_found(archive: AriRecordingArchive) -> None:
    with pytest.raises(RecordingNotFound):
        await archive.get("gone")
    with pytest.raises(RecordingNotFound):
        await archive.open("gone")


async def test_a_file_asterisk_cannot_open_is_unreadable_with_a_hint_about_permissions(
    archive: AriRecordingArchive, answers: dict[str, httpx.Response]
) -> None:
    answers["/ari/recordings/stored/locked/file"] = httpx.Response(
        403, json={"message": "Recording could not be opened"}
    )

    with pytest.raises(RecordingUnreadable, match="permissions"):
        await archive.open("locked")


async def test_a_name_with_a_slash_is_refused_before_anything_is_sent(archive: AriRecordingArchive) -> None:
    with pytest.raises(InvalidRecordingName):
        await archive.open("../etc/passwd")


async def test_an_unreachable_asterisk_makes_recordings_unavailable() -> None:
    async with AriClient("http://127.0.0.1:9/ari", "cti", "cti-secret", timeout=1.0) as ari:
        with pytest.raises(RecordingsUnavailable, match="unreachable"):
            await AriRecordingArchive(ari).list()
