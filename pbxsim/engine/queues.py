"""app_queue: queues from YAML, member state, and the Queue() application with Asterisk's event order.

Order that matters (wire INDEX 12–18): DialEnd ANSWER → MusicOnHoldStop → QueueCallerLeave →
AgentConnect → BridgeCreate/Enter; QueueMemberStatus Status 2 while a Local member rings, once per
queue the member belongs to; a ring-all loser gets two DialEnd CANCEL; a member timeout gives
AgentRingNoAnswer, DialEnd NOANSWER and DialEnd CANCEL; a maxwait timeout gives QueueCallerAbandon
then QueueCallerLeave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pbxsim.engine import messages as m
from pbxsim.engine.dialplan import split_args
from pbxsim.engine.errors import QueueMemberExists, UnknownQueue, UnknownQueueMember
from pbxsim.engine.model import PartyId, QueueMemberSnapshot
from pbxsim.engine.results import QueueEntrySnapshot, QueueSnapshot

if TYPE_CHECKING:
    from pbxsim.engine.channel import Channel, DialAttempt
    from pbxsim.engine.engine import Engine

STATUS_NOT_INUSE = 1
STATUS_INUSE = 2


@dataclass(eq=False)
class Member:
    """One queue member (the same agent in two queues is two Member objects sharing a state interface)."""

    queue: str
    interface: str
    name: str
    state_interface: str
    penalty: int
    dynamic: bool
    paused: bool = False
    paused_reason: str = ""
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    ringinuse: bool = False

    def endpoint(self) -> str:
        """The dial string without Local's `/n` option."""
        return self.interface.split("/n")[0] if self.interface.endswith("/n") else self.interface


@dataclass(eq=False)
class Entry:
    """A caller waiting in a queue."""

    channel: Channel
    joined: float
    original_position: int


@dataclass(eq=False)
class Queue:
    """A queue's configuration, counters, members and waiting callers."""

    name: str
    strategy: str
    timeout: float
    retry: float
    servicelevel: int
    maxlen: int
    weight: int
    members: list[Member] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0
    rr_next: int = 0


class QueueManager:
    """All queues, the busy state of each agent device, and the Queue() application."""

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.engine = engine
        self.queues: dict[str, Queue] = {}
        self._busy: dict[str, int] = {}
        self._devices_in_use: set[str] = set()
        # Per bridged queue caller: what app_queue does when a transfer takes the caller away (INDEX 18).
        self._transfer_hooks: dict[str, Callable[[], None]] = {}
        self._release_hooks: dict[str, Callable[[], None]] = {}
        self._load(path)

    def _load(self, path: Path | None) -> None:
        if path is None:
            text = resources.files("pbxsim.config").joinpath("queues.yaml").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        raw: dict[str, Any] = yaml.safe_load(text) or {}
        defaults = raw.get("defaults") or {}
        login = int(self.engine.started_at)
        for name, body in (raw.get("queues") or {}).items():
            conf = {**defaults, **(body or {})}
            queue = Queue(
                name=str(name),
                strategy=str(conf.get("strategy", "ringall")),
                timeout=float(conf.get("timeout", 15)),
                retry=float(conf.get("retry", 5)),
                servicelevel=int(conf.get("servicelevel", 0)),
                maxlen=int(conf.get("maxlen", 0)),
                weight=int(conf.get("weight", 0)),
            )
            for raw_member in conf.get("members") or []:
                queue.members.append(
                    Member(
                        queue=queue.name,
                        interface=str(raw_member["interface"]),
                        name=str(raw_member.get("name", raw_member["interface"])),
                        state_interface=str(raw_member.get("state_interface", raw_member["interface"])),
                        penalty=int(raw_member.get("penalty", 0)),
                        dynamic=False,
                        login_time=login,
                    )
                )
            self.queues[queue.name] = queue

    # --- state --------------------------------------------------------------------------------------

    def _queue(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise UnknownQueue(name)
        return queue

    def in_call(self, member: Member) -> bool:
        """Whether the member's device is busy with a call (ringing or talking), in a queue or not."""
        return self._busy.get(member.state_interface, 0) > 0 or member.state_interface in self._devices_in_use

    def device_in_use(self, device: str) -> None:
        """A device went INUSE outside app_queue's own bookkeeping (a Dial or an Originate to an agent)."""
        self._device_changed(device, True)

    def device_idle(self, device: str) -> None:
        """A device went NOT_INUSE (chan_local: the `;1` owner of the pair is gone)."""
        self._device_changed(device, False)

    def _device_changed(self, device: str, in_use: bool) -> None:
        if (device in self._devices_in_use) == in_use:
            return
        members = self._members_of(device)
        before = [self.in_call(mem) for mem in members]
        if in_use:
            self._devices_in_use.add(device)
        else:
            self._devices_in_use.discard(device)
        for member, was in zip(members, before, strict=True):
            if self.in_call(member) != was:
                self._publish_member("Status", member)

    def snapshot_member(self, member: Member) -> QueueMemberSnapshot:
        """Freeze a member for messages and QueueStatus."""
        busy = self.in_call(member)
        return QueueMemberSnapshot(
            queue=member.queue,
            interface=member.interface,
            member_name=member.name,
            state_interface=member.state_interface,
            membership="dynamic" if member.dynamic else "static",
            penalty=member.penalty,
            calls_taken=member.calls_taken,
            last_call=member.last_call,
            last_pause=member.last_pause,
            login_time=member.login_time,
            in_call=self._talking.get(member.state_interface, 0) > 0,
            status=STATUS_INUSE if busy else STATUS_NOT_INUSE,
            paused=member.paused,
            paused_reason=member.paused_reason,
            ringinuse=member.ringinuse,
        )

    @property
    def _talking(self) -> dict[str, int]:
        if not hasattr(self, "_talking_map"):
            self._talking_map: dict[str, int] = {}
        return self._talking_map

    def _members_of(self, state_interface: str) -> list[Member]:
        return [
            mem for q in self.queues.values() for mem in q.members if mem.state_interface == state_interface
        ]

    def _set_busy(self, member: Member, delta: int) -> None:
        before = self.in_call(member)
        self._busy[member.state_interface] = max(0, self._busy.get(member.state_interface, 0) + delta)
        if before != self.in_call(member):
            for each in self._members_of(member.state_interface):
                self._publish_member("Status", each)

    def _publish_member(self, kind: str, member: Member) -> None:
        self.engine.publish(
            m.QueueMemberChanged(timestamp=self.engine.now(), kind=kind, member=self.snapshot_member(member))
        )

    def channel_gone(self, ch: Channel) -> None:
        """Forget a hung-up channel that still sits in a queue's entry list."""
        for queue in self.queues.values():
            queue.entries = [e for e in queue.entries if e.channel is not ch]

    # --- management (AMI QueueAdd/Remove/Pause/Penalty, QueueStatus/Summary) ----------------------------

    def status(self, queue: str | None = None) -> list[QueueSnapshot]:
        """QueueStatus data for one queue or all."""
        names = [queue] if queue else list(self.queues)
        result = []
        now = self.engine.now()
        for name in names:
            q = self._queue(name)
            result.append(
                QueueSnapshot(
                    name=q.name,
                    strategy=q.strategy,
                    max_len=q.maxlen,
                    calls=len(q.entries),
                    hold_time=q.holdtime,
                    talk_time=q.talktime,
                    completed=q.completed,
                    abandoned=q.abandoned,
                    service_level=q.servicelevel,
                    service_level_perf=100.0 if q.completed else 0.0,
                    service_level_perf2=100.0 if q.completed else 0.0,
                    weight=q.weight,
                    members=tuple(self.snapshot_member(mem) for mem in q.members),
                    entries=tuple(
                        QueueEntrySnapshot(q.name, i + 1, e.channel.snapshot(), int(now - e.joined))
                        for i, e in enumerate(q.entries)
                    ),
                )
            )
        return result

    def add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str = "",
        state_interface: str = "",
        penalty: int = 0,
        paused: bool = False,
        reason: str = "",
    ) -> QueueMemberSnapshot:
        """Add a dynamic member (QueueMemberAdded)."""
        q = self._queue(queue)
        if any(mem.interface == interface for mem in q.members):
            raise QueueMemberExists(queue, interface)
        member = Member(
            queue=queue,
            interface=interface,
            name=member_name or interface,
            state_interface=state_interface or interface,
            penalty=penalty,
            dynamic=True,
            paused=paused,
            paused_reason=reason if paused else "",
            login_time=int(self.engine.now()),
            last_pause=int(self.engine.now()) if paused else 0,
        )
        q.members.append(member)
        self._publish_member("Added", member)
        return self.snapshot_member(member)

    def remove(self, queue: str, interface: str) -> None:
        """Remove a dynamic member (QueueMemberRemoved)."""
        q = self._queue(queue)
        member = next((mem for mem in q.members if mem.interface == interface), None)
        if member is None:
            raise UnknownQueueMember(queue, interface)
        q.members.remove(member)
        self._publish_member("Removed", member)

    def pause(self, interface: str, paused: bool, *, queue: str | None = None, reason: str = "") -> None:
        """Pause or unpause a member in one queue or all (QueueMemberPause)."""
        members = [
            mem
            for q in self.queues.values()
            if queue is None or q.name == queue
            for mem in q.members
            if mem.interface == interface
        ]
        if queue is not None:
            self._queue(queue)
        if not members:
            raise UnknownQueueMember(queue or "", interface)
        for member in members:
            member.paused = paused
            member.paused_reason = reason if paused else ""
            member.last_pause = int(self.engine.now())
            self._publish_member("Pause", member)

    def penalty(self, interface: str, penalty: int, *, queue: str | None = None) -> None:
        """Change a member's penalty (QueueMemberPenalty)."""
        members = [
            mem
            for q in self.queues.values()
            if queue is None or q.name == queue
            for mem in q.members
            if mem.interface == interface
        ]
        if not members:
            raise UnknownQueueMember(queue or "", interface)
        for member in members:
            member.penalty = penalty
            self._publish_member("Penalty", member)

    # --- the Queue() application ---------------------------------------------------------------------

    def _pick(self, q: Queue) -> list[Member]:
        available = [mem for mem in q.members if not mem.paused and (mem.ringinuse or not self.in_call(mem))]
        if not available:
            return []
        best = min(mem.penalty for mem in available)
        tier = [mem for mem in available if mem.penalty == best]
        if q.strategy == "ringall":
            # app_queue prepends each callee to its outgoing list, so the last member rings first.
            return tier[::-1]
        order = q.members
        start = q.rr_next % max(1, len(order))
        rotated = order[start:] + order[:start]
        for mem in rotated:
            if mem in tier:
                q.rr_next = order.index(mem) + 1
                return [mem]
        return []

    async def run_queue_app(self, ch: Channel, data: str) -> bool:
        """Queue(name,options,URL,announce,timeout): returns False to continue in the dialplan."""
        engine = self.engine
        args = [*split_args(data), "", "", "", ""]
        q = self.queues.get(args[0])
        if q is None:
            engine.set_channel_var(ch, "QUEUESTATUS", "UNKNOWN")
            return False
        maxwait = float(args[4]) if args[4].strip() else 0.0
        for name in (
            "ANSWEREDTIME",
            "ANSWEREDTIME_MS",
            "DIALEDTIME",
            "DIALEDTIME_MS",
            "QUEUEWAIT",
            "QUEUEWAIT_MS",
        ):
            engine.set_channel_var(ch, name, "")
        entry = Entry(ch, engine.now(), len(q.entries) + 1)
        q.entries.append(entry)
        engine.device_state(f"Queue:{q.name}", "RINGING")
        engine.publish(
            m.QueueCallerJoined(
                timestamp=engine.now(),
                queue=q.name,
                caller=ch.snapshot(),
                position=len(q.entries),
                count=len(q.entries),
            )
        )
        engine.start_moh(ch, "default")
        deadline = engine.now() + maxwait / engine.speed if maxwait > 0 else None
        attempts: list[_Attempt] = []
        try:
            while True:
                members = self._pick(q)
                for member in members:
                    attempt = self._call_member(q, ch, member)
                    if attempt.dial is not None:
                        attempt.dial.on_answer = self._on_answer_callback(q, ch, attempt, attempts)
                    attempts.append(attempt)
                remaining = None if deadline is None else max(0.0, deadline - engine.now())
                winner = await self._wait_round(q, ch, attempts, remaining)
                if winner is not None:
                    await self._connect(q, ch, entry, winner, attempts)
                    return False
                if deadline is not None and engine.now() >= deadline - 0.0005:
                    self._timeout_all(q, ch, attempts)
                    self._abandon(q, ch, entry, timeout=True)
                    engine.set_channel_var(ch, "QUEUESTATUS", "TIMEOUT")
                    return False
                wait = q.retry / engine.speed
                if not members:
                    wait = min(wait, 1.0 / engine.speed)
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - engine.now()))
                await asyncio.sleep(wait)
        except asyncio.CancelledError:
            for attempt in attempts:
                if not attempt.done:
                    self._cancel_attempt(q, ch, attempt, twice=False)
            if entry in q.entries:
                engine.stop_moh(ch)
                self._exit_vars(ch, entry)
                self._abandon(q, ch, entry)
            raise

    def _exit_vars(self, ch: Channel, entry: Entry) -> None:
        """QUEUEWAIT, DIALEDTIME and ANSWEREDTIME (with _MS) of a caller leaving without an agent."""
        engine = self.engine
        waited = (engine.now() - entry.joined) * engine.speed
        dialed = (engine.now() - ch.creation_time) * engine.speed
        for name, value in (
            ("QUEUEWAIT", str(int(waited))),
            ("QUEUEWAIT_MS", str(int(waited) * 1000)),
            ("DIALEDTIME", str(int(dialed))),
            ("DIALEDTIME_MS", str(int(dialed * 1000))),
            ("ANSWEREDTIME", "0"),
            ("ANSWEREDTIME_MS", "0"),
        ):
            engine.set_channel_var(ch, name, value)

    def _abandon(self, q: Queue, ch: Channel, entry: Entry, *, timeout: bool = False) -> None:
        """QueueCallerAbandon then QueueCallerLeave, with app_queue's variable noise around them."""
        engine = self.engine
        position = q.entries.index(entry) + 1 if entry in q.entries else 1
        engine.set_channel_var(ch, "ABANDONED", "TRUE")
        self._queue_vars(ch, q)
        q.abandoned += 1
        engine.publish(
            m.QueueCallerAbandoned(
                timestamp=engine.now(),
                queue=q.name,
                caller=ch.snapshot(),
                position=position,
                original_position=entry.original_position,
                hold_time=int((engine.now() - entry.joined) * engine.speed),
            )
        )
        if timeout:
            self._exit_vars(ch, entry)
            engine.stop_moh(ch)
        self._queue_vars(ch, q)
        if entry in q.entries:
            q.entries.remove(entry)
        engine.device_state(f"Queue:{q.name}", "NOT_INUSE")
        engine.publish(
            m.QueueCallerLeft(
                timestamp=engine.now(),
                queue=q.name,
                caller=ch.snapshot(),
                position=position,
                count=len(q.entries),
            )
        )
        engine.set_channel_var(ch, "QUEUEPOSITION", str(position))

    def _call_member(self, q: Queue, ch: Channel, member: Member) -> _Attempt:
        engine = self.engine
        one, _two = engine.prepare_local(
            member.endpoint(),
            inherit_from=ch,
            app_label="AppQueue",
            extra_one_vars=(("DIALEDPEERNUMBER", member.interface.removeprefix("Local/")),),
            one_caller=PartyId(ch.exten, ""),
            two_ids=(ch.caller, PartyId(ch.exten, "")),
        )
        one.is_dial_peer = True
        attempt = _Attempt(member=member, channel=one, started=engine.now())
        engine.publish(
            m.AgentCalled(
                timestamp=engine.now(),
                queue=q.name,
                caller=ch.snapshot(),
                agent_channel=one.snapshot(),
                member=self.snapshot_member(member),
            )
        )
        dial = engine.begin_dial(ch, one, member.interface.removeprefix("Local/"))
        attempt.dial = dial
        self._set_busy(member, +1)
        attempt.task = engine.spawn(self._ring(q, ch, attempt, dial))
        return attempt

    async def _ring(self, q: Queue, ch: Channel, attempt: _Attempt, dial: DialAttempt) -> str:
        engine = self.engine
        one = attempt.channel
        watcher = engine.spawn(self._connected_line_on_ring(ch, one))
        try:
            status = await engine.await_dial(dial, q.timeout)
        finally:
            watcher.cancel()
        attempt.status = status
        return status

    async def _connected_line_on_ring(self, ch: Channel, one: Channel) -> None:
        from pbxsim.engine.model import ChannelState

        while one.state not in (ChannelState.RINGING, ChannelState.UP) and not one.ended:
            await asyncio.sleep(0.001)
        if one.ended:
            return
        one.exten = ch.exten
        self.engine.newexten(one)
        self.engine.set_connected(one, ch.caller)

    async def _wait_round(
        self, q: Queue, ch: Channel, attempts: list[_Attempt], remaining: float | None
    ) -> _Attempt | None:
        engine = self.engine
        loop_deadline = None if remaining is None else engine.now() + remaining
        while True:
            live = [a for a in attempts if not a.done]
            if not live:
                return None
            tasks = [a.task for a in live if a.task is not None]
            timeout = None if loop_deadline is None else max(0.0, loop_deadline - engine.now())
            finished, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not finished:
                return None
            for attempt in live:
                if attempt.task is None or attempt.task not in finished:
                    continue
                status = attempt.status
                if status == "ANSWER":
                    attempt.done = True
                    return attempt
                self._attempt_failed(q, ch, attempt, status)

    def _attempt_failed(self, q: Queue, ch: Channel, attempt: _Attempt, status: str) -> None:
        engine = self.engine
        attempt.done = True
        one = attempt.channel
        member_snapshot = self.snapshot_member(attempt.member)
        ring_ms = int((engine.now() - attempt.started) * 1000 * engine.speed)
        if status == "TIMEOUT":
            engine.publish(
                m.AgentRingNoAnswer(
                    timestamp=engine.now(),
                    queue=q.name,
                    caller=ch.snapshot(),
                    agent_channel=one.snapshot(),
                    member=member_snapshot,
                    ring_time_ms=ring_ms,
                )
            )
            engine.dial_end(ch, one, "NOANSWER")
            engine.dial_end(ch, one, "CANCEL")
        else:
            engine.dial_end(
                ch, one, "BUSY" if status == "BUSY" else status if status != "NOANSWER" else "NOANSWER"
            )
            engine.publish(
                m.AgentRingNoAnswer(
                    timestamp=engine.now(),
                    queue=q.name,
                    caller=ch.snapshot(),
                    agent_channel=one.snapshot(),
                    member=member_snapshot,
                    ring_time_ms=0,
                )
            )
        if not one.ended:
            one.hangup_requested = True
            engine.finish(one)
        if status == "BUSY":
            engine.publish(
                m.ChannelConnectedLineChanged(timestamp=engine.now(), channel=replace(one.snapshot()))
            )
        self._set_busy(attempt.member, -1)

    def _on_answer_callback(
        self, q: Queue, ch: Channel, winner: _Attempt, attempts: list[_Attempt]
    ) -> Callable[[], None]:
        def answered() -> None:
            self._settle_winner(q, ch, winner, attempts)

        return answered

    def _settle_winner(self, q: Queue, ch: Channel, winner: _Attempt, attempts: list[_Attempt]) -> None:
        """DialEnd ANSWER for the winner and CANCEL (cause 26) for the others, the moment it answers."""
        if winner.settled:
            return
        winner.settled = True
        self.engine.dial_end(ch, winner.channel, "ANSWER")
        for attempt in attempts:
            if attempt is not winner and not attempt.done:
                attempt.channel.hangupcause = 26
                self._cancel_attempt(q, ch, attempt, twice=True)

    def _cancel_attempt(self, q: Queue, ch: Channel, attempt: _Attempt, *, twice: bool) -> None:
        engine = self.engine
        attempt.done = True
        if attempt.task is not None and not attempt.task.done():
            attempt.task.cancel()
        one = attempt.channel
        one.dial_attempt = None
        engine.dial_end(ch, one, "CANCEL")
        if twice:
            engine.dial_end(ch, one, "CANCEL")
        if not one.ended:
            one.hangup_requested = True
            engine.finish(one)
        self._set_busy(attempt.member, -1)

    def _timeout_all(self, q: Queue, ch: Channel, attempts: list[_Attempt]) -> None:
        for attempt in attempts:
            if not attempt.done:
                if attempt.task is not None and not attempt.task.done():
                    attempt.task.cancel()
                attempt.channel.dial_attempt = None
                self._attempt_failed(q, ch, attempt, "TIMEOUT")

    def caller_transferred(self, ch: Channel) -> None:
        """A transfer takes a bridged queue caller away: AgentComplete `transfer` now, not at hangup."""
        hook = self._transfer_hooks.pop(ch.id, None)
        if hook is not None:
            hook()

    def agent_released(self, ch: Channel) -> None:
        """The agent talking to this queue caller was hung up elsewhere (the caller was parked): the member
        is free again, while the caller's AgentComplete still waits for its hangup."""
        hook = self._release_hooks.pop(ch.id, None)
        if hook is not None:
            hook()

    def _member_vars(self, target: Channel, member: Member) -> None:
        engine = self.engine
        for name, value in (
            ("MEMBERINTERFACE", member.interface),
            ("MEMBERNAME", member.name),
            ("MEMBERCALLS", str(member.calls_taken)),
            ("MEMBERLASTCALL", str(member.last_call)),
            ("MEMBERPENALTY", str(member.penalty)),
            ("MEMBERDYNAMIC", "1" if member.dynamic else "0"),
            ("MEMBERREALTIME", "0"),
        ):
            engine.set_channel_var(target, name, value)

    def _queue_vars(self, target: Channel, q: Queue) -> None:
        engine = self.engine
        for name, value in (
            ("QUEUENAME", q.name),
            ("QUEUEMAX", str(q.maxlen)),
            ("QUEUESTRATEGY", q.strategy),
            ("QUEUECALLS", str(len(q.entries))),
            ("QUEUEHOLDTIME", str(q.holdtime)),
            ("QUEUETALKTIME", str(q.talktime)),
            ("QUEUECOMPLETED", str(q.completed)),
            ("QUEUEABANDONED", str(q.abandoned)),
            ("QUEUESRVLEVEL", str(q.servicelevel)),
            ("QUEUESRVLEVELPERF", "100.0" if q.completed else "0.0"),
        ):
            engine.set_channel_var(target, name, value)

    async def _connect(
        self, q: Queue, ch: Channel, entry: Entry, winner: _Attempt, attempts: list[_Attempt]
    ) -> None:
        from pbxsim.engine.apps import bridge_call

        engine = self.engine
        agent = winner.channel
        member = winner.member
        self._settle_winner(q, ch, winner, attempts)
        engine.stop_moh(ch)
        hold = round((engine.now() - entry.joined) * engine.speed)
        ring = round((engine.now() - winner.started) * engine.speed)
        self._member_vars(ch, member)
        self._member_vars(agent, member)
        for target in (ch, agent):
            engine.set_channel_var(target, "QEHOLDTIME", str(hold))
            engine.set_channel_var(target, "QEORIGINALPOS", str(entry.original_position))
        self._queue_vars(ch, q)
        self._queue_vars(agent, q)
        position = q.entries.index(entry) + 1 if entry in q.entries else 1
        if entry in q.entries:
            q.entries.remove(entry)
        engine.device_state(f"Queue:{q.name}", "NOT_INUSE")
        engine.publish(
            m.QueueCallerLeft(
                timestamp=engine.now(),
                queue=q.name,
                caller=ch.snapshot(),
                position=position,
                count=len(q.entries),
            )
        )
        engine.set_channel_var(ch, "QUEUEPOSITION", str(position))
        engine.set_channel_var(ch, "QUEUEWAIT", str(hold))
        engine.set_channel_var(ch, "QUEUEWAIT_MS", str(hold * 1000))
        engine.publish(
            m.AgentConnected(
                timestamp=engine.now(),
                queue=q.name,
                caller=ch.snapshot(),
                agent_channel=agent.snapshot(),
                member=self.snapshot_member(member),
                hold_time=hold,
                ring_time=ring,
            )
        )
        self._talking[member.state_interface] = self._talking.get(member.state_interface, 0) + 1
        connected_at = engine.now()
        q.holdtime = hold if not q.completed else (q.holdtime + hold) // 2

        def complete(reason: str, with_blocks: bool = True) -> None:
            talk = round((engine.now() - connected_at) * engine.speed)
            q.completed += 1
            q.talktime = talk
            member.calls_taken += 1
            member.last_call = int(engine.now())
            engine.publish(
                m.AgentCompleted(
                    timestamp=engine.now(),
                    queue=q.name,
                    caller=ch.snapshot() if with_blocks else None,
                    agent_channel=agent.snapshot() if with_blocks else None,
                    member=self.snapshot_member(member),
                    hold_time=hold,
                    talk_time=talk,
                    reason=reason,
                )
            )

        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._talking[member.state_interface] = max(0, self._talking.get(member.state_interface, 0) - 1)
            self._set_busy(member, -1)

        def agent_left() -> None:
            if not agent.ended:  # the agent's `;1` is gone (Hangup) before AgentComplete
                agent.hangup_requested = True
                engine.finish(agent)
            complete("agent")
            release()

        def caller_left() -> None:
            """app_queue's noise when the caller leaves the bridge (Redirect, or hangup)."""
            talk = (engine.now() - connected_at) * engine.speed
            dialed = (engine.now() - ch.creation_time) * engine.speed
            times = (
                ("DIALEDTIME", str(int(dialed))),
                ("DIALEDTIME_MS", str(int(dialed * 1000))),
            )
            if ch.redirect_to is not None and not ch.hangup_requested:
                for name, value in (*times, ("ANSWEREDTIME", "0"), ("ANSWEREDTIME_MS", "0")):
                    engine.set_channel_var(ch, name, value)
                self._queue_vars(ch, q)
                return
            self._queue_vars(ch, q)
            engine.set_channel_var(ch, "ANSWEREDTIME", str(int(talk)))
            engine.set_channel_var(ch, "ANSWEREDTIME_MS", str(int(talk * 1000)))
            for name, value in times:
                engine.set_channel_var(ch, name, value)
            self._queue_vars(ch, q)
            engine.set_channel_var(ch, "QUEUESTATUS", "CONTINUE")
            engine.soft_hangup(ch)

        transferred = False

        def transfer_out() -> None:
            nonlocal transferred
            transferred = True
            complete("transfer")
            release()

        self._transfer_hooks[ch.id] = transfer_out
        self._release_hooks[ch.id] = release
        try:
            await bridge_call(engine, ch, agent, on_peer_left=agent_left, on_caller_left=caller_left)
        except asyncio.CancelledError:
            self._transfer_hooks.pop(ch.id, None)
            self._release_hooks.pop(ch.id, None)
            if transferred:
                pass
            elif ch.redirect_to is not None and not ch.hangup_requested:
                ch.on_end.append(lambda: complete("caller", with_blocks=False))
            else:  # a caller who hung up in the parking lot gets a bare AgentComplete (ami_hold_moh)
                complete("caller", with_blocks=not engine.parking.gave_up(ch))
            release()
            raise
        self._transfer_hooks.pop(ch.id, None)
        self._release_hooks.pop(ch.id, None)
        if not agent.ended:
            agent.hangup_requested = True
            engine.finish(agent)
        release()
        for name, value in (("ANSWEREDTIME", str(int(engine.now() - connected_at))),):
            del name, value
        self._queue_vars(ch, q)
        talk_s = round((engine.now() - connected_at) * engine.speed)
        total = round((engine.now() - entry.joined) * engine.speed)
        engine.set_channel_var(ch, "ANSWEREDTIME", str(talk_s))
        engine.set_channel_var(ch, "ANSWEREDTIME_MS", str(talk_s * 1000))
        engine.set_channel_var(ch, "DIALEDTIME", str(total))
        engine.set_channel_var(ch, "DIALEDTIME_MS", str(total * 1000))
        self._queue_vars(ch, q)
        engine.set_channel_var(ch, "QUEUESTATUS", "CONTINUE")


@dataclass(eq=False)
class _Attempt:
    member: Member
    channel: Channel
    started: float
    task: asyncio.Task[str] | None = None
    status: str = ""
    done: bool = False
    dial: DialAttempt | None = None
    settled: bool = False
