"""Who is calling the API: agent tokens and scoped integration API keys, stored hashed."""

from cti_gateway.auth.principal import Principal, PrincipalKind, Scope
from cti_gateway.auth.tokens import (
    AuthError,
    InvalidScope,
    InvalidToken,
    IssuedToken,
    MissingToken,
    RevokedToken,
    TokenAuthenticator,
    hash_secret,
    issue_agent_token,
    issue_integration_token,
)

__all__ = [
    "AuthError",
    "InvalidScope",
    "InvalidToken",
    "IssuedToken",
    "MissingToken",
    "Principal",
    "PrincipalKind",
    "RevokedToken",
    "Scope",
    "TokenAuthenticator",
    "hash_secret",
    "issue_agent_token",
    "issue_integration_token",
]
