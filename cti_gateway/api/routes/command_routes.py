"""Command routes: actions on a call or transfer that answer 202 once Asterisk took them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, status
from pydantic import BaseModel

from cti_gateway.call_control import schemas

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class CommandRoute(Protocol):
    def __call__(
        self, path: str, response_model: type[BaseModel] = ..., *, method: str = ...
    ) -> Callable[[Endpoint], Endpoint]: ...


def command_routes(router: APIRouter, errors: Mapping[int | str, dict[str, str]]) -> CommandRoute:
    """A decorator factory for `router`'s command routes; their effect arrives later as `call.*` events."""

    def accepted(
        path: str, response_model: type[BaseModel] = schemas.CommandAccepted, *, method: str = "POST"
    ) -> Callable[[Endpoint], Endpoint]:
        return router.api_route(
            path,
            methods=[method],
            status_code=status.HTTP_202_ACCEPTED,
            response_model=response_model,
            responses=dict(errors),
        )

    return accepted
