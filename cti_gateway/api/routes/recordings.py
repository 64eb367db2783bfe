"""`/api/v1/recordings`: list, describe and download the call recordings the PBX keeps.

All need `calls:read`; an agent token sees only recordings of calls it was on (others answer 404).
The audio streams from the PBX (ARI) through the gateway with the PBX's content type (`audio/wav`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask

from cti_gateway.auth.dependencies import CallsReader
from cti_gateway.recordings import (
    InvalidRecordingName,
    RecordingEntry,
    RecordingError,
    RecordingNotFound,
    RecordingService,
    RecordingsUnavailable,
    RecordingUnreadable,
    check_recording_name,
)
from cti_gateway.recordings.schemas import RecordingInfo, RecordingList

RETRY_AFTER_SECONDS = 5
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
"""What may not appear in the suggested download file name (quotes, non-ASCII …)."""
_PREFIX = "/api/v1"


def _error_response(error: RecordingError) -> JSONResponse:
    if isinstance(error, InvalidRecordingName):
        detail = [{"type": "value_error", "loc": ["path", error.field], "msg": error.message}]
        return JSONResponse({"detail": detail}, status_code=422)
    if isinstance(error, RecordingNotFound):
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)
    if isinstance(error, RecordingUnreadable):
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_502_BAD_GATEWAY)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(error, RecordingsUnavailable) else None
    return JSONResponse({"detail": str(error)}, status_code=503, headers=headers)


class RecordingRoute(APIRoute):
    """An APIRoute that answers `RecordingError`s itself, so the routes stay free of try/except."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RecordingError as error:
                return _error_response(error)

        return handle


router = APIRouter(prefix=_PREFIX, tags=["recordings"], route_class=RecordingRoute)

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid token."},
    403: {"description": "The token lacks `calls:read`."},
    503: {"description": "The PBX's recordings (ARI) are unreachable. Retry after Retry-After seconds."},
}
_ONE_ERRORS: dict[int | str, dict[str, str]] = {
    **_ERRORS,
    404: {"description": "No such recording, or it is not of one of this agent's calls."},
    422: {"description": "The name holds a path separator or a control character (`loc` names it)."},
    502: {"description": "Asterisk lists the recording but cannot open its file."},
}


class RecordingsNotConfigured(RuntimeError):
    """The app was built without `app.state.recordings`; the composition root must set it."""


def get_recordings(request: Request) -> RecordingService:
    service = getattr(request.app.state, "recordings", None)
    if not isinstance(service, RecordingService):
        raise RecordingsNotConfigured("app.state.recordings must be a RecordingService (see wiring.py)")
    return service


Recordings = Annotated[RecordingService, Depends(get_recordings)]


def _info(entry: RecordingEntry) -> RecordingInfo:
    return RecordingInfo(
        name=entry.name,
        format=entry.format,
        call_id=entry.call_id,
        agent_ids=list(entry.agent_ids),
        started_at=entry.started_at,
        file_url=f"{_PREFIX}/recordings/{entry.name}/file",
    )


@router.get("/recordings", response_model=RecordingList, responses=_ERRORS)
async def list_recordings(principal: CallsReader, recordings: Recordings) -> RecordingList:
    """Every recording this token may hear: all for an integration, an agent's own calls' for an agent."""
    return RecordingList(recordings=[_info(e) for e in await recordings.list(principal)])


@router.get("/recordings/{name}", response_model=RecordingInfo, responses=_ONE_ERRORS)
async def get_recording(name: str, principal: CallsReader, recordings: Recordings) -> RecordingInfo:
    """One recording's description and the call it belongs to."""
    return _info(await recordings.describe(principal, name))


@router.get(
    "/recordings/{name}/file",
    response_class=StreamingResponse,
    responses={**_ONE_ERRORS, 200: {"content": {"audio/wav": {}}, "description": "The recording's audio."}},
)
async def download_recording(name: str, principal: CallsReader, recordings: Recordings) -> StreamingResponse:
    """The recording's audio, streamed from the PBX with its content type (`audio/wav`)."""
    audio = await recordings.open(principal, name)
    extension = _SAFE_FILENAME.sub("_", audio.content_type.rpartition("/")[2])
    headers = {"Content-Disposition": f'attachment; filename="{_SAFE_FILENAME.sub("_", name)}.{extension}"'}
    if audio.size is not None:
        headers["Content-Length"] = str(audio.size)
    return StreamingResponse(
        audio.chunks, media_type=audio.content_type, headers=headers, background=BackgroundTask(audio.aclose)
    )


@router.get("/recordings/{name:path}", include_in_schema=False)
async def refuse_path_in_name(name: str, principal: CallsReader) -> None:
    """A name holding '/' (sent as %2F, decoded before routing) would address another file: 422, never 404."""
    check_recording_name(name)
    raise InvalidRecordingName("name", "must be a plain recording name without '/'")
