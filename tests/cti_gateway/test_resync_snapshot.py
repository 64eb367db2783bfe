"""What a client gets on connect or resync: the live calls and agent states its token may see."""

from __future__ import annotations

from pathlib import Path

from cti_gateway.auth.principal import Principal, PrincipalKind
from tests.cti_gateway.conftest import GatewayStarter, Pbx, eventually, gateway_settings

AGENTS = [
    {"id": agent_id, "name": f"Agent {agent_id}", "endpoint": f"Local/{agent_id}@agents"}
    for agent_id in ("1001", "1002", "1003", "1004", "1005")
]


def _agents_in(snapshot: object) -> dict[str, str]:
    assert isinstance(snapshot, dict)
    return {entry["agent_id"]: entry["state"] for entry in snapshot["agents"]}


async def test_snapshots_hold_the_agent_states_each_token_may_see(
    tmp_path: Path, pbx: Pbx, start_gateway: GatewayStarter
) -> None:
    running = await start_gateway(gateway_settings(pbx, tmp_path, agents=AGENTS))
    await running.wait_for_readyz(200)
    gateway = running.gateway
    reader = Principal("r", "reader", PrincipalKind.INTEGRATION, scopes=frozenset({"calls:read"}))
    sales = Principal(
        "s", "sales lead", PrincipalKind.INTEGRATION, scopes=frozenset({"supervisor", "queue:sales"})
    )
    agent = Principal("a", "agent 1004", PrincipalKind.AGENT, agent_id="1004")

    await eventually(
        lambda: _agents_in(gateway.calls_visible_to(reader)).get("1001") == "available",
        message="the resync never reported queue member 1001",
    )

    assert _agents_in(gateway.calls_visible_to(reader)) == {a["id"]: "available" for a in AGENTS}
    assert set(_agents_in(gateway.calls_visible_to(sales))) == {"1001", "1002", "1003"}
    assert _agents_in(gateway.calls_visible_to(agent)) == {"1004": "available"}
    assert gateway.calls_visible_to(agent)["calls"] == []
