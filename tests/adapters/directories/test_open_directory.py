"""The `directory:` settings choose and open an adapter; the demo directory pops real-looking records."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from adapters.directories import CsvCustomerDirectory, open_customer_directory
from cti_gateway.directory import CustomerLookup, DirectoryMisconfigured
from cti_gateway.screen_pops import AgentDirectory
from cti_gateway.settings import DirectorySettings, load_settings
from pbxsim.scenarios import call_plan

DEMO = Path(__file__).resolve().parents[3] / "config" / "demo" / "gateway.yaml"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (DirectorySettings(kind="csv"), "directory.path is required for kind csv"),
        (DirectorySettings(kind="sql"), "directory.url is required for kind sql"),
        (DirectorySettings(kind="http"), "directory.url is required for kind http"),
        (DirectorySettings(kind="http", url="https://crm/customers"), "must contain {number}"),
    ],
)
async def test_incomplete_directory_settings_are_refused_naming_the_setting(
    settings: DirectorySettings, message: str
) -> None:
    with pytest.raises(DirectoryMisconfigured, match=message):
        await open_customer_directory(settings, default_region="ES")


async def test_the_demo_settings_open_the_sample_customer_file_without_a_bad_row() -> None:
    settings = load_settings(DEMO)
    assert settings.directory is not None
    directory = await open_customer_directory(settings.directory, default_region=settings.default_region)
    assert isinstance(directory, CsvCustomerDirectory)
    assert directory.problems == ()
    assert 20 <= len(directory) <= 40


async def test_the_demo_directory_knows_most_callers_of_the_inbound_scenario() -> None:
    settings = load_settings(DEMO)
    assert settings.directory is not None
    directory = await open_customer_directory(settings.directory, default_region=settings.default_region)
    lookup = CustomerLookup.from_settings(
        directory, settings.directory, default_region=settings.default_region
    )
    callers = [call.caller_number for call in itertools.islice(call_plan("inbound", 1), 40)]
    records = [await lookup.lookup(number) for number in callers]
    found = [record for record in records if record is not None]
    assert len(found) >= 30
    assert len(found) < len(callers), "a few unknown callers show the empty pop too"
    assert any(record.vip for record in found)
    upsells = [
        r
        for r in found
        if isinstance(r.fields["plan_hours"], int) and r.fields["used_hours"] > r.fields["plan_hours"] > 0
    ]
    assert upsells
    assert all(str(r.fields["next_best_offer"]).endswith("plan?") for r in upsells), (
        "over-plan callers get an upsell"
    )


def test_the_demo_agents_resolve_from_the_queue_member_interfaces() -> None:
    agents = AgentDirectory(load_settings(DEMO).agents)
    assert [agents.agent_for(f"Local/100{n}@agents/n") for n in range(1, 6)] == [
        "1001",
        "1002",
        "1003",
        "1004",
        "1005",
    ]
