"""REST authentication: 401 when the caller is unknown, 403 when it lacks the scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from cti_gateway.auth import Principal, Scope, TokenAuthenticator, issue_agent_token, issue_integration_token
from cti_gateway.auth.dependencies import CallsWriter, CurrentPrincipal, require_scope
from cti_gateway.testing.store import InMemoryApiTokenStore


@pytest.fixture
def store() -> InMemoryApiTokenStore:
    return InMemoryApiTokenStore()


@pytest.fixture
async def http(store: InMemoryApiTokenStore) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.authenticator = TokenAuthenticator(store, cache_seconds=0)

    @app.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"token_id": principal.token_id, "stream": principal.stream_key}

    @app.post("/calls")
    async def place_call(principal: CallsWriter) -> dict[str, str]:
        return {"placed_by": principal.token_id}

    @app.get("/admin")
    async def admin(principal: Annotated[Principal, Depends(require_scope(Scope.ADMIN))]) -> dict[str, bool]:
        return {"ok": True}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def test_no_token_is_401_with_a_bearer_challenge(http: httpx.AsyncClient) -> None:
    response = await http.get("/whoami")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="cti-gateway"'


async def test_an_unknown_token_is_401_invalid_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/whoami", headers={"Authorization": f"Bearer cti_0123456789ab_{'x' * 43}"})

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_valid_token_without_the_scope_is_403(
    http: httpx.AsyncClient, store: InMemoryApiTokenStore
) -> None:
    reader = await issue_integration_token(store, "crm", ["calls:read"])

    response = await http.post("/calls", headers={"Authorization": f"Bearer {reader.secret}"})

    assert response.status_code == 403
    assert "calls:write" in response.json()["detail"]


async def test_a_token_with_the_scope_passes(http: httpx.AsyncClient, store: InMemoryApiTokenStore) -> None:
    writer = await issue_integration_token(store, "dialer", ["calls:write"])

    response = await http.post("/calls", headers={"Authorization": f"Bearer {writer.secret}"})

    assert response.status_code == 200
    assert response.json() == {"placed_by": writer.token.id}


async def test_the_admin_scope_implies_every_other(
    http: httpx.AsyncClient, store: InMemoryApiTokenStore
) -> None:
    admin = await issue_integration_token(store, "ops", ["admin"])

    response = await http.post("/calls", headers={"X-API-Key": admin.secret})

    assert response.status_code == 200


async def test_an_agent_token_lacks_admin(http: httpx.AsyncClient, store: InMemoryApiTokenStore) -> None:
    agent = await issue_agent_token(store, "1001")
    headers = {"Authorization": f"Bearer {agent.secret}"}

    assert (await http.get("/whoami", headers=headers)).json()["stream"] == "agent:1001"
    assert (await http.get("/admin", headers=headers)).status_code == 403


async def test_a_store_outage_is_503_not_401(http: httpx.AsyncClient, store: InMemoryApiTokenStore) -> None:
    agent = await issue_agent_token(store, "1001")
    store.available = False

    response = await http.get("/whoami", headers={"Authorization": f"Bearer {agent.secret}"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
