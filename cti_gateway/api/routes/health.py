"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from cti_gateway.api.dependencies import CurrentGateway
from cti_gateway.ports.pbx import LinkState

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: str


class ReadinessReport(BaseModel):
    """Each dependency's state; `ready` is true only when AMI and ARI are both connected and logged in."""

    ready: bool
    ami: LinkState
    ari: LinkState
    asterisk_version: str | None
    database: str


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """The process is alive and serving HTTP; says nothing about Asterisk."""
    return Liveness(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessReport,
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ReadinessReport}},
)
async def readyz(gateway: CurrentGateway, response: Response) -> ReadinessReport:
    """200 when AMI and ARI are both connected and logged in, 503 otherwise."""
    readiness = await gateway.readiness()
    if not readiness.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessReport(
        ready=readiness.ready,
        ami=readiness.ami,
        ari=readiness.ari,
        asterisk_version=readiness.asterisk_version,
        database=readiness.database,
    )
