"""How a human reads the event stream: one line per event, screen pops as a highlighted customer card.

Pure functions of a received frame (the `/ws` envelope), so the `events` viewer and the demo can share
them and tests can read their output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

_TYPE_STYLES = {
    "call.created": "cyan",
    "call.ringing": "yellow",
    "call.answered": "green",
    "call.held": "blue",
    "call.retrieved": "blue",
    "call.transferred": "magenta",
    "call.conferenced": "magenta",
    "call.ended": "red",
    "call.data_updated": "white",
    "screen_pop": "bold magenta",
    "agent.state_changed": "bright_cyan",
    "resync": "bold yellow",
}


def _party_label(party: Mapping[str, Any]) -> str:
    if party.get("agent_id"):
        return f"agent {party['agent_id']}"
    number, name = party.get("number") or "", party.get("name") or ""
    label = f"{name} <{number}>" if name and number else (number or name or str(party.get("channel", "?")))
    return label


def _caller(data: Mapping[str, Any]) -> str | None:
    for party in data.get("parties") or ():
        if party.get("role") == "caller":
            return _party_label(party)
    return None


def summary(frame: Mapping[str, Any]) -> str:
    """The key facts of one event in a few words: who, where, why."""
    data: Mapping[str, Any] = frame.get("data") or {}
    kind = frame.get("type")
    parts: list[str] = []
    if kind == "resync":
        snapshot = data.get("snapshot") or {}
        calls = snapshot.get("calls")
        parts.append(f"reason={data.get('reason')}")
        if isinstance(calls, list):
            parts.append(f"{len(calls)} current call(s)")
        return ", ".join(parts)
    if kind == "agent.state_changed":
        return f"agent {data.get('agent_id')} → {data.get('state')}"
    if kind == "screen_pop":
        caller = data.get("caller") or {}
        who = f"{caller.get('name') or ''} {caller.get('number') or ''}".strip()
        return f"to agent {data.get('agent_id')}: {who or 'unknown caller'}"
    caller = _caller(data)
    if caller:
        parts.append(f"from {caller}")
    if data.get("queue"):
        parts.append(f"queue {data['queue']}")
    party = data.get("party")
    if isinstance(party, Mapping):
        parts.append(f"{_party_label(party)} {party.get('state', '')}".strip())
    if kind == "call.transferred" and data.get("kind"):
        parts.append(f"{data['kind']} transfer")
    if kind == "call.conferenced" and data.get("conference"):
        parts.append(f"conference {data['conference']}")
    if kind == "call.ended":
        parts.append(f"cause {data.get('cause')} {data.get('cause_text') or ''}".strip())
    if kind == "call.data_updated" and isinstance(data.get("changed"), Mapping):
        parts.append("changed " + ", ".join(sorted(data["changed"])))
    return ", ".join(parts)


def event_line(frame: Mapping[str, Any]) -> Text:
    """`09:15:02.120  #1795383258087924  call.ringing  call 1712…  from Eva <+34…>, agent 1001 ringing`."""
    ts = str(frame.get("ts") or "")
    clock = ts[11:23] if len(ts) >= 23 else ts
    kind = str(frame.get("type"))
    seq = frame.get("seq")
    call_id = frame.get("call_id")
    line = Text()
    line.append(f"{clock:<12} ", style="dim")
    line.append(f"#{seq} ", style="dim")
    line.append(f"{kind:<19} ", style=_TYPE_STYLES.get(kind, "white"))
    line.append(f"{('call ' + str(call_id)) if call_id else '':<24} ", style="bold")
    line.append(summary(frame))
    return line


def screen_pop_card(frame: Mapping[str, Any]) -> Panel:
    """The pop an agent's desktop would show: caller, customer record and attached data."""
    data: Mapping[str, Any] = frame.get("data") or {}
    caller = data.get("caller") or {}
    customer = data.get("customer")
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    fields.add_row("caller", f"{caller.get('name') or ''} {caller.get('number') or ''}".strip() or "unknown")
    if isinstance(customer, Mapping) and customer:
        for key, value in customer.items():
            fields.add_row(str(key), _short(value))
    else:
        fields.add_row("customer", "not found in the directory")
    attached = data.get("attached")
    if isinstance(attached, Mapping):
        for key, value in attached.items():
            if key != "customer":
                fields.add_row(f"attached.{key}", _short(value))
    title = f"SCREEN POP → agent {data.get('agent_id')}  (call {frame.get('call_id')})"
    return Panel(fields, title=title, border_style="bold magenta", expand=False)


def _short(value: object, limit: int = 100) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(frame: Mapping[str, Any]) -> RenderableType:
    """What the viewer prints for one received frame (events, resync markers and control frames)."""
    kind = frame.get("type")
    if kind == "hello":
        principal = frame.get("principal") or {}
        who = (
            f"agent {principal.get('agent_id')}"
            if principal.get("kind") == "agent"
            else principal.get("name")
        )
        return Text(f"connected as {who} (stream {frame.get('stream')})", style="green")
    if kind == "error":
        return Text(f"server: {frame.get('code')}: {frame.get('message')}", style="red")
    if kind == "pong":
        return Text("pong", style="dim")
    if kind == "screen_pop":
        return Group(event_line(frame), screen_pop_card(frame))
    return event_line(frame)


def print_frame(console: Console, frame: Mapping[str, Any]) -> None:
    console.print(render(frame))
