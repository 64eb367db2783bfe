"""REST call control end to end: HTTP → gateway → AMI socket → pbxsim (or the real Asterisk 22) and back.

The agent phones and customers are the reference dialplan's simulated ones (Local channels).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cti_gateway.auth.principal import Scope
from tests.cti_gateway.call_control.rig import ControlRig, control_rig, control_settings, wait_until
from tests.cti_gateway.conftest import Pbx

LINK_HOUSEKEEPING = frozenset({"Ping", "CoreSettings", "CoreShowChannels", "QueueStatus"})
"""Actions the AMI link sends by itself; anything else reaching AMI came from a request."""


@pytest.fixture
async def rig(pbx: Pbx, tmp_path: Path) -> AsyncIterator[ControlRig]:
    async with control_rig(control_settings(pbx, tmp_path)) as running:
        yield running


async def _place_call(rig: ControlRig, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"from": "1001", "to": "2001", **extra}
    response = await rig.http.post("/api/v1/calls", json=body, headers=headers)
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


async def _call(rig: ControlRig, headers: dict[str, str], call_id: str) -> dict[str, Any]:
    response = await rig.http.get(f"/api/v1/calls/{call_id}", headers=headers)
    assert response.status_code == 200, response.text
    call: dict[str, Any] = response.json()
    return call


def _party(call: dict[str, Any], **match: Any) -> dict[str, Any] | None:
    for party in call["parties"]:
        if all(party.get(k) == v for k, v in match.items()):
            return party
    return None


async def _connected_call(rig: ControlRig, headers: dict[str, str]) -> dict[str, Any]:
    """Click-to-call 1001 → 2001 and wait until the agent and the customer both talk."""
    placed = await _place_call(rig, headers)
    latest: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        latest = await _call(rig, headers, placed["call_id"])
        if _party(latest, agent_id="1001", state="talking") and _party(
            latest, agent_id=None, state="talking"
        ):
            return latest
        await asyncio.sleep(0.05)
    raise AssertionError(f"call never connected: {latest}")


async def _talking_with(rig: ControlRig, call_id: str, agent_id: str) -> None:
    """Wait until `agent_id` talks on the call (after a transfer or a retrieve)."""
    headers = await rig.integration_token(Scope.CALLS_READ)
    latest: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        latest = await _call(rig, headers, call_id)
        if _party(latest, agent_id=agent_id, state="talking"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"agent {agent_id} never talked on the call: {latest}")


async def _customer_hangs_up_and_the_call_ends(rig: ControlRig, call: dict[str, Any]) -> None:
    """The customer's leg is still up after the transfer or retrieve; hanging it up ends the call."""
    headers = await rig.integration_token(Scope.CALLS_READ, Scope.CALLS_WRITE)
    customer = next(p for p in call["parties"] if p["agent_id"] is None)
    assert not any(e.type == "call.ended" and e.call_id == call["call_id"] for e in rig.events)

    response = await rig.http.delete(
        f"/api/v1/calls/{call['call_id']}/parties/{customer['party_id']}", headers=headers
    )

    assert response.status_code == 202, response.text
    await wait_until(
        lambda: any(e.type == "call.ended" and e.call_id == call["call_id"] for e in rig.events),
        10,
        "call.ended after the customer hung up",
    )
    hangups = rig.actions_named("Hangup")
    assert hangups[-1]["Channel"] == customer["channel"]


async def test_click_to_call_rings_the_agent_first_and_appears_in_get_calls(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")

    placed = await _place_call(rig, headers, attached={"crm_case": "C-42"})

    assert placed["call_id"]
    assert placed["endpoint"] == "Local/1001@agents"
    assert placed["channel"].startswith("Local/1001@agents-")
    assert placed["to"] == "2001"
    originate = rig.actions_named("Originate")[0]
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == (
        "Local/1001@agents",
        "dial-out",
        "2001",
    )
    listed = (await rig.http.get("/api/v1/calls", headers=headers)).json()["calls"]
    assert [c["call_id"] for c in listed] == [placed["call_id"]]
    assert listed[0]["attached"]["crm_case"] == "C-42"
    assert listed[0]["attached"]["dnis"] == "2001"
    assert "CTI_DNIS=2001" in originate["Variable"]  # attached before the agent's phone rings
    ringing = next(e for e in rig.events if e.type == "call.ringing" and e.call_id == placed["call_id"])
    assert ringing.data["attached"]["dnis"] == "2001"
    assert _party(listed[0], agent_id="1001") is not None


async def test_the_same_idempotency_key_twice_places_one_call(rig: ControlRig) -> None:
    headers = {
        **(await rig.integration_token(Scope.CALLS_WRITE, Scope.CALLS_READ)),
        "Idempotency-Key": "k-123",
    }

    first = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2001"}, headers=headers)
    second = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2001"}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(rig.actions_named("Originate")) == 1
    listed = (await rig.http.get("/api/v1/calls", headers=headers)).json()["calls"]
    assert len(listed) == 1


async def test_an_idempotency_key_reused_for_another_request_is_refused(rig: ControlRig) -> None:
    headers = {**(await rig.integration_token(Scope.CALLS_WRITE)), "Idempotency-Key": "k-9"}
    await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2001"}, headers=headers)

    other = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2002"}, headers=headers)

    assert other.status_code == 422
    assert len(rig.actions_named("Originate")) == 1


async def test_hangup_ends_the_call_for_everyone(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await _connected_call(rig, headers)

    response = await rig.http.post(f"/api/v1/calls/{call['call_id']}/hangup", headers=headers)

    assert response.status_code == 202
    await wait_until(
        lambda: any(e.type == "call.ended" and e.call_id == call["call_id"] for e in rig.events),
        10,
        "call.ended",
    )
    assert (await rig.http.get(f"/api/v1/calls/{call['call_id']}", headers=headers)).status_code in (200, 404)


async def test_blind_transfer_hands_the_customer_to_another_agent(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await _connected_call(rig, headers)

    response = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/transfer", json={"to": "1002", "mode": "blind"}, headers=headers
    )

    assert response.status_code == 202, response.text
    assert response.json()["state"] == "done"
    transfer = rig.actions_named("BlindTransfer")[0]
    assert transfer["Channel"] == _party(call, agent_id="1001")["channel"]  # type: ignore[index]
    assert (transfer["Context"], transfer["Exten"]) == ("dial-out", "1002")
    await wait_until(
        lambda: any(e.type == "call.transferred" and e.call_id == call["call_id"] for e in rig.events),
        10,
        "call.transferred",
    )
    await _talking_with(rig, call["call_id"], "1002")
    await _customer_hangs_up_and_the_call_ends(rig, call)


async def test_hold_parks_the_customer_and_retrieve_rings_the_agent_back(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await _connected_call(rig, headers)
    customer = next(p for p in call["parties"] if p["agent_id"] is None)

    held = await rig.http.post(f"/api/v1/calls/{call['call_id']}/hold", headers=headers)

    assert held.status_code == 202, held.text
    assert rig.actions_named("Park")[0]["Channel"] == customer["channel"]
    await wait_until(
        lambda: any(e.type == "call.held" and e.call_id == call["call_id"] for e in rig.events),
        10,
        "call.held",
    )

    retrieved = await rig.http.post(f"/api/v1/calls/{call['call_id']}/retrieve", headers=headers)

    assert retrieved.status_code == 202, retrieved.text
    redirect = rig.actions_named("Redirect")[0]
    assert (redirect["Channel"], redirect["Context"], redirect["Exten"]) == (
        customer["channel"],
        "dial-out",
        "1001",
    )
    await wait_until(
        lambda: any(e.type == "call.retrieved" and e.call_id == call["call_id"] for e in rig.events),
        10,
        "call.retrieved",
    )
    await _talking_with(rig, call["call_id"], "1001")
    await _customer_hangs_up_and_the_call_ends(rig, call)


async def test_retrieve_of_a_call_that_is_not_held_is_a_conflict(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await _connected_call(rig, headers)

    response = await rig.http.post(f"/api/v1/calls/{call['call_id']}/retrieve", headers=headers)

    assert response.status_code == 409
    assert rig.actions_named("Redirect") == []


async def test_dtmf_digits_are_played_towards_the_customer(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await _connected_call(rig, headers)
    customer = next(p for p in call["parties"] if p["agent_id"] is None)

    response = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/dtmf", json={"digits": "12#"}, headers=headers
    )

    assert response.status_code == 202, response.text
    played = rig.actions_named("PlayDTMF")
    assert [(a["Channel"], a["Digit"]) for a in played] == [(customer["channel"], d) for d in "12#"]


async def test_without_a_token_the_api_answers_401(rig: ControlRig) -> None:
    assert (await rig.http.get("/api/v1/calls")).status_code == 401
    assert (await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2001"})).status_code == 401
    assert rig.actions_named("Originate") == []


async def test_a_read_only_token_gets_403_on_changes(rig: ControlRig) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ)

    assert (await rig.http.get("/api/v1/calls", headers=headers)).status_code == 200
    response = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2001"}, headers=headers)

    assert response.status_code == 403
    assert rig.actions_named("Originate") == []


async def test_an_agent_cannot_see_or_touch_another_agents_call(rig: ControlRig) -> None:
    ana = await rig.agent_token("1001")
    bruno = await rig.agent_token("1002")
    placed = await _place_call(rig, ana)

    assert (await rig.http.get("/api/v1/calls", headers=bruno)).json()["calls"] == []
    assert (await rig.http.get(f"/api/v1/calls/{placed['call_id']}", headers=bruno)).status_code == 403
    assert (
        await rig.http.post(f"/api/v1/calls/{placed['call_id']}/hangup", headers=bruno)
    ).status_code == 403
    on_behalf = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": "2002"}, headers=bruno)
    assert on_behalf.status_code == 403
    assert rig.actions_named("Hangup") == []
    assert len(rig.actions_named("Originate")) == 1


@pytest.mark.parametrize("number", ["+1 555", "12-34-abc", "+99912345678", "555 12345 67 89 01 23"])
async def test_a_malformed_number_gets_422_naming_the_to_field(rig: ControlRig, number: str) -> None:
    headers = await rig.agent_token("1001")

    response = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": number}, headers=headers)

    assert response.status_code == 422
    assert [problem["loc"][-1] for problem in response.json()["detail"]] == ["to"]
    assert rig.actions_named("Originate") == []


@pytest.mark.parametrize("field", ["from", "to"])
async def test_a_line_break_in_a_field_gets_422_and_nothing_reaches_ami(rig: ControlRig, field: str) -> None:
    headers = await rig.integration_token(Scope.CALLS_WRITE)
    body = {"from": "Local/1001@agents", "to": "2001"}
    body[field] = body[field] + "\r\nAction: Hangup\r\nChannel: /.*/"

    response = await rig.http.post("/api/v1/calls", json=body, headers=headers)

    assert response.status_code == 422
    assert [problem["loc"][-1] for problem in response.json()["detail"]] == [field]
    assert rig.ami_actions == [] or all(
        a in ("Ping", "CoreShowChannels", "QueueStatus", "CoreSettings") for a, _ in rig.ami_actions
    )


async def test_a_control_character_in_a_transfer_target_gets_422_naming_it(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    placed = await _place_call(rig, headers)

    response = await rig.http.post(
        f"/api/v1/calls/{placed['call_id']}/transfer", json={"to": "1002\n", "mode": "blind"}, headers=headers
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "to"
    assert rig.actions_named("BlindTransfer") == []


async def test_an_unknown_call_is_404(rig: ControlRig) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ, Scope.CALLS_WRITE)

    assert (await rig.http.get("/api/v1/calls/nope", headers=headers)).status_code == 404
    assert (await rig.http.post("/api/v1/calls/nope/hangup", headers=headers)).status_code == 404
