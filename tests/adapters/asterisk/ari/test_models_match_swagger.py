"""Every typed ARI model uses only field names that Asterisk 22's own Swagger description defines."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel

from adapters.asterisk.ari import models
from adapters.asterisk.ari.models import EVENT_MODELS, AriEvent, GenericEvent
from tests.support.wire import ASTERISK_REFERENCE

SWAGGER_DIR = ASTERISK_REFERENCE / "ari-api-docs"

RESOURCE_MODELS: list[type[BaseModel]] = [
    models.Channel,
    models.Bridge,
    models.Playback,
    models.LiveRecording,
    models.StoredRecording,
    models.CallerID,
    models.DialplanCEP,
    models.AsteriskInfo,
    models.BuildInfo,
    models.SystemInfo,
    models.ConfigInfo,
    models.SetId,
    models.StatusInfo,
    models.Application,
    models.Variable,
]

REQUIRED_EVENTS = {
    "StasisStart",
    "StasisEnd",
    "ChannelStateChange",
    "ChannelDtmfReceived",
    "PlaybackStarted",
    "PlaybackFinished",
    "ChannelHangupRequest",
    "ChannelDestroyed",
    "ChannelEnteredBridge",
    "ChannelLeftBridge",
    "Dial",
    "ChannelVarset",
    "RecordingStarted",
    "RecordingFinished",
    "BridgeCreated",
    "BridgeDestroyed",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelDialplan",
    "ApplicationMoveFailed",
}


@cache
def swagger_models() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(SWAGGER_DIR.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8"))["models"])
    return merged


def swagger_properties(name: str) -> set[str]:
    """A model's properties including those inherited through `subTypes` (Event ← Message)."""
    all_models = swagger_models()
    props = set(all_models[name].get("properties", {}))
    for parent_name, parent in all_models.items():
        if name in parent.get("subTypes", []):
            props |= swagger_properties(parent_name)
    return props


@pytest.mark.parametrize("model", RESOURCE_MODELS, ids=lambda m: m.__name__)
def test_resource_model_fields_exist_in_the_swagger_model_of_the_same_name(model: type[BaseModel]) -> None:
    assert model.__name__ in swagger_models()
    unknown = set(model.model_fields) - swagger_properties(model.__name__)
    assert not unknown, f"{model.__name__} has fields Asterisk does not define: {unknown}"


@pytest.mark.parametrize("model", RESOURCE_MODELS, ids=lambda m: m.__name__)
def test_resource_model_covers_every_swagger_property(model: type[BaseModel]) -> None:
    missing = swagger_properties(model.__name__) - set(model.model_fields)
    assert not missing, f"{model.__name__} lacks Swagger properties {missing}"


@pytest.mark.parametrize("name", sorted(EVENT_MODELS))
def test_event_model_fields_exist_in_the_swagger_event_of_the_same_name(name: str) -> None:
    model = EVENT_MODELS[name]
    assert model.__name__ == name
    assert name in swagger_models()["Event"]["subTypes"]
    properties = swagger_properties(name)
    assert set(model.model_fields) <= properties, set(model.model_fields) - properties
    assert properties <= set(model.model_fields), f"{name} lacks Swagger properties"


def test_every_event_the_gateway_uses_has_a_typed_model() -> None:
    assert set(EVENT_MODELS) == REQUIRED_EVENTS


def test_base_event_fields_are_the_swagger_message_and_event_properties() -> None:
    assert set(AriEvent.model_fields) == swagger_properties("Event")
    assert set(GenericEvent.model_fields) == set(AriEvent.model_fields)
