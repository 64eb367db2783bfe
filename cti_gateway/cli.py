"""`cti-gateway`: serve the gateway, run the demo or pbxsim, and check a configuration."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from cti_gateway.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="CTI gateway for Asterisk contact centers.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="YAML settings file (same as CTI_CONFIG_FILE).", show_default=False),
]

DEMO_AMI_PORT = 15038
DEMO_ARI_PORT = 18088


def _settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config_file=config)
    except SettingsError as exc:
        typer.echo("Invalid settings:", err=True)
        for line in str(exc).splitlines():
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run the gateway against the Asterisk named in the settings."""
    settings = _settings_or_exit(config)
    _serve(settings)


def _serve(settings: Settings) -> None:
    import uvicorn

    from cti_gateway.api.app import create_app
    from cti_gateway.logging import configure_logging
    from cti_gateway.wiring import build_gateway

    configure_logging()
    gateway = build_gateway(settings)
    uvicorn.run(create_app(gateway), host=settings.http_host, port=settings.http_port, log_config=None)


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the settings and print them, secrets hidden; exits 2 with one line per bad field."""
    settings = _settings_or_exit(config)
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
) -> None:
    """Run pbxsim with simulated inbound traffic and the gateway against it, embedded defaults.

    Both run in this one process, so stopping the demo (Ctrl-C, SIGTERM) can never leave pbxsim behind.
    """
    os.environ.update(
        CTI_AMI_PORT=str(ami_port),
        CTI_ARI_URL=f"http://127.0.0.1:{ari_port}/ari",
        CTI_HTTP_PORT=str(http_port),
    )
    Path("var").mkdir(exist_ok=True)
    settings = _settings_or_exit(None)
    asyncio.run(
        _run_demo(settings, ami_port=ami_port, ari_port=ari_port, scenario=scenario, seed=seed, speed=speed)
    )


async def _run_demo(
    settings: Settings, *, ami_port: int, ari_port: int, scenario: str, seed: int, speed: float
) -> None:
    import uvicorn

    from cti_gateway.api.app import create_app
    from cti_gateway.logging import configure_logging
    from cti_gateway.wiring import build_gateway
    from pbxsim.runner import run as run_pbxsim

    configure_logging()
    simulator = await run_pbxsim(
        host="127.0.0.1", ami_port=ami_port, ari_port=ari_port, scenario=scenario, seed=seed, speed=speed
    )
    typer.echo(f"pbxsim: AMI 127.0.0.1:{ami_port}, ARI http://127.0.0.1:{ari_port}/ari")
    typer.echo(f"gateway: http://{settings.http_host}:{settings.http_port}/docs (API), /readyz (readiness)")
    app_ = create_app(build_gateway(settings))
    server = uvicorn.Server(
        uvicorn.Config(app_, host=settings.http_host, port=settings.http_port, log_config=None)
    )
    try:
        await server.serve()
    finally:
        await simulator.stop()


if __name__ == "__main__":
    app()
