"""Why a call-control request was refused; the REST layer maps each to one HTTP status."""

from __future__ import annotations


class CallControlError(Exception):
    """Base of every call-control failure; the message says what to do about it."""


class InvalidField(CallControlError, ValueError):
    """A request field that can never work (a malformed number, a control character); HTTP 422 naming it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class CallNotFound(CallControlError, LookupError):
    """No live call has this id (it ended, or never existed); HTTP 404."""


class PartyNotFound(CallControlError, LookupError):
    """The call has no party with this id; HTTP 404."""


class TransferNotFound(CallControlError, LookupError):
    """No attended transfer in progress has this id; HTTP 404."""


class NotYourCall(CallControlError, PermissionError):
    """An agent tried to act on a call it is not a party of; HTTP 403."""


class ActionNotAllowed(CallControlError):
    """The call's state does not allow this action now (e.g. retrieve a call that is not held); HTTP 409."""


class IdempotencyConflict(CallControlError):
    """An Idempotency-Key is being used by a request still in progress; HTTP 409, retry later."""


class IdempotencyKeyReused(CallControlError):
    """An Idempotency-Key was sent again with a different request body; HTTP 422."""


class PbxRefused(CallControlError):
    """The PBX answered the action with an error (no such channel, extension missing …); HTTP 409."""


class PbxUnavailable(CallControlError):
    """The PBX link is down, so nothing was sent; HTTP 503, retry once /readyz is green."""


class OriginateFailed(CallControlError):
    """The PBX could not place the call (busy, unreachable endpoint …); HTTP 409 with the reason."""

    def __init__(self, message: str, reason: str = "") -> None:
        self.reason = reason
        super().__init__(message)
