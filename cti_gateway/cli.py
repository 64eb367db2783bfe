"""`cti-gateway`: serve the gateway, run the demo or pbxsim, and check a configuration."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cti_gateway.commands import events, tokens
from cti_gateway.commands.common import ConfigOption, settings_or_exit
from cti_gateway.runtime import run_service
from cti_gateway.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from cti_gateway.gateway import Gateway

app = typer.Typer(
    help="CTI gateway for Asterisk contact centers.",
    no_args_is_help=True,
    add_completion=False,
)

DEMO_AMI_PORT = 15038
DEMO_ARI_PORT = 18088
DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo" / "gateway.yaml"

app.add_typer(tokens.app, name="tokens")
app.add_typer(events.app, name="events")


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run the gateway against the Asterisk named in the settings."""
    settings = settings_or_exit(config)
    _serve(settings)


def _serve(settings: Settings) -> None:
    from cti_gateway.logging import configure_logging

    configure_logging()
    run_service(_serve_gateway(settings))


async def _serve_gateway(settings: Settings) -> None:
    import uvicorn

    from cti_gateway.api.app import create_app
    from cti_gateway.wiring import build_gateway

    gateway = await build_gateway(settings)
    config = uvicorn.Config(
        create_app(gateway),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        ws_per_message_deflate=False,
    )
    await uvicorn.Server(config).serve()


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the settings and print them, secrets hidden; exits 2 with one line per bad field."""
    settings = settings_or_exit(config)
    for name, value in settings.model_dump(mode="json").items():
        shown = "**********" if "secret" in name or "password" in name else value
        typer.echo(f"{name} = {shown}")
    typer.echo("configuration OK")


@app.command()
def pbxsim(
    ami_port: Annotated[int, typer.Option("--ami-port", help="AMI TCP port.")] = 5038,
    ari_port: Annotated[int, typer.Option("--ari-port", help="ARI HTTP/WebSocket port.")] = 8088,
    scenario: Annotated[str, typer.Option("--scenario", help="Simulated traffic to generate.")] = "idle",
    seed: Annotated[int, typer.Option("--seed", help="Seed for every simulated party.")] = 1,
    speed: Annotated[float, typer.Option("--speed", help="Time acceleration factor.", min=0.01)] = 1.0,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run pbxsim, the Asterisk stand-in: AMI and ARI servers with simulated callers and agents."""
    from pbxsim.runner import run_pbxsim

    asyncio.run(
        run_pbxsim(host=host, ami_port=ami_port, ari_port=ari_port, scenario=scenario, seed=seed, speed=speed)
    )


@app.command()
def demo(
    http_port: Annotated[int, typer.Option("--http-port", help="Gateway HTTP port.")] = 8000,
    scenario: Annotated[str, typer.Option("--scenario", help="pbxsim traffic scenario.")] = "inbound",
    seed: Annotated[int, typer.Option("--seed")] = 1,
    speed: Annotated[float, typer.Option("--speed", min=0.01, help="Time acceleration for pbxsim.")] = 3.0,
    ami_port: Annotated[int, typer.Option("--ami-port", help="pbxsim's AMI port.")] = DEMO_AMI_PORT,
    ari_port: Annotated[int, typer.Option("--ari-port", help="pbxsim's ARI port.")] = DEMO_ARI_PORT,
    config: ConfigOption = None,
) -> None:
    """Run pbxsim with simulated inbound calls and the gateway against it, and show the CTI flow live.

    Both run in this one process, so stopping the demo (Ctrl-C, SIGTERM) can never leave pbxsim behind.
    The demo's agents and sample customer directory come from config/demo/gateway.yaml.
    """
    os.environ.update(
        CTI_AMI_PORT=str(ami_port),
        CTI_ARI_URL=f"http://127.0.0.1:{ari_port}/ari",
        CTI_HTTP_PORT=str(http_port),
    )
    Path("var").mkdir(exist_ok=True)
    settings = settings_or_exit(config or (DEMO_CONFIG if DEMO_CONFIG.is_file() else None))
    asyncio.run(
        _run_demo(settings, ami_port=ami_port, ari_port=ari_port, scenario=scenario, seed=seed, speed=speed)
    )


async def _run_demo(
    settings: Settings, *, ami_port: int, ari_port: int, scenario: str, seed: int, speed: float
) -> None:
    import logging

    import uvicorn
    from rich.console import Console

    from cti_gateway.api.app import create_app
    from cti_gateway.logging import configure_logging
    from cti_gateway.wiring import build_gateway
    from pbxsim.runner import run as run_pbxsim

    configure_logging(logging.WARNING)
    console = Console()
    simulator = await run_pbxsim(
        host="127.0.0.1", ami_port=ami_port, ari_port=ari_port, scenario=scenario, seed=seed, speed=speed
    )
    gateway = await build_gateway(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"
    console.print(f"pbxsim: AMI 127.0.0.1:{ami_port}, ARI http://127.0.0.1:{ari_port}/ari", soft_wrap=True)
    console.print(f"gateway: {base}/docs (API), {base}/readyz (readiness)", soft_wrap=True)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(gateway),
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            log_level="warning",
            ws_per_message_deflate=False,
        )
    )
    viewer = asyncio.create_task(_show_demo_events(gateway, console, base))
    try:
        await server.serve()
    finally:
        viewer.cancel()
        await simulator.stop()


async def _show_demo_events(gateway: Gateway, console: Console, base: str) -> None:
    """Print demo tokens once the store is ready, then every event a `calls:read` integration sees."""
    import json

    from cti_gateway.auth.principal import Principal, PrincipalKind, Scope
    from cti_gateway.auth.tokens import issue_agent_token, issue_integration_token
    from cti_gateway.commands.event_view import print_frame

    while await gateway.database_probe() != "ok":
        await asyncio.sleep(0.2)
    watcher = await issue_integration_token(gateway.api_tokens, "demo viewer", [Scope.CALLS_READ.value])
    agent = next(iter(gateway.agents), None)
    console.print(
        f"watch it from another terminal: cti-gateway events --token {watcher.secret}", soft_wrap=True
    )
    if agent is not None:
        issued = await issue_agent_token(gateway.api_tokens, agent.id)
        console.print(f"agent {agent.id}'s desktop token (its pops only): {issued.secret}", soft_wrap=True)
    console.print(f"REST with either token: curl -H 'Authorization: Bearer …' {base}/api/v1/calls\n")
    principal = Principal(
        "demo", "demo", PrincipalKind.INTEGRATION, scopes=frozenset({Scope.CALLS_READ.value})
    )
    subscription = gateway.hub.subscribe(principal)
    while True:
        print_frame(console, json.loads(await subscription.next_frame()))


if __name__ == "__main__":
    app()
