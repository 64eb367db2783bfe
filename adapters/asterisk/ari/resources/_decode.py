"""Turning ARI response bodies into models, with an `AriError` (not a pydantic trace) when they do not fit."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from adapters.asterisk.ari.errors import AriError

ModelT = TypeVar("ModelT", bound=BaseModel)


def as_model(model: type[ModelT], data: Any, what: str) -> ModelT:
    """`data` validated as `model`; `what` names the request in the error message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AriError(f"ARI answered {what} with a body that is not a {model.__name__}: {exc}") from exc


def as_models(model: type[ModelT], data: Any, what: str) -> list[ModelT]:
    """A JSON list validated item by item as `model`."""
    if not isinstance(data, list):
        raise AriError(f"ARI answered {what} with {type(data).__name__}, expected a list of {model.__name__}")
    return [as_model(model, item, what) for item in data]
