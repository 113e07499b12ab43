"""Indicators: their definitions and the values submitted for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import col, func, select

from api.access import Officer, OwnReader, Reader, buyer_portfolios, sees_everything
from api.deps import SessionDep
from api.errors import ApiError, responses
from api.models import IndicatorPublic, IndicatorValuePublic
from api.paging import PageDep
from domain.values_csv import CsvError
from store.tables import Indicator, IndicatorValue
from store.values import import_values

router = APIRouter(prefix="/indicators", tags=["indicators"], responses=responses(401, 403))


@router.get("", response_model=list[IndicatorPublic])
def read_indicators(session: SessionDep, person: Reader) -> list[IndicatorPublic]:
    rows = session.exec(select(Indicator).order_by(col(Indicator.id)))
    return [IndicatorPublic.model_validate(row, from_attributes=True) for row in rows]


class ValuesImported(BaseModel):
    stored: int


LARGEST_CSV = 2_000_000


@router.post(
    "/values",
    response_model=ValuesImported,
    responses=responses(413, 415, 422),
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_values_csv(request: Request, person: Officer) -> ValuesImported:
    """Values in bulk from a CSV (indicator, portfolio, period, value[, comment, source]);
    with any error, nothing is stored and each error is listed with its line and column."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("text/csv", "text/plain", "application/csv"):
        raise ApiError(415, "csv_media_type")
    raw = await request.body()
    if len(raw) > LARGEST_CSV:
        raise ApiError(413, "too_large", limit=LARGEST_CSV)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "csv_unreadable") from None

    def store() -> tuple[int, list[CsvError]]:
        with request.app.state.sessions() as session:
            return import_values(session, text, person.id)

    stored, errors = await run_in_threadpool(store)
    if errors:
        located = [
            {"line": e.line, "column": e.column, "message": e.message, "text": e.format("csv")}
            for e in errors
        ]
        raise ApiError(422, "csv_invalid", errors=located, count=len(errors))
    return ValuesImported(stored=stored)


@router.get("/{indicator_id}", response_model=IndicatorPublic, responses=responses(404))
def read_indicator(
    indicator_id: Annotated[str, Path(max_length=64)], session: SessionDep, person: Reader
) -> IndicatorPublic:
    row = session.get(Indicator, indicator_id)
    if row is None:
        raise ApiError(404, "no_indicator", indicator=indicator_id)
    return IndicatorPublic.model_validate(row, from_attributes=True)


@router.get(
    "/{indicator_id}/values", response_model=list[IndicatorValuePublic], responses=responses(404)
)
def read_indicator_values(
    indicator_id: Annotated[str, Path(max_length=64)],
    request: Request,
    response: Response,
    session: SessionDep,
    person: OwnReader,
    page: PageDep,
    portfolio: str | None = None,
) -> list[IndicatorValuePublic]:
    """Values in the order they were recorded; a buyer sees their portfolios' values."""
    if session.get(Indicator, indicator_id) is None:
        raise ApiError(404, "no_indicator", indicator=indicator_id)
    query = select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id)
    if portfolio is not None:
        query = query.where(IndicatorValue.portfolio_id == portfolio)
    if not sees_everything(person):
        query = query.where(col(IndicatorValue.portfolio_id).in_(buyer_portfolios(session, person)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(IndicatorValue.id)).offset(page.offset).limit(page.limit)
    )
    page.headers(request, response, total)
    return [IndicatorValuePublic.model_validate(row, from_attributes=True) for row in rows]
