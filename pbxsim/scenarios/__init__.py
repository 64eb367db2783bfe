"""Named, seeded traffic scenarios: `idle` (nothing), `inbound` (steady queue calls), `mixed`.

A scenario is a pure plan (`call_plan`): the same name and seed always give the same calls, with the
same caller numbers at the same simulated times, whatever else the engine does (it has its own random
generator, apart from the engine's). `start_scenario` plays the plan on an engine and can log outcomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

from pbxsim.engine import Engine, EngineError

SCENARIOS = ("idle", "inbound", "mixed")
MEAN_GAP_SECONDS = 20.0


class UnknownScenario(ValueError):
    """The scenario name is not one of SCENARIOS."""


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One call of a scenario: when (simulated seconds after the start), where to, with which variables."""

    at: float
    endpoint: str
    context: str
    exten: str
    variables: tuple[tuple[str, str], ...] = ()
    timeout: float = 30.0

    @property
    def caller_number(self) -> str:
        """The caller id the call presents (CALLER_NUM), empty for outbound test calls."""
        return dict(self.variables).get("CALLER_NUM", "")


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What became of a planned call: its Originate reason (4 answered, 5 busy, 3 no answer …)."""

    call: PlannedCall
    reason: int


def _caller_number(rng: random.Random) -> str:
    """A valid E.164 caller: Madrid or Barcelona (+34 91/93), London (+44 20 7) or New York (+1 212)."""
    prefix = rng.choice(["+3491", "+3493", "+44207", "+1212"])
    subscriber = str(rng.randrange(2, 10)) + "".join(str(rng.randrange(10)) for _ in range(6))
    return prefix + subscriber


def call_plan(name: str, seed: int) -> Iterator[PlannedCall]:
    """The endless, reproducible call plan of a scenario."""
    if name not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    if name == "idle":
        return
    rng = random.Random(f"pbxsim-scenario:{name}:{seed}")
    mixed = name == "mixed"
    at = 0.0
    while True:
        at += rng.expovariate(1.0 / MEAN_GAP_SECONDS)
        if mixed and rng.random() < 0.2:
            number = rng.choice(["2", "3", "4", "7"]) + "001"
            yield PlannedCall(at, f"Local/{number}@customers", "util", "wait", timeout=20.0)
            continue
        queue = rng.choice(["sales", "support"]) if mixed else "sales"
        variables = (
            ("CALLER_NUM", _caller_number(rng)),
            ("CALLER_NAME", rng.choice(["Ana Garcia", "John Smith", "Li Wei", ""])),
            ("CUSTOMER_TALK_SECS", str(rng.randrange(30, 120))),
            ("__AGENT_TALK_SECS", str(rng.randrange(20, 90))),
        )
        yield PlannedCall(at, "Local/2001@customers", "queue-in", queue, variables)


async def _play(engine: Engine, plan: Iterator[PlannedCall], log: list[CallOutcome] | None) -> None:
    started = 0.0
    for call in plan:
        await engine.sleep(call.at - started)
        started = call.at
        engine.spawn(_place(engine, call, log))


async def _place(engine: Engine, call: PlannedCall, log: list[CallOutcome] | None) -> None:
    with contextlib.suppress(EngineError, asyncio.CancelledError):
        outcome = await engine.originate(
            call.endpoint,
            context=call.context,
            exten=call.exten,
            timeout=call.timeout,
            variables=list(call.variables),
        )
        if log is not None:
            log.append(CallOutcome(call, outcome.reason))


def start_scenario(
    engine: Engine, name: str, *, log: list[CallOutcome] | None = None
) -> asyncio.Task[None] | None:
    """Start the named scenario's traffic as an engine task (None for idle); outcomes go to `log`."""
    if name not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    plan = call_plan(name, engine.config.seed)
    if name == "idle":
        return None
    return engine.spawn(_play(engine, plan, log))
