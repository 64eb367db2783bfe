"""AMI framing without sockets: parse client actions from bytes, format responses and events.

Like Asterisk: header names are case-insensitive, LF-only line endings are accepted, a header line
over 1024 bytes makes the action fail with "line too long", and replies always use CRLF.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_LINE = 1024
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

Fields = list[tuple[str, str]]


@dataclass(slots=True)
class Action:
    """One client request: its headers in order (repeats kept), plus a note if a line was too long."""

    headers: Fields = field(default_factory=list)
    line_too_long: bool = False

    def get(self, name: str, default: str = "") -> str:
        """First value of a header, case-insensitively."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of a repeated header (Variable:, Foo: …)."""
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    def has(self, name: str) -> bool:
        """Whether the header is present at all."""
        lower = name.lower()
        return any(key.lower() == lower for key, _ in self.headers)

    @property
    def name(self) -> str:
        """The `Action:` value."""
        return self.get("Action")

    @property
    def action_id(self) -> str | None:
        """The `ActionID:` value, None when absent."""
        return self.get("ActionID") if self.has("ActionID") else None


class ActionParser:
    """Incremental parser: feed bytes, collect complete actions; only new bytes are scanned."""

    def __init__(self) -> None:
        self._partial = b""
        self._current = Action()

    def feed(self, data: bytes) -> list[Action]:
        """Add bytes and return the actions completed by them."""
        done: list[Action] = []
        buffer = self._partial + data
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            raw = buffer[start:newline]
            start = newline + 1
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if raw == b"":
                if self._current.headers or self._current.line_too_long:
                    done.append(self._current)
                self._current = Action()
                continue
            if len(raw) > MAX_LINE:
                self._current.line_too_long = True
                continue
            text = raw.decode("utf-8", errors="replace")
            key, sep, value = text.partition(":")
            if not sep:
                continue
            self._current.headers.append((key.strip(), value.lstrip(" ")))
        self._partial = buffer[start:]
        if len(self._partial) > 64 * 1024:
            self._partial = b""
            self._current.line_too_long = True
        return done


def clean(value: object) -> str:
    """A header value with every control character (CR, LF, NUL …) removed, so it cannot break framing."""
    return _UNSAFE.sub("", str(value))


def format_frame(fields: Iterable[tuple[str, object]]) -> bytes:
    """One AMI frame: `Key: value` lines with CRLF and the terminating empty line."""
    lines = [f"{clean(key)}: {clean(value)}" for key, value in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
