"""Who is calling the API: agent tokens and scoped integration API keys, stored hashed."""

from cti_gateway.auth.principal import Principal, PrincipalKind, Scope

__all__ = ["Principal", "PrincipalKind", "Scope"]
