"""Recordings end to end: REST start/stop → MixMonitor over AMI → the PBX's ARI lists and serves the file,
and the gateway lists, describes and streams it to whoever may hear that call.
"""

from __future__ import annotations

import asyncio
import io
import os
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cti_gateway.auth.principal import Scope
from cti_gateway.settings import Settings
from tests.cti_gateway.call_control.rig import ControlRig, connected_call, control_rig, control_settings
from tests.cti_gateway.conftest import Pbx
from tests.support.processes import PbxsimProcess

PBXSIM_RECORDING_DIR = "/var/spool/asterisk/recording"
REFERENCE_RIG_RECORDING_DIR = "/opt/asterisk/var/spool/asterisk/recording"


def recording_settings(pbx: Pbx, tmp_path: Path) -> Settings:
    """The rig's settings with MixMonitor writing into the PBX's ARI recordings folder."""
    if isinstance(pbx, PbxsimProcess):
        directory = PBXSIM_RECORDING_DIR
    else:
        directory = os.environ.get("CTI_TEST_ASTERISK_RECORDING_DIR", REFERENCE_RIG_RECORDING_DIR)
    return control_settings(pbx, tmp_path).model_copy(update={"recording_directory": directory})


@pytest.fixture
async def rig(pbx: Pbx, tmp_path: Path) -> AsyncIterator[ControlRig]:
    async with control_rig(recording_settings(pbx, tmp_path)) as running:
        yield running


async def _recorded_call(rig: ControlRig, headers: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Agent 1001 talks to a customer; its call is recorded for a few (simulated) seconds, then stopped."""
    call = await connected_call(rig, headers)
    url = f"/api/v1/calls/{call['call_id']}/recording"
    started = await rig.http.post(url, json={"action": "start"}, headers=headers)
    assert started.status_code == 202, started.text
    await asyncio.sleep(0.5)
    stopped = await rig.http.post(url, json={"action": "stop"}, headers=headers)
    assert stopped.status_code == 202, stopped.text
    return call, str(started.json()["recording_id"])


async def _names(rig: ControlRig, headers: dict[str, str]) -> list[str]:
    response = await rig.http.get("/api/v1/recordings", headers=headers)
    assert response.status_code == 200, response.text
    return [r["name"] for r in response.json()["recordings"]]


async def test_a_recording_started_and_stopped_through_the_api_is_listed_with_its_call_and_agent(
    rig: ControlRig,
) -> None:
    headers = await rig.agent_token("1001")
    call, name = await _recorded_call(rig, headers)

    listed = (await rig.http.get("/api/v1/recordings", headers=headers)).json()["recordings"]
    described = await rig.http.get(f"/api/v1/recordings/{name}", headers=headers)

    mine = [r for r in listed if r["name"] == name]
    assert len(mine) == 1
    assert described.status_code == 200
    assert described.json() == mine[0]
    assert mine[0]["call_id"] == call["call_id"]
    assert mine[0]["agent_ids"] == ["1001"]
    assert mine[0]["format"] == "wav"
    assert mine[0]["file_url"] == f"/api/v1/recordings/{name}/file"


async def test_the_recording_downloads_as_a_non_empty_wav_file(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    _, name = await _recorded_call(rig, headers)

    response = await rig.http.get(f"/api/v1/recordings/{name}/file", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}.wav"'
    assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WAVE"
    with wave.open(io.BytesIO(response.content)) as audio:
        assert audio.getnframes() > 0


async def test_another_agent_neither_lists_nor_reads_nor_downloads_the_recording(rig: ControlRig) -> None:
    _, name = await _recorded_call(rig, await rig.agent_token("1001"))
    other = await rig.agent_token("1002")

    assert name not in await _names(rig, other)
    assert (await rig.http.get(f"/api/v1/recordings/{name}", headers=other)).status_code == 404
    assert (await rig.http.get(f"/api/v1/recordings/{name}/file", headers=other)).status_code == 404


async def test_an_integration_with_calls_read_sees_every_recording(rig: ControlRig) -> None:
    _, name = await _recorded_call(rig, await rig.agent_token("1001"))
    reader = await rig.integration_token(Scope.CALLS_READ)
    writer_only = await rig.integration_token(Scope.CALLS_WRITE)

    assert name in await _names(rig, reader)
    assert (await rig.http.get(f"/api/v1/recordings/{name}/file", headers=reader)).status_code == 200
    assert (await rig.http.get("/api/v1/recordings", headers=writer_only)).status_code == 403
    assert (await rig.http.get("/api/v1/recordings")).status_code == 401


async def test_an_unknown_recording_is_404_for_its_description_and_its_file(rig: ControlRig) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ)

    assert (await rig.http.get("/api/v1/recordings/no-such-recording", headers=headers)).status_code == 404
    assert (
        await rig.http.get("/api/v1/recordings/no-such-recording/file", headers=headers)
    ).status_code == 404


@pytest.mark.parametrize(
    "raw_name",
    ["%2E%2E", "a%5Cb", "a%0Ab", "a%00b", "a%7Fb", "a%2Fb", "..%2F..%2Fetc%2Fpasswd", "a%E2%80%A8b"],
    ids=["dot-dot", "backslash", "line-feed", "nul", "del", "slash", "traversal", "line-separator"],
)
async def test_a_name_with_a_path_separator_or_control_character_is_422_naming_it(
    rig: ControlRig, raw_name: str
) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ)

    for suffix in ("", "/file"):
        response = await rig.http.get(f"/api/v1/recordings/{raw_name}{suffix}", headers=headers)
        assert response.status_code == 422, (raw_name, suffix, response.text)
        assert response.json()["detail"][0]["loc"] == ["path", "name"]


async def test_an_agent_still_finds_its_recording_after_a_gateway_restart(pbx: Pbx, tmp_path: Path) -> None:
    settings = recording_settings(pbx, tmp_path)
    async with control_rig(settings) as first:
        headers = await first.agent_token("1001")
        _, name = await _recorded_call(first, headers)
    async with control_rig(settings) as second:
        assert name in await _names(second, headers)
