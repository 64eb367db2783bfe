"""MixMonitor over AMI writes files that ARI lists as stored recordings, as on Asterisk 22.

On Asterisk, ARI's `/recordings/stored` lists the files under `<astspooldir>/recording`; MixMonitor
writes wherever its `File` says (a bare name goes to the monitor directory, which ARI never sees).
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator

import httpx
import pytest

from pbxsim.ami import AmiServer
from pbxsim.ari import AriServer
from pbxsim.engine import Engine, EngineConfig
from tests.pbxsim.raw_ami import Client, ami_server, login
from tests.pbxsim.test_ami_conference_and_mute import _click_to_call

SPEED = 50.0
RECORDING_DIR = "/var/spool/asterisk/recording"


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    running = Engine(EngineConfig(speed=SPEED, seed=7))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def ami(engine: Engine) -> AsyncIterator[AmiServer]:
    async with ami_server(engine) as server:
        yield server


@pytest.fixture
async def ari(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    server = AriServer(engine, port=0)
    await server.start()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{server.port}/ari", auth=("cti", "cti-secret")
    ) as client:
        yield client
    await server.stop()


async def _action(client: Client, action_id: str, *lines: str) -> bytes:
    await client.send(f"ActionID: {action_id}", *lines)
    return await client.until(f"ActionID: {action_id}\r\n".encode())


async def _stored_names(ari: httpx.AsyncClient) -> list[str]:
    response = await ari.get("/recordings/stored")
    assert response.status_code == 200
    return [r["name"] for r in response.json()]


async def test_a_mixmonitor_file_in_the_recording_dir_is_listed_and_served_by_ari(
    ami: AmiServer, ari: httpx.AsyncClient
) -> None:
    client = await login(ami)
    agent, _ = await _click_to_call(ami, client)

    await _action(
        client, "m1", "Action: MixMonitor", f"Channel: {agent}", f"File: {RECORDING_DIR}/call-42.wav"
    )
    assert "call-42" in await _stored_names(ari)  # listed while being written, like a growing file
    await asyncio.sleep(20 / SPEED)  # 20 simulated seconds of talk
    await _action(client, "s1", "Action: StopMixMonitor", f"Channel: {agent}")

    described = await ari.get("/recordings/stored/call-42")
    audio = await ari.get("/recordings/stored/call-42/file")

    assert described.json() == {"name": "call-42", "format": "wav"}
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF"
    with wave.open(io.BytesIO(audio.content)) as recorded:
        assert recorded.getnframes() / recorded.getframerate() >= 10


async def test_a_hangup_closes_the_mixmonitor_file_without_a_stop_event(
    ami: AmiServer, ari: httpx.AsyncClient
) -> None:
    client = await login(ami)
    agent, customer = await _click_to_call(ami, client)
    await _action(
        client, "m1", "Action: MixMonitor", f"Channel: {agent}", f"File: {RECORDING_DIR}/hung-up.wav"
    )
    await asyncio.sleep(0.2)

    await _action(client, "h1", "Action: Hangup", f"Channel: {customer}")
    await client.until(b"Event: Hangup\r\n", timeout=5)
    await asyncio.sleep(0.1)

    audio = await ari.get("/recordings/stored/hung-up/file")
    assert audio.status_code == 200
    with wave.open(io.BytesIO(audio.content)) as recorded:
        assert recorded.getnframes() > 0
    assert b"Event: MixMonitorStop" not in client.buffer


async def test_a_mixmonitor_file_outside_the_recording_dir_stays_invisible_to_ari(
    ami: AmiServer, ari: httpx.AsyncClient
) -> None:
    client = await login(ami)
    agent, _ = await _click_to_call(ami, client)

    await _action(client, "m1", "Action: MixMonitor", f"Channel: {agent}", "File: in-monitor-dir.wav")
    await _action(
        client, "m2", "Action: MixMonitor", f"Channel: {agent}", f"File: {RECORDING_DIR}/../escape.wav"
    )
    await _action(client, "s1", "Action: StopMixMonitor", f"Channel: {agent}")

    assert await _stored_names(ari) == []
    assert (await ari.get("/recordings/stored/in-monitor-dir/file")).status_code == 404
