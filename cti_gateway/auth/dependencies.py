"""FastAPI dependencies: who is calling (`CurrentPrincipal`) and whether it may (`require_scope`).

401 means "we do not know you" (no token, unknown or revoked token) and carries `WWW-Authenticate`;
403 means "we know you, but your token lacks the scope". The composition root sets
`app.state.authenticator = TokenAuthenticator(token_store)` (docs/auth.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from cti_gateway.auth.principal import Principal, Scope
from cti_gateway.auth.tokens import AuthError, MissingToken, TokenAuthenticator
from cti_gateway.ports.store import StoreUnavailable

REALM = "cti-gateway"
STORE_RETRY_AFTER_SECONDS = 5

_bearer = HTTPBearer(auto_error=False, description="An agent token or API key: `cti_<id>_<secret>`.")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="The same token, for clients without Bearer."
)


class AuthenticatorNotConfigured(RuntimeError):
    """The app was built without `app.state.authenticator`; the composition root must set it."""


def get_authenticator(connection: HTTPConnection) -> TokenAuthenticator:
    """The app's `TokenAuthenticator` (works for HTTP requests and WebSockets alike)."""
    authenticator = getattr(connection.app.state, "authenticator", None)
    if not isinstance(authenticator, TokenAuthenticator):
        raise AuthenticatorNotConfigured(
            "app.state.authenticator is not set: the app factory must assign TokenAuthenticator(token_store)"
        )
    return authenticator


def _unauthorized(error: AuthError) -> HTTPException:
    challenge = f'Bearer realm="{REALM}"'
    if isinstance(error, MissingToken):
        headers = {"WWW-Authenticate": challenge}
    else:
        description = str(error).replace('"', "'")
        headers = {
            "WWW-Authenticate": f'{challenge}, error="invalid_token", error_description="{description}"'
        }
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(error), headers=headers)


async def current_principal(
    connection: HTTPConnection,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    """Authenticate `Authorization: Bearer <token>` or `X-API-Key: <token>`; 401 otherwise."""
    authenticator = get_authenticator(connection)
    secret = bearer.credentials if bearer is not None else api_key
    try:
        return await authenticator.authenticate(secret)
    except AuthError as exc:
        raise _unauthorized(exc) from None
    except StoreUnavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the token store cannot be reached right now; retry shortly",
            headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
        ) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""The authenticated caller of a route; 401 without a valid token."""


def require_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that returns the caller if its token holds `scope` (or `admin`), else answers 403.

    Use as `principal: Annotated[Principal, Depends(require_scope(Scope.CALLS_WRITE))]`.
    """

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(scope):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"token {principal.token_id} lacks the {scope.value} scope",
            )
        return principal

    check.__name__ = f"require_{scope.name.lower()}"
    return check


CallsReader = Annotated[Principal, Depends(require_scope(Scope.CALLS_READ))]
CallsWriter = Annotated[Principal, Depends(require_scope(Scope.CALLS_WRITE))]
Supervisor = Annotated[Principal, Depends(require_scope(Scope.SUPERVISOR))]
Admin = Annotated[Principal, Depends(require_scope(Scope.ADMIN))]
