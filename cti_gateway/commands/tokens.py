"""`cti-gateway tokens`: create, list and revoke agent tokens and API keys in the gateway's database.

`create` prints the new secret once, alone on its last line, so scripts can take `tail -n 1`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from adapters.storage import Database, SqlApiTokenStore, upgrade_database
from adapters.storage.tables import ApiTokenRow
from cti_gateway.auth.tokens import InvalidScope, IssuedToken, issue_agent_token, issue_integration_token
from cti_gateway.commands.common import ConfigOption, fail, settings_or_exit
from cti_gateway.ports.store import ApiTokenNotFound, InvalidRecord, StoreUnavailable
from cti_gateway.settings import Settings

app = typer.Typer(
    help="Create, list and revoke API tokens (agent desktops and integrations).", no_args_is_help=True
)

_AGENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
T = TypeVar("T")


def _run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Bring the schema to head, run `work`, and close the database, turning outages into exit 1."""

    async def run() -> T:
        await upgrade_database(settings.database_url)
        database = Database.from_url(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except StoreUnavailable as exc:
        raise fail(f"The database is not reachable ({settings.database_url}): {exc}") from None
    except OSError as exc:
        raise fail(f"The database is not reachable ({settings.database_url}): {exc}") from None


@app.command()
def create(
    agent: Annotated[
        str | None, typer.Option("--agent", help="Agent id: a desktop token that sees only this agent.")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="calls:read, calls:write, admin, supervisor or queue:<name>; repeat for several.",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Who uses the token (shown in listings).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create a token and print its secret once, alone on the last line."""
    settings = settings_or_exit(config)
    scopes = scope or []
    if agent is not None:
        if not _AGENT_ID.fullmatch(agent):
            raise fail(f"--agent {agent!r}: use 1-64 letters, digits, '_', '.' or '-' (as in agents[].id)", 2)
        known = {a.id for a in settings.agents}
        if known and agent not in known:
            typer.echo(
                f"warning: agent {agent} is not among the configured agents ({', '.join(sorted(known))})",
                err=True,
            )
    elif not scopes or not name:
        raise fail("Give --agent ID, or --scope S [--scope S ...] with --name N.", 2)

    async def issue(database: Database) -> IssuedToken:
        store = SqlApiTokenStore(database)
        if agent is not None:
            if scopes:
                return await issue_agent_token(store, agent, name=name, scopes=scopes)
            return await issue_agent_token(store, agent, name=name)
        assert name is not None
        return await issue_integration_token(store, name, scopes)

    try:
        issued = _run_with_database(settings, issue)
    except (InvalidScope, InvalidRecord) as exc:
        raise fail(f"Token not created: {exc}", 2) from None
    token = issued.token
    who = f"agent {token.agent_id}" if token.kind == "agent" else f"integration {token.name!r}"
    typer.echo(
        f"Created {token.kind} token {token.id} for {who}; scopes: {' '.join(token.scopes) or '(none)'}."
    )
    typer.echo("Copy the secret below now: it is shown only once and the gateway keeps only its hash.")
    typer.echo(issued.secret)


@app.command("list")
def list_tokens(config: ConfigOption = None) -> None:
    """List every token: id, kind, name, agent, scopes, created and revoked times (never secrets)."""
    settings = settings_or_exit(config)

    async def read(database: Database) -> list[ApiTokenRow]:
        async with database.session() as session:
            return list(await session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created_at)))

    rows = _run_with_database(settings, read)
    table = Table("id", "kind", "name", "agent", "scopes", "created", "revoked")
    for row in rows:
        table.add_row(
            row.id,
            row.kind,
            row.name,
            row.agent_id or "",
            " ".join(row.scopes),
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
        )
    Console(width=160).print(table)


@app.command()
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`).")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token: REST calls with it get 401 and its WebSockets close with 4410."""
    settings = settings_or_exit(config)

    async def stamp(database: Database) -> None:
        await SqlApiTokenStore(database).revoke(token_id, datetime.now(UTC))

    try:
        _run_with_database(settings, stamp)
    except (ApiTokenNotFound, InvalidRecord) as exc:
        raise fail(f"Not revoked: {exc}") from None
    typer.echo(f"Revoked token {token_id}.")
