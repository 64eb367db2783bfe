"""`cti-gateway tokens`: the secret is printed once, alone on the last line, and only its hash is stored."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.storage import Database, SqlApiTokenStore
from cti_gateway.auth.tokens import hash_secret
from cti_gateway.commands import tokens
from cti_gateway.ports.store import ApiToken

SECRET = re.compile(r"cti_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tokens.db'}"
    monkeypatch.setenv("CTI_DATABASE_URL", url)
    monkeypatch.delenv("CTI_CONFIG_FILE", raising=False)
    return url


def stored_token(url: str, secret: str) -> ApiToken | None:
    async def look_up() -> ApiToken | None:
        database = Database.from_url(url)
        try:
            return await SqlApiTokenStore(database).get_by_hash(hash_secret(secret))
        finally:
            await database.dispose()

    return asyncio.run(look_up())


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(tokens.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_agent_token_secret_is_alone_on_the_last_line_and_stored_hashed(
    database_url: str, tmp_path: Path
) -> None:
    code, out, _ = run("create", "--agent", "1001")

    assert code == 0
    *explanation, last = out.rstrip("\n").split("\n")
    assert SECRET.fullmatch(last)
    assert all(last not in line for line in explanation), "printed once"
    token = stored_token(database_url, last)
    assert token is not None
    assert (token.kind, token.agent_id, token.secret_hash) == ("agent", "1001", hash_secret(last))
    assert last.encode() not in (tmp_path / "tokens.db").read_bytes(), "the secret itself is never stored"


def test_an_integration_token_gets_the_named_scopes(database_url: str) -> None:
    code, out, _ = run("create", "--scope", "supervisor", "--scope", "queue:sales", "--name", "Wallboard")

    assert code == 0
    token = stored_token(database_url, out.splitlines()[-1])
    assert token is not None
    assert (token.kind, token.name, token.scopes) == (
        "integration",
        "Wallboard",
        ("supervisor", "queue:sales"),
    )


def test_a_bad_scope_creates_nothing_and_says_why(database_url: str) -> None:
    code, out, err = run("create", "--scope", "calls:everything", "--name", "CRM")

    assert code == 2
    assert "'calls:everything' is not a scope" in err
    assert not SECRET.search(out)


def test_create_needs_an_agent_or_scopes_with_a_name(database_url: str) -> None:
    code, _, err = run("create", "--scope", "calls:read")

    assert code == 2
    assert "--agent ID, or --scope" in err


def test_list_shows_tokens_but_never_secrets_and_revoke_stamps_them(database_url: str) -> None:
    _, out, _ = run("create", "--agent", "1001")
    secret = out.splitlines()[-1]
    token = stored_token(database_url, secret)
    assert token is not None

    code, listing, _ = run("list")
    assert code == 0
    assert token.id in listing and secret not in listing and token.secret_hash not in listing

    assert run("revoke", token.id)[0] == 0
    revoked = stored_token(database_url, secret)
    assert revoked is not None and revoked.is_revoked


def test_revoking_an_unknown_token_fails_with_exit_1(database_url: str) -> None:
    code, _, err = run("revoke", "0123456789ab")

    assert code == 1
    assert "no API token with id '0123456789ab'" in err
