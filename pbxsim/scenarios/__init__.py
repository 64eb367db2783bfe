"""Named, seeded traffic scenarios: `idle` (nothing), `inbound` (steady queue calls), `mixed`."""

from __future__ import annotations

import asyncio
import contextlib

from pbxsim.engine import Engine, EngineError

SCENARIOS = ("idle", "inbound", "mixed")


class UnknownScenario(ValueError):
    """The scenario name is not one of SCENARIOS."""


def _caller_number(engine: Engine) -> str:
    """A realistic E.164 caller (Spanish/UK/US ranges), drawn from the seeded RNG."""
    prefix = engine.rng.choice(["+3491", "+3493", "+44207", "+1212"])
    return prefix + "".join(str(engine.rng.randrange(10)) for _ in range(12 - len(prefix) + 1))


async def _inbound(engine: Engine, mean_gap: float, mixed: bool) -> None:
    while True:
        await engine.sleep(engine.rng.expovariate(1.0 / mean_gap))
        queue = engine.rng.choice(["sales", "support"]) if mixed else "sales"
        variables = [
            ("CALLER_NUM", _caller_number(engine)),
            ("CALLER_NAME", engine.rng.choice(["Ana Garcia", "John Smith", "Li Wei", ""])),
            ("CUSTOMER_TALK_SECS", str(engine.rng.randrange(30, 120))),
            ("__AGENT_TALK_SECS", str(engine.rng.randrange(20, 90))),
        ]
        exten = queue
        if mixed and engine.rng.random() < 0.2:
            engine.spawn(
                _swallow(
                    engine.originate(
                        f"Local/{engine.rng.choice(['2', '3', '4', '7'])}001@customers",
                        context="util",
                        exten="wait",
                        timeout=20,
                    )
                )
            )
            continue
        engine.spawn(
            _swallow(
                engine.originate(
                    "Local/2001@customers", context="queue-in", exten=exten, timeout=30, variables=variables
                )
            )
        )


async def _swallow(coro: object) -> None:
    with contextlib.suppress(EngineError, asyncio.CancelledError):
        await coro  # type: ignore[misc]


def start_scenario(engine: Engine, name: str) -> asyncio.Task[None] | None:
    """Start the named scenario's traffic as an engine task (None for idle)."""
    if name not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    if name == "idle":
        return None
    return engine.spawn(_inbound(engine, mean_gap=20.0, mixed=name == "mixed"))
