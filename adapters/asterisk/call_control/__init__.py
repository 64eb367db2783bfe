"""Call control over AMI for Asterisk 22: the pure action builders and the `CallControl` adapter."""

from adapters.asterisk.call_control.actions import CORRELATION_VARIABLE, DialplanSettings, agent_extension
from adapters.asterisk.call_control.adapter import AmiSession, AsteriskCallControl

__all__ = ["CORRELATION_VARIABLE", "AmiSession", "AsteriskCallControl", "DialplanSettings", "agent_extension"]
