"""pbxsim's AMI server (Asterisk Call Manager/11.0.0 protocol over the engine)."""

from pbxsim.ami.protocol import Action, ActionParser, format_frame
from pbxsim.ami.server import AmiServer

__all__ = ["Action", "ActionParser", "AmiServer", "format_frame"]
