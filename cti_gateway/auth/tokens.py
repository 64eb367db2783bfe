"""API keys and agent tokens: issued once as `cti_<id>_<random>`, stored only as a SHA-256 hash.

The secrets are 256 random bits, so a fast hash is enough (no password-style key stretching); the
id part names the token in listings and revocations without revealing the secret (docs/auth.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cti_gateway.auth.principal import QUEUE_SCOPE_PREFIX, Principal, PrincipalKind, Scope
from cti_gateway.ports.store import ApiToken, ApiTokenStore

SECRET_PREFIX = "cti_"
HASH_PREFIX = "sha256:"
AGENT_TOKEN_SCOPES: tuple[str, ...] = (Scope.CALLS_READ.value, Scope.CALLS_WRITE.value)
"""An agent token reads and controls calls, but only its own agent's (Principal.may_see)."""

_SECRET = re.compile(r"cti_(?P<id>[0-9a-f]{12})_(?P<random>[A-Za-z0-9_-]{43})")
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,80}")


class AuthError(Exception):
    """A credential that does not authenticate anyone; the message is safe to show the client."""


class MissingToken(AuthError):
    """No token was presented."""


class InvalidToken(AuthError):
    """A token the gateway does not know (malformed, mistyped or never issued)."""


class RevokedToken(AuthError):
    """A token that was issued and then revoked: the client needs a new one."""


class InvalidScope(ValueError):
    """A scope name that `tokens create --scope` does not accept; the message lists the valid ones."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly stored token and its secret, which exists only here: show it once, keep only the hash."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """What the store keeps instead of the secret."""
    return HASH_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_id_of(secret: str) -> str:
    """The id part of a well-formed secret; raises `InvalidToken` for anything else."""
    match = _SECRET.fullmatch(secret)
    if match is None:
        raise InvalidToken("malformed token: expected cti_<12 hex digits>_<43 characters>")
    return match["id"]


def new_secret() -> tuple[str, str]:
    """A fresh (token id, secret) pair."""
    token_id = secrets.token_hex(6)
    return token_id, f"{SECRET_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def normalise_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Check and de-duplicate scope names, keeping their order; raises `InvalidScope`."""
    valid = {scope.value for scope in Scope}
    result: dict[str, None] = {}
    for raw in scopes:
        scope = raw.strip()
        if scope.startswith(QUEUE_SCOPE_PREFIX):
            if not _QUEUE_NAME.fullmatch(scope.removeprefix(QUEUE_SCOPE_PREFIX)):
                raise InvalidScope(
                    f"{raw!r}: a queue scope is queue:<name>, the name in letters, digits, _ . -"
                )
        elif scope not in valid:
            raise InvalidScope(
                f"{raw!r} is not a scope; use one of {', '.join(sorted(valid))} or queue:<name>"
            )
        result[scope] = None
    if any(s.startswith(QUEUE_SCOPE_PREFIX) for s in result) and Scope.SUPERVISOR.value not in result:
        raise InvalidScope("queue:<name> scopes only take effect together with the supervisor scope")
    return tuple(result)


def principal_of(token: ApiToken) -> Principal:
    """Who a stored token authenticates."""
    return Principal(
        token_id=token.id,
        name=token.name,
        kind=PrincipalKind(token.kind),
        agent_id=token.agent_id,
        scopes=frozenset(token.scopes),
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def issue_agent_token(
    store: ApiTokenStore,
    agent_id: str,
    *,
    name: str | None = None,
    scopes: Iterable[str] = AGENT_TOKEN_SCOPES,
) -> IssuedToken:
    """Store a new token for one agent's desktop; it sees only that agent's events."""
    token_id, secret = new_secret()
    token = ApiToken(
        id=token_id,
        name=name or f"agent {agent_id}",
        kind="agent",
        secret_hash=hash_secret(secret),
        created_at=_now(),
        scopes=normalise_scopes(scopes),
        agent_id=agent_id,
    )
    await store.add(token)
    return IssuedToken(token, secret)


async def issue_integration_token(store: ApiTokenStore, name: str, scopes: Iterable[str]) -> IssuedToken:
    """Store a new API key for a CRM, dialer or wallboard with the given scopes."""
    checked = normalise_scopes(scopes)
    if not checked:
        raise InvalidScope("an integration token needs at least one --scope")
    token_id, secret = new_secret()
    token = ApiToken(
        id=token_id,
        name=name,
        kind="integration",
        secret_hash=hash_secret(secret),
        created_at=_now(),
        scopes=checked,
    )
    await store.add(token)
    return IssuedToken(token, secret)


class TokenAuthenticator:
    """Turns a presented secret into a `Principal`, remembering the answer for `cache_seconds`.

    The cache spares the database a query per REST request; a revocation takes effect within that time.
    `StoreUnavailable` from the store propagates (the caller answers 503 / close 1013).
    """

    def __init__(
        self,
        store: ApiTokenStore,
        *,
        cache_seconds: float = 5.0,
        max_cached: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._cache_seconds = cache_seconds
        self._max_cached = max_cached
        self._clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, secret: str | None) -> Principal:
        """The principal for `secret`; raises `MissingToken`, `InvalidToken` or `RevokedToken`."""
        if not secret:
            raise MissingToken("no token: send Authorization: Bearer <token> (or X-API-Key)")
        token_id_of(secret)
        presented = hash_secret(secret)
        now = self._clock()
        cached = self._cache.get(presented)
        if cached is not None and cached[0] > now:
            return cached[1]
        token = await self.store.get_by_hash(presented)
        if token is None or not hmac.compare_digest(token.secret_hash, presented):
            raise InvalidToken("unknown token")
        if token.is_revoked:
            self._cache.pop(presented, None)
            raise RevokedToken(f"token {token.id} was revoked; ask for a new one")
        principal = principal_of(token)
        if self._cache_seconds > 0:
            if len(self._cache) >= self._max_cached:
                self._cache.clear()
            self._cache[presented] = (now + self._cache_seconds, principal)
        return principal

    def clear_cache(self) -> None:
        """Forget every cached answer, e.g. right after revoking a token in this process."""
        self._cache.clear()
