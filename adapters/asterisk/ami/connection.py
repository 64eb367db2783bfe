"""One AMI socket: feeds the frame parser, matches responses to actions by ActionID, collects lists.

This is the asyncio shell around the sans-I/O core. It knows nothing about login, reconnects or
snapshots; `AmiClient` drives it. Events not claimed by a pending list action go to `on_event`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from adapters.asterisk.ami.errors import AmiActionFailed, AmiConnectionLost
from adapters.asterisk.ami.protocol.actions import FieldValue, encode_action
from adapters.asterisk.ami.protocol.frames import AmiBanner, AmiFrameParser, AmiMessage, AmiMessageKind

log = logging.getLogger(__name__)

_EVENT = AmiMessageKind.EVENT
_TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})


@dataclass(frozen=True, slots=True)
class AmiListReply:
    """A list action's outcome: the opening response, the item events, and the closing `...Complete` event."""

    response: AmiMessage
    events: tuple[AmiMessage, ...]
    complete: AmiMessage | None


@dataclass(slots=True)
class _PendingAction:
    action: str
    response: asyncio.Future[AmiMessage]
    blocks_session: bool
    list_done: asyncio.Future[AmiListReply] | None = None
    events: list[AmiMessage] = field(default_factory=list)
    first_response: AmiMessage | None = None


class AmiConnection(asyncio.Protocol):
    """asyncio protocol for one AMI session; create it through `loop.create_connection`."""

    def __init__(
        self,
        on_event: Callable[[AmiMessage], None],
        on_response: Callable[[str, AmiMessage], None] | None = None,
    ) -> None:
        self._on_event = on_event
        self._on_response = on_response
        self._parser = AmiFrameParser()
        self._transport: asyncio.Transport | None = None
        self._pending: dict[str, _PendingAction] = {}
        self._lists: dict[str, _PendingAction] = {}
        self._ids = itertools.count(1)
        self._id_prefix = f"cti-{secrets.token_hex(4)}-"
        loop = asyncio.get_running_loop()
        self.banner: asyncio.Future[AmiBanner] = loop.create_future()
        self.closed: asyncio.Future[Exception | None] = loop.create_future()

    # asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport is not an asyncio.Transport subclass, but has the same interface.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        lists = self._lists
        on_event = self._on_event
        for message in self._parser.feed_lazily(data):
            if isinstance(message, AmiMessage):
                if message.kind is _EVENT:
                    if lists:
                        action_id = message.fields.get("ActionID")
                        if isinstance(action_id, str) and action_id in lists:
                            self._collect(lists[action_id], message)
                            continue
                    on_event(message)
                else:
                    self._resolve(message)
            elif not self.banner.done():
                self.banner.set_result(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        lost = AmiConnectionLost(f"AMI connection closed{f': {exc}' if exc else ''}")
        if not self.banner.done():
            self.banner.set_exception(lost)
            self.banner.exception()  # mark retrieved: nobody may be waiting for it
        for pending in self._pending.values():
            _fail(pending.response, lost)
            if pending.list_done is not None:
                _fail(pending.list_done, lost)
        self._pending.clear()
        self._lists.clear()
        if not self.closed.done():
            self.closed.set_result(exc)

    # actions ----------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while the socket is connected."""
        return self._transport is not None and not self._transport.is_closing()

    @property
    def blocked_by_action(self) -> bool:
        """True while a synchronous Originate runs: Asterisk answers nothing else on the session."""
        return any(pending.blocks_session for pending in self._pending.values())

    def next_action_id(self) -> str:
        """A fresh ActionID, unique per connection and recognisable in Asterisk logs."""
        return f"{self._id_prefix}{next(self._ids)}"

    async def send_action(self, action: str, fields: Mapping[str, FieldValue]) -> AmiMessage:
        """Send one action and wait for its response; `Response: Error` raises `AmiActionFailed`."""
        pending = self._start(action, fields, expects_list=False)
        response = await pending.response
        if response.name.lower() == "error":
            raise AmiActionFailed(action, response)
        return response

    async def send_list_action(self, action: str, fields: Mapping[str, FieldValue]) -> AmiListReply:
        """Send an action answered by `EventList: start`, item events and a `...Complete` event."""
        pending = self._start(action, fields, expects_list=True)
        assert pending.list_done is not None
        response = await pending.response
        if response.name.lower() == "error":
            raise AmiActionFailed(action, response)
        return await pending.list_done

    def close(self) -> None:
        """Close the socket; pending actions fail with `AmiConnectionLost`."""
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drop the socket at once, without flushing (used when the PBX stopped answering)."""
        if self._transport is not None:
            self._transport.abort()

    def _start(self, action: str, fields: Mapping[str, FieldValue], *, expects_list: bool) -> _PendingAction:
        action_id = self.next_action_id()
        frame = encode_action(action, action_id, fields)  # validates before anything is written
        transport = self._transport
        if transport is None or transport.is_closing():
            raise AmiConnectionLost(f"AMI action {action!r} not sent: the connection is closed")
        loop = asyncio.get_running_loop()
        pending = _PendingAction(
            action=action,
            response=loop.create_future(),
            blocks_session=_is_synchronous_originate(action, fields),
            list_done=loop.create_future() if expects_list else None,
        )
        self._pending[action_id] = pending
        if expects_list:
            self._lists[action_id] = pending
        transport.write(frame)
        return pending

    def _resolve(self, response: AmiMessage) -> None:
        action_id = response.action_id
        pending = self._pending.get(action_id) if action_id is not None else None
        if pending is None:
            log.debug("AMI response without a waiting action: %r", response)
            return
        assert action_id is not None
        if self._on_response is not None:
            self._on_response(pending.action, response)
        if pending.list_done is None:
            del self._pending[action_id]
        else:
            pending.first_response = response
            starts_list = (response.get("EventList") or "").lower() == "start"
            if response.name.lower() == "error" or not starts_list:
                self._finish_list(action_id, pending, None)
        if not pending.response.done():
            pending.response.set_result(response)

    def _collect(self, pending: _PendingAction, event: AmiMessage) -> None:
        fields = event.fields
        if fields.get("EventList") == "Complete" or event.name.endswith("Complete"):
            action_id = fields["ActionID"]
            assert isinstance(action_id, str)
            self._finish_list(action_id, pending, event)
        else:
            pending.events.append(event)

    def _finish_list(self, action_id: str, pending: _PendingAction, complete: AmiMessage | None) -> None:
        self._pending.pop(action_id, None)
        self._lists.pop(action_id, None)
        if pending.list_done is not None and not pending.list_done.done():
            response = pending.first_response
            if response is None:  # the Complete event overtook the response: keep both in order
                response = AmiMessage(AmiMessageKind.RESPONSE, "Success", {"ActionID": action_id})
            pending.list_done.set_result(AmiListReply(response, tuple(pending.events), complete))


def _is_synchronous_originate(action: str, fields: Mapping[str, FieldValue]) -> bool:
    if action.lower() != "originate":
        return False
    for name, value in fields.items():
        if name.lower() == "async":
            return str(value).lower() not in _TRUE_WORDS
    return True


def _fail(future: asyncio.Future[AmiMessage] | asyncio.Future[AmiListReply], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # the caller may already be gone; do not log "never retrieved"
