"""Which recording names a client may ask for: plain file names, never a path or a control character."""

from __future__ import annotations

from cti_gateway.call_control.destinations import control_character_problem
from cti_gateway.recordings.errors import InvalidRecordingName

MAX_RECORDING_NAME_LENGTH = 255


def check_recording_name(name: str, field: str = "name") -> str:
    """`name` unchanged, or `InvalidRecordingName` naming `field` (it could address another file)."""
    problem = control_character_problem(name)
    if problem is not None:
        raise InvalidRecordingName(field, problem)
    if not name or len(name) > MAX_RECORDING_NAME_LENGTH:
        raise InvalidRecordingName(field, f"must be 1 to {MAX_RECORDING_NAME_LENGTH} characters long")
    if "/" in name or "\\" in name:
        raise InvalidRecordingName(field, "must be a plain recording name without '/' or '\\'")
    if name in (".", ".."):
        raise InvalidRecordingName(field, f"{name!r} is not a recording name")
    return name
