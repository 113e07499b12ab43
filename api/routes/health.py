"""Is the service up: database and workflow engine reachable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.access import anyone
from api.models import Health

router = APIRouter(tags=["health"], dependencies=[anyone("no token: for load balancers")])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def read_health(request: Request) -> JSONResponse:
    database = True
    try:
        with request.app.state.sessions() as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        database = False
    temporal = False
    client = request.app.state.temporal or await request.app.state.connect_temporal()
    if client is not None:
        try:
            temporal = await client.service_client.check_health()
        except Exception:  # noqa: BLE001
            temporal = False
    ok = database and temporal
    body = Health(status="ok" if ok else "degraded", database=database, temporal=temporal)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
