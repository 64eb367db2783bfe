"""The REST bodies of `/api/v1/recordings`; their names are a public contract."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RecordingInfo(BaseModel):
    """A recording the PBX keeps; `call_id` and `agent_ids` are known for recordings the gateway started."""

    name: str = Field(description="The PBX's name for it: the `recording_id` of POST /calls/{id}/recording.")
    format: str = Field(description="The file's format as the PBX names it (`wav`).")
    call_id: str | None = Field(description="The recorded call; null if the gateway did not start it.")
    agent_ids: list[str] = Field(description="The agents on the call when recording started.")
    started_at: datetime | None
    file_url: str = Field(description="Where to download the audio.")


class RecordingList(BaseModel):
    recordings: list[RecordingInfo]
