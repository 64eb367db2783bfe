"""ARI REST operations grouped by resource, as `AriClient` exposes them (`client.channels.originate(...)`)."""

from adapters.asterisk.ari.resources.bridges import Bridges
from adapters.asterisk.ari.resources.channels import Channels
from adapters.asterisk.ari.resources.media import (
    LiveRecordings,
    Playbacks,
    Recordings,
    StoredRecordingFile,
    StoredRecordings,
)
from adapters.asterisk.ari.resources.system import Applications, AsteriskSystem

__all__ = [
    "Applications",
    "AsteriskSystem",
    "Bridges",
    "Channels",
    "LiveRecordings",
    "Playbacks",
    "Recordings",
    "StoredRecordingFile",
    "StoredRecordings",
]
