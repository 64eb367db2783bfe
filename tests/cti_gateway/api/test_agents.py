"""`/api/v1/agents` end to end: the gateway built as `serve` builds it, against pbxsim over sockets.

Agents added here take effect at once (their phone pops) and survive a restart; agent states reach
desktops and supervisors as `agent.state_changed` over a real WebSocket served by uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from cti_gateway.api.app import create_app
from cti_gateway.auth.tokens import issue_agent_token, issue_integration_token
from cti_gateway.gateway import Gateway
from cti_gateway.settings import Settings
from cti_gateway.wiring import build_gateway
from tests.cti_gateway.conftest import (
    GatewayStarter,
    Pbx,
    RunningGateway,
    ami_session,
    eventually,
    gateway_settings,
)
from tests.cti_gateway.serving import serve_gateway

ANA = {"id": "1001", "name": "Ana Pérez", "endpoint": "Local/1001@agents"}
LIA = {"id": "1042", "name": "Lía Gómez", "endpoint": "Local/1042@agents"}
EVENT_TIMEOUT = 20.0
Event = dict[str, Any]


def agents_settings(pbx: Pbx, tmp_path: Path) -> Settings:
    return gateway_settings(pbx, tmp_path, agents=[ANA])


async def _headers(gateway: Gateway, *scopes: str) -> dict[str, str]:
    issued = await issue_integration_token(gateway.api_tokens, "agents test", scopes)
    return {"Authorization": f"Bearer {issued.secret}"}


async def _agent_headers(gateway: Gateway, agent_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await issue_agent_token(gateway.api_tokens, agent_id)).secret}"}


@pytest.fixture
async def running(pbx: Pbx, tmp_path: Path, start_gateway: GatewayStarter) -> RunningGateway:
    running = await start_gateway(agents_settings(pbx, tmp_path))
    await running.wait_for_readyz(200)
    return running


# --- auth ---------------------------------------------------------------------------------------


async def test_reading_agents_needs_a_token_with_calls_read_or_supervisor(running: RunningGateway) -> None:
    gateway, http = running.gateway, running.http

    anonymous = await http.get("/api/v1/agents")
    writer_only = await http.get("/api/v1/agents", headers=await _headers(gateway, "calls:write"))
    reader = await http.get("/api/v1/agents", headers=await _headers(gateway, "calls:read"))
    supervisor = await http.get(
        "/api/v1/agents/1001", headers=await _headers(gateway, "supervisor", "queue:sales")
    )

    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert writer_only.status_code == 403
    assert reader.status_code == 200
    [ana] = reader.json()["agents"]
    assert {k: ana[k] for k in ("id", "name", "endpoint", "source")} == {**ANA, "source": "settings"}
    assert supervisor.status_code == 200, supervisor.text


async def test_an_agent_token_sees_its_own_agent_only(running: RunningGateway) -> None:
    gateway, http = running.gateway, running.http
    added = await http.post("/api/v1/agents", json=LIA, headers=await _headers(gateway, "admin"))
    assert added.status_code == 201, added.text
    ana = await _agent_headers(gateway, "1001")

    listed = await http.get("/api/v1/agents", headers=ana)
    other = await http.get("/api/v1/agents/1042", headers=ana)

    assert [a["id"] for a in listed.json()["agents"]] == ["1001"]
    assert other.status_code == 403


async def test_changing_agents_needs_the_admin_scope(running: RunningGateway) -> None:
    gateway, http = running.gateway, running.http
    not_admin = await _headers(gateway, "calls:read", "calls:write", "supervisor")

    assert (await http.post("/api/v1/agents", json=LIA)).status_code == 401
    assert (await http.post("/api/v1/agents", json=LIA, headers=not_admin)).status_code == 403
    assert (await http.delete("/api/v1/agents/1001", headers=not_admin)).status_code == 403
    assert (await http.get("/api/v1/agents/1042", headers=not_admin)).status_code == 404


# --- validation and conflicts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LIA, "id": "10 42"}, "id"),
        ({**LIA, "id": "x" * 65}, "id"),
        ({**LIA, "endpoint": "1042"}, "endpoint"),
        ({**LIA, "endpoint": "Local/1042@agents\r\nAction: Originate"}, "endpoint"),
        ({**LIA, "endpoint": "Local/1042@agents\x00"}, "endpoint"),
        ({**LIA, "endpoint": "Local//"}, "endpoint"),
        ({**LIA, "name": "Lía\nGómez"}, "name"),
        ({**LIA, "name": ""}, "name"),
        ({"id": "1042", "endpoint": "Local/1042@agents"}, "name"),
        ({**LIA, "skills": ["sales"]}, "skills"),
    ],
)
async def test_a_malformed_field_gets_a_422_that_names_it_and_nothing_is_added(
    running: RunningGateway, body: dict[str, Any], field: str
) -> None:
    gateway, http = running.gateway, running.http
    admin = await _headers(gateway, "admin")

    response = await http.post("/api/v1/agents", json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    assert [a["id"] for a in (await http.get("/api/v1/agents", headers=admin)).json()["agents"]] == ["1001"]


async def test_a_taken_id_or_phone_is_a_conflict(running: RunningGateway) -> None:
    gateway, http = running.gateway, running.http
    admin = await _headers(gateway, "admin")

    same_id = await http.post("/api/v1/agents", json={**LIA, "id": "1001"}, headers=admin)
    same_phone = await http.post(
        "/api/v1/agents", json={**LIA, "endpoint": "local/1001@agents"}, headers=admin
    )
    added = await http.post("/api/v1/agents", json=LIA, headers=admin)
    again = await http.post("/api/v1/agents", json=LIA, headers=admin)

    assert (same_id.status_code, same_phone.status_code) == (409, 409)
    assert "1001" in same_id.json()["detail"] and "1001" in same_phone.json()["detail"]
    assert added.status_code == 201 and added.headers["Location"] == "/api/v1/agents/1042"
    assert again.status_code == 409


async def test_settings_agents_are_read_only_and_api_agents_can_be_changed_and_removed(
    running: RunningGateway,
) -> None:
    gateway, http = running.gateway, running.http
    admin = await _headers(gateway, "admin")
    await http.post("/api/v1/agents", json=LIA, headers=admin)

    settings_change = await http.patch("/api/v1/agents/1001", json={"name": "Ana"}, headers=admin)
    renamed = await http.patch("/api/v1/agents/1042", json={"name": "Lía G."}, headers=admin)
    bad_phone = await http.patch("/api/v1/agents/1042", json={"endpoint": "PJSIP/1042\r\n"}, headers=admin)
    replaced = await http.put(
        "/api/v1/agents/1042", json={"name": "Lía", "endpoint": "Local/1043@agents"}, headers=admin
    )
    resolved_after_put = gateway.agents.agent_for("Local/1043@agents-0000000a;1")
    removed = await http.delete("/api/v1/agents/1042", headers=admin)
    gone = await http.get("/api/v1/agents/1042", headers=admin)

    assert settings_change.status_code == 409 and "settings file" in settings_change.json()["detail"]
    assert renamed.json()["name"] == "Lía G."
    assert bad_phone.status_code == 422 and bad_phone.json()["detail"][0]["loc"] == ["body", "endpoint"]
    assert (replaced.json()["name"], replaced.json()["endpoint"]) == ("Lía", "Local/1043@agents")
    assert resolved_after_put == "1042"
    assert removed.status_code == 204
    assert gone.status_code == 404
    assert gateway.agents.agent_for("Local/1043@agents-0000000a;1") is None


async def test_an_agent_added_through_the_api_survives_a_restart(pbx: Pbx, tmp_path: Path) -> None:
    settings = agents_settings(pbx, tmp_path)
    first = await build_gateway(settings)
    await first.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(first)), base_url="http://gateway"
        ) as http:
            assert first.agent_roster is not None
            await asyncio.wait_for(first.agent_roster.loaded.wait(), 15)
            added = await http.post("/api/v1/agents", json=LIA, headers=await _headers(first, "admin"))
            assert added.status_code == 201, added.text
    finally:
        await first.stop()

    second = await build_gateway(settings)
    await second.start()
    try:
        assert second.agent_roster is not None
        await asyncio.wait_for(second.agent_roster.loaded.wait(), 15)
        entry = second.agent_roster.get("1042")
    finally:
        await second.stop()

    assert (entry.agent.name, entry.agent.endpoint, entry.source) == (LIA["name"], LIA["endpoint"], "api")
    assert second.agents.agent_for("Local/1042@agents-00000001;1") == "1042"


# --- over a real WebSocket ----------------------------------------------------------------------


class Desktop:
    """A `/ws` client reading in the background, keeping every numbered event."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[Event] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            frame: Event = json.loads(message)
            if "seq" in frame and frame["type"] != "resync":
                self.events.append(frame)

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e["type"] == kind]

    async def first(self, match: Callable[[Event], bool], what: str) -> Event:
        await eventually(lambda: any(match(e) for e in self.events), EVENT_TIMEOUT, f"not seen: {what}")
        return next(e for e in self.events if match(e))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.ws.close()


@contextlib.asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient, int]]:
    """The gateway served by uvicorn on a free port, ready for desktops and with its agents loaded."""
    async with serve_gateway(settings) as running:
        assert running.gateway.agent_roster is not None
        await asyncio.wait_for(running.gateway.agent_roster.loaded.wait(), 30)
        yield running.gateway, running.http, running.port


@contextlib.asynccontextmanager
async def desktop(port: int, token: str) -> AsyncIterator[Desktop]:
    ws = await connect(f"ws://127.0.0.1:{port}/ws?token={token}")
    hello = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT))
    assert hello["type"] == "hello", hello
    client = Desktop(ws)
    try:
        yield client
    finally:
        await client.close()


async def test_an_agent_added_through_the_api_gets_its_screen_pop_when_its_phone_rings(
    pbx: Pbx, tmp_path: Path
) -> None:
    async with served(agents_settings(pbx, tmp_path)) as (gateway, http, port):
        added = await http.post("/api/v1/agents", json=LIA, headers=await _headers(gateway, "admin"))
        assert added.status_code == 201, added.text
        token = (await issue_agent_token(gateway.api_tokens, "1042")).secret
        async with desktop(port, token) as lia:
            placed = await http.post(
                "/api/v1/calls",
                json={"from": "1042", "to": "2001"},
                headers=await _headers(gateway, "calls:write"),
            )
            assert placed.status_code == 201, placed.text
            call_id = placed.json()["call_id"]

            pop = await lia.first(lambda e: e["type"] == "screen_pop", "Lía's screen pop")
            ringing = await lia.first(
                lambda e: e["type"] == "agent.state_changed" and e["data"]["state"] == "ringing",
                "Lía ringing",
            )

    assert pop["call_id"] == call_id
    assert pop["data"]["agent_id"] == "1042"
    assert ringing["data"]["agent_id"] == "1042"
    assert ringing["data"]["call_id"] == call_id
    assert ringing["call_id"] is None
    assert not [e for e in lia.events if e["type"] == "screen_pop" and e["data"]["agent_id"] != "1042"]


async def test_a_queue_pause_on_the_pbx_reaches_the_agent_and_its_supervisor_once_with_its_reason(
    pbx: Pbx, tmp_path: Path
) -> None:
    async with served(agents_settings(pbx, tmp_path)) as (gateway, http, port):
        reader = await _headers(gateway, "calls:read")
        await eventually(
            lambda: (
                gateway.agent_states is not None and gateway.agent_states.status("1001").state == "available"
            ),
            EVENT_TIMEOUT,
            "agent 1001 available after the first resync",
        )
        agent_token = (await issue_agent_token(gateway.api_tokens, "1001")).secret
        supervisor_token = (
            await issue_integration_token(
                gateway.api_tokens, "support floor", ["supervisor", "queue:support"]
            )
        ).secret
        async with (
            desktop(port, agent_token) as ana,
            desktop(port, supervisor_token) as supervisor,
            ami_session(pbx) as console,
        ):
            # No Queue: Asterisk pauses 1001 in sales and in support, and reports each queue separately.
            await console.send_action(
                "QueuePause", Interface="Local/1001@agents/n", Paused="true", Reason="lunch"
            )
            paused = await ana.first(lambda e: e["type"] == "agent.state_changed", "the pause")
            await supervisor.first(lambda e: e["type"] == "agent.state_changed", "the pause (supervisor)")
            listed = (await http.get("/api/v1/agents/1001", headers=reader)).json()
            await console.send_action("QueuePause", Interface="Local/1001@agents/n", Paused="false")
            await ana.first(
                lambda e: e["type"] == "agent.state_changed" and e["data"]["state"] == "available",
                "the unpause",
            )
            await asyncio.sleep(0.3)  # room for a duplicate to arrive, if one were sent

    assert paused["data"] | {"since": None} == {
        "agent_id": "1001",
        "state": "paused",
        "previous": "available",
        "reason": "lunch",
        "queues": ["sales", "support"],
        "call_id": None,
        "since": None,
    }
    assert [(e["data"]["state"], e["data"]["reason"]) for e in ana.of_type("agent.state_changed")] == [
        ("paused", "lunch"),
        ("available", None),
    ]
    assert [e["data"]["state"] for e in supervisor.of_type("agent.state_changed")] == ["paused", "available"]
    assert (listed["state"], listed["reason"]) == ("paused", "lunch")
