"""Sans-I/O AMI protocol: bytes in, messages out; actions in, validated bytes out."""

from adapters.asterisk.ami.protocol.actions import encode_action, validate_header_text
from adapters.asterisk.ami.protocol.frames import AmiBanner, AmiFrameParser, AmiMessage, AmiMessageKind

__all__ = [
    "AmiBanner",
    "AmiFrameParser",
    "AmiMessage",
    "AmiMessageKind",
    "encode_action",
    "validate_header_text",
]
