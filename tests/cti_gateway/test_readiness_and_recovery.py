"""The gateway becomes ready only when AMI and ARI are logged in, and recovers when Asterisk comes back.

The PBX (pbxsim in its own process, or a real Asterisk 22 when configured) is killed with SIGKILL.
"""

from __future__ import annotations

from pathlib import Path

from adapters.asterisk.ami import AmiClient
from cti_gateway.gateway import DATABASE_MIGRATING, Readiness
from cti_gateway.ports.pbx import LinkState
from tests.cti_gateway.conftest import GatewayStarter, Pbx, eventually, gateway_settings
from tests.support.processes import PbxsimProcess, free_port

LONG_CALL = {
    "Channel": "Local/2001@customers",
    "Context": "util",
    "Exten": "wait",
    "Priority": "1",
    "Variable": "CUSTOMER_TALK_SECS=600",
}


async def _originate_long_call(pbx: Pbx) -> None:
    """Place a call that stays up (customer 2001 answers, then util,wait) through a separate AMI session."""
    caller = AmiClient("127.0.0.1", pbx.ami_port, "cti", "cti-secret")
    await caller.start()
    try:
        await caller.wait_until_up()
        response = await caller.send_action("Originate", **LONG_CALL, Async="true")
        assert response.get("Response") == "Success"
    finally:
        await caller.stop()


async def test_readyz_reports_503_while_asterisk_is_unreachable(
    tmp_path: Path, start_gateway: GatewayStarter
) -> None:
    nowhere = PbxsimProcess(ami_port=free_port(), ari_port=free_port())
    running = await start_gateway(gateway_settings(nowhere, tmp_path))

    response = await running.readyz()

    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["ami"] != "up"
    assert body["ari"] != "up"
    assert set(body) >= {"ami", "ari", "asterisk_version", "database"}


async def test_readyz_turns_200_once_ami_and_ari_are_logged_in(
    tmp_path: Path, pbx: Pbx, start_gateway: GatewayStarter
) -> None:
    running = await start_gateway(gateway_settings(pbx, tmp_path))

    body = (await running.wait_for_readyz(200)).json()

    assert body == {
        "ready": True,
        "ami": "up",
        "ari": "up",
        "asterisk_version": "22.10.1",
        "database": "ok",
    }


async def test_healthz_answers_even_when_asterisk_is_down(
    tmp_path: Path, start_gateway: GatewayStarter
) -> None:
    nowhere = PbxsimProcess(ami_port=free_port(), ari_port=free_port())
    running = await start_gateway(gateway_settings(nowhere, tmp_path))

    response = await running.http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_gateway_goes_unready_when_asterisk_dies_and_ready_again_when_it_returns(
    tmp_path: Path, pbx: Pbx, start_gateway: GatewayStarter
) -> None:
    running = await start_gateway(gateway_settings(pbx, tmp_path))
    await running.wait_for_readyz(200)

    pbx.kill()
    down = (await running.wait_for_readyz(503)).json()
    assert down["ami"] != "up" or down["ari"] != "up"

    pbx.start()
    up = (await running.wait_for_readyz(200, timeout=30)).json()
    assert (up["ami"], up["ari"]) == ("up", "up")


async def test_channels_that_died_with_asterisk_are_dropped_after_the_reconnect(
    tmp_path: Path, pbx: Pbx, start_gateway: GatewayStarter
) -> None:
    running = await start_gateway(gateway_settings(pbx, tmp_path))
    await running.wait_for_readyz(200)
    channels = running.gateway.channels
    await _originate_long_call(pbx)
    await eventually(lambda: len(channels) >= 2, message="the call's Local pair never showed up")

    pbx.restart()
    await running.wait_for_readyz(200, timeout=30)

    await eventually(lambda: len(channels) == 0, message=f"stale channels survived: {list(channels)}")


async def test_channels_started_while_the_gateway_was_away_are_learned_on_reconnect(
    tmp_path: Path, pbx: Pbx, start_gateway: GatewayStarter
) -> None:
    running = await start_gateway(gateway_settings(pbx, tmp_path))
    await running.wait_for_readyz(200)
    ami = running.gateway.ami
    await ami.stop()
    assert ami.status.state is LinkState.DOWN

    await _originate_long_call(pbx)
    assert len(running.gateway.channels) == 0

    await ami.start()
    await running.wait_for_readyz(200)
    await eventually(
        lambda: len(running.gateway.channels) >= 2, message="resync did not report the call's channels"
    )
    names = sorted(channel.name for channel in running.gateway.channels)
    assert names[0].startswith("Local/2001@customers-")


def test_a_gateway_still_migrating_its_schema_is_not_ready_but_a_later_database_outage_keeps_it_ready() -> (
    None
):
    migrating = Readiness(LinkState.UP, LinkState.UP, "22.10.1", DATABASE_MIGRATING)
    outage = Readiness(LinkState.UP, LinkState.UP, "22.10.1", "database unreachable: OSError")

    assert not migrating.ready
    assert outage.ready
