"""Errors an ARI request can end in, each carrying the status and body Asterisk 22 sends for it."""

from __future__ import annotations

from typing import Any


class AriRequestError(Exception):
    """A request ARI refuses: `status` and the body text, normally `{"message": ...}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"message": self.message}


class AllocationFailed(AriRequestError):
    """An originate to an unknown channel technology; Asterisk answers 500 with an `error` key."""

    def __init__(self) -> None:
        super().__init__(500, "Allocation failed")

    def body(self) -> dict[str, Any]:
        """Unlike every other ARI error, this one says `error`, not `message`."""
        return {"error": self.message}


def bad_request(message: str) -> AriRequestError:
    """400, for a missing or malformed parameter."""
    return AriRequestError(400, message)


def not_found(message: str) -> AriRequestError:
    """404, for an unknown channel, bridge, playback, recording, variable or application."""
    return AriRequestError(404, message)


def conflict(message: str) -> AriRequestError:
    """409, for a resource in the wrong state (not in Stasis, id taken, recording exists)."""
    return AriRequestError(409, message)


def unprocessable(message: str) -> AriRequestError:
    """422, for a well-formed request naming something unusable (format, technology, non-Stasis channel)."""
    return AriRequestError(422, message)


CHANNEL_NOT_FOUND = "Channel not found"
BRIDGE_NOT_FOUND = "Bridge not found"
RECORDING_NOT_FOUND = "Recording not found"
PLAYBACK_NOT_FOUND = "Playback not found"
NOT_IN_STASIS = "Channel not in Stasis application"
