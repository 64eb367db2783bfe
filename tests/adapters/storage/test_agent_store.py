"""Agents added through the API, kept in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from adapters.storage import Database, SqlAgentStore
from cti_gateway.agents import AgentAlreadyStored
from cti_gateway.ports.store import InvalidRecord
from cti_gateway.screen_pops import Agent

LIA = Agent("1042", "Lía Gómez", "PJSIP/1042")


async def test_stored_agents_come_back_by_id(database: Database) -> None:
    store = SqlAgentStore(database)

    await store.add(Agent("2001", "Zoe", "PJSIP/2001"))
    await store.add(LIA)

    assert await store.list_all() == [LIA, Agent("2001", "Zoe", "PJSIP/2001")]


async def test_a_second_agent_with_the_same_id_is_refused(database: Database) -> None:
    store = SqlAgentStore(database)
    await store.add(LIA)

    with pytest.raises(AgentAlreadyStored, match="1042"):
        await store.add(Agent("1042", "Other", "PJSIP/9999"))

    assert await store.list_all() == [LIA]


async def test_replace_changes_name_and_phone_and_remove_forgets(database: Database) -> None:
    store = SqlAgentStore(database)
    await store.add(LIA)

    await store.replace(Agent("1042", "Lía G.", "Local/1042@agents"))
    changed = await store.list_all()
    removed = await store.remove("1042")
    removed_again = await store.remove("1042")

    assert changed == [Agent("1042", "Lía G.", "Local/1042@agents")]
    assert (removed, removed_again) == (True, False)
    assert await store.list_all() == []


async def test_a_value_too_long_for_its_column_is_refused_before_the_database(database: Database) -> None:
    with pytest.raises(InvalidRecord, match="endpoint"):
        await SqlAgentStore(database).add(Agent("1042", "Lía", "PJSIP/" + "x" * 300))
