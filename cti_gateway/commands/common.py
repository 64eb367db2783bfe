"""What the sub-commands share: the `--config` option and settings that fail with one line per field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cti_gateway.settings import Settings, SettingsError, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="YAML settings file (same as CTI_CONFIG_FILE).", show_default=False),
]


def settings_or_exit(config: Path | None) -> Settings:
    """The settings, or exit 2 after printing every bad field on stderr."""
    try:
        return load_settings(config_file=config)
    except SettingsError as exc:
        typer.echo("Invalid settings:", err=True)
        for line in str(exc).splitlines():
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(code=2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` on stderr and return the exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code=code)
