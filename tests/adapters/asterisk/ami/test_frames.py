"""The AMI frame parser, fed the exact bytes real Asterisk 22 sent."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.asterisk.ami.protocol.frames import AmiBanner, AmiFrameParser, AmiMessage, AmiMessageKind
from tests.support.wire import load_wire_scenario, wire_scenario_names


def _ami_connections() -> list[tuple[str, str | None]]:
    connections = []
    for name in wire_scenario_names():
        scenario = load_wire_scenario(name)
        for cid in sorted({f.cid for f in scenario.frames if f.conn == "ami"}, key=str):
            if scenario.ami_received_bytes(cid):
                connections.append((name, cid))
    return connections


AMI_CONNECTIONS = _ami_connections()


def _parse_all(data: bytes) -> list[AmiBanner | AmiMessage]:
    return AmiFrameParser().feed(data)


def _parse_in_chunks(data: bytes, sizes: list[int]) -> list[AmiBanner | AmiMessage]:
    parser = AmiFrameParser()
    messages: list[AmiBanner | AmiMessage] = []
    position = 0
    for size in sizes:
        messages += parser.feed(data[position : position + size])
        position += size
    messages += parser.feed(data[position:])
    assert parser.pending_bytes == 0
    return messages


def test_every_recorded_ami_connection_is_covered() -> None:
    assert len(AMI_CONNECTIONS) >= 20


@pytest.mark.parametrize(("scenario_name", "cid"), AMI_CONNECTIONS)
def test_parser_yields_one_message_per_recorded_frame(scenario_name: str, cid: str | None) -> None:
    scenario = load_wire_scenario(scenario_name)
    messages = _parse_all(scenario.ami_received_bytes(cid))
    recorded = list(scenario.frames_of("ami", "recv", cid))
    assert len(messages) == len(recorded)
    assert isinstance(messages[0], AmiBanner)
    assert messages[0].protocol_version == "11.0.0"
    for message, frame in zip(messages[1:], recorded[1:], strict=True):
        assert isinstance(message, AmiMessage)
        first_line = frame.data.split("\r\n", 1)[0]
        kind, _, name = first_line.partition(": ")
        assert message.kind is AmiMessageKind(kind.lower())
        assert message.name == name


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_chunking_gives_the_same_messages_as_feeding_everything_at_once(data: st.DataObject) -> None:
    scenario_name, cid = data.draw(st.sampled_from(AMI_CONNECTIONS))
    received = load_wire_scenario(scenario_name).ami_received_bytes(cid)
    sizes = data.draw(st.lists(st.integers(min_value=1, max_value=700), max_size=400))
    assert _parse_in_chunks(received, sizes) == _parse_all(received)


@pytest.mark.parametrize(("scenario_name", "cid"), AMI_CONNECTIONS)
def test_byte_by_byte_feeding_gives_the_same_messages(scenario_name: str, cid: str | None) -> None:
    received = load_wire_scenario(scenario_name).ami_received_bytes(cid)[:20000]
    whole = _parse_all(received)
    parser = AmiFrameParser()
    one_by_one: list[AmiBanner | AmiMessage] = []
    for index in range(len(received)):
        one_by_one += parser.feed(received[index : index + 1])
    assert one_by_one == whole


def test_park_response_with_a_bare_lf_before_the_terminator_keeps_its_message() -> None:
    received = load_wire_scenario("ami_hold_moh").ami_received_bytes()
    assert b"Park successful\n\r\n\r\n" in received
    parks = [
        m for m in _parse_all(received) if isinstance(m, AmiMessage) and m.get("Message") == "Park successful"
    ]
    assert len(parks) == 1
    assert parks[0].kind is AmiMessageKind.RESPONSE
    assert parks[0].name == "Success"
    assert parks[0].action_id == "wire-4"


def test_user_event_keeps_repeated_custom_headers_in_wire_order() -> None:
    received = load_wire_scenario("ami_userevent_setvar_getvar").ami_received_bytes()
    user_event = next(
        m for m in _parse_all(received) if isinstance(m, AmiMessage) and m.get("UserEvent") == "CtiPing"
    )
    assert user_event.get_all("Foo") == ["bar", "again"]
    assert user_event.fields["Foo"] == ["bar", "again"]
    assert user_event.get("foo") == "bar"
    assert [name for name, _ in user_event.headers][-3:] == ["Foo", "Agent", "Foo"]
    assert user_event.action_id == "wire-12"


def test_header_lookup_ignores_case() -> None:
    message = _parse_all(
        b"Asterisk Call Manager/11.0.0\r\nEvent: Hangup\r\nUniqueid: 17.1\r\nCause: 16\r\n\r\n"
    )[1]
    assert isinstance(message, AmiMessage)
    assert message.get("UNIQUEID") == "17.1"
    assert message.get("cause") == "16"
    assert message.get("Missing", "none") == "none"


def test_command_response_keeps_every_output_line() -> None:
    received = load_wire_scenario("ami_errors").ami_received_bytes()
    outputs = [m.output for m in _parse_all(received) if isinstance(m, AmiMessage) and m.get("Output")]
    assert ["System uptime: 21 minutes, 28 seconds", "Last reload: 21 minutes, 28 seconds"] in outputs
    assert any(out[0].startswith("No such command 'no such cli command'") for out in outputs)


def test_list_events_with_action_id_last_and_no_privilege_are_parsed() -> None:
    received = load_wire_scenario("ami_queue_actions").ami_received_bytes()
    member = next(m for m in _parse_all(received) if isinstance(m, AmiMessage) and m.name == "QueueMember")
    assert member.action_id == "wire-2"
    assert list(member.fields)[-1] == "ActionID"
    assert member.get("Privilege") is None


def test_values_containing_colon_space_stay_whole() -> None:
    received = load_wire_scenario("ami_errors").ami_received_bytes()
    messages = [m for m in _parse_all(received) if isinstance(m, AmiMessage)]
    assert any(m.get("Message", "").startswith("Invalid/unknown command: FooBarAction.") for m in messages)


def test_legacy_command_output_without_colons_is_kept_as_extra_lines() -> None:
    frame = (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\n"
        b"System uptime: 3 hours\r\nsome text line\r\n--END COMMAND--\r\n\r\n"
    )
    message = AmiFrameParser(expect_banner=False).feed(frame)[0]
    assert isinstance(message, AmiMessage)
    assert message.name == "Follows"
    assert message.action_id == "7"
    assert message.extra_lines == ("some text line", "--END COMMAND--")


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    message = AmiFrameParser(expect_banner=False).feed(
        b"Event: Newchannel\r\nCallerIDName: M\xfcller\r\n\r\n"
    )[0]
    assert isinstance(message, AmiMessage)
    assert message.get("CallerIDName") == "M\ufffdller"


def _big_core_show_channels_reply(size: int) -> bytes:
    received = load_wire_scenario("ami_coreshowchannels_status").ami_received_bytes()
    items = [m for m in received.split(b"\r\n\r\n") if m.startswith(b"Event: CoreShowChannel\r\n")]
    body = b"\r\n\r\n".join(items) + b"\r\n\r\n"
    reply = b"Response: Success\r\nActionID: 1\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
    return reply + body * (size // len(body) + 1)


def _time_feeding(data: bytes, chunk: int) -> tuple[float, int]:
    parser = AmiFrameParser(expect_banner=False)
    started = time.perf_counter()
    count = 0
    for start in range(0, len(data), chunk):
        count += len(parser.feed(data[start : start + chunk]))
    return time.perf_counter() - started, count


def test_parsing_is_linear_in_the_bytes_received_whatever_the_chunk_size() -> None:
    data = _big_core_show_channels_reply(4 * 1024 * 1024)
    whole_seconds, whole_count = min(_time_feeding(data, len(data)) for _ in range(3))
    chunked_seconds, chunked_count = min(_time_feeding(data, 4096) for _ in range(3))
    assert chunked_count == whole_count > 9000
    assert chunked_seconds < 3 * whole_seconds + 0.02


def test_one_huge_frame_arriving_in_small_chunks_is_parsed_in_linear_time() -> None:
    lines = b"".join(b"Output: line %d of a very long CLI answer\r\n" % i for i in range(100_000))
    data = b"Response: Success\r\nActionID: 1\r\nMessage: Command output follows\r\n" + lines + b"\r\n"
    whole_seconds, _ = min(_time_feeding(data, len(data)) for _ in range(3))
    chunked_seconds, count = min(_time_feeding(data, 1024) for _ in range(3))
    assert count == 1
    assert chunked_seconds < 3 * whole_seconds + 0.05
