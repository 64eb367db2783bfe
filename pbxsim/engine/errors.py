"""Specific failures of engine operations, each naming what was wrong so the caller can report it."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine failure."""


class ChannelNotFound(EngineError):
    """No live channel has this uniqueid or name."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"no such channel: {channel!r}")
        self.channel = channel


class BridgeNotFound(EngineError):
    """No bridge has this id."""

    def __init__(self, bridge: str) -> None:
        super().__init__(f"no such bridge: {bridge!r}")
        self.bridge = bridge


class ChannelNotInStasis(EngineError):
    """The operation is only allowed on a channel controlled by a Stasis application."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"channel {channel!r} is not in a Stasis application")
        self.channel = channel


class DuplicateId(EngineError):
    """A channel or bridge with this id (or, like Asterisk 22.10.1, an id this one prefixes) exists."""

    def __init__(self, object_id: str) -> None:
        super().__init__(f"an object with id {object_id!r} already exists")
        self.object_id = object_id


class InvalidEndpoint(EngineError):
    """The dial string is malformed or uses a technology the simulator lacks (only Local exists)."""


class UnknownQueue(EngineError):
    """No queue has this name."""

    def __init__(self, queue: str) -> None:
        super().__init__(f"no such queue: {queue!r}")
        self.queue = queue


class UnknownQueueMember(EngineError):
    """The queue has no member with this interface."""

    def __init__(self, queue: str, interface: str) -> None:
        super().__init__(f"queue {queue!r} has no member {interface!r}")
        self.queue = queue
        self.interface = interface


class QueueMemberExists(EngineError):
    """The member is already in the queue."""

    def __init__(self, queue: str, interface: str) -> None:
        super().__init__(f"{interface!r} is already a member of queue {queue!r}")


class UnknownConference(EngineError):
    """No ConfBridge conference has this name."""

    def __init__(self, conference: str) -> None:
        super().__init__(f"no such conference: {conference!r}")
        self.conference = conference


class DialplanError(EngineError):
    """The dialplan file is invalid; the message names the context, extension and line."""


class InvalidMediaRequest(EngineError):
    """A playback, recording or snoop request names an unusable target, direction or option."""


class PlaybackNotFound(EngineError):
    """No playback with this id is playing or queued."""

    def __init__(self, playback_id: str) -> None:
        super().__init__(f"no such playback: {playback_id!r}")
        self.playback_id = playback_id


class RecordingNotFound(EngineError):
    """No live (or, for stored operations, stored) recording has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no such recording: {name!r}")
        self.name = name


class RecordingExists(EngineError):
    """A recording of this name is in progress, or is stored and `if_exists` is `fail`."""

    def __init__(self, name: str, *, live: bool) -> None:
        what = "is already in progress" if live else "already exists and can not be overwritten"
        super().__init__(f"recording {name!r} {what}")
        self.name = name
        self.live = live
