"""Call-control flows end to end: REST → gateway → AMI socket → pbxsim, watched as a desktop sees them.

Attended transfer (start, complete, cancel, swap), conference (add a number, merge the consultation,
remove a party, mute), supervisor monitoring (ChanSpy) and recording (MixMonitor).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cti_gateway.auth.principal import Scope
from tests.cti_gateway.call_control.rig import (
    ControlRig,
    call_until,
    connected_call,
    control_rig,
    control_settings,
    party_of,
    queue_call,
    saw,
    wait_until,
)
from tests.cti_gateway.conftest import Pbx


@pytest.fixture
async def rig(pbx: Pbx, tmp_path: Path) -> AsyncIterator[ControlRig]:
    async with control_rig(control_settings(pbx, tmp_path)) as running:
        yield running


def _customer(call: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in call["parties"] if p["agent_id"] is None)


def _queue_agent(call: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in call["parties"] if p["role"] == "agent")


def _caller(call: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in call["parties"] if p["role"] == "caller")


async def _start_consultation(
    rig: ControlRig, headers: dict[str, str], call: dict[str, Any]
) -> dict[str, Any]:
    """The queue agent consults agent 1004 (Atxfer) until 1004 talks to it."""
    response = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/transfer", json={"to": "1004", "mode": "attended"}, headers=headers
    )
    assert response.status_code == 202, response.text
    transfer: dict[str, Any] = response.json()
    assert (transfer["state"], transfer["talking_with"]) == ("consulting", "consulted")
    atxfer = rig.actions_named("Atxfer")[0]
    assert (atxfer["Channel"], atxfer["Exten"]) == (_queue_agent(call)["channel"], "1004")
    await call_until(
        rig,
        headers,
        call["call_id"],
        lambda c: party_of(c, agent_id="1004", state="talking"),
        "agent 1004 answers the consultation",
    )
    return transfer


async def test_an_attended_transfer_completed_leaves_the_customer_with_the_consulted_agent(
    rig: ControlRig,
) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ, Scope.CALLS_WRITE)
    call = await queue_call(rig, headers)
    transfer = await _start_consultation(rig, headers, call)

    response = await rig.http.post(f"/api/v1/transfers/{transfer['transfer_id']}/complete", headers=headers)

    assert response.status_code == 202, response.text
    assert response.json()["state"] == "completed"
    await wait_until(lambda: saw(rig, "call.transferred", call["call_id"]), 10, "call.transferred")
    transferred = next(e for e in rig.events if e.type == "call.transferred")
    assert transferred.data["kind"] == "attended"
    after = await call_until(
        rig,
        headers,
        call["call_id"],
        lambda c: (
            party_of(c, party_id=_queue_agent(call)["party_id"], state="ended")
            and party_of(c, agent_id="1004", state="talking")
        ),
        "the first agent gone, 1004 talking",
    )
    assert _caller(after)["state"] == "talking"
    again = await rig.http.post(f"/api/v1/transfers/{transfer['transfer_id']}/complete", headers=headers)
    assert again.status_code == 409

    hangup = await rig.http.delete(
        f"/api/v1/calls/{call['call_id']}/parties/{_caller(call)['party_id']}", headers=headers
    )
    assert hangup.status_code == 202
    await wait_until(lambda: saw(rig, "call.ended", call["call_id"]), 10, "call.ended")


async def test_an_attended_transfer_cancelled_brings_the_agent_back_to_the_customer(rig: ControlRig) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ, Scope.CALLS_WRITE)
    call = await queue_call(rig, headers)
    transfer = await _start_consultation(rig, headers, call)

    response = await rig.http.post(f"/api/v1/transfers/{transfer['transfer_id']}/cancel", headers=headers)

    assert response.status_code == 202, response.text
    assert response.json()["state"] == "cancelled"
    assert rig.actions_named("CancelAtxfer")[0]["Channel"] == _queue_agent(call)["channel"]
    back = await call_until(
        rig,
        headers,
        call["call_id"],
        lambda c: (
            party_of(c, agent_id="1004", state="ended")
            and party_of(c, party_id=_queue_agent(call)["party_id"], state="talking")
        ),
        "consulted agent dropped, the first agent back with the customer",
    )
    assert _caller(back)["state"] == "talking"
    assert not saw(rig, "call.transferred", call["call_id"])
    fetched = await rig.http.get(f"/api/v1/transfers/{transfer['transfer_id']}", headers=headers)
    assert fetched.json()["state"] == "cancelled"


async def test_another_agent_cannot_complete_or_see_a_transfer_it_does_not_own(rig: ControlRig) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ, Scope.CALLS_WRITE)
    call = await queue_call(rig, headers)
    transfer = await _start_consultation(rig, headers, call)
    outsider = await rig.agent_token("1002" if _queue_agent(call)["agent_id"] != "1002" else "1001")

    completed = await rig.http.post(f"/api/v1/transfers/{transfer['transfer_id']}/complete", headers=outsider)
    fetched = await rig.http.get(f"/api/v1/transfers/{transfer['transfer_id']}", headers=outsider)

    assert (completed.status_code, fetched.status_code) == (404, 404)
    assert rig.actions_named("Hangup") == []


async def test_adding_a_number_makes_a_conference_of_everyone_on_the_call(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await connected_call(rig, headers)

    response = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/conference", json={"to": "1002"}, headers=headers
    )

    assert response.status_code == 202, response.text
    redirect = rig.actions_named("Redirect")[0]
    assert {redirect["Channel"], redirect["ExtraChannel"]} == {p["channel"] for p in call["parties"]}
    assert (redirect["Context"], redirect["Exten"]) == ("conf", redirect["ExtraExten"])
    originate = rig.actions_named("Originate")[-1]
    assert (originate["Channel"], originate["Exten"]) == ("Local/1002@dial-out", redirect["Exten"])
    conference = await call_until(
        rig,
        headers,
        call["call_id"],
        lambda c: c["conference"] and party_of(c, agent_id="1002", state="talking"),
        "1002 joins the conference",
    )
    assert conference["conference"] == redirect["Exten"]
    assert [p["state"] for p in conference["parties"] if p["state"] != "ended"] == ["talking"] * 3
    assert saw(rig, "call.conferenced", call["call_id"])

    removed = await rig.http.delete(
        f"/api/v1/calls/{call['call_id']}/parties/{party_of(conference, agent_id='1002')['party_id']}",  # type: ignore[index]
        headers=headers,
    )

    assert removed.status_code == 202
    still = await call_until(
        rig, headers, call["call_id"], lambda c: party_of(c, agent_id="1002", state="ended"), "1002 left"
    )
    assert party_of(still, agent_id="1001", state="talking") is not None
    assert _customer(still)["state"] == "talking"


async def test_the_agent_mutes_and_unmutes_itself_or_another_party(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await connected_call(rig, headers)
    agent, customer = party_of(call, agent_id="1001"), _customer(call)
    assert agent is not None

    muted = await rig.http.post(f"/api/v1/calls/{call['call_id']}/mute", headers=headers)
    unmuted = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/unmute", json={"party": customer["party_id"]}, headers=headers
    )

    assert (muted.status_code, unmuted.status_code) == (202, 202), unmuted.text
    assert muted.json()["party_id"] == agent["party_id"]
    assert [(a["Channel"], a["Direction"], a["State"]) for a in rig.actions_named("MuteAudio")] == [
        (agent["channel"], "in", "on"),
        (customer["channel"], "in", "off"),
    ]


async def test_muting_an_unknown_party_is_404_and_a_control_character_is_422(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await connected_call(rig, headers)

    unknown = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/mute", json={"party": "p-9"}, headers=headers
    )
    broken = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/mute", json={"party": "p\r\nAction: Hangup"}, headers=headers
    )

    assert unknown.status_code == 404
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["loc"][-1] == "party"
    assert rig.actions_named("MuteAudio") == []


@pytest.mark.parametrize("body", [{}, {"to": "1002", "transfer_id": "t-1"}])
async def test_a_conference_needs_either_a_number_or_a_consultation(
    rig: ControlRig, body: dict[str, str]
) -> None:
    headers = await rig.agent_token("1001")
    call = await connected_call(rig, headers)

    response = await rig.http.post(f"/api/v1/calls/{call['call_id']}/conference", json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] in ("to", "transfer_id")
    assert rig.actions_named("Redirect") == []


@pytest.mark.parametrize(("mode", "options"), [("listen", "qE"), ("whisper", "qwE"), ("barge", "qBE")])
async def test_a_supervisor_monitors_the_agent_with_chanspy(rig: ControlRig, mode: str, options: str) -> None:
    agent_headers = await rig.agent_token("1001")
    call = await connected_call(rig, agent_headers)
    supervisor = await rig.integration_token(Scope.CALLS_READ, Scope.SUPERVISOR)

    response = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/monitor",
        json={"mode": mode, "from": "Local/2901@customers"},
        headers=supervisor,
    )

    assert response.status_code == 202, response.text
    spy = rig.actions_named("Originate")[-1]
    agent = party_of(call, agent_id="1001")
    assert agent is not None
    assert (spy["Channel"], spy["Application"], spy["Data"]) == (
        "Local/2901@customers",
        "ChanSpy",
        f"{agent['channel']},{options}",
    )
    agent_refused = await rig.http.post(
        f"/api/v1/calls/{call['call_id']}/monitor",
        json={"mode": mode, "from": "Local/2901@customers"},
        headers=agent_headers,
    )
    assert agent_refused.status_code == 403


async def test_a_recording_starts_pauses_resumes_and_stops_on_the_agent_leg(rig: ControlRig) -> None:
    headers = await rig.agent_token("1001")
    call = await connected_call(rig, headers)
    agent = party_of(call, agent_id="1001")
    assert agent is not None
    url = f"/api/v1/calls/{call['call_id']}/recording"

    states = []
    for action in ("start", "pause", "resume", "stop"):
        response = await rig.http.post(url, json={"action": action}, headers=headers)
        assert response.status_code == 202, response.text
        states.append(response.json()["state"])

    assert states == ["recording", "paused", "recording", "stopped"]
    started = rig.actions_named("MixMonitor")[0]
    assert started["Channel"] == agent["channel"]
    assert started["File"].endswith(".wav")
    assert [a["State"] for a in rig.actions_named("MixMonitorMute")] == [1, 0]
    assert rig.actions_named("StopMixMonitor")[0]["Channel"] == agent["channel"]
    stopped_twice = await rig.http.post(url, json={"action": "stop"}, headers=headers)
    assert stopped_twice.status_code == 409


async def test_swap_feeds_the_atxferswap_feature_to_the_transferer_and_alternates(rig: ControlRig) -> None:
    headers = await rig.integration_token(Scope.CALLS_READ, Scope.CALLS_WRITE)
    call = await queue_call(rig, headers)
    transfer = await _start_consultation(rig, headers, call)
    url = f"/api/v1/transfers/{transfer['transfer_id']}/swap"

    first = await rig.http.post(url, headers=headers)
    second = await rig.http.post(url, headers=headers)

    assert (first.status_code, second.status_code) == (202, 202), first.text
    assert [first.json()["talking_with"], second.json()["talking_with"]] == ["held", "consulted"]
    fed = [(a["Channel"], a["Digit"], a["Receive"]) for a in rig.actions_named("PlayDTMF")]
    assert fed == [(_queue_agent(call)["channel"], d, "true") for d in "*4*4"]
    unknown = await rig.http.post("/api/v1/transfers/nope/swap", headers=headers)
    assert unknown.status_code == 404
