"""pbxsim: a protocol-faithful stand-in for Asterisk 22 (engine + AMI server + ARI server)."""

from pbxsim.runner import Pbxsim, run

__all__ = ["Pbxsim", "run"]
