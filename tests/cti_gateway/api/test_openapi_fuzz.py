"""Every REST operation in the gateway's OpenAPI spec, fuzzed by schemathesis, never answers 500.

The gateway is built as `serve` builds it, pointed at pbxsim in its own process, and served by uvicorn
on a real port (in a thread with its own event loop, since schemathesis calls synchronously). Every
request carries a valid admin token, so the fuzzing reaches past authentication into validation and
call control; some generated requests therefore place real (simulated) calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation

from cti_gateway.api.app import create_app
from cti_gateway.auth.tokens import issue_integration_token
from cti_gateway.wiring import build_gateway
from tests.cti_gateway.conftest import gateway_settings
from tests.support.processes import PbxsimProcess, free_port

pytestmark = pytest.mark.slow

AGENTS = [
    {"id": "1001", "name": "Ana Pérez", "endpoint": "Local/1001@agents"},
    {"id": "1002", "name": "Bruno Díaz", "endpoint": "Local/1002@agents"},
]
LONG_CALLS = (("__CUSTOMER_TALK_SECS", "600"), ("__AGENT_TALK_SECS", "600"))
"""Keep the simulated phones on the line, so a placed call stays up while it is being fuzzed."""
START_TIMEOUT = 30.0
MAX_EXAMPLES = 25
Operation = APIOperation[Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class FuzzTarget:
    """Where the served gateway listens, and the admin token every fuzzed request carries."""

    base_url: str
    admin_token: str


def _ready(readiness: dict[str, Any]) -> bool:
    """AMI and ARI up and the token table migrated (`ready` alone does not wait for the database)."""
    return bool(readiness["ready"]) and readiness["database"] == "ok"


class GatewayInThread:
    """The gateway and uvicorn on an event loop of their own, so synchronous tests can call it over HTTP."""

    def __init__(self, pbx: PbxsimProcess, tmp_path: Path) -> None:
        self._settings = gateway_settings(pbx, tmp_path, agents=AGENTS)
        self._port = free_port()
        self._ready = threading.Event()
        self._token = ""
        self._failure: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, name="gateway-under-fuzz", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test thread, which would otherwise wait in vain
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        gateway = await build_gateway(self._settings)
        gateway.control.channel_variables = LONG_CALLS
        self._server = uvicorn.Server(
            uvicorn.Config(create_app(gateway), host="127.0.0.1", port=self._port, log_config=None)
        )
        serving = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if serving.done():
                await serving  # raises why uvicorn could not start
                return
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            while not _ready((await http.get("/readyz")).json()):
                await asyncio.sleep(0.1)
        self._token = (await issue_integration_token(gateway.api_tokens, "openapi fuzz", ["admin"])).secret
        self._ready.set()
        await serving

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> FuzzTarget:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._failure is not None:
            raise RuntimeError(f"the gateway did not become ready: {self._failure!r}")
        return FuzzTarget(self.base_url, self._token)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=15)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    pbx = PbxsimProcess()
    pbx.start()
    served = GatewayInThread(pbx, tmp_path_factory.mktemp("fuzz"))
    try:
        yield served.start()
    finally:
        with contextlib.suppress(Exception):
            served.stop()
        pbx.kill()


class LiveCall:
    """A click-to-call that is up on pbxsim right now, so that fuzzed commands reach a real call too."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http
        self._call: dict[str, Any] | None = None

    def _refresh(self) -> dict[str, Any] | None:
        if self._call is None:
            return None
        response = self._http.get(f"/api/v1/calls/{self._call['call_id']}")
        call: dict[str, Any] | None = response.json() if response.status_code == 200 else None
        return call if call is not None and call["state"] != "ended" else None

    def get(self) -> dict[str, Any]:
        """The live call's view; places a new one (agent 1001 to customer 2001) when the last one ended."""
        if (call := self._refresh()) is not None:
            self._call = call
            return call
        placed = self._http.post("/api/v1/calls", json={"from": "1001", "to": "2001"})
        assert placed.status_code == 201, placed.text
        self._call = {"call_id": placed.json()["call_id"]}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            call = self._refresh()
            if call is not None and sum(p["state"] == "talking" for p in call["parties"]) >= 2:
                self._call = call
                return call
            time.sleep(0.05)
        raise AssertionError(f"the live call never connected: {self._call}")

    def transfer_id(self) -> str | None:
        """Start an attended transfer of the live call to agent 1002; its id, or None if refused."""
        call = self.get()
        response = self._http.post(
            f"/api/v1/calls/{call['call_id']}/transfer", json={"to": "1002", "mode": "attended"}
        )
        return str(response.json()["transfer_id"]) if response.status_code == 202 else None


def aim_at_live_call(case: schemathesis.Case[Any], data: st.DataObject, live: LiveCall) -> None:
    """Sometimes point a generated request at the live call (and its parties), or at a real agent."""
    body = case.body if isinstance(case.body, dict) else None
    if case.operation.label == "POST /api/v1/calls" and body is not None and data.draw(st.booleans()):
        body["from"] = data.draw(st.sampled_from(["1001", "1002", "Local/1001@agents"]))
        body["to"] = data.draw(st.sampled_from(["2001", "+34600100200", "600100200", "1999"]))
    if "transfer_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
        assert case.path_parameters is not None
        case.path_parameters["transfer_id"] = live.transfer_id() or case.path_parameters["transfer_id"]
    if "call_id" not in (case.path_parameters or {}) or not data.draw(st.booleans()):
        return
    call = live.get()
    assert case.path_parameters is not None
    case.path_parameters["call_id"] = call["call_id"]
    party_ids = [party["party_id"] for party in call["parties"]]
    if "party_id" in case.path_parameters:
        case.path_parameters["party_id"] = data.draw(st.sampled_from(party_ids))
    if body is not None and "party" in body and data.draw(st.booleans()):
        body["party"] = data.draw(st.sampled_from(party_ids))
    if body is not None and "from" in body and data.draw(st.booleans()):
        body["from"] = "1002"


def fuzz(operation: Operation, target: FuzzTarget, live: LiveCall, statuses: Counter[str]) -> str | None:
    """Send up to MAX_EXAMPLES generated requests to one operation; the first server error, described."""
    headers = {"Authorization": f"Bearer {target.admin_token}"}
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=cases, data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        report_multiple_bugs=False,
    )
    def send(case: schemathesis.Case[Any], data: st.DataObject) -> None:
        aim_at_live_call(case, data, live)
        response = case.call_and_validate(
            base_url=target.base_url, headers=headers, checks=[not_a_server_error], timeout=10
        )
        statuses[f"{operation.label} {response.status_code}"] += 1

    try:
        send()
    except FailureGroup as failure:
        return f"{operation.label}: {failure}"
    return None


def test_no_operation_in_the_openapi_spec_answers_a_server_error(target: FuzzTarget) -> None:
    schema = schemathesis.openapi.from_url(f"{target.base_url}/openapi.json")
    results = list(schema.get_all_operations())
    unusable = [str(result.err()) for result in results if isinstance(result, Err)]
    operations = [result.ok() for result in results if not isinstance(result, Err)]
    statuses: Counter[str] = Counter()
    headers = {"Authorization": f"Bearer {target.admin_token}"}

    with httpx.Client(base_url=target.base_url, headers=headers, timeout=10) as http:
        live = LiveCall(http)
        failures = [found for op in operations if (found := fuzz(op, target, live, statuses)) is not None]

    assert not unusable, f"operations schemathesis cannot read from the spec: {unusable}"
    assert len(operations) >= 16, [operation.label for operation in operations]
    assert not failures, "\n\n".join(failures)
    assert statuses["POST /api/v1/calls 201"] > 0, f"no generated call was ever placed: {statuses}"
    assert statuses["POST /api/v1/calls/{call_id}/hold 202"] > 0, f"nothing reached a live call: {statuses}"
    assert statuses["GET /api/v1/transfers/{transfer_id} 200"] > 0, f"no transfer was fuzzed: {statuses}"
