"""The HTTP CRM directory, against a real local HTTP server (and httpx.MockTransport for edge cases)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from adapters.directories import HttpCustomerDirectory, json_path, open_customer_directory
from cti_gateway.directory import CustomerLookup, DirectoryMisconfigured, DirectoryUnavailable, LookupOutcome
from cti_gateway.settings import DirectorySettings

ANA = {
    "id": "C-1001",
    "contact": {"name": "Ana García", "company": "Talleres García SL"},
    "tier": {"vip": True, "segment": "gold"},
    "plan": {"name": "50 hours", "hours": 50, "used": 63},
    "cases": [{"id": "CS-77", "subject": "Router drops"}],
    "offers": ["Upgrade to the 100-hour plan?"],
}


class FakeCrm(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        FakeCrm.requests.append(self.path)
        parts = urlsplit(self.path)
        if parts.path.startswith("/slow/"):
            time.sleep(1.0)
        if parts.path.startswith("/down/"):
            self._answer(503, b'{"error": "maintenance"}')
        elif parts.path.startswith("/html/"):
            self._answer(200, b"<html>login</html>", "text/html")
        elif parts.path == "/search":
            phone = parse_qs(parts.query).get("phone", [""])[0]
            self._answer(200, json.dumps([ANA] if phone == "+34911234567" else []).encode())
        elif unquote(parts.path.rsplit("/", 1)[-1]) == "+34911234567":
            self._answer(200, json.dumps(ANA).encode())
        else:
            self._answer(404, b'{"error": "not found"}')

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def crm() -> Iterator[str]:
    FakeCrm.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCrm)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


FIELD_MAP = {
    "name": "contact.name",
    "company": "contact.company",
    "vip": "tier.vip",
    "segment": "tier.segment",
    "plan_hours": "plan.hours",
    "used_hours": "plan.used",
    "open_case": "cases.0.subject",
    "next_best_offer": "offers.0",
    "churn_risk": "scores.churn",
}


async def test_the_field_map_picks_record_fields_out_of_the_crm_json(crm: str) -> None:
    directory = HttpCustomerDirectory(f"{crm}/customers/{{number}}", field_map=FIELD_MAP)
    try:
        record = await directory.lookup("+34911234567")
    finally:
        await directory.aclose()
    assert record is not None
    assert record.fields == {
        "name": "Ana García",
        "company": "Talleres García SL",
        "vip": True,
        "segment": "gold",
        "plan_hours": 50,
        "used_hours": 63,
        "open_case": "Router drops",
        "next_best_offer": "Upgrade to the 100-hour plan?",
        "churn_risk": None,
    }
    assert FakeCrm.requests == ["/customers/%2B34911234567"]


async def test_without_a_field_map_every_top_level_member_becomes_a_field(crm: str) -> None:
    directory = HttpCustomerDirectory(f"{crm}/customers/{{number}}")
    try:
        record = await directory.lookup("+34911234567")
    finally:
        await directory.aclose()
    assert record is not None
    assert record.fields == ANA


async def test_a_404_is_no_customer(crm: str) -> None:
    directory = HttpCustomerDirectory(f"{crm}/customers/{{number}}")
    try:
        assert await directory.lookup("+442079460018") is None
    finally:
        await directory.aclose()


async def test_a_search_endpoint_answering_an_array_uses_its_first_element(crm: str) -> None:
    directory = HttpCustomerDirectory(f"{crm}/search?phone={{number}}", field_map={"name": "contact.name"})
    try:
        record = await directory.lookup("+34911234567")
        assert record is not None
        assert record.fields == {"name": "Ana García"}
        assert await directory.lookup("+442079460018") is None
    finally:
        await directory.aclose()


async def test_a_crm_that_answers_too_slowly_is_unavailable_and_the_lookup_falls_back(crm: str) -> None:
    directory = HttpCustomerDirectory(f"{crm}/slow/{{number}}", timeout=0.2)
    try:
        with pytest.raises(DirectoryUnavailable, match="did not answer in time"):
            await directory.lookup("+34911234567")
        lookup = CustomerLookup(directory, default_region="ES", timeout=0.1)
        result = await lookup.find("911234567")
        assert result.outcome is LookupOutcome.UNAVAILABLE
    finally:
        await directory.aclose()


@pytest.mark.parametrize(("path", "message"), [("down", "answered 503"), ("html", "not JSON")])
async def test_server_errors_and_non_json_answers_are_unavailable(crm: str, path: str, message: str) -> None:
    directory = HttpCustomerDirectory(f"{crm}/{path}/{{number}}")
    try:
        with pytest.raises(DirectoryUnavailable, match=message):
            await directory.lookup("+34911234567")
    finally:
        await directory.aclose()


async def test_a_crm_nobody_listens_on_is_unavailable() -> None:
    directory = HttpCustomerDirectory("http://127.0.0.1:9/customers/{number}")
    try:
        with pytest.raises(DirectoryUnavailable, match="unreachable"):
            await directory.lookup("+34911234567")
    finally:
        await directory.aclose()


async def test_the_settings_open_an_http_directory_with_its_url_and_field_map(crm: str) -> None:
    settings = DirectorySettings(
        kind="http", url=f"{crm}/customers/{{number}}", field_map={"name": "contact.name"}
    )
    directory = await open_customer_directory(settings, default_region="ES")
    try:
        record = await CustomerLookup.from_settings(directory, settings, default_region="ES").lookup(
            "911 23 45 67"
        )
        assert record is not None
        assert record.fields == {"name": "Ana García"}
    finally:
        await directory.aclose()


@pytest.mark.parametrize(
    ("body", "found"),
    [(b"null", False), (b"[]", False), (b"", False), (b'{"name": "x"}', True), (b'[{"name": "x"}]', True)],
)
async def test_null_and_empty_answers_are_no_customer(body: bytes, found: bool) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    directory = HttpCustomerDirectory("https://crm.example/c/{number}", transport=transport)
    try:
        assert (await directory.lookup("+34911234567") is not None) is found
    finally:
        await directory.aclose()


async def test_a_json_answer_that_is_no_object_is_unavailable() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json="Ana"))
    directory = HttpCustomerDirectory("https://crm.example/c/{number}", transport=transport)
    try:
        with pytest.raises(DirectoryUnavailable, match="JSON str, not an object"):
            await directory.lookup("+34911234567")
    finally:
        await directory.aclose()


async def test_configured_headers_are_sent_for_crm_authentication() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    directory = HttpCustomerDirectory(
        "https://crm.example/c/{number}",
        headers={"Authorization": "Bearer s3cret"},
        transport=httpx.MockTransport(answer),
    )
    try:
        await directory.lookup("+34911234567")
    finally:
        await directory.aclose()
    assert seen[0].headers["Authorization"] == "Bearer s3cret"
    assert seen[0].headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("url", "field_map", "message"),
    [
        ("https://crm.example/customers", {}, "must contain {number}"),
        ("ftp://crm.example/{number}", {}, "must start with http"),
        ("https://crm.example/{number}", {"name": "contact..name"}, "dotted JSON path"),
    ],
)
def test_a_bad_url_template_or_field_map_is_refused(
    url: str, field_map: dict[str, str], message: str
) -> None:
    with pytest.raises(DirectoryMisconfigured, match=message):
        HttpCustomerDirectory(url, field_map=field_map)


def test_json_paths_walk_objects_and_array_indexes() -> None:
    assert json_path(ANA, "contact.name") == "Ana García"
    assert json_path(ANA, "cases.0.id") == "CS-77"
    assert json_path(ANA, "cases.-1.id") == "CS-77"
    assert json_path(ANA, "cases.5.id") is None
    assert json_path(ANA, "contact.name.first") is None
    assert json_path(ANA, "plan") == {"name": "50 hours", "hours": 50, "used": 63}
