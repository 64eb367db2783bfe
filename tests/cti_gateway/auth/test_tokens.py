"""Tokens are shown once, stored hashed, and authenticate the principal they were issued for."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from cti_gateway.auth import (
    InvalidScope,
    InvalidToken,
    MissingToken,
    PrincipalKind,
    RevokedToken,
    Scope,
    TokenAuthenticator,
    hash_secret,
    issue_agent_token,
    issue_integration_token,
)
from cti_gateway.auth.tokens import token_id_of
from cti_gateway.ports.store import StoreUnavailable
from cti_gateway.testing.store import InMemoryApiTokenStore


async def test_an_agent_token_is_stored_as_a_hash_and_authenticates_that_agent() -> None:
    store = InMemoryApiTokenStore()

    issued = await issue_agent_token(store, "1001")

    assert re.fullmatch(r"cti_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", issued.secret)
    stored = store.tokens[issued.token.id]
    assert stored.secret_hash == hash_secret(issued.secret)
    assert issued.secret not in repr(stored)
    principal = await TokenAuthenticator(store).authenticate(issued.secret)
    assert (principal.kind, principal.agent_id, principal.token_id) == (
        PrincipalKind.AGENT,
        "1001",
        stored.id,
    )
    assert principal.stream_key == "agent:1001"


async def test_an_integration_token_carries_its_scopes() -> None:
    store = InMemoryApiTokenStore()

    issued = await issue_integration_token(store, "wallboard", ["supervisor", "queue:sales", "queue:sales"])

    principal = await TokenAuthenticator(store).authenticate(issued.secret)
    assert principal.kind is PrincipalKind.INTEGRATION
    assert principal.scopes == {"supervisor", "queue:sales"}
    assert principal.queues == {"sales"}
    assert principal.has(Scope.SUPERVISOR) and not principal.has(Scope.CALLS_WRITE)


@pytest.mark.parametrize(
    ("scopes", "complaint"),
    [
        (["calls:rw"], "is not a scope"),
        (["queue:"], "queue:<name>"),
        (["queue:sales"], "together with the supervisor scope"),
        ([], "at least one --scope"),
    ],
)
async def test_bad_scopes_are_refused_with_an_explanation(scopes: list[str], complaint: str) -> None:
    store = InMemoryApiTokenStore()
    with pytest.raises(InvalidScope, match=re.escape(complaint)):
        await issue_integration_token(store, "crm", scopes)
    assert store.tokens == {}


async def test_unknown_malformed_and_missing_tokens_do_not_authenticate() -> None:
    store = InMemoryApiTokenStore()
    issued = await issue_agent_token(store, "1001")
    authenticator = TokenAuthenticator(store)
    forged = issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B")

    with pytest.raises(InvalidToken, match="unknown token"):
        await authenticator.authenticate(forged)
    with pytest.raises(InvalidToken, match="malformed"):
        await authenticator.authenticate("Bearer " + issued.secret)
    with pytest.raises(MissingToken):
        await authenticator.authenticate("")


async def test_a_revoked_token_no_longer_authenticates_once_the_cache_expires() -> None:
    now = [0.0]
    store = InMemoryApiTokenStore()
    issued = await issue_agent_token(store, "1001")
    authenticator = TokenAuthenticator(store, cache_seconds=5, clock=lambda: now[0])
    await authenticator.authenticate(issued.secret)

    await store.revoke(token_id_of(issued.secret), datetime.now(UTC))
    await authenticator.authenticate(issued.secret)  # still cached
    now[0] = 6.0

    with pytest.raises(RevokedToken, match=issued.token.id):
        await authenticator.authenticate(issued.secret)


async def test_a_store_outage_is_not_mistaken_for_a_bad_token() -> None:
    store = InMemoryApiTokenStore()
    issued = await issue_agent_token(store, "1001")
    store.available = False

    with pytest.raises(StoreUnavailable):
        await TokenAuthenticator(store).authenticate(issued.secret)
