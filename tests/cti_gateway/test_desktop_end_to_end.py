"""What an agent desktop sees, end to end over real sockets: calls placed on the PBX (pbxsim in its own
process, or the real Asterisk 22) → AMI → gateway → uvicorn → `/ws` → a `websockets` client.

The callers and agent phones are the reference dialplan's simulated ones: `queue-in,sales` puts a
caller into queue `sales` (rrmemory over agents 1001, 1002 and 1003; AgentCalled), and
`dial-out,100X` rings one agent straight from the dialplan (DialBegin).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from adapters.asterisk.ami import AmiClient
from cti_gateway.auth.tokens import issue_agent_token, issue_integration_token
from cti_gateway.gateway import Gateway
from cti_gateway.settings import Settings
from tests.cti_gateway.conftest import Pbx, ami_session, gateway_settings
from tests.cti_gateway.serving import serve_gateway

Event = dict[str, Any]

SALES_AGENTS = ("1001", "1002", "1003")
CUSTOMERS_CSV = """phone,name,company,segment,vip,plan,used_hours
+34 600 100 200,Eva Ruiz,Ruiz Transportes SL,smb,false,25-hour plan,31
+34 611 222 333,Jordi Puig,Puig Arquitectes SLP,enterprise,true,100-hour plan,87
"""
EVA = {"number": "600100200", "name": "Eva Ruiz"}
"""A known customer calling from a Spanish national number; the directory holds it as +34 600 100 200."""
EVA_RECORD = {
    "number": "+34600100200",
    "name": "Eva Ruiz",
    "company": "Ruiz Transportes SL",
    "segment": "smb",
    "vip": False,
    "plan": "25-hour plan",
    "used_hours": 31,
}
JORDI = {"number": "611222333", "name": "Jordi Puig"}
SHORT_CALL = {"__AGENT_RING_SECS": "1", "__AGENT_TALK_SECS": "1"}
"""The simulated agent rings one second, answers, talks one second and hangs up."""
EVENT_TIMEOUT = 20.0


def desk_settings(pbx: Pbx, tmp_path: Path) -> Settings:
    """The gateway as a contact center would configure it: three sales agents and a CSV directory."""
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS_CSV, encoding="utf-8")
    return gateway_settings(
        pbx,
        tmp_path,
        agents=[
            {"id": agent_id, "name": f"Agent {agent_id}", "endpoint": f"Local/{agent_id}@agents"}
            for agent_id in SALES_AGENTS
        ],
        directory={"kind": "csv", "path": str(customers)},
        default_region="ES",
    )


class Desktop:
    """A `/ws` client that keeps reading in the background, as a desktop's event loop would."""

    def __init__(self, ws: ClientConnection, hello: Event) -> None:
        self.ws = ws
        self.hello = hello
        self.numbered: list[Event] = []
        """Every frame with a `seq` (events and `resync` markers), in arrival order."""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            frame: Event = json.loads(message)
            if "seq" in frame:
                self.numbered.append(frame)

    @property
    def events(self) -> list[Event]:
        return [e for e in self.numbered if e["type"] != "resync"]

    @property
    def last_seq(self) -> int:
        return int(self.numbered[-1]["seq"])

    def of_call(self, call_id: str) -> list[Event]:
        return [e for e in self.events if e["call_id"] == call_id]

    def call_ids(self) -> set[str]:
        return {e["call_id"] for e in self.events if e["call_id"] is not None}

    async def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = EVENT_TIMEOUT) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if self._reader.done():
                raise AssertionError(f"the WebSocket closed before {what}: {self._reader!r}")
            if asyncio.get_running_loop().time() > deadline:
                seen = [(e["type"], e["call_id"]) for e in self.events]
                raise AssertionError(f"not seen within {timeout:g} s: {what}; saw {seen}")
            await asyncio.sleep(0.02)

    async def first(self, match: Callable[[Event], bool], what: str) -> Event:
        await self.wait_for(lambda: any(match(e) for e in self.events), what)
        return next(e for e in self.events if match(e))

    def kill(self) -> None:
        """The desktop dies: the TCP connection drops without a close handshake."""
        self._reader.cancel()
        self.ws.transport.abort()

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.ws.close()


@dataclass
class ServedGateway:
    """The gateway served by uvicorn on a real port, as `cti-gateway serve` runs it."""

    gateway: Gateway
    port: int
    http: httpx.AsyncClient
    desktops: list[Desktop] = field(default_factory=list)

    async def agent_token(self, agent_id: str) -> str:
        return (await issue_agent_token(self.gateway.api_tokens, agent_id)).secret

    async def integration_token(self, *scopes: str) -> str:
        return (await issue_integration_token(self.gateway.api_tokens, "e2e test", scopes)).secret

    async def desktop(self, token: str, last_seq: int | None = None) -> Desktop:
        """Connect like a desktop; without `last_seq`, wait for the `connected` marker so nothing races."""
        resume = "" if last_seq is None else f"&last_seq={last_seq}"
        ws = await connect(f"ws://127.0.0.1:{self.port}/ws?token={token}{resume}")
        hello = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT))
        assert hello["type"] == "hello", hello
        desktop = Desktop(ws, hello)
        self.desktops.append(desktop)
        if last_seq is None:
            await desktop.wait_for(lambda: bool(desktop.numbered), "the connected marker")
            assert desktop.numbered[0]["data"]["reason"] == "connected"
        return desktop


@contextlib.asynccontextmanager
async def served_gateway(settings: Settings) -> AsyncIterator[ServedGateway]:
    """The gateway served on a real port; desktops opened through it are closed at the end."""
    async with serve_gateway(settings) as running:
        served = ServedGateway(running.gateway, running.port, running.http)
        try:
            yield served
        finally:
            for desktop in served.desktops:
                with contextlib.suppress(Exception):
                    await desktop.close()


def _variables(values: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in values.items())


async def _originate(ami: AmiClient, **fields: str) -> None:
    response = await ami.send_action(
        "Originate", Channel="Local/2001@customers", Priority="1", Async="true", **fields
    )
    assert response.get("Response") == "Success", response


async def call_into_sales_queue(ami: AmiClient, caller: dict[str, str]) -> None:
    """A customer calls the sales line: `queue-in,sales` sets the caller id and queues the call."""
    variables = {"CALLER_NUM": caller["number"], "CALLER_NAME": caller["name"], **SHORT_CALL}
    await _originate(ami, Context="queue-in", Exten="sales", Variable=_variables(variables))


async def call_agent_directly(ami: AmiClient, agent_id: str, caller: dict[str, str]) -> None:
    """A customer's call reaches `Dial(Local/<agent>@agents)` in the dialplan, with no queue involved."""
    await _originate(
        ami,
        Context="dial-out",
        Exten=agent_id,
        CallerID=f"{caller['name']} <{caller['number']}>",
        Variable=_variables(SHORT_CALL),
    )


def is_pop(event: Event) -> bool:
    return bool(event["type"] == "screen_pop")


def answered_by(event: Event, agent_id: str) -> bool:
    return bool(
        event["type"] == "call.answered" and (event["data"].get("party") or {}).get("agent_id") == agent_id
    )


def rung_agents(events: Iterable[Event], call_id: str) -> set[str]:
    """The agents whose phones rang for `call_id`, as a `calls:read` stream reports them."""
    return {
        party["agent_id"]
        for e in events
        if e["call_id"] == call_id and e["type"] == "call.ringing"
        if (party := e["data"].get("party") or {}).get("agent_id")
    }


async def pop_of_a_sales_call(desktops: dict[str, Desktop]) -> tuple[str, Desktop, Event]:
    """Wait for the screen pop of the queue call on whichever sales agent's desktop the queue chose."""
    await desktops[SALES_AGENTS[0]].wait_for(
        lambda: any(is_pop(e) for d in desktops.values() for e in d.events),
        "a screen pop on any sales desktop",
    )
    agent_id, desktop = next((a, d) for a, d in desktops.items() if any(is_pop(e) for e in d.events))
    return agent_id, desktop, next(e for e in desktop.events if is_pop(e))


def assert_popped_before_answer(desktop: Desktop, agent_id: str, call_id: str) -> None:
    """On this desktop the pop comes before any `call.answered` of the call, and the agent then answers."""
    kinds = [e["type"] for e in desktop.of_call(call_id)]
    assert kinds.count("screen_pop") == 1, kinds
    answers = [i for i, e in enumerate(desktop.of_call(call_id)) if e["type"] == "call.answered"]
    assert answers, f"agent {agent_id} never saw call {call_id} answered: {kinds}"
    assert kinds.index("screen_pop") < answers[0], f"pop after answer: {kinds}"
    assert any(answered_by(e, agent_id) for e in desktop.of_call(call_id)), kinds


@pytest.fixture
async def served(pbx: Pbx, tmp_path: Path) -> AsyncIterator[ServedGateway]:
    async with served_gateway(desk_settings(pbx, tmp_path)) as running:
        yield running


@pytest.fixture
async def caller(pbx: Pbx) -> AsyncIterator[AmiClient]:
    async with ami_session(pbx) as ami:
        yield ami


async def sales_desktops(served: ServedGateway) -> dict[str, Desktop]:
    return {agent_id: await served.desktop(await served.agent_token(agent_id)) for agent_id in SALES_AGENTS}


async def test_a_queue_call_pops_the_customer_record_on_the_rung_agents_desktop_before_answer(
    served: ServedGateway, caller: AmiClient
) -> None:
    desktops = await sales_desktops(served)

    await call_into_sales_queue(caller, EVA)
    agent_id, desktop, pop = await pop_of_a_sales_call(desktops)
    call_id = pop["call_id"]
    await desktop.first(lambda e: answered_by(e, agent_id) and e["call_id"] == call_id, "the agent answering")

    assert pop["data"]["agent_id"] == agent_id
    assert pop["data"]["caller"] == EVA
    assert pop["data"]["customer"] == EVA_RECORD
    assert pop["data"]["attached"]["customer"] == EVA_RECORD
    assert pop["data"]["attached"]["queue"] == "sales"
    assert_popped_before_answer(desktop, agent_id, call_id)
    ringing = next(e for e in desktop.of_call(call_id) if e["type"] == "call.ringing")
    assert ringing["data"]["party"]["agent_id"] == agent_id


async def test_a_direct_dial_to_an_agent_pops_the_customer_record_before_answer(
    served: ServedGateway, caller: AmiClient
) -> None:
    desktop = await served.desktop(await served.agent_token("1002"))

    await call_agent_directly(caller, "1002", EVA)
    pop = await desktop.first(is_pop, "the screen pop for agent 1002")
    call_id = pop["call_id"]
    await desktop.first(lambda e: answered_by(e, "1002") and e["call_id"] == call_id, "agent 1002 answering")

    assert pop["data"]["agent_id"] == "1002"
    assert pop["data"]["caller"] == EVA
    assert pop["data"]["customer"] == EVA_RECORD
    assert pop["data"]["attached"]["customer"] == EVA_RECORD
    assert_popped_before_answer(desktop, "1002", call_id)


async def test_each_agent_sees_only_calls_that_rang_it_while_supervisor_and_reader_see_theirs(
    served: ServedGateway, caller: AmiClient
) -> None:
    ana = await served.desktop(await served.agent_token("1001"))
    bruno = await served.desktop(await served.agent_token("1002"))
    supervisor = await served.desktop(await served.integration_token("supervisor", "queue:sales"))
    reader = await served.desktop(await served.integration_token("calls:read"))

    await call_agent_directly(caller, "1002", JORDI)
    await call_agent_directly(caller, "1001", EVA)
    await call_into_sales_queue(caller, EVA)

    def ended() -> set[str]:
        return {e["call_id"] for e in reader.events if e["type"] == "call.ended"}

    await reader.wait_for(lambda: len(ended()) == 3, "all three calls ending")
    await asyncio.sleep(0.3)  # anything misaddressed would have arrived by now
    calls = reader.call_ids()
    queued = {e["call_id"] for e in reader.events if e["data"].get("queue") == "sales"}
    assert len(calls) == 3 and len(queued) == 1, (calls, queued)
    rung = {call_id: rung_agents(reader.events, call_id) for call_id in calls}
    assert all(len(agents) == 1 for agents in rung.values()), rung
    for agent_id, desktop in (("1001", ana), ("1002", bruno)):
        its_calls = {call_id for call_id, agents in rung.items() if agent_id in agents}
        assert desktop.call_ids() == its_calls, f"agent {agent_id} saw another agent's call"
        pops = [e for e in desktop.events if is_pop(e)]
        assert {e["call_id"] for e in pops} == its_calls
        assert all(e["data"]["agent_id"] == agent_id for e in pops)
    assert supervisor.call_ids() == queued, "the supervisor of sales sees the sales call and no direct call"
    assert {e["type"] for e in supervisor.events} >= {"call.ringing", "call.answered", "call.ended"}
    assert {e["call_id"] for e in reader.events if is_pop(e)} == calls, "calls:read sees every pop too"


async def test_a_desktop_killed_mid_stream_resumes_with_last_seq_without_gaps_or_duplicates(
    served: ServedGateway, caller: AmiClient
) -> None:
    calls = 6
    token = await served.agent_token("1001")
    witness = await served.desktop(token)  # a second desktop of the same agent: the same stream, unbroken
    dying = await served.desktop(token)

    async def calls_keep_coming() -> None:
        for n in range(calls):
            await call_agent_directly(caller, "1001", EVA if n % 2 else JORDI)
            await asyncio.sleep(0.4)

    placing = asyncio.create_task(calls_keep_coming())
    await dying.wait_for(lambda: sum(is_pop(e) for e in dying.events) >= 2, "two screen pops")
    dying.kill()
    seen_before_kill = dying.last_seq
    await witness.wait_for(lambda: witness.last_seq > seen_before_kill, "events while the desktop is away")
    resumed = await served.desktop(token, last_seq=seen_before_kill)
    await placing
    await witness.wait_for(
        lambda: sum(e["type"] == "call.ended" for e in witness.events) == calls, "every call ending"
    )
    await resumed.wait_for(
        lambda: bool(resumed.numbered) and resumed.last_seq >= witness.last_seq, "catching up"
    )

    stream = dying.numbered + resumed.numbered
    seqs = [e["seq"] for e in stream]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "no gap and no duplicate"
    assert "resync" not in [e["type"] for e in resumed.numbered], "resumed from the buffer, not a snapshot"
    assert [(e["seq"], e["type"], e["call_id"]) for e in stream] == [
        (e["seq"], e["type"], e["call_id"]) for e in witness.numbered
    ], "the resumed desktop saw exactly what an unbroken desktop saw"
    assert resumed.numbered[0]["seq"] == seen_before_kill + 1
    assert sum(is_pop(e) for e in stream) == calls


@pytest.mark.parametrize(
    "unknown",
    [
        pytest.param({"number": "699999999", "name": "Nadie Conocido"}, id="number-not-in-directory"),
        pytest.param({"number": "anonymous", "name": "Anonymous"}, id="withheld-number"),
    ],
)
async def test_an_unknown_caller_pops_with_a_null_customer_and_the_next_known_caller_still_pops(
    served: ServedGateway, caller: AmiClient, unknown: dict[str, str]
) -> None:
    desktops = await sales_desktops(served)

    await call_into_sales_queue(caller, unknown)
    agent_id, desktop, pop = await pop_of_a_sales_call(desktops)
    await desktop.first(
        lambda e: e["type"] == "call.ended" and e["call_id"] == pop["call_id"], "the call ending"
    )
    await call_agent_directly(caller, "1003", EVA)
    known_pop = await desktops["1003"].first(
        lambda e: is_pop(e) and e["call_id"] != pop["call_id"], "the next caller's pop"
    )

    assert pop["data"]["customer"] is None
    assert pop["data"]["caller"] == unknown
    assert pop["data"]["agent_id"] == agent_id
    assert pop["data"]["attached"].get("customer") is None
    assert_popped_before_answer(desktop, agent_id, pop["call_id"])
    assert known_pop["data"]["customer"] == EVA_RECORD
