"""DECP contract data: the officer imports the buyer's files; the legal figures per year."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.access import Officer, Staff
from api.errors import ApiError, responses
from services.decp import DecpImport, import_decp, year_summary

router = APIRouter(prefix="/decp", tags=["decp"], responses=responses(401, 403))
LARGEST_DECP = 10_000_000  # a région's year of contracts; the command line takes any size
Year = Annotated[int, Path(ge=2000, le=2100)]


class DecpImported(BaseModel):
    added: int
    replaced: int  # contracts stored before, now in their new version
    unchanged: int
    records: int  # records read in the file
    left_out: int  # other buyers' or other years' records
    skipped: list[str]  # with skip_invalid: the records left aside, located


@router.post("", response_model=DecpImported, responses=responses(413, 422))
async def import_decp_file(
    file: UploadFile,
    request: Request,
    person: Officer,
    siret: Annotated[list[str] | None, Query(max_length=14)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    skip_invalid: bool = False,
) -> DecpImported:
    """Store a DECP file's contracts (JSON or CSV) once each: the same file again changes
    nothing, a modified contract replaces its earlier version. With any bad record nothing is
    stored (422, every error located) unless `skip_invalid`. Only the organisation's SIRETs
    (`siret`, else the plan file's `organisation.sirets`) and `year`'s notifications are kept."""
    name = PurePath(file.filename or "decp.json").name[:200] or "decp.json"
    data = await file.read(LARGEST_DECP + 1)
    if len(data) > LARGEST_DECP:
        raise ApiError(413, "too_large", limit=LARGEST_DECP)

    def store() -> DecpImport:
        with request.app.state.sessions() as session:
            return import_decp(
                session,
                data,
                name,
                sirets=frozenset(siret or ()),
                year=year,
                skip_invalid=skip_invalid,
            )

    result = await run_in_threadpool(store)
    if result.stored is None:
        located = [
            {"record": e.position, "field": e.field, "message": e.message(), "text": e.format(name)}
            for e in result.errors
        ]
        raise ApiError(422, "decp_invalid", errors=located, count=len(located))
    return DecpImported(
        added=result.stored.added,
        replaced=result.stored.replaced,
        unchanged=result.stored.unchanged,
        records=result.records,
        left_out=result.left_out,
        skipped=[e.format(name) for e in result.skipped],
    )


@router.get("/{year}")
def read_decp_year(year: Year, request: Request, person: Staff) -> dict[str, Any]:
    """The year's legal figures from the stored contracts: each indicator's count, value and
    shares with the contracts behind it, per portfolio, and the art. 35 gaps to explain."""
    with request.app.state.sessions() as session:
        return year_summary(
            session, year, art35_from=request.app.state.settings.art35_from
        ).as_json()
