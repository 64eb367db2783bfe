"""Call recordings on Asterisk: `AriRecordingArchive` serves MixMonitor's files through ARI."""

from adapters.asterisk.recordings.archive import AriRecordingArchive

__all__ = ["AriRecordingArchive"]
