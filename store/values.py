"""Write indicator values: one row per indicator, portfolio and period (a new value replaces)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from domain.values_csv import CsvError, ValueRow, parse_values
from store.tables import Indicator, IndicatorValue, Portfolio


def import_values(session: Session, text: str, by: str | None) -> tuple[int, list[CsvError]]:
    """Parse and store a CSV of values; with any error, nothing is stored."""
    indicators = {row.id: row.scope for row in session.exec(select(Indicator))}
    portfolios = {row.id for row in session.exec(select(Portfolio))}
    rows, errors = parse_values(text, indicators, portfolios)
    if errors:
        return 0, errors
    store_rows(session, rows, by)
    session.commit()
    return len(rows), []


def store_rows(session: Session, rows: list[ValueRow], by: str | None) -> None:
    now = datetime.now(UTC)
    for row in rows:
        stored = session.exec(
            select(IndicatorValue).where(
                IndicatorValue.indicator_id == row.indicator,
                IndicatorValue.portfolio_id == row.portfolio,
                IndicatorValue.period == row.period,
            )
        ).first() or IndicatorValue(
            indicator_id=row.indicator,
            portfolio_id=row.portfolio,
            period=row.period,
            value=row.value,
        )
        stored.value = row.value
        stored.author_id = by
        stored.comment = row.comment
        stored.source = row.source or "import CSV"
        stored.recorded_at = now
        session.add(stored)
