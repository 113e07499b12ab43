"""Indicators: their definitions and the values submitted for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import col, func, select

from api.access import OwnReader, Reader, buyer_portfolios, sees_everything
from api.deps import SessionDep
from api.errors import ApiError, responses
from api.models import IndicatorPublic, IndicatorValuePublic
from api.paging import PageDep
from store.tables import Indicator, IndicatorValue

router = APIRouter(prefix="/indicators", tags=["indicators"], responses=responses(401, 403))


@router.get("", response_model=list[IndicatorPublic])
def read_indicators(session: SessionDep, person: Reader) -> list[IndicatorPublic]:
    rows = session.exec(select(Indicator).order_by(col(Indicator.id)))
    return [IndicatorPublic.model_validate(row, from_attributes=True) for row in rows]


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
