"""Gather an annual report from the store: every portfolio's cycle of the year."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.report import AnnualReport, PortfolioReport, months_of
from store.facts import cycle_scorecard, evaluation_facts
from store.tables import Cycle, Organisation, Portfolio


def gather_report(session: Session, year: int, now: datetime) -> AnnualReport:
    organisation = session.get(Organisation, 1)
    zone = ZoneInfo(organisation.timezone if organisation else "Europe/Paris")
    names = {p.id: p.name for p in session.exec(select(Portfolio))}
    cycles = session.exec(
        select(Cycle).where(Cycle.year == year).order_by(col(Cycle.portfolio))
    ).all()
    portfolios = []
    for cycle in cycles:
        _, outcomes, _ = evaluation_facts(session, cycle.id)
        portfolios.append(
            PortfolioReport(
                portfolio=cycle.portfolio,
                name=names.get(cycle.portfolio, cycle.portfolio),
                phase=cycle.phase,
                scorecard=cycle_scorecard(session, cycle, now),
                months=months_of(outcomes, zone, now),
                review=cycle.review,
            )
        )
    return AnnualReport(
        organisation=organisation.name if organisation else "Boucle",
        year=year,
        generated_at=now,
        portfolios=portfolios,
    )
