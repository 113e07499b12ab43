"""Gather an annual report from the store: every portfolio's cycle of the year."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.decp_figures import summarise
from domain.law import law_for
from domain.model import Kind
from domain.report import (
    ActionReport,
    AnnualReport,
    ObjectiveReport,
    PortfolioReport,
    action_status,
    legal_section,
    months_of,
    publication,
)
from store.decp import organisation_document, organisation_sirets, stored_contracts
from store.facts import cycle_plan, cycle_scorecard, evaluation_facts
from store.tables import Cycle, Indicator, Organisation, Portfolio, Task


def gather_report(
    session: Session, year: int, now: datetime, art35_from: date | None = None
) -> AnnualReport:
    organisation = session.get(Organisation, 1)
    zone = ZoneInfo(organisation.timezone if organisation else "Europe/Paris")
    names = {p.id: p.name for p in session.exec(select(Portfolio))}
    cycles = session.exec(
        select(Cycle).where(Cycle.year == year).order_by(col(Cycle.portfolio))
    ).all()
    indicator_names = {i.id: i.name for i in session.exec(select(Indicator))}
    portfolios = []
    for cycle in cycles:
        _, outcomes, _ = evaluation_facts(session, cycle.id)
        document = cycle_plan(session, cycle)
        plan = (
            next((p for p in document.plans if p.portfolio == cycle.portfolio), None)
            if document
            else None
        )
        if document is not None:
            indicator_names.update({i.id: i.name for i in document.indicators})
        titles = {
            task.id: task.title
            for task in session.exec(
                select(Task).where(Task.cycle_id == cycle.id, Task.kind == Kind.action.value)
            )
        }
        actions = [
            ActionReport(
                title=titles.get(outcome.task, outcome.task),
                due=outcome.due,
                status=action_status(outcome, zone, now),
                done_at=outcome.done_at,
            )
            for outcome in sorted(outcomes, key=lambda o: (o.due, o.task))
            if outcome.kind == Kind.action.value
        ]
        portfolios.append(
            PortfolioReport(
                portfolio=cycle.portfolio,
                name=names.get(cycle.portfolio, cycle.portfolio),
                phase=cycle.phase,
                scorecard=cycle_scorecard(session, cycle, now),
                months=months_of(outcomes, zone, now),
                review=cycle.review,
                objectives=[
                    ObjectiveReport(
                        statement=objective.statement,
                        pillar=objective.pillar.value if objective.pillar else None,
                        indicators=[indicator_names.get(i, i) for i in objective.indicators],
                    )
                    for objective in (plan.objectives if plan else [])
                ],
                actions=actions,
            )
        )
    settings = organisation_document(session)
    contracts = stored_contracts(session, year, organisation_sirets(session))
    category = settings.get("buyer_category", "local")
    law = law_for(year)
    legal = (
        legal_section(
            summarise(contracts, law, buyer_category=category, art35_from=art35_from),
            law,
            category,
            contracts,
        )
        if contracts
        else None
    )
    return AnnualReport(
        organisation=organisation.name if organisation else "Boucle",
        year=year,
        generated_at=now,
        portfolios=portfolios,
        timezone=zone.key,
        legal=legal,
        publication=publication(year, settings.get("indicators_published_for")),
    )
