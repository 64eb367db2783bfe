"""Call recordings: the files the PBX keeps, whose calls they recorded, and who may list and download them."""

from cti_gateway.recordings.errors import (
    InvalidRecordingName,
    RecordingError,
    RecordingNotFound,
    RecordingsUnavailable,
    RecordingUnreadable,
)
from cti_gateway.recordings.memory import InMemoryRecordingOwners
from cti_gateway.recordings.model import RecordingAudio, RecordingOwner, StoredRecording
from cti_gateway.recordings.names import check_recording_name
from cti_gateway.recordings.port import RecordingArchive, RecordingOwners
from cti_gateway.recordings.service import RecordingEntry, RecordingService

__all__ = [
    "InMemoryRecordingOwners",
    "InvalidRecordingName",
    "RecordingArchive",
    "RecordingAudio",
    "RecordingEntry",
    "RecordingError",
    "RecordingNotFound",
    "RecordingOwner",
    "RecordingOwners",
    "RecordingService",
    "RecordingUnreadable",
    "RecordingsUnavailable",
    "StoredRecording",
    "check_recording_name",
]
