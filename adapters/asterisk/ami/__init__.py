"""Asterisk Manager Interface adapter: sans-I/O frame parser and action encoder, plus an asyncio `PbxLink`."""

from adapters.asterisk.ami.client import AmiClient
from adapters.asterisk.ami.connection import AmiConnection, AmiListReply
from adapters.asterisk.ami.errors import (
    AmiActionFailed,
    AmiConnectionLost,
    AmiError,
    AmiHeaderInjection,
    AmiInvalidAction,
    AmiLoginFailed,
    AmiNotConnected,
    AmiResyncFailed,
)
from adapters.asterisk.ami.protocol import (
    AmiBanner,
    AmiFrameParser,
    AmiMessage,
    AmiMessageKind,
    encode_action,
    validate_header_text,
)
from adapters.asterisk.ami.resync import build_snapshot

__all__ = [
    "AmiActionFailed",
    "AmiBanner",
    "AmiClient",
    "AmiConnection",
    "AmiConnectionLost",
    "AmiError",
    "AmiFrameParser",
    "AmiHeaderInjection",
    "AmiInvalidAction",
    "AmiListReply",
    "AmiLoginFailed",
    "AmiMessage",
    "AmiMessageKind",
    "AmiNotConnected",
    "AmiResyncFailed",
    "build_snapshot",
    "encode_action",
    "validate_header_text",
]
