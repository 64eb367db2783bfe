"""Every `ApiTokenStore` finds tokens by secret hash, keeps hashes unique, and revokes once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.storage import SqlApiTokenStore
from cti_gateway.ports.store import ApiToken, ApiTokenNotFound, ApiTokenStore, InvalidRecord
from cti_gateway.testing.store import InMemoryApiTokenStore

from .conftest import migrated_database

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def a_token(token_id: str = "tok_agent_1001", **changes: object) -> ApiToken:
    fields: dict[str, object] = {
        "id": token_id,
        "name": "Alice's desktop",
        "kind": "agent",
        "agent_id": "1001",
        "scopes": ("calls:read", "calls:control"),
        "secret_hash": f"sha256:{token_id}",
        "created_at": T0,
    }
    fields.update(changes)
    return ApiToken(**fields)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def tokens(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ApiTokenStore]:
    if request.param == "memory":
        yield InMemoryApiTokenStore()
        return
    async with migrated_database(request.param, tmp_path) as db:
        yield SqlApiTokenStore(db)


async def test_a_token_is_found_by_the_hash_of_its_secret(tokens: ApiTokenStore) -> None:
    await tokens.add(a_token())
    await tokens.add(a_token("tok_crm", kind="integration", agent_id=None, scopes=("events:read",)))

    found = await tokens.get_by_hash("sha256:tok_crm")

    assert found == a_token("tok_crm", kind="integration", agent_id=None, scopes=("events:read",))
    assert await tokens.get_by_hash("sha256:nobody") is None


async def test_two_tokens_cannot_share_a_secret_hash(tokens: ApiTokenStore) -> None:
    await tokens.add(a_token())

    with pytest.raises(InvalidRecord, match="already in use"):
        await tokens.add(a_token("tok_other", secret_hash="sha256:tok_agent_1001"))
    assert await tokens.get_by_hash("sha256:tok_agent_1001") == a_token()


async def test_a_revoked_token_is_still_found_but_says_it_is_revoked(tokens: ApiTokenStore) -> None:
    await tokens.add(a_token())

    await tokens.revoke("tok_agent_1001", T0 + timedelta(hours=1))

    found = await tokens.get_by_hash("sha256:tok_agent_1001")
    assert found is not None and found.is_revoked
    assert found.revoked_at == T0 + timedelta(hours=1)


async def test_revoking_twice_keeps_the_first_revocation_time(tokens: ApiTokenStore) -> None:
    await tokens.add(a_token())
    await tokens.revoke("tok_agent_1001", T0 + timedelta(hours=1))

    await tokens.revoke("tok_agent_1001", T0 + timedelta(hours=2))

    found = await tokens.get_by_hash("sha256:tok_agent_1001")
    assert found is not None and found.revoked_at == T0 + timedelta(hours=1)


async def test_revoking_an_unknown_token_names_it(tokens: ApiTokenStore) -> None:
    with pytest.raises(ApiTokenNotFound, match="'tok_ghost'"):
        await tokens.revoke("tok_ghost", T0)


def test_an_agent_token_without_an_agent_is_refused() -> None:
    with pytest.raises(InvalidRecord, match="agent_id is required for an agent token"):
        a_token(agent_id=None)


def test_scopes_given_as_one_string_are_refused_rather_than_split_into_letters() -> None:
    with pytest.raises(InvalidRecord, match="not a single string"):
        a_token(scopes="calls:read")
