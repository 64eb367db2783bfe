"""pbxsim's ARI server behaves like Asterisk 22.10.1's (wire INDEX items 24–32)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from pbxsim.ari import AriServer
from pbxsim.engine import Engine
from tests.pbxsim.ari.conftest import AriSession

INBOUND = {
    "endpoint": "Local/5550100@stasis-in",
    "context": "customers",
    "extension": "2001",
    "channelId": "peer-wire-in",
    "otherChannelId": "wire-in",
    "callerId": '"Wire Inbound" <5551300>',
}


async def inbound_call(ari: AriSession, channel_id: str = "wire-in", number: str = "5550100") -> None:
    """A call that enters Stasis(cti,inbound,<number>) from the dialplan, as in the recordings."""
    params = dict(INBOUND, endpoint=f"Local/{number}@stasis-in", channelId=f"peer-{channel_id}")
    params["otherChannelId"] = channel_id
    reply = await ari.http.post("channels", params=params, json={"variables": {"CUSTOMER_TALK_SECS": "30"}})
    assert reply.status_code == 200
    await ari.events.wait_for("StasisStart", channel_id)


# --- authentication and routing --------------------------------------------------------------------


async def test_requests_without_valid_credentials_get_401_json(ari_server: AriServer) -> None:
    async with httpx.AsyncClient(base_url=ari_server.base_url) as client:
        for auth in (None, ("cti", "wrong")):
            reply = await client.get("/asterisk/info", auth=auth)
            assert reply.status_code == 401
            assert reply.headers["content-type"] == "application/json"
            assert reply.json() == {"message": "Authentication required"}


async def test_api_key_in_the_query_authenticates(ari_server: AriServer) -> None:
    async with httpx.AsyncClient(base_url=ari_server.base_url) as client:
        reply = await client.get("/asterisk/info", params={"api_key": "cti:cti-secret"})
    assert reply.status_code == 200
    assert reply.json()["system"] == {"version": "22.10.1", "entity_id": "02:fc:00:00:00:01"}


async def test_asterisk_info_has_the_swagger_sections_in_asterisk_order(ari: AriSession) -> None:
    info = (await ari.http.get("asterisk/info")).json()
    assert list(info) == ["build", "system", "config", "status"]
    assert set(info["status"]) == {"startup_time", "last_reload_time"}
    only = (await ari.http.get("asterisk/info", params={"only": "system"})).json()
    assert list(only) == ["system"]


async def test_unknown_path_is_404_resource_not_found_and_wrong_method_405(ari: AriSession) -> None:
    missing = await ari.http.get("no/such/resource")
    assert (missing.status_code, missing.json()) == (404, {"message": "Resource not found"})
    wrong = await ari.http.put("channels")
    assert (wrong.status_code, wrong.json()) == (405, {"message": "Invalid method"})


async def test_events_socket_without_app_is_refused_with_400_html(ari_server: AriServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(f"{ari_server.events_url}?api_key=cti:cti-secret"):
            pass
    response = refused.value.response
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/html"
    assert b"HTTP request is missing param: [app]" in response.body


async def test_events_socket_with_a_bad_key_is_refused_with_401_json(ari_server: AriServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(f"{ari_server.events_url}?app=cti&api_key=cti:wrong"):
            pass
    response = refused.value.response
    assert response.status_code == 401
    assert response.body == b'{"message":"Authentication required"}'


async def test_connected_application_is_listed_and_unknown_one_is_404(ari: AriSession) -> None:
    cti = (await ari.http.get("applications/cti")).json()
    assert list(cti) == [
        "name",
        "channel_ids",
        "bridge_ids",
        "endpoint_ids",
        "device_names",
        "events_allowed",
        "events_disallowed",
    ]
    assert cti["name"] == "cti"
    assert (await ari.http.get("applications/nobody")).status_code == 404


# --- originate ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "body", "status", "reply"),
    [
        ({"app": "cti"}, None, 400, {"message": "Endpoint must be specified"}),
        (
            {"endpoint": "Local/2001@customers"},
            None,
            400,
            {"message": "Application or extension must be specified"},
        ),
        ({"endpoint": "Bogus/2001", "app": "cti"}, None, 500, {"error": "Allocation failed"}),
        (
            {"endpoint": "Local/2001@customers", "app": "cti"},
            b"{not json",
            400,
            {"message": "Error parsing request body"},
        ),
    ],
)
async def test_bad_originate_requests_get_asterisk_errors(
    ari: AriSession, params: dict[str, str], body: bytes | None, status: int, reply: dict[str, str]
) -> None:
    response = await ari.http.post("channels", params=params, content=body)
    assert (response.status_code, response.json()) == (status, reply)


async def test_stasis_start_reaches_the_socket_before_the_originate_reply(ari: AriSession) -> None:
    reply = await ari.http.post("channels", params=INBOUND)
    replied_at = time.monotonic()
    assert reply.status_code == 200
    assert reply.json()["id"] == "peer-wire-in"
    start = await ari.events.wait_for("StasisStart", "wire-in")
    assert start["args"] == ["inbound", "5550100"]
    assert start["channel"]["state"] == "Ring"
    arrived_at = ari.events.arrival[ari.events.events.index(start)]
    assert arrived_at <= replied_at


async def test_channel_id_that_prefixes_a_live_channel_id_is_a_conflict(ari: AriSession) -> None:
    first = await ari.http.post(
        "channels",
        params={
            "endpoint": "Local/2001@customers",
            "app": "cti",
            "channelId": "wire-err",
            "otherChannelId": "x-peer",
        },
    )
    assert first.status_code == 200
    for wanted in ("wire-err", "wire-er"):
        again = await ari.http.post(
            "channels", params={"endpoint": "Local/2003@customers", "app": "cti", "channelId": wanted}
        )
        assert again.status_code == 409
        assert again.json() == {"message": "Channel with given unique ID already exists"}


async def test_originate_with_app_reports_both_halves_and_dial_events_with_only_a_peer(
    ari: AriSession,
) -> None:
    reply = await ari.http.post(
        "channels",
        params={
            "endpoint": "Local/7001@customers",
            "app": "cti",
            "appArgs": "dialer,7001",
            "channelId": "wire-7001",
            "otherChannelId": "wire-7001-peer",
            "callerId": "Dialer <700>",
        },
        json={"variables": {"CUSTOMER_TALK_SECS": "10"}},
    )
    assert reply.status_code == 200
    assert reply.json()["caller"] == {"name": "Dialer", "number": "700"}
    start = await ari.events.wait_for("StasisStart", "wire-7001")
    assert start["args"] == ["dialer", "7001"]
    await ari.events.wait_for("ChannelDestroyed", "wire-7001")
    await ari.events.wait_for("ChannelDestroyed", "wire-7001-peer")
    dials = [e for e in ari.events.events if e["type"] == "Dial"]
    assert dials and all("caller" not in d and d["peer"]["id"] == "wire-7001" for d in dials)
    assert not ari.events.of("ChannelCreated")


async def test_channel_that_entered_stasis_from_dialplan_gets_no_channel_destroyed(ari: AriSession) -> None:
    await inbound_call(ari)
    assert (await ari.http.delete("channels/wire-in", params={"reason": "normal"})).status_code == 204
    request = await ari.events.wait_for("ChannelHangupRequest", "wire-in")
    assert (request["cause"], request["soft"]) == (32, True)
    await ari.events.wait_for("StasisEnd", "wire-in")
    await asyncio.sleep(0.1)
    assert "ChannelDestroyed" not in ari.events.types_for("wire-in")
    assert (await ari.http.get("channels/wire-in")).status_code == 404


# --- call control ------------------------------------------------------------------------------------


async def test_invalid_hangup_reason_is_refused_and_the_call_stays(ari: AriSession) -> None:
    await inbound_call(ari)
    refused = await ari.http.delete("channels/wire-in", params={"reason": "bogus"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"message": "Invalid reason for hangup reason provided"},
    )
    assert (await ari.http.get("channels/wire-in")).status_code == 200


async def test_answer_and_play_need_stasis_but_hangup_does_not(ari: AriSession) -> None:
    reply = await ari.http.post(
        "channels",
        params={
            "endpoint": "Local/2002@customers",
            "context": "util",
            "extension": "wait",
            "channelId": "wire-ns",
        },
    )
    assert reply.status_code == 200
    for path in ("channels/wire-ns/answer", "channels/wire-ns/ring"):
        refused = await ari.http.post(path)
        assert (refused.status_code, refused.json()) == (
            409,
            {"message": "Channel not in Stasis application"},
        )
    assert (await ari.http.delete("channels/wire-ns")).status_code == 204


async def test_answer_reports_the_state_change(ari: AriSession) -> None:
    await inbound_call(ari)
    assert (await ari.http.post("channels/wire-in/answer")).status_code == 204
    change = await ari.events.wait_for("ChannelStateChange", "wire-in")
    assert change["channel"]["state"] == "Up"


async def test_variables_are_set_read_and_missing_ones_are_404(ari: AriSession) -> None:
    await inbound_call(ari)
    assert (
        await ari.http.post("channels/wire-in/variable", params={"variable": "CTI_TAG", "value": "abc"})
    ).status_code == 204
    varset = await ari.events.wait_for("ChannelVarset", "wire-in")
    assert list(varset)[:4] == ["variable", "value", "type", "timestamp"]
    assert (await ari.http.get("channels/wire-in/variable", params={"variable": "CTI_TAG"})).json() == {
        "value": "abc"
    }
    number = await ari.http.get("channels/wire-in/variable", params={"variable": "CALLERID(num)"})
    assert number.json() == {"value": "5551300"}
    missing = await ari.http.get("channels/wire-in/variable", params={"variable": "NOT_SET_ANYWHERE"})
    assert (missing.status_code, missing.json()) == (404, {"message": "Provided variable was not found"})
    unnamed = await ari.http.get("channels/wire-in/variable")
    assert (unnamed.status_code, unnamed.json()) == (400, {"message": "Variable name is required"})


async def test_redirect_needs_an_endpoint_of_the_same_technology_and_does_nothing_on_local(
    ari: AriSession,
) -> None:
    await inbound_call(ari)
    missing = await ari.http.post("channels/wire-in/redirect")
    assert (missing.status_code, missing.json()) == (
        400,
        {"message": "Required parameter 'endpoint' not provided."},
    )
    other = await ari.http.post("channels/wire-in/redirect", params={"endpoint": "PJSIP/1001"})
    assert other.status_code == 422
    assert other.json() == {
        "message": "Endpoint technology 'PJSIP' does not match channel technology 'Local'"
    }
    local = await ari.http.post("channels/wire-in/redirect", params={"endpoint": "Local/1002@agents"})
    assert local.status_code == 204
    assert (await ari.http.get("channels/wire-in")).json()["dialplan"]["app_name"] == "Stasis"


async def test_move_to_an_unregistered_app_fails_with_an_event_and_the_channel_stays(ari: AriSession) -> None:
    await inbound_call(ari)
    moved = await ari.http.post("channels/wire-in/move", params={"app": "cti-other", "appArgs": "moved"})
    assert moved.status_code == 204
    failed = await ari.events.wait_for("ApplicationMoveFailed", "wire-in")
    assert (failed["destination"], failed["args"]) == ("cti-other", ["moved"])
    assert list(failed)[:4] == ["type", "timestamp", "channel", "destination"]
    assert "StasisEnd" not in ari.events.types_for("wire-in")


async def test_continue_ends_stasis_before_its_reply(ari: AriSession) -> None:
    await inbound_call(ari)
    reply = await ari.http.post("channels/wire-in/continue", params={"context": "util", "extension": "wait"})
    replied_at = time.monotonic()
    assert reply.status_code == 204
    end = await ari.events.wait_for("StasisEnd", "wire-in")
    assert ari.events.arrival[ari.events.events.index(end)] <= replied_at


async def test_dtmf_without_digits_is_400(ari: AriSession) -> None:
    await inbound_call(ari)
    reply = await ari.http.post("channels/wire-in/dtmf")
    assert (reply.status_code, reply.json()) == (400, {"message": "DTMF is required"})


# --- bridges -----------------------------------------------------------------------------------------


async def test_bridge_add_channel_error_codes_follow_asterisk(ari: AriSession) -> None:
    await inbound_call(ari)
    await ari.http.post(
        "channels",
        params={
            "endpoint": "Local/2002@customers",
            "context": "util",
            "extension": "wait",
            "channelId": "wire-ns",
        },
    )
    created = await ari.http.post("bridges", params={"type": "mixing", "bridgeId": "wire-errbr"})
    assert created.json()["bridge_class"] == "stasis"
    unknown = await ari.http.post("bridges/wire-errbr/addChannel", params={"channel": "does-not-exist"})
    assert (unknown.status_code, unknown.json()) == (400, {"message": "Channel not found"})
    outside = await ari.http.post("bridges/wire-errbr/addChannel", params={"channel": "wire-ns"})
    assert (outside.status_code, outside.json()) == (422, {"message": "Channel not in Stasis application"})
    nowhere = await ari.http.post("bridges/does-not-exist/addChannel", params={"channel": "wire-in"})
    assert (nowhere.status_code, nowhere.json()) == (404, {"message": "Bridge not found"})


async def test_bridge_lifecycle_reports_entering_leaving_and_destruction(ari: AriSession) -> None:
    await inbound_call(ari)
    await ari.http.post("channels/wire-in/answer")
    bridge = (await ari.http.post("bridges", params={"bridgeId": "wire-acd", "name": "acd-1"})).json()
    assert list(bridge) == [
        "id",
        "technology",
        "bridge_type",
        "bridge_class",
        "creator",
        "name",
        "channels",
        "creationtime",
        "video_mode",
    ]
    assert (
        await ari.http.post("bridges/wire-acd/addChannel", params={"channel": "wire-in"})
    ).status_code == 204
    entered = await ari.events.wait_for("ChannelEnteredBridge", "wire-in")
    assert entered["bridge"]["channels"] == ["wire-in"]
    assert (await ari.http.get("bridges/wire-acd")).json()["channels"] == ["wire-in"]
    assert (await ari.http.delete("channels/wire-in")).status_code == 204
    await ari.events.wait_for("ChannelLeftBridge", "wire-in")
    assert (await ari.http.delete("bridges/wire-acd")).status_code == 204
    destroyed = await ari.events.wait_for("BridgeDestroyed")
    assert destroyed["bridge"]["id"] == "wire-acd"
    assert (await ari.http.get("bridges/wire-acd")).status_code == 404


async def test_created_channel_rings_only_when_dialed_then_enters_stasis(ari: AriSession) -> None:
    created = await ari.http.post(
        "channels/create",
        params={
            "endpoint": "Local/7002@customers",
            "app": "cti",
            "appArgs": "late",
            "channelId": "w-late",
        },
    )
    assert created.status_code == 200
    assert created.json()["state"] == "Down"
    assert not ari.events.of("Dial")
    dialed = await ari.http.post("channels/w-late/dial")
    assert dialed.status_code == 204, dialed.text
    start = await ari.events.wait_for("StasisStart", "w-late")
    assert start["args"] == ["late"]


async def test_channel_list_shows_both_local_halves(ari: AriSession) -> None:
    await inbound_call(ari)
    ids = {channel["id"] for channel in (await ari.http.get("channels")).json()}
    assert {"wire-in", "peer-wire-in"} <= ids


async def test_closing_the_events_socket_unregisters_the_application(
    ari_server: AriServer, engine: Engine
) -> None:
    async with websockets.connect(f"{ari_server.events_url}?app=cti-temp&api_key=cti:cti-secret"):
        await asyncio.sleep(0.05)
        assert "cti-temp" in engine.applications()
    for _ in range(50):
        if "cti-temp" not in engine.applications():
            break
        await asyncio.sleep(0.01)
    assert "cti-temp" not in engine.applications()


async def test_originate_without_chosen_ids_still_reports_the_second_half(ari: AriSession) -> None:
    reply = await ari.http.post("channels", params={"endpoint": "Local/7003@customers", "app": "cti"})
    assert reply.status_code == 200
    first_half = reply.json()["id"]
    await ari.events.wait_for("StasisStart", first_half)
    await ari.events.wait_for("ChannelDestroyed", first_half)
    second_half_events = [e for e in ari.events.events if e.get("channel", {}).get("name", "").endswith(";2")]
    assert {"ChannelDialplan", "ChannelDestroyed"} <= {e["type"] for e in second_half_events}


async def test_removing_a_channel_that_is_not_in_the_bridge_is_422(ari: AriSession) -> None:
    await inbound_call(ari)
    await ari.http.post("bridges", params={"bridgeId": "wire-empty"})
    refused = await ari.http.post("bridges/wire-empty/removeChannel", params={"channel": "wire-in"})
    assert (refused.status_code, refused.json()) == (422, {"message": "Channel not in this bridge"})


async def test_subscribe_all_application_also_sees_channel_creation(ari_server: AriServer) -> None:
    url = f"{ari_server.events_url}?app=monitor&subscribeAll=true&api_key=cti:cti-secret"
    async with (
        websockets.connect(url) as monitor,
        httpx.AsyncClient(base_url=ari_server.base_url + "/", auth=("cti", "cti-secret")) as http,
    ):
        reply = await http.post(
            "channels",
            params={
                "endpoint": "Local/2001@customers",
                "context": "util",
                "extension": "wait",
                "channelId": "m1",
            },
        )
        assert reply.status_code == 200
        first = json.loads(await asyncio.wait_for(monitor.recv(), 2))
    assert first["type"] == "ChannelCreated"
    assert first["application"] == "monitor"
