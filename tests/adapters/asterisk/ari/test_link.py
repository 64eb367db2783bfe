"""`AriEventLink` over a real WebSocket: UP with version, resync snapshots, reconnects, refusals, event order.

The WebSocket side is a tiny real `websockets` server replaying recorded ARI frames; the REST side is the
recorded HTTP exchanges (plus `/asterisk/info`, `/channels` and `/bridges` for the resync).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from adapters.asterisk.ari import AriClient, AriEventLink, AriUnauthorized
from adapters.asterisk.ari.models import ChannelStateChange, PlaybackFinished, StasisEnd, StasisStart
from cti_gateway.ports.pbx import LinkState, LinkStatus, PbxEvent, PbxLink, PbxSnapshot
from tests.adapters.asterisk.ari.wire_replay import (
    ARI_PASSWORD,
    ARI_USER,
    EventServer,
    HttpReplay,
    load_ari_recording,
    originate_recorded_caller,
)

# Not recorded (the rig only logged the version: smoke_stdout "ari.asterisk_info version=22.10.1"),
# so shaped after the Swagger AsteriskInfo model.
ASTERISK_INFO = {
    "system": {"version": "22.10.1", "entity_id": "02:fc:00:00:00:01"},
    "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
    "status": {
        "startup_time": "2026-11-22T19:40:00.000+0000",
        "last_reload_time": "2026-11-22T19:40:00.000+0000",
    },
}


def recorded_channel(scenario: str, channel_id: str) -> dict[str, Any]:
    for exchange in load_ari_recording(scenario).exchanges:
        if exchange.request["path"] == f"/ari/channels/{channel_id}" and exchange.response["status"] == 200:
            return dict(json.loads(exchange.response["body"]))
    raise LookupError(channel_id)


class FakeAsteriskRest:
    """The three resync requests the link makes, with answers the test can change between connects."""

    def __init__(self) -> None:
        self.channels: list[dict[str, Any]] = [recorded_channel("ari_inbound_stasis_ivr", "wire-in")]
        self.bridges: list[dict[str, Any]] = []
        self.info_status = 200
        self.requests: list[str] = []

    def routes(self) -> dict[tuple[str, str], Callable[[], httpx.Response]]:
        return {
            ("GET", "/ari/asterisk/info"): self._info,
            ("GET", "/ari/channels"): lambda: self._log(httpx.Response(200, json=self.channels), "channels"),
            ("GET", "/ari/bridges"): lambda: self._log(httpx.Response(200, json=self.bridges), "bridges"),
        }

    def _info(self) -> httpx.Response:
        if self.info_status != 200:
            return self._log(httpx.Response(401, json={"message": "Authentication required"}), "info")
        return self._log(httpx.Response(200, json=ASTERISK_INFO), "info")

    def _log(self, response: httpx.Response, what: str) -> httpx.Response:
        self.requests.append(what)
        return response

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        route = self.routes().get((request.method, request.url.path))
        assert route is not None, f"unexpected {request.method} {request.url}"
        return route()


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def _poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(_poll(), timeout)


@pytest.fixture
async def server() -> AsyncIterator[EventServer]:
    events = EventServer()
    await events.start()
    yield events
    if events._server is not None:
        await events.kill()


class Observed:
    """Everything a link reported to its handlers."""

    def __init__(self, link: AriEventLink) -> None:
        self.events: list[PbxEvent] = []
        self.snapshots: list[PbxSnapshot] = []
        self.statuses: list[LinkStatus] = []
        link.on_event(self.events.append)
        link.on_snapshot(self._snapshot)
        link.on_status(self.statuses.append)

    async def _snapshot(self, snapshot: PbxSnapshot) -> None:
        await asyncio.sleep(0)
        self.snapshots.append(snapshot)

    @property
    def states(self) -> list[LinkState]:
        return [s.state for s in self.statuses]


@pytest.fixture
async def running(server: EventServer) -> AsyncIterator[tuple[AriEventLink, Observed, FakeAsteriskRest]]:
    rest = FakeAsteriskRest()
    client = AriClient(server.base_url, ARI_USER, ARI_PASSWORD, transport=httpx.MockTransport(rest))
    link = AriEventLink(client, "cti", backoff_base=0.01, backoff_max=0.05)
    observed = Observed(link)
    await link.start()
    yield link, observed, rest
    await link.stop()
    await client.aclose()


def test_the_link_is_a_pbx_link_named_ari() -> None:
    link: PbxLink = AriEventLink(AriClient("http://127.0.0.1:8088/ari", ARI_USER, ARI_PASSWORD), "cti")
    assert link.name == "ari"
    assert link.status.state is LinkState.DOWN


async def test_link_goes_up_with_the_asterisk_version_after_a_resync_snapshot(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, observed, rest = running
    status = await link.wait_until_up(5)
    assert status.server_version == "22.10.1"
    assert observed.states == [LinkState.CONNECTING, LinkState.UP]
    assert rest.requests == ["info", "channels", "bridges"]
    await eventually(lambda: len(observed.snapshots) == 1)
    (snapshot,) = observed.snapshots
    assert [c.unique_id for c in snapshot.channels] == ["wire-in"]
    assert snapshot.channels[0].caller_number == "5551300"
    assert server.requests == ["/ari/events?app=cti&api_key=cti:cti-secret"]


async def test_events_are_relayed_in_wire_order_with_their_json_as_fields(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, observed, _ = running
    await link.wait_until_up(5)
    frames = load_ari_recording("ari_originate_outcomes").all_events
    await server.push(frames)
    await eventually(lambda: len(observed.events) == len(frames))
    assert [e.name for e in observed.events] == [json.loads(f)["type"] for f in frames]
    assert [dict(e.fields) for e in observed.events] == [json.loads(f) for f in frames]
    assert {e.source for e in observed.events} == {"ari"}


async def test_killing_and_restarting_asterisk_takes_the_link_down_then_up_with_a_fresh_snapshot(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, observed, rest = running
    await link.wait_until_up(5)
    await eventually(lambda: len(observed.snapshots) == 1)

    await server.kill()
    await eventually(lambda: link.status.state is not LinkState.UP)
    assert LinkState.DOWN in observed.states[2:]
    rest.channels = []
    await asyncio.sleep(0.1)  # a few refused reconnects while Asterisk is away
    assert link.status.state is not LinkState.UP

    await server.start()
    await link.wait_until_up(5)
    await eventually(lambda: len(observed.snapshots) == 2)
    assert observed.snapshots[1].channels == ()
    assert observed.states[:4] == [LinkState.CONNECTING, LinkState.UP, LinkState.DOWN, LinkState.CONNECTING]
    assert observed.states[-1] is LinkState.UP
    assert rest.requests.count("channels") == 2

    frames = load_ari_recording("ari_bridge_agent").all_events[:3]
    await server.push(frames)
    await eventually(lambda: len(observed.events) == 3)


async def test_a_dropped_tcp_connection_is_detected_and_reconnected(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, observed, _ = running
    await link.wait_until_up(5)
    server.connections[-1].transport.abort()
    await eventually(lambda: LinkState.DOWN in observed.states)
    await server.wait_for_connections(2)
    await link.wait_until_up(5)
    await eventually(lambda: len(observed.snapshots) == 2)


async def test_a_wrong_password_is_reported_as_unauthorized_and_retried_with_backoff(
    server: EventServer,
) -> None:
    rest = FakeAsteriskRest()
    client = AriClient(server.base_url, ARI_USER, "wrong", transport=httpx.MockTransport(rest))
    link = AriEventLink(client, "cti", backoff_base=0.05, backoff_max=0.2)
    await link.start()
    try:
        await asyncio.sleep(0.6)
        assert link.status.state is not LinkState.UP
        assert isinstance(link.last_error, AriUnauthorized)
        assert link.last_error.status == 401
        assert "Authentication required" in link.status.detail or "Authentication required" in str(
            link.last_error
        )
        assert "ari.conf" in str(link.last_error)
        assert "wrong" not in link.status.detail
        # Delays 0.05, 0.1, 0.2, 0.2 … s, jittered down to half: a handful of attempts, not a hot loop.
        assert 3 <= link.connect_attempts <= 10
        assert server.refused == link.connect_attempts
        assert rest.requests == []
    finally:
        await link.stop()
        await client.aclose()
    assert link.status.state is LinkState.DOWN


async def test_the_link_stays_down_while_asterisk_info_is_refused(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, _, rest = running
    await link.wait_until_up(5)
    rest.info_status = 401
    await server.kill()
    await server.start()
    await server.wait_for_connections(2)
    await eventually(lambda: isinstance(link.last_error, AriUnauthorized))
    await eventually(lambda: "ari.conf" in link.status.detail)
    assert link.status.state is not LinkState.UP
    rest.info_status = 200
    await link.wait_until_up(5)
    assert link.status.server_version == "22.10.1"


async def test_malformed_and_unknown_messages_never_break_the_link(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, observed, _ = running
    await link.wait_until_up(5)
    failing: list[str] = []

    def broken_handler(event: PbxEvent) -> None:
        failing.append(event.name)
        raise RuntimeError("handler bug")

    link.on_event(broken_handler)
    await server.push(
        [
            "not json",
            '{"type": "StasisStart", "application": "cti"}',
            '{"type": "ChannelTalkingStarted", "application": "cti", "channel": {"id": "x"}}',
            '{"type": "ChannelStateChange", "application": "cti", "channel": {"id": "y", "state": "Up"}}',
        ]
    )
    await eventually(lambda: len(observed.events) == 3)
    assert [e.name for e in observed.events] == ["StasisStart", "ChannelTalkingStarted", "ChannelStateChange"]
    assert failing == [e.name for e in observed.events]
    changed = await link.wait_for(lambda e: isinstance(e, ChannelStateChange), 1)
    assert isinstance(changed, ChannelStateChange) and changed.channel.state == "Up"
    assert link.status.state is LinkState.UP


async def test_stop_takes_the_link_down_and_it_does_not_reconnect(
    server: EventServer, running: tuple[AriEventLink, Observed, FakeAsteriskRest]
) -> None:
    link, _, _ = running
    await link.wait_until_up(5)
    await link.stop()
    assert link.status == LinkStatus(LinkState.DOWN, "stopped", since=link.status.since)
    await asyncio.sleep(0.1)
    assert len(server.requests) == 1


async def test_an_event_sent_before_the_originate_response_is_still_found_by_wait_for(
    server: EventServer,
) -> None:
    """Replays ari_inbound_stasis_ivr with its recorded interleaving: StasisStart lands before the 200."""
    link_box: list[AriEventLink] = []

    async def deliver_first(frames: tuple[str, ...]) -> None:
        link = link_box[0]
        target = link.mark() + len(frames)
        await server.push(frames)
        await eventually(lambda: link.mark() >= target)

    rest = FakeAsteriskRest()
    rest.channels = []
    replay = HttpReplay.of(
        "ari_inbound_stasis_ivr", before_response=deliver_first, extra_routes=rest.routes()
    )
    client = AriClient(server.base_url, ARI_USER, ARI_PASSWORD, transport=replay.transport())
    link = AriEventLink(client, "cti", backoff_base=0.01, backoff_max=0.05)
    link_box.append(link)
    seen: list[PbxEvent] = []
    link.on_event(seen.append)
    await link.start()
    try:
        await link.wait_until_up(5)
        await client.applications.get("cti")
        mark = link.mark()
        peer = await originate_recorded_caller(
            client,
            "5550100",
            "wire-in",
            context="customers",
            extension="9001",
            caller_id='"Wire Inbound" <5551300>',
            variables={"CUSTOMER_TALK_SECS": "20"},
        )
        assert peer.id == "peer-wire-in"
        assert [e.name for e in seen] == ["StasisStart"]  # already there when the 200 came back
        started = await link.wait_for(lambda e: isinstance(e, StasisStart) and e.channel.id == "wire-in", 0.1)
        assert isinstance(started, StasisStart) and started.args == ("inbound", "5550100")
        assert await link.wait_for(lambda e: isinstance(e, StasisStart), 0.1, after=mark) is started

        await client.channels.ring("wire-in")
        await client.channels.answer("wire-in")
        up = await link.wait_for(lambda e: isinstance(e, ChannelStateChange) and e.channel.state == "Up", 0.1)
        assert up.type == "ChannelStateChange"
        await client.channels.play("wire-in", "sound:beep", playback_id="wire-pb1", lang="en")
        # PlaybackFinished was recorded 250 ms after the 201, so it is not there yet: wait for it.
        waiting = asyncio.create_task(link.wait_for(lambda e: isinstance(e, PlaybackFinished), 2, after=None))
        await client.channels.set_variable("wire-in", "CTI_TAG", "abc")
        finished = await waiting
        assert isinstance(finished, PlaybackFinished) and finished.playback.state == "done"
        assert await client.channels.get_variable("wire-in", "CTI_TAG") == "abc"
        await client.channels.get_variable("wire-in", "CALLERID(num)")
        with pytest.raises(Exception, match="not found"):
            await client.channels.get_variable("wire-in", "NOT_SET_ANYWHERE")
        await client.channels.get("wire-in")
        await client.channels.continue_in_dialplan("wire-in", context="ivr-test", extension="108", priority=1)
        ended = await link.wait_for(lambda e: isinstance(e, StasisEnd) and e.channel.id == "wire-in", 0.1)
        assert ended.type == "StasisEnd"

        await originate_recorded_caller(
            client,
            "5550101",
            "wire-in2",
            context="customers",
            extension="2001",
            variables={"CUSTOMER_TALK_SECS": "20"},
        )
        # This time the StasisStart was recorded just *after* the 200: waiting for it must work too.
        second = asyncio.create_task(
            link.wait_for(lambda e: isinstance(e, StasisStart) and e.channel.id == "wire-in2", 2)
        )
        await client.channels.answer("wire-in2")
        assert (await second).type == "StasisStart"
        await client.channels.hangup("wire-in2", reason="normal")
        recording = load_ari_recording("ari_inbound_stasis_ivr")
        await server.push(recording.trailing_events)
        gone = await link.wait_for(lambda e: isinstance(e, StasisEnd) and e.channel.id == "wire-in2", 2)
        assert gone.type == "StasisEnd"
        replay.assert_all_replayed()
        assert [e.name for e in seen] == [json.loads(f)["type"] for f in recording.all_events]
    finally:
        await link.stop()
        await client.aclose()


async def test_a_link_built_from_url_and_credentials_works_over_real_sockets(server: EventServer) -> None:
    server.rest_routes = {
        "/ari/asterisk/info": ASTERISK_INFO,
        "/ari/channels": [recorded_channel("ari_external_transfer", "wire-xfer")],
        "/ari/bridges": [],
    }
    link = AriEventLink.for_server(server.base_url, ARI_USER, ARI_PASSWORD, "cti", backoff_base=0.01)
    snapshots: list[PbxSnapshot] = []
    link.on_snapshot(snapshots.append)
    await link.start()
    try:
        status = await link.wait_until_up(5)
        assert status.server_version == "22.10.1"
        assert [c.unique_id for c in snapshots[0].channels] == ["wire-xfer"]
        assert (await link.client.asterisk.info()).version == "22.10.1"
    finally:
        await link.aclose()
    assert link.status.state is LinkState.DOWN
