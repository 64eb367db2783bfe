"""pbxsim's ARI server: Asterisk 22's REST interface and events WebSocket on top of the simulation engine."""

from pbxsim.ari.context import AsteriskIdentity
from pbxsim.ari.server import AriServer, AriServerError

__all__ = ["AriServer", "AriServerError", "AsteriskIdentity"]
