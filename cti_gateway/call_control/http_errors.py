"""How call-control failures look over HTTP: one status per failure, and 422s in FastAPI's own shape."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from cti_gateway.call_control.errors import (
    ActionNotAllowed,
    CallControlError,
    CallNotFound,
    IdempotencyConflict,
    IdempotencyKeyReused,
    InvalidField,
    NotYourCall,
    OriginateFailed,
    PartyNotFound,
    PbxRefused,
    PbxUnavailable,
    TransferNotFound,
)

PBX_RETRY_AFTER_SECONDS = 5

_STATUS: tuple[tuple[type[CallControlError], int], ...] = (
    (CallNotFound, status.HTTP_404_NOT_FOUND),
    (PartyNotFound, status.HTTP_404_NOT_FOUND),
    (TransferNotFound, status.HTTP_404_NOT_FOUND),
    (NotYourCall, status.HTTP_403_FORBIDDEN),
    (ActionNotAllowed, status.HTTP_409_CONFLICT),
    (IdempotencyConflict, status.HTTP_409_CONFLICT),
    (IdempotencyKeyReused, 422),
    (OriginateFailed, status.HTTP_409_CONFLICT),
    (PbxRefused, status.HTTP_409_CONFLICT),
    (PbxUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)

_HEADER_FIELDS = frozenset({"Idempotency-Key"})


def error_response(error: CallControlError) -> JSONResponse:
    """The JSON answer for a call-control failure."""
    if isinstance(error, InvalidField):
        location = "header" if error.field in _HEADER_FIELDS else "body"
        return JSONResponse(
            {"detail": [{"type": "value_error", "loc": [location, error.field], "msg": error.message}]},
            status_code=422,
        )
    code = next((code for kind, code in _STATUS if isinstance(error, kind)), status.HTTP_409_CONFLICT)
    headers = {"Retry-After": str(PBX_RETRY_AFTER_SECONDS)} if isinstance(error, PbxUnavailable) else None
    body: dict[str, Any] = {"detail": str(error)}
    if isinstance(error, OriginateFailed) and error.reason:
        body["reason"] = error.reason
    return JSONResponse(body, status_code=code, headers=headers)


class CallControlRoute(APIRoute):
    """An APIRoute that answers `CallControlError`s itself, so the routes stay free of try/except."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except CallControlError as error:
                return error_response(error)

        return handle
