"""A running gateway with call control and webhooks, against pbxsim over sockets, for end-to-end tests.

It builds the gateway exactly as `serve` does (`build_gateway`, `create_app`) and watches it from the
outside: the events a `calls:read` client of the hub receives and the actions sent to AMI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from pydantic import SecretStr

from cti_gateway.api.app import create_app
from cti_gateway.auth.principal import Principal, PrincipalKind, Scope
from cti_gateway.auth.tokens import issue_agent_token, issue_integration_token
from cti_gateway.call_control.service import CallControlService
from cti_gateway.gateway import Gateway
from cti_gateway.hub import Subscription
from cti_gateway.ports.store import ApiTokenStore
from cti_gateway.settings import Settings
from cti_gateway.wiring import build_gateway
from tests.cti_gateway.conftest import Pbx

AGENTS = [
    {"id": "1001", "name": "Ana Pérez", "endpoint": "Local/1001@agents"},
    {"id": "1002", "name": "Bruno Díaz", "endpoint": "Local/1002@agents"},
    {"id": "1003", "name": "Carla Gómez", "endpoint": "Local/1003@agents"},
    {"id": "1004", "name": "Diego Ruiz", "endpoint": "Local/1004@agents"},
]
LONG_CALLS = (("__CUSTOMER_TALK_SECS", "600"), ("__AGENT_TALK_SECS", "600"))
"""Channel variables that keep the reference dialplan's simulated phones on the line during a test."""
WEBHOOK_SECRET = b"test-webhook-secret"


def control_settings(pbx: Pbx, tmp_path: Path) -> Settings:
    return Settings(
        ami_port=pbx.ami_port,
        ari_url=pbx.ari_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        reconnect_backoff_base=0.2,
        reconnect_backoff_max=1.0,
        ami_ping_interval=1.0,
        agents=AGENTS,
    )


@dataclass(frozen=True, slots=True)
class SeenEvent:
    """An event as a `calls:read` client of the hub received it."""

    type: str
    call_id: str | None
    data: dict[str, Any]


@dataclass
class ControlRig:
    """The running gateway, its HTTP client, the events its hub sent and what it sent to AMI."""

    gateway: Gateway
    http: httpx.AsyncClient
    service: CallControlService
    events: list[SeenEvent]
    ami_actions: list[tuple[str, dict[str, Any]]]
    tokens: ApiTokenStore
    _closers: list[Callable[[], Any]] = field(default_factory=list)

    async def agent_token(self, agent_id: str) -> dict[str, str]:
        issued = await issue_agent_token(self.tokens, agent_id)
        return {"Authorization": f"Bearer {issued.secret}"}

    async def integration_token(self, *scopes: Scope | str) -> dict[str, str]:
        issued = await issue_integration_token(self.tokens, "test integration", [str(s) for s in scopes])
        return {"Authorization": f"Bearer {issued.secret}"}

    def actions_named(self, name: str) -> list[dict[str, Any]]:
        return [fields for action, fields in self.ami_actions if action == name]


async def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not seen within {timeout:g} s: {what}")
        await asyncio.sleep(0.05)


async def _collect(subscription: Subscription, into: list[SeenEvent]) -> None:
    while True:
        frame = json.loads(await subscription.next_frame())
        into.append(SeenEvent(frame["type"], frame.get("call_id"), frame.get("data") or {}))


@contextlib.asynccontextmanager
async def control_rig(settings: Settings, *, with_webhooks: bool = False) -> AsyncIterator[ControlRig]:
    """Start the gateway as `serve` builds it (with webhooks when asked) and wait until /readyz is green."""
    if with_webhooks:
        settings = settings.model_copy(update={"webhook_secret": SecretStr(WEBHOOK_SECRET.decode())})
    gateway = await build_gateway(settings)
    app = create_app(gateway)
    service = gateway.control
    service.channel_variables = LONG_CALLS

    sent: list[tuple[str, dict[str, Any]]] = []
    ami = cast(Any, gateway.ami)
    send_action = ami.send_action

    async def recording_send_action(action: str, /, **fields: Any) -> Any:
        sent.append((action, fields))
        return await send_action(action, **fields)

    ami.send_action = recording_send_action

    events: list[SeenEvent] = []
    reader = Principal("rig", "rig", PrincipalKind.INTEGRATION, scopes=frozenset({Scope.CALLS_READ.value}))
    collector = asyncio.create_task(_collect(gateway.hub.subscribe(reader), events))
    await gateway.start()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not _ready((await http.get("/readyz")).json()):
            assert asyncio.get_running_loop().time() < deadline, "gateway never became ready"
            await asyncio.sleep(0.1)
        yield ControlRig(gateway, http, service, events, sent, gateway.api_tokens)
    finally:
        collector.cancel()
        await http.aclose()
        await gateway.stop()


def _ready(readiness: dict[str, Any]) -> bool:
    return bool(readiness["ready"]) and readiness["database"] == "ok"


# --- calls as a desktop drives them ------------------------------------------------------------


def party_of(call: dict[str, Any], **match: Any) -> dict[str, Any] | None:
    """The first party of a call view whose fields equal `match`."""
    for party in call["parties"]:
        if all(party.get(k) == v for k, v in match.items()):
            return cast(dict[str, Any], party)
    return None


async def call_view(rig: ControlRig, headers: dict[str, str], call_id: str) -> dict[str, Any]:
    response = await rig.http.get(f"/api/v1/calls/{call_id}", headers=headers)
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


async def call_until(
    rig: ControlRig,
    headers: dict[str, str],
    call_id: str,
    condition: Callable[[dict[str, Any]], Any],
    what: str,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Poll GET /calls/{id} until `condition(view)` holds."""
    latest: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        latest = await call_view(rig, headers, call_id)
        if condition(latest):
            return latest
        await asyncio.sleep(0.05)
    raise AssertionError(f"not seen within {timeout:g} s: {what}; last view: {latest}")


async def connected_call(rig: ControlRig, headers: dict[str, str], to: str = "2001") -> dict[str, Any]:
    """Click-to-call agent 1001 → `to` and wait until the agent and the customer both talk."""
    response = await rig.http.post("/api/v1/calls", json={"from": "1001", "to": to}, headers=headers)
    assert response.status_code == 201, response.text
    return await call_until(
        rig,
        headers,
        response.json()["call_id"],
        lambda c: (
            party_of(c, agent_id="1001", state="talking") and party_of(c, agent_id=None, state="talking")
        ),
        "agent and customer talking",
    )


def saw(rig: ControlRig, event_type: str, call_id: str) -> bool:
    return any(e.type == event_type and e.call_id == call_id for e in rig.events)


async def queue_call(rig: ControlRig, headers: dict[str, str], queue: str = "sales") -> dict[str, Any]:
    """An inbound customer call answered by an agent of `queue` (the reference rig's queue-in context)."""
    await cast(Any, rig.gateway.ami).send_action(
        "Originate",
        Channel="Local/2001@customers",
        Context="queue-in",
        Exten=queue,
        Priority=1,
        Async="true",
        Variable=["CALLER_NUM=+15551234567", *(f"{name}={value}" for name, value in LONG_CALLS)],
    )
    found: dict[str, Any] = {}

    async def answered() -> bool:
        nonlocal found
        calls = (await rig.http.get("/api/v1/calls", headers=headers)).json()["calls"]
        for call in calls:
            if party_of(call, role="agent", state="talking") and party_of(
                call, role="caller", state="talking"
            ):
                found = call
                return True
        return False

    deadline = asyncio.get_running_loop().time() + 15
    while not await answered():
        assert asyncio.get_running_loop().time() < deadline, "no agent answered the queue call"
        await asyncio.sleep(0.05)
    return found
