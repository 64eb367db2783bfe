"""`AriClient` and `AriEventLink` over real HTTP and WebSocket against a live PBX: pbxsim, and the real
Asterisk 22 when configured.

Each test states one behaviour of real Asterisk 22.10.1 (see `../shared/asterisk/transcripts/wire/INDEX.md`)
that the adapter must cope with; pbxsim must show the same behaviour.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from adapters.asterisk.ari import (
    AriBadRequest,
    AriConflict,
    AriEventLink,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnprocessable,
)
from adapters.asterisk.ari.events import EventPredicate
from adapters.asterisk.ari.models import (
    AriEvent,
    BridgeDestroyed,
    ChannelDestroyed,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelLeftBridge,
    PlaybackFinished,
    PlaybackStarted,
    StasisEnd,
    StasisStart,
)
from cti_gateway.ports.pbx import LinkState
from tests.adapters.asterisk.conftest import (
    ARI_APP,
    ARI_USER,
    ASTERISK_VERSION,
    LinkObserver,
    LivePbx,
    running,
)

STAYS_ON_THE_LINE = {"CUSTOMER_TALK_SECS": "600"}
"""Customer 2xxx answers after CUSTOMER_RING_SECS (2 s) and, with this variable, does not hang up."""


def new_channel_id() -> str:
    """A channel id no live id can be a prefix of (Asterisk 22.10.1 refuses prefixes, wire INDEX item 24)."""
    return f"cti-test-{uuid.uuid4().hex}"


def answer_timeout(pbx: LivePbx) -> float:
    """Generous time for customer 2xxx to answer (2 s of dialplan) and its StasisStart to arrive."""
    return pbx.seconds(2.0) + 10.0


def stasis_start_of(channel_id: str) -> EventPredicate:
    return lambda e: isinstance(e, StasisStart) and e.channel.id == channel_id


def entered_bridge(channel_id: str, bridge_id: str) -> EventPredicate:
    return lambda e: (
        isinstance(e, ChannelEnteredBridge)
        and e.channel is not None
        and e.channel.id == channel_id
        and e.bridge.id == bridge_id
    )


async def customer_in_stasis(link: AriEventLink, pbx: LivePbx, customer: str = "2001") -> str:
    """Originate customer `customer` into our Stasis app and return its channel id once StasisStart came."""
    channel_id = new_channel_id()
    mark = link.mark()
    channel = await link.client.channels.originate(
        f"Local/{customer}@customers", app=ARI_APP, channel_id=channel_id, variables=STAYS_ON_THE_LINE
    )
    assert channel.id == channel_id
    await link.wait_for(
        lambda e: isinstance(e, StasisStart) and e.channel.id == channel_id, answer_timeout(pbx), after=mark
    )
    return channel_id


async def test_link_comes_up_with_the_asterisk_version_and_a_resync_snapshot(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    observer = LinkObserver().attach(link)
    async with running(link):
        assert link.status.state is LinkState.UP
        assert link.status.server_version == ASTERISK_VERSION
        await observer.until(lambda: bool(observer.snapshots), 5.0, "resync snapshot")
        info = await link.client.asterisk.info()
        application = await link.client.applications.get(ARI_APP)
    assert observer.states()[:2] == [LinkState.CONNECTING, LinkState.UP]
    assert observer.snapshots[0].source == "ari"
    assert info.system is not None
    assert info.system.version == ASTERISK_VERSION
    assert application.name == ARI_APP
    assert observer.statuses[-1].state is LinkState.DOWN


async def test_originated_customer_enters_stasis_and_is_destroyed_after_delete(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        channel_id = new_channel_id()
        mark = link.mark()  # StasisStart may arrive before the HTTP response (wire INDEX item 27)
        channel = await link.client.channels.originate(
            "Local/2001@customers", app=ARI_APP, channel_id=channel_id, variables=STAYS_ON_THE_LINE
        )
        assert channel.id == channel_id
        assert channel.name.startswith("Local/2001@customers-")
        assert channel.name.endswith(";1")
        started = await link.wait_for(stasis_start_of(channel_id), answer_timeout(live_pbx), after=mark)
        assert isinstance(started, StasisStart)
        assert started.application == ARI_APP
        assert started.channel.state == "Up"
        assert (await link.client.channels.get(channel_id)).state == "Up"

        mark = link.mark()
        await link.client.channels.hangup(channel_id)
        hangup_request = await link.wait_for(
            lambda e: isinstance(e, ChannelHangupRequest) and e.channel.id == channel_id, 5.0, after=mark
        )
        await link.wait_for(
            lambda e: isinstance(e, StasisEnd) and e.channel.id == channel_id, 5.0, after=mark
        )
        destroyed = await link.wait_for(
            lambda e: isinstance(e, ChannelDestroyed) and e.channel.id == channel_id, 5.0, after=mark
        )
        with pytest.raises(AriNotFound):
            await link.client.channels.get(channel_id)

    assert isinstance(hangup_request, ChannelHangupRequest)
    assert (hangup_request.cause, hangup_request.soft) == (32, True)  # ARI's own DELETE (wire INDEX item 25)
    assert isinstance(destroyed, ChannelDestroyed)
    assert destroyed.cause == 16
    assert destroyed.cause_txt == "Normal Clearing"


async def test_channel_in_stasis_runs_the_stasis_application_with_our_app_as_its_data(
    live_pbx: LivePbx,
) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        mark = link.mark()
        channel_id = await customer_in_stasis(link, live_pbx)
        started = await link.wait_for(stasis_start_of(channel_id), 1.0, after=mark)
        listed = await link.client.channels.get(channel_id)
        await link.client.channels.hangup(channel_id)
    assert isinstance(started, StasisStart)
    for channel in (started.channel, listed):
        assert (channel.dialplan.app_name, channel.dialplan.app_data) == ("Stasis", ARI_APP)
        assert (channel.dialplan.context, channel.dialplan.exten) == ("customers", "2001")


async def test_events_arrive_in_wire_order_stasis_start_before_stasis_end_before_destroyed(
    live_pbx: LivePbx,
) -> None:
    link = live_pbx.ari_link()
    order: list[str] = []
    async with running(link):
        channel_id = await customer_in_stasis(link, live_pbx)
        link.on_event(
            lambda e: order.append(e.name) if e.fields.get("channel", {}).get("id") == channel_id else None
        )
        mark = link.mark()
        await link.client.channels.hangup(channel_id)
        await link.wait_for(
            lambda e: isinstance(e, ChannelDestroyed) and e.channel.id == channel_id, 5.0, after=mark
        )
    assert order.index("ChannelHangupRequest") < order.index("StasisEnd") < order.index("ChannelDestroyed")


async def test_unknown_channel_gives_not_found(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        with pytest.raises(AriNotFound, match="Channel not found") as refused:
            await link.client.channels.get("no-such-channel")
        with pytest.raises(AriNotFound):
            await link.client.channels.hangup("no-such-channel")
    assert refused.value.status == 404


async def test_originate_with_a_channel_id_already_in_use_gives_conflict(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        channel_id = new_channel_id()
        await link.client.channels.originate("Local/4001@customers", app=ARI_APP, channel_id=channel_id)
        try:
            with pytest.raises(AriConflict, match="already exists") as refused:
                await link.client.channels.originate(
                    "Local/4002@customers", app=ARI_APP, channel_id=channel_id
                )
            assert refused.value.status == 409
            ringing = await link.client.channels.get(channel_id)
            assert ringing.name.startswith("Local/4001@customers-")  # the first call is untouched
        finally:
            mark = link.mark()
            await link.client.channels.hangup(channel_id)
            await link.wait_for(
                lambda e: isinstance(e, ChannelDestroyed) and e.channel.id == channel_id, 5.0, after=mark
            )


async def test_answer_or_play_on_a_channel_outside_stasis_gives_conflict_but_delete_works(
    live_pbx: LivePbx,
) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        channel_id = new_channel_id()
        await link.client.channels.originate(
            "Local/2001@customers", context="util", extension="wait", priority=1, channel_id=channel_id
        )
        deadline = asyncio.get_running_loop().time() + answer_timeout(live_pbx)
        while (await link.client.channels.get(channel_id)).dialplan.app_name != "Wait":
            assert asyncio.get_running_loop().time() < deadline, "the call never reached util,wait"
            await asyncio.sleep(0.05)

        with pytest.raises(AriConflict, match="not in Stasis") as refused:
            await link.client.channels.answer(channel_id)
        assert refused.value.status == 409
        with pytest.raises(AriConflict):
            await link.client.channels.play(channel_id, "sound:beep")
        await link.client.channels.hangup(channel_id)  # 204 even outside Stasis (wire INDEX item 28)
        deadline = asyncio.get_running_loop().time() + 5.0
        while True:
            try:
                await link.client.channels.get(channel_id)
            except AriNotFound:
                break
            assert asyncio.get_running_loop().time() < deadline, "the channel outlived its DELETE"
            await asyncio.sleep(0.05)


async def test_bridge_create_add_remove_destroy_reports_entered_and_left_bridge(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        caller = await customer_in_stasis(link, live_pbx, "2001")
        agent = await customer_in_stasis(link, live_pbx, "2002")
        bridge_id = f"cti-test-bridge-{uuid.uuid4().hex}"

        mark = link.mark()
        bridge = await link.client.bridges.create(type="mixing", bridge_id=bridge_id, name="adapter test")
        assert bridge.id == bridge_id
        assert bridge.channels == ()
        await link.client.bridges.add_channel(bridge_id, [caller, agent])
        for channel_id in (caller, agent):
            entered = await link.wait_for(entered_bridge(channel_id, bridge_id), 5.0, after=mark)
            assert isinstance(entered, ChannelEnteredBridge)
        assert set((await link.client.bridges.get(bridge_id)).channels) == {caller, agent}

        mark = link.mark()
        await link.client.bridges.remove_channel(bridge_id, caller)
        left = await link.wait_for(
            lambda e: isinstance(e, ChannelLeftBridge) and e.channel.id == caller, 5.0, after=mark
        )
        assert isinstance(left, ChannelLeftBridge)
        assert left.bridge.id == bridge_id
        assert (await link.client.bridges.get(bridge_id)).channels == (agent,)

        mark = link.mark()
        await link.client.bridges.destroy(bridge_id)  # with the agent still in it
        await link.wait_for(
            lambda e: isinstance(e, ChannelLeftBridge) and e.channel.id == agent, 5.0, after=mark
        )
        with pytest.raises(AriNotFound):
            await link.client.bridges.get(bridge_id)
        assert (await link.client.channels.get(agent)).state == "Up"  # leaving a bridge is no hangup
        for channel_id in (caller, agent):
            await link.client.channels.hangup(channel_id)


async def test_destroying_a_bridge_whose_caller_hung_up_reports_bridge_destroyed(live_pbx: LivePbx) -> None:
    # The ACD pattern of wire scenario ari_bridge_agent. On Asterisk 22 the app gets BridgeDestroyed only
    # for a bridge it is still subscribed to: never for an unused bridge, nor after its channels left by
    # removeChannel or while they are still in it (only their ChannelLeftBridge then): never wait for it.
    link = live_pbx.ari_link()
    async with running(link):
        caller = await customer_in_stasis(link, live_pbx)
        bridge_id = f"cti-test-bridge-{uuid.uuid4().hex}"
        await link.client.bridges.create(type="mixing", bridge_id=bridge_id)
        mark = link.mark()
        await link.client.bridges.add_channel(bridge_id, caller)
        await link.wait_for(
            lambda e: isinstance(e, ChannelEnteredBridge) and e.bridge.id == bridge_id, 5.0, after=mark
        )
        await link.client.channels.hangup(caller)
        await link.wait_for(
            lambda e: isinstance(e, ChannelLeftBridge) and e.channel.id == caller, 5.0, after=mark
        )
        mark = link.mark()
        await link.client.bridges.destroy(bridge_id)
        destroyed = await link.wait_for(
            lambda e: isinstance(e, BridgeDestroyed) and e.bridge.id == bridge_id, 5.0, after=mark
        )
        assert bridge_id not in {bridge.id for bridge in await link.client.bridges.list()}
    assert isinstance(destroyed, BridgeDestroyed)
    assert destroyed.application == ARI_APP
    assert destroyed.bridge.channels == ()


async def test_play_beep_reports_playback_started_then_finished_done(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        channel_id = await customer_in_stasis(link, live_pbx)
        playback_id = f"cti-test-playback-{uuid.uuid4().hex}"
        mark = link.mark()  # PlaybackStarted may arrive before the 201 (wire INDEX item 27)
        playback = await link.client.channels.play(channel_id, "sound:beep", playback_id=playback_id)
        assert playback.id == playback_id
        assert playback.media_uri == "sound:beep"
        assert playback.target_uri == f"channel:{channel_id}"

        def about_this_playback(event: AriEvent) -> bool:
            return isinstance(event, PlaybackStarted | PlaybackFinished) and event.playback.id == playback_id

        started = await link.wait_for(about_this_playback, 5.0, after=mark)
        finished = await link.wait_for(
            lambda e: isinstance(e, PlaybackFinished) and e.playback.id == playback_id, 10.0, after=mark
        )
        await link.client.channels.hangup(channel_id)

    assert isinstance(started, PlaybackStarted)
    assert started.playback.state == "playing"
    assert isinstance(finished, PlaybackFinished)
    assert finished.playback.state == "done"


async def test_resync_snapshot_lists_calls_that_were_up_before_the_link_connected(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        channel_id = await customer_in_stasis(link, live_pbx)

        late = live_pbx.ari_link()
        observer = LinkObserver().attach(late)
        await late.start()
        try:
            await late.wait_until_up(10.0)
            await observer.until(lambda: bool(observer.snapshots), 5.0, "resync snapshot")
        finally:
            await late.aclose()
        await link.client.channels.hangup(channel_id)

    channel = next(c for c in observer.snapshots[0].channels if c.unique_id == channel_id)
    assert channel.name.startswith("Local/2001@customers-")
    assert channel.state == "Up"
    assert channel.application == "Stasis"


async def test_link_survives_the_pbx_being_killed_and_started_again(live_pbx: LivePbx) -> None:
    link = live_pbx.ari_link()
    observer = LinkObserver().attach(link)
    async with running(link):
        await observer.until(lambda: len(observer.snapshots) == 1, 5.0, "first snapshot")
        live_pbx.kill()
        await observer.until(lambda: link.status.state is not LinkState.UP, 10.0, "link leaving UP")
        live_pbx.start()
        await link.wait_until_up(20.0)
        await observer.until(lambda: len(observer.snapshots) >= 2, 5.0, "resync after reconnecting")
        assert link.status.server_version == ASTERISK_VERSION
        assert (await link.client.asterisk.info()).system is not None
        channel_id = await customer_in_stasis(link, live_pbx)  # and it controls calls again
        await link.client.channels.hangup(channel_id)
    states = observer.states()
    assert states[:2] == [LinkState.CONNECTING, LinkState.UP]
    assert LinkState.DOWN in states[2:]
    assert states.index(LinkState.UP, 2) > states.index(LinkState.DOWN, 2)


async def test_wrong_password_keeps_the_link_down_with_an_unauthorized_error(live_pbx: LivePbx) -> None:
    link = AriEventLink.for_server(
        live_pbx.ari_url, ARI_USER, "not-the-password", ARI_APP, backoff_base=0.1, backoff_max=0.5
    )
    await link.start()
    try:
        with pytest.raises(TimeoutError, match=r"ari\.conf"):
            await link.wait_until_up(3.0)
        assert isinstance(link.last_error, AriUnauthorized)
        assert link.last_error.status == 401
        assert link.connect_attempts >= 2  # it keeps trying, for the administrator may fix ari.conf
        with pytest.raises(AriUnauthorized):
            await link.client.asterisk.info()
    finally:
        await link.aclose()


async def test_busy_customer_never_enters_stasis_and_only_the_far_half_carries_cause_17(
    live_pbx: LivePbx,
) -> None:
    # Wire INDEX item 11: the busy cause shows only on the ;2 half, the originated ;1 half reports cause 0.
    link = live_pbx.ari_link()
    observer = LinkObserver().attach(link)
    async with running(link):
        channel_id = new_channel_id()
        mark = link.mark()
        await link.client.channels.originate("Local/3001@customers", app=ARI_APP, channel_id=channel_id)
        destroyed = await link.wait_for(
            lambda e: isinstance(e, ChannelDestroyed) and e.channel.id == channel_id, 10.0, after=mark
        )
        far_half = await link.wait_for(
            lambda e: (
                isinstance(e, ChannelDestroyed)
                and e.channel.name.startswith("Local/3001@customers-")
                and e.channel.name.endswith(";2")
            ),
            10.0,
            after=mark,
        )
        with pytest.raises(AriNotFound):
            await link.client.channels.get(channel_id)
    assert not [e for e in observer.events if e.name == "StasisStart"]
    assert isinstance(destroyed, ChannelDestroyed)
    assert (destroyed.cause, destroyed.cause_txt) == (0, "Unknown")
    assert isinstance(far_half, ChannelDestroyed)
    assert far_half.cause == 17


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        ("add an unknown channel to a bridge", AriBadRequest),
        ("add a channel outside Stasis to a bridge", AriUnprocessable),
        ("hang up with an invalid reason", AriBadRequest),
        ("originate to an unknown technology", AriServerError),
    ],
    ids=["unknown-channel-400", "non-stasis-channel-422", "bad-reason-400", "unknown-technology-500"],
)
async def test_refusals_map_to_specific_errors(
    live_pbx: LivePbx, refusal: str, status: type[Exception]
) -> None:
    link = live_pbx.ari_link()
    async with running(link):
        bridge_id = f"cti-test-bridge-{uuid.uuid4().hex}"
        await link.client.bridges.create(type="mixing", bridge_id=bridge_id)
        outside = new_channel_id()
        try:
            if refusal == "add an unknown channel to a bridge":
                with pytest.raises(status, match="Channel not found"):
                    await link.client.bridges.add_channel(bridge_id, "no-such-channel")
            elif refusal == "add a channel outside Stasis to a bridge":
                await link.client.channels.originate(
                    "Local/4001@customers", context="util", extension="wait", priority=1, channel_id=outside
                )
                with pytest.raises(status):
                    await link.client.bridges.add_channel(bridge_id, outside)
            elif refusal == "hang up with an invalid reason":
                caller = await customer_in_stasis(link, live_pbx)
                with pytest.raises(status, match="Invalid reason"):
                    await link.client.channels.hangup(caller, reason="not-a-reason")
                await link.client.channels.hangup(caller)
            else:
                with pytest.raises(status, match="Allocation failed"):
                    await link.client.channels.originate("Nowhere/2001", app=ARI_APP)
        finally:
            await link.client.bridges.destroy(bridge_id)
            if refusal == "add a channel outside Stasis to a bridge":
                await link.client.channels.hangup(outside)
