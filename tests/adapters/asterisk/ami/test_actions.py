"""The action encoder: exact frames for good actions, and nothing at all for injected ones."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.asterisk.ami.connection import AmiConnection
from adapters.asterisk.ami.errors import AmiHeaderInjection, AmiInvalidAction
from adapters.asterisk.ami.protocol.actions import encode_action
from adapters.asterisk.ami.protocol.frames import AmiMessage

CONTROL_CHARACTERS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u2028"]


def test_action_is_encoded_with_action_id_first_and_a_blank_line_last() -> None:
    frame = encode_action("Ping", "cti-1", {})
    assert frame == b"Action: Ping\r\nActionID: cti-1\r\n\r\n"


def test_originate_variables_repeat_the_variable_header_in_order() -> None:
    frame = encode_action(
        "Originate",
        "cti-2",
        {
            "Channel": "Local/2001@customers",
            "Context": "util",
            "Exten": "wait",
            "Priority": 1,
            "Variable": ["AGENT_TALK_SECS=30", "__CUSTOMER_TALK_SECS=30"],
            "Async": True,
            "Account": None,
        },
    )
    assert frame == (
        b"Action: Originate\r\nActionID: cti-2\r\nChannel: Local/2001@customers\r\nContext: util\r\n"
        b"Exten: wait\r\nPriority: 1\r\nVariable: AGENT_TALK_SECS=30\r\n"
        b"Variable: __CUSTOMER_TALK_SECS=30\r\nAsync: true\r\n\r\n"
    )


def test_a_variable_mapping_becomes_name_equals_value_entries() -> None:
    frame = encode_action(
        "Originate", "x", {"Variable": {"CALLER_NUM": "5551234", "CALLER_NAME": "Wire Caller"}}
    )
    assert b"Variable: CALLER_NUM=5551234\r\nVariable: CALLER_NAME=Wire Caller\r\n" in frame


def test_non_ascii_caller_names_are_sent_as_utf8() -> None:
    frame = encode_action("Setvar", "x", {"Variable": "CALLERID(name)", "Value": "Müller"})
    assert "Value: Müller\r\n".encode() in frame


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_control_characters_in_a_value_are_rejected_naming_the_header(character: str) -> None:
    with pytest.raises(AmiHeaderInjection, match="header 'CallerID'"):
        encode_action("Originate", "x", {"CallerID": f"Evil{character}Action: Redirect"})


@pytest.mark.parametrize("character", ["\r", "\n", "\x00", "\t", "\x1b", "\x7f"])
def test_control_characters_in_a_header_name_are_rejected(character: str) -> None:
    with pytest.raises(AmiHeaderInjection, match="header name"):
        encode_action("Originate", "x", {f"Channel{character}Action": "x"})


@pytest.mark.parametrize("character", ["\r", "\n", "\x00", "\t", "\x7f"])
def test_control_characters_in_the_action_name_are_rejected(character: str) -> None:
    with pytest.raises(AmiHeaderInjection, match="action name"):
        encode_action(f"Ping{character}", "x", {})


@pytest.mark.parametrize("character", ["\r", "\n", "\x00"])
def test_control_characters_in_one_originate_variable_are_rejected(character: str) -> None:
    with pytest.raises(AmiHeaderInjection, match="header 'Variable'"):
        encode_action("Originate", "x", {"Variable": ["A=1", f"B=2{character}Action: Hangup"]})
    with pytest.raises(AmiHeaderInjection, match="header 'Variable'"):
        encode_action("Originate", "x", {"Variable": {"B": f"2{character}"}})


def test_the_error_message_never_echoes_the_value() -> None:
    with pytest.raises(AmiHeaderInjection) as caught:
        encode_action("Login", "x", {"Secret": "hunter2\r\nAction: Originate"})
    assert "hunter2" not in str(caught.value)
    assert "U+000D" in str(caught.value)


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("Ping Pong", {}),
        ("", {}),
        ("Ping", {"Bad:Name": "x"}),
        ("Ping", {"": "x"}),
        ("Ping", {"ActionID": "mine"}),
        ("Ping", {"action": "Logoff"}),
        ("Ping", {"Value": 1.5}),
        ("Ping", {"Variable": {"A=B": "x"}}),
    ],
)
def test_malformed_actions_are_refused_with_a_specific_error(action: str, fields: dict[str, object]) -> None:
    with pytest.raises(AmiInvalidAction):
        encode_action(action, "x", fields)  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_any_value_either_encodes_to_exactly_one_header_line_or_is_rejected(value: str) -> None:
    try:
        frame = encode_action("Setvar", "x", {"Value": value})
    except AmiHeaderInjection:
        assert any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in value)
        return
    assert frame.count(b"\r") == frame.count(b"\n") == 4
    assert frame.endswith(b"\r\n\r\n")


class _RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False


async def test_an_injected_action_writes_nothing_to_the_socket() -> None:
    connection = AmiConnection(on_event=lambda message: None)
    transport = _RecordingTransport()
    connection.connection_made(transport)
    for fields in (
        {"Channel": "Local/2001@customers\r\nAction: Hangup"},
        {"Variable": ["A=1", "B=\n"]},
        {"Bad\nName": "x"},
    ):
        with pytest.raises(AmiHeaderInjection):
            await connection.send_action("Originate", fields)
    with pytest.raises(AmiHeaderInjection):
        await connection.send_action("Ping\r\nAction: Logoff", {})
    assert transport.written == b""
    assert not connection.blocked_by_action


async def test_a_valid_action_is_written_once_and_resolved_by_its_response() -> None:
    connection = AmiConnection(on_event=lambda message: None)
    transport = _RecordingTransport()
    connection.connection_made(transport)
    task = asyncio.ensure_future(connection.send_action("Ping", {}))
    await asyncio.sleep(0)
    action_id = transport.written.split(b"ActionID: ")[1].split(b"\r\n")[0].decode()
    connection.data_received(b"Asterisk Call Manager/11.0.0\r\n")
    connection.data_received(f"Response: Success\r\nActionID: {action_id}\r\nPing: Pong\r\n\r\n".encode())
    response = await task
    assert isinstance(response, AmiMessage)
    assert response.get("Ping") == "Pong"
