"""Errors of the AMI adapter, each telling a PBX administrator what went wrong and what to check."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.asterisk.ami.protocol.frames import AmiMessage


class AmiError(Exception):
    """Base of every error raised by the AMI adapter."""


class AmiInvalidAction(AmiError, ValueError):
    """An action was refused before anything was written to the socket (bad name, header or value)."""


class AmiHeaderInjection(AmiInvalidAction):
    """A header name or value held CR, LF or another control character that could forge AMI headers."""


class AmiLoginFailed(AmiError):
    """Asterisk refused the Login: check `username`/`secret` against manager.conf (and `permit`/`deny`)."""


class AmiNotConnected(AmiError):
    """An action was sent while the AMI link is down; retry once the link status is UP."""


class AmiConnectionLost(AmiError):
    """The socket closed while an action was waiting for its response; the action may or may not have run."""


class AmiActionFailed(AmiError):
    """Asterisk answered an action with `Response: Error`; `response` holds the whole reply."""

    def __init__(self, action: str, response: AmiMessage) -> None:
        self.action = action
        self.response = response
        message = response.get("Message") or "no Message header"
        super().__init__(f"AMI action {action!r} failed: {message}")


class AmiResyncFailed(AmiError):
    """The channel list could not be fetched after a (re)connect, so no trustworthy snapshot exists."""
