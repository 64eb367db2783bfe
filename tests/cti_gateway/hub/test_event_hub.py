"""The event hub's promises: numbering, scopes, resume, resync, time window and slow consumers."""

from __future__ import annotations

import asyncio

import pytest

from cti_gateway.auth.principal import Principal
from cti_gateway.events.model import Audience, CtiEvent, EventType
from cti_gateway.hub import DropReason, EventHub, HubLimits, SubscriptionDropped
from tests.cti_gateway.hub.helpers import ManualClock, agent, drain, integration, ringing


def make_hub(clock: ManualClock | None = None, **limits: float) -> EventHub:
    clock = clock or ManualClock()

    def snapshot(principal: Principal) -> dict[str, object]:
        return {"calls": [f"current call of {principal.stream_key}"]}

    return EventHub(snapshot, HubLimits(**limits), clock=clock, wall_clock=clock)  # type: ignore[arg-type]


def test_a_new_connection_starts_with_a_resync_marker_carrying_the_snapshot() -> None:
    hub = make_hub()
    subscription = hub.subscribe(agent("1001"))

    [marker] = drain(subscription)

    assert marker["type"] == "resync"
    assert marker["call_id"] is None
    assert marker["data"] == {
        "reason": "connected",
        "last_seq": None,
        "snapshot": {"calls": ["current call of agent:1001"]},
    }
    assert marker["seq"] == subscription.sent_seq


def test_events_carry_the_envelope_and_consecutive_seq_numbers() -> None:
    hub = make_hub()
    subscription = hub.subscribe(agent("1001"))
    [marker] = drain(subscription)

    for n in range(5):
        hub.publish(ringing(f"call-{n}", "1001", attempt=n))

    events = drain(subscription)
    assert [e["seq"] for e in events] == [marker["seq"] + 1 + n for n in range(5)]
    assert set(events[0]) == {"seq", "type", "ts", "call_id", "data"}
    assert events[0]["type"] == "call.ringing"
    assert events[0]["call_id"] == "call-0"
    assert events[0]["ts"] == "2023-11-14T22:13:20.000Z"
    assert [e["data"]["attempt"] for e in events] == list(range(5))


def test_an_event_without_a_call_has_a_null_call_id() -> None:
    hub = make_hub()
    subscription = hub.subscribe(agent("1001"))
    drain(subscription)

    hub.publish(
        CtiEvent(
            type=EventType.AGENT_STATE_CHANGED,
            data={"agent_id": "1001", "state": "ready"},
            audience=Audience(frozenset({"1001"})),
        )
    )

    [event] = drain(subscription)
    assert event["call_id"] is None
    assert event["data"] == {"agent_id": "1001", "state": "ready"}


def test_agent_a_never_sees_agent_b_events() -> None:
    hub = make_hub()
    ana, bruno = hub.subscribe(agent("1001")), hub.subscribe(agent("1002"))
    drain(ana), drain(bruno)

    hub.publish(ringing("call-b", "1002"))
    hub.publish(CtiEvent(EventType.SCREEN_POP, {"agent_id": "1002"}, "call-b", Audience(frozenset({"1002"}))))

    assert drain(ana) == []
    assert [e["type"] for e in drain(bruno)] == ["call.ringing", "screen_pop"]


def test_a_supervisor_sees_only_the_queues_its_token_names() -> None:
    hub = make_hub()
    sales = hub.subscribe(integration("sup", "supervisor", "queue:sales"))
    drain(sales)

    hub.publish(ringing("call-1", "1001", queue="sales"))
    hub.publish(ringing("call-2", "1002", queue="support"))
    hub.publish(ringing("call-3", "1003"))

    assert [e["call_id"] for e in drain(sales)] == ["call-1"]


def test_an_integration_sees_what_its_scopes_name() -> None:
    hub = make_hub()
    reader = hub.subscribe(integration("crm", "calls:read"))
    writer = hub.subscribe(integration("dialer", "calls:write"))
    drain(reader), drain(writer)

    hub.publish(ringing("call-1", "1001", queue="sales"))
    hub.publish(ringing("call-2", "1002"))

    assert [e["call_id"] for e in drain(reader)] == ["call-1", "call-2"]
    assert drain(writer) == []


def test_streams_are_numbered_independently() -> None:
    hub = make_hub()
    ana, crm = hub.subscribe(agent("1001")), hub.subscribe(integration("crm", "calls:read"))
    [ana_start], [crm_start] = drain(ana), drain(crm)

    hub.publish(ringing("call-2", "1002"))
    hub.publish(ringing("call-1", "1001"))

    assert [e["seq"] - ana_start["seq"] for e in drain(ana)] == [1]
    assert [e["seq"] - crm_start["seq"] for e in drain(crm)] == [1, 2]


def test_two_desktops_of_one_agent_share_the_stream_and_its_numbers() -> None:
    hub = make_hub()
    first, second = hub.subscribe(agent("1001")), hub.subscribe(agent("1001"))
    drain(first), drain(second)

    hub.publish(ringing("call-1", "1001"))

    assert drain(first) == drain(second)


def test_reconnecting_with_last_seq_replays_exactly_the_missed_events() -> None:
    hub = make_hub()
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)
    hub.publish(ringing("call-1", "1001"))
    hub.publish(ringing("call-2", "1001"))
    [first, _unread] = [desktop.take(), desktop.take()]
    assert first is not None
    last_seen = desktop.sent_seq - 1
    hub.unsubscribe(desktop)

    hub.publish(ringing("call-3", "1001"))  # while disconnected
    resumed = hub.subscribe(agent("1001"), last_seq=last_seen)

    events = drain(resumed)
    assert [e["call_id"] for e in events] == ["call-2", "call-3"]
    assert [e["seq"] for e in events] == [last_seen + 1, last_seen + 2]


def test_resuming_when_nothing_was_missed_sends_nothing() -> None:
    hub = make_hub()
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)
    hub.publish(ringing("call-1", "1001"))
    drain(desktop)
    hub.unsubscribe(desktop)

    assert drain(hub.subscribe(agent("1001"), last_seq=desktop.sent_seq)) == []


def test_missing_more_than_the_buffer_holds_gives_a_snapshot_and_a_resync_marker() -> None:
    hub = make_hub(buffer_max_events=3)
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)
    last_seen = desktop.sent_seq
    hub.unsubscribe(desktop)

    for n in range(5):
        hub.publish(ringing(f"call-{n}", "1001"))
    resumed = hub.subscribe(agent("1001"), last_seq=last_seen)
    frames = drain(resumed)

    assert len(frames) == 1
    assert frames[0]["type"] == "resync"
    assert frames[0]["data"]["reason"] == "buffer_exceeded"
    assert frames[0]["data"]["last_seq"] == last_seen
    assert frames[0]["data"]["snapshot"] == {"calls": ["current call of agent:1001"]}
    assert frames[0]["seq"] == last_seen + 5, "the marker stands at the stream's position"
    hub.publish(ringing("call-5", "1001"))
    assert [e["seq"] for e in drain(resumed)] == [last_seen + 6]


def test_events_older_than_the_time_window_are_not_replayed() -> None:
    clock = ManualClock()
    hub = make_hub(clock, buffer_seconds=60)
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)
    last_seen = desktop.sent_seq
    hub.unsubscribe(desktop)

    hub.publish(ringing("old", "1001"))
    clock.advance(45)
    hub.publish(ringing("recent", "1001"))
    clock.advance(30)  # "old" is now 75 s old, "recent" 30 s

    frames = drain(hub.subscribe(agent("1001"), last_seq=last_seen))
    assert [f["type"] for f in frames] == ["resync"]
    assert frames[0]["data"]["reason"] == "buffer_exceeded"

    replayed = drain(hub.subscribe(agent("1001"), last_seq=last_seen + 1))
    assert [e["call_id"] for e in replayed] == ["recent"]


def test_a_stream_without_connections_keeps_buffering_until_it_expires() -> None:
    clock = ManualClock()
    hub = make_hub(clock, buffer_seconds=60)
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)
    last_seen = desktop.sent_seq
    hub.unsubscribe(desktop)

    clock.advance(59)
    hub.sweep()
    assert hub.has_stream("agent:1001")
    clock.advance(2)
    hub.sweep()
    assert not hub.has_stream("agent:1001")

    hub.publish(ringing("after-expiry", "1001"))  # nobody reads agent 1001 now: not kept
    frames = drain(hub.subscribe(agent("1001"), last_seq=last_seen))
    assert [f["type"] for f in frames] == ["resync"]
    assert frames[0]["data"]["reason"] == "stream_restarted"
    assert frames[0]["seq"] > last_seen, "a new stream never reuses numbers a client holds"


def test_a_last_seq_the_stream_never_sent_gets_a_resync() -> None:
    hub = make_hub()
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)

    frames = drain(hub.subscribe(agent("1001"), last_seq=desktop.sent_seq + 10))

    assert frames[0]["data"]["reason"] == "unknown_seq"


def test_a_slow_connection_is_dropped_while_a_fast_one_keeps_receiving() -> None:
    hub = make_hub(max_pending=3)
    slow, fast = hub.subscribe(agent("1001")), hub.subscribe(agent("1001"))
    drain(slow), drain(fast)
    received = []

    for n in range(6):
        hub.publish(ringing(f"call-{n}", "1001"))
        received += drain(fast)

    assert slow.dropped is not None
    assert slow.dropped.reason is DropReason.SLOW_CONSUMER
    with pytest.raises(SubscriptionDropped):
        slow.take()
    assert [e["call_id"] for e in received] == [f"call-{n}" for n in range(6)]


def test_a_dropped_slow_connection_resumes_from_where_it_stopped() -> None:
    hub = make_hub(max_pending=3)
    slow = hub.subscribe(agent("1001"))
    drain(slow)
    hub.publish(ringing("call-0", "1001"))
    drain(slow)
    for n in range(1, 5):
        hub.publish(ringing(f"call-{n}", "1001"))
    assert slow.dropped is not None
    hub.unsubscribe(slow)

    resumed = drain(hub.subscribe(agent("1001"), last_seq=slow.sent_seq))

    assert [e["call_id"] for e in resumed] == ["call-1", "call-2", "call-3", "call-4"]


def test_a_replay_longer_than_the_send_queue_is_sent_in_full() -> None:
    hub = make_hub(max_pending=3, buffer_max_events=100)
    desktop = hub.subscribe(agent("1001"))
    drain(desktop)
    hub.unsubscribe(desktop)
    for n in range(10):
        hub.publish(ringing(f"call-{n}", "1001"))

    resumed = hub.subscribe(agent("1001"), last_seq=desktop.sent_seq)
    first = resumed.take()
    hub.publish(ringing("call-10", "1001"))  # published during the replay: counts toward the queue

    assert first is not None
    assert resumed.dropped is None
    assert [e["call_id"] for e in drain(resumed)] == [f"call-{n}" for n in range(1, 11)]


async def test_next_frame_waits_for_the_next_event() -> None:
    hub = make_hub()
    desktop = hub.subscribe(agent("1001"))
    await desktop.next_frame()
    waiting = asyncio.create_task(desktop.next_frame())
    await asyncio.sleep(0)
    assert not waiting.done()

    hub.publish(ringing("call-1", "1001"))

    assert '"call_id":"call-1"' in await asyncio.wait_for(waiting, 1)


async def test_stopping_the_hub_drops_every_connection() -> None:
    hub = make_hub()
    desktop = hub.subscribe(agent("1001"))
    await desktop.next_frame()
    await hub.start()

    await hub.stop()

    dropped = await asyncio.wait_for(desktop.wait_dropped(), 1)
    assert dropped.reason is DropReason.HUB_CLOSED


def test_publishing_to_nobody_keeps_nothing() -> None:
    hub = make_hub()

    hub.publish(ringing("call-1", "1001"))

    assert hub.stats().streams == 0
    assert hub.stats().published == 1


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="max_pending"):
        HubLimits(max_pending=0)
    with pytest.raises(ValueError, match="buffer_seconds"):
        HubLimits(buffer_seconds=0)
