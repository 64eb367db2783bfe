"""The call driver: originates calls at a steady rate over AMI and listens to the whole AMI stream.

Each call is `Originate Channel=Local/2XXX@customers Context=dial-out Exten=<agent>`: the customer
answers, then the dialplan Dials `Local/<agent>@agents`, whose `DialBegin` is the moment the agent's
phone starts ringing. That event's `Timestamp:` header (pbxsim's wall clock at emission) is where the
screen-pop latency starts. The same session counts every AMI event, VarSet/Newexten noise included.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from adapters.asterisk.ami import AmiClient
from adapters.asterisk.ami.errors import AmiError
from cti_gateway.ports.pbx import PbxEvent


@dataclass(frozen=True, slots=True)
class CallLength:
    """How long (in pbxsim's simulated seconds) each leg rings and talks."""

    customer_ring: float
    agent_ring: float
    agent_talk: float
    customer_talk: float

    def variables(self) -> list[str]:
        """Originate variables; `__` makes the agent's values survive Dial into Local/1XXX@agents."""
        return [
            f"CUSTOMER_RING_SECS={self.customer_ring:g}",
            f"CUSTOMER_TALK_SECS={self.customer_talk:g}",
            f"__AGENT_RING_SECS={self.agent_ring:g}",
            f"__AGENT_TALK_SECS={self.agent_talk:g}",
        ]


@dataclass
class DriverLog:
    """Everything the driver learnt: what it asked for and what the PBX said happened."""

    originated: dict[str, str] = field(default_factory=dict)  # ActionID -> agent id
    originate_errors: list[str] = field(default_factory=list)
    call_of_action: dict[str, str] = field(default_factory=dict)  # ActionID -> Linkedid (call_id)
    failed_originates: int = 0
    rang: dict[tuple[str, str], float] = field(default_factory=dict)  # (agent, call_id) -> DialBegin ts
    ring_heard: dict[tuple[str, str], float] = field(default_factory=dict)  # ... -> when this bench read it
    rang_twice: int = 0
    events_per_second: Counter[int] = field(default_factory=Counter)
    events: int = 0


class CallDriver:
    """Drive calls at `rate` per second, round-robin over `agent_extensions`, and log the AMI stream."""

    def __init__(self, ami_port: int, agent_extensions: list[str], length: CallLength) -> None:
        self._ami = AmiClient("127.0.0.1", ami_port, "cti", "cti-secret", ping_interval=30)
        self._agents = agent_extensions
        self._length = length
        self.log = DriverLog()
        self._pending: set[asyncio.Task[None]] = set()
        self._ami.on_event(self._on_event)

    async def start(self) -> None:
        await self._ami.start()
        async with asyncio.timeout(30):
            await self._ami.wait_until_up()

    async def stop(self) -> None:
        await self._ami.stop()

    async def drive(self, rate: float, seconds: float) -> None:
        """Originate `rate` calls per second for `seconds`, on an absolute schedule (no drift)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        total = round(rate * seconds)
        for index in range(total):
            delay = start + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            agent = self._agents[index % len(self._agents)]
            task = asyncio.create_task(self._originate(index, agent))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        if self._pending:
            await asyncio.gather(*self._pending)

    async def _originate(self, index: int, agent: str) -> None:
        try:
            response = await self._ami.send_action(
                "Originate",
                Channel=f"Local/{2000 + index % 1000}@customers",
                Context="dial-out",
                Exten=agent,
                Priority="1",
                Async="true",
                Variable=self._length.variables(),
            )
        except AmiError as exc:
            self.log.originate_errors.append(f"call {index} to {agent}: {exc}")
            return
        self.log.originated[response.action_id or f"unknown-{index}"] = agent

    def _on_event(self, event: PbxEvent) -> None:
        log = self.log
        log.events += 1
        log.events_per_second[int(time.time())] += 1
        name = event.name
        if name == "DialBegin":
            fields = event.fields
            if fields.get("DestContext") == "agents":
                key = (str(fields.get("DestExten")), str(fields.get("DestLinkedid")))
                if key in log.rang:
                    log.rang_twice += 1
                else:
                    log.rang[key] = float(fields["Timestamp"])
                    log.ring_heard[key] = time.time()
        elif name == "OriginateResponse":
            fields = event.fields
            action_id = str(fields.get("ActionID", ""))
            if fields.get("Response") == "Success":
                log.call_of_action[action_id] = str(fields.get("Uniqueid"))
            else:
                log.failed_originates += 1
