"""Sans-I/O AMI frame parser: bytes as they arrive in, banner and messages out, in linear time.

Asterisk sends one banner line, then blocks of `Name: value` lines, each ending with an empty line. The
parser only ever scans bytes it has not looked at yet, so a 4 MiB reply arriving in 4 KiB chunks costs
the same as one arriving whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

FRAME_END = b"\r\n\r\n"
_FRAME_END_TEXT = "\r\n\r\n"

HeaderValue = str | list[str]
"""A header's value; a header repeated in one frame (UserEvent, ChanVariable) holds all values in order."""


class AmiMessageKind(StrEnum):
    """What a frame is: a reply to one of our actions, an event, or something Asterisk should not send."""

    RESPONSE = "response"
    EVENT = "event"
    UNKNOWN = "unknown"


_EVENT = AmiMessageKind.EVENT


@dataclass(frozen=True, slots=True)
class AmiBanner:
    """The greeting line, e.g. `Asterisk Call Manager/11.0.0`; it carries the AMI protocol version."""

    text: str

    @property
    def protocol_version(self) -> str:
        """The version after the slash (`11.0.0`), or an empty string if the banner has none."""
        return self.text.rpartition("/")[2].strip() if "/" in self.text else ""


class AmiMessage:
    """One AMI frame: its kind, its name (event name or response status) and its headers in wire order.

    `fields` is a plain dict kept as parsed (header case as sent) so that it can travel as a
    `PbxEvent`'s fields without copying; use `get` / `get_all` for case-insensitive lookups.
    """

    __slots__ = ("_ordered_headers", "extra_lines", "fields", "kind", "name")

    def __init__(
        self,
        kind: AmiMessageKind,
        name: str,
        fields: dict[str, HeaderValue],
        extra_lines: tuple[str, ...] = (),
        ordered_headers: tuple[tuple[str, str], ...] | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.fields = fields
        self.extra_lines = extra_lines
        self._ordered_headers = ordered_headers

    def __repr__(self) -> str:
        return f"AmiMessage({self.kind.value}, {self.name!r}, {self.fields!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AmiMessage):
            return NotImplemented
        return (self.kind, self.name, self.fields, self.extra_lines) == (
            other.kind,
            other.name,
            other.fields,
            other.extra_lines,
        )

    __hash__ = None  # type: ignore[assignment]

    def get_all(self, header: str) -> list[str]:
        """Every value of `header` in wire order, matching the name without regard to case."""
        value = self.fields.get(header)
        if value is None:
            wanted = header.casefold()
            for name, candidate in self.fields.items():
                if name.casefold() == wanted:
                    value = candidate
                    break
            else:
                return []
        return list(value) if isinstance(value, list) else [value]

    def get(self, header: str, default: str | None = None) -> str | None:
        """The first value of `header` (case-insensitive), or `default` when it is absent."""
        values = self.get_all(header)
        return values[0] if values else default

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """All headers as (name, value) pairs in exact wire order, repeated headers included."""
        if self._ordered_headers is not None:
            return self._ordered_headers
        return tuple((name, value) for name in self.fields for value in self.get_all(name))

    @property
    def action_id(self) -> str | None:
        """The ActionID this frame answers or belongs to, if any."""
        value = self.fields.get("ActionID")
        if value is None:
            return self.get("ActionID")
        return value if isinstance(value, str) else value[0]

    @property
    def output(self) -> list[str]:
        """Text of a `Command` reply: its `Output:` lines, plus bare lines older Asterisk versions send."""
        return self.get_all("Output") + list(self.extra_lines)


class AmiFrameParser:
    """Turns the byte stream of one AMI socket into an `AmiBanner` followed by `AmiMessage`s.

    Call `feed` with each chunk as it arrives; it returns the messages completed by that chunk.
    Frames end at the first CRLF CRLF (as Asterisk writes them); a stray bare LF inside a frame, as in
    the Park response, is tolerated.
    """

    def __init__(self, *, expect_banner: bool = True) -> None:
        self._tail = bytearray()
        self._expect_banner = expect_banner
        self.frames_parsed = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._tail)

    def feed(self, data: bytes) -> list[AmiBanner | AmiMessage]:
        """Parse newly arrived bytes; returns the banner and/or messages they complete, in order."""
        return list(self.feed_lazily(data))

    def feed_lazily(self, data: bytes) -> Iterator[AmiBanner | AmiMessage]:
        """Like `feed`, but builds each message only when the caller takes it; consume it to the end.

        The bytes are taken in at once; handing messages out one by one lets each die before the next
        is built, which keeps the garbage collector's work small on a busy PBX.
        """
        banner, text = self._take_complete_text(data)
        if banner is not None:
            yield banner
        if text is not None:
            yield from self._messages(text)

    def _take_complete_text(self, data: bytes) -> tuple[AmiBanner | None, str | None]:
        """Append `data`; cut off and decode everything up to the last complete frame."""
        banner = None
        tail = self._tail
        if tail:
            search_from = len(tail) - 3 if len(tail) > 3 else 0
            tail += data
            work: bytes | bytearray = tail
        else:
            search_from = 0
            work = data
        if self._expect_banner:
            eol = work.find(b"\n", search_from)
            if eol < 0:
                if work is data:
                    tail += data
                return None, None
            banner = AmiBanner(bytes(work[:eol]).decode("utf-8", "replace").rstrip("\r"))
            self._expect_banner = False
            self.frames_parsed += 1
            work = bytes(work[eol + 1 :])
            tail.clear()
            search_from = 0
        end = work.rfind(FRAME_END, search_from)
        if end < 0:
            if work is not tail:
                tail += work
            return banner, None
        with memoryview(work) as view:
            text = str(view[:end], "utf-8", "replace")
        if work is tail:
            del tail[: end + 4]
        else:
            tail += work[end + 4 :]
        return banner, text

    def _messages(self, text: str) -> Iterator[AmiMessage]:
        for frame in text.split(_FRAME_END_TEXT):
            # Fast path, all in C: Asterisk writes every header as `Name: value\r\n`, so turning line
            # breaks into ": " gives alternating names and values. Anything else (a value holding ": ",
            # a repeated header, a bare LF, a line without a colon) takes the careful line-by-line path.
            flat = frame.replace("\r\n", ": ")
            parts = flat.split(": ")
            line_count = frame.count("\r\n") + 1
            message: AmiMessage | None
            if len(parts) == 2 * line_count and "\n" not in flat and parts[1] != "Follows":
                pairs = iter(parts)
                fields: dict[str, HeaderValue] = dict(zip(pairs, pairs, strict=True))
                if len(fields) == line_count:
                    if parts[0] == "Event":
                        message = AmiMessage(_EVENT, parts[1], fields)
                    else:
                        message = _classify_fields(parts[0], parts[1], fields)
                else:
                    message = _parse_lines_slowly(frame.split("\r\n"))
            else:
                message = _parse_lines_slowly(_split_lines_leniently(frame))
            if message is not None:
                self.frames_parsed += 1
                yield message


def _classify_fields(first_name: str, first_value: str, fields: dict[str, HeaderValue]) -> AmiMessage:
    if first_name == "Response":
        return AmiMessage(AmiMessageKind.RESPONSE, first_value, fields)
    return _classify(f"{first_name}: {first_value}", fields)


def _split_lines_leniently(frame: str) -> list[str]:
    """Lines of a frame that may mix CRLF and bare LF; empty lines left by a stray LF are dropped."""
    if "\n" not in frame.replace("\r\n", ""):
        return frame.split("\r\n")
    return [line for line in frame.replace("\r\n", "\n").split("\n") if line]


def _classify(
    first_line: str,
    fields: dict[str, HeaderValue],
    extra: tuple[str, ...] = (),
    ordered: tuple[tuple[str, str], ...] | None = None,
) -> AmiMessage:
    if first_line.startswith("Event: "):
        return AmiMessage(AmiMessageKind.EVENT, first_line[7:], fields, extra, ordered)
    if first_line.startswith("Response: "):
        return AmiMessage(AmiMessageKind.RESPONSE, first_line[10:], fields, extra, ordered)
    key, _, value = first_line.partition(":")
    lowered = key.strip().lower()
    if lowered == "event":
        return AmiMessage(AmiMessageKind.EVENT, value.strip(), fields, extra, ordered)
    if lowered == "response":
        return AmiMessage(AmiMessageKind.RESPONSE, value.strip(), fields, extra, ordered)
    return AmiMessage(AmiMessageKind.UNKNOWN, "", fields, extra, ordered)


def _parse_lines_slowly(lines: list[str]) -> AmiMessage | None:
    """Frames with repeated headers, `Key:value` without a space, or lines without any colon."""
    fields: dict[str, HeaderValue] = {}
    extra: list[str] = []
    ordered: list[tuple[str, str]] = []
    first_header = ""
    for line in lines:
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            extra.append(line)
            continue
        if value.startswith(" "):
            value = value[1:]
        if not first_header:
            first_header = f"{key}: {value}"
        ordered.append((key, value))
        previous = fields.get(key)
        if previous is None:
            fields[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            fields[key] = [previous, value]
    if not fields and not extra:
        return None
    return _classify(first_header, fields, tuple(extra), tuple(ordered))
