"""Why a recording request was refused; `cti_gateway.api.routes.recordings` maps each to one HTTP status."""

from __future__ import annotations


class RecordingError(Exception):
    """Base of every recording failure; the message says what to do about it."""


class InvalidRecordingName(RecordingError, ValueError):
    """A name that cannot be a recording (a path separator, a control character …); HTTP 422 naming it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class RecordingNotFound(RecordingError, LookupError):
    """The PBX has no such recording, or the caller may not see it; HTTP 404."""


class RecordingsUnavailable(RecordingError):
    """The PBX's recording store (ARI) cannot be reached; HTTP 503, retry once /readyz is green."""


class RecordingUnreadable(RecordingError):
    """The PBX lists the recording but could not read its file (permissions on the PBX host); HTTP 502."""
