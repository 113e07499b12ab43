"""What the year's closing page shows, read from the store: the cycle's scorecard and review,
this year's plan beside next year's draft, and each indicator's proposed target."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import Session, col, select

from domain.model import PlanFile, PlanItem
from domain.scorecard import Scorecard, portfolio_indicators
from notifications import formatting
from store.facts import cycle_plan, cycle_scorecard
from store.tables import Cycle, Organisation, Person, PlanVersion, Portfolio


def editable(value: float | None, locale: str) -> str:
    """A number as a person types it back: 25,5 in French, 25.5 in English, '' for none."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if locale == "fr" else text


def _item_line(item: PlanItem | None, locale: str) -> dict[str, Any] | None:
    if item is None:
        return None
    day = date.fromisoformat(item.anchor[:10])
    return {
        "title": item.title,
        "when": format_date(day, "d MMM y", locale=locale),
        "recurring": bool(item.rrule),
        "kind": item.kind.value,
    }


def _origin(item: PlanItem, year: int, this_year: set[str]) -> str:
    if item.carried_over_from:
        return "carried"
    if item.id.startswith(f"decision-{year}-"):
        return "decided"
    return "rolled" if item.id in this_year else "added"


def compare_items(this: PlanFile | None, draft: PlanFile, year: int, locale: str) -> list[dict]:
    """Next year's items beside the items of this year they come from; then those dropped."""
    old = {item.id: item for item in (this.plans[0].items if this and this.plans else [])}
    rows = []
    for item in draft.plans[0].items:
        origin = _origin(item, year, set(old))
        source = old.get(item.id) if origin in ("rolled", "carried") else None
        rows.append(
            {
                "this": _item_line(source, locale),
                "next": _item_line(item, locale),
                "origin": origin,
            }
        )
    kept = {item.id for item in draft.plans[0].items}
    rows += [
        {"this": _item_line(item, locale), "next": None, "origin": "dropped"}
        for item_id, item in old.items()
        if item_id not in kept
    ]
    return rows


def target_rows(
    this: PlanFile | None,
    draft: PlanFile,
    portfolio: str,
    scorecard: Scorecard | None,
    locale: str,
) -> list[dict[str, Any]]:
    """Each indicator of the portfolio: this year's target and result, next year's proposal."""
    before = {i.id: i for i in (this.indicators if this else [])}
    scores = {s.indicator: s for s in (scorecard.indicators if scorecard else [])}
    rows = []
    for indicator in portfolio_indicators(draft, portfolio):
        score = scores.get(indicator.id)
        previous = before.get(indicator.id)
        rows.append(
            {
                "id": indicator.id,
                "name": indicator.name,
                "unit": indicator.unit.value,
                "target_now": previous.target if previous else None,
                "result": score.value if score else None,
                "status": score.status.value if score else "no_data",
                "proposed": indicator.target,
                "proposed_text": editable(indicator.target, locale),
            }
        )
    return rows


def review_facts(
    session: Session, portfolio: str, year: int, locale: str, now: datetime
) -> dict[str, Any] | None:
    """Everything the closing page shows, or None when the cycle does not exist."""
    cycle = session.get(Cycle, f"{portfolio}/{year}")
    if cycle is None:
        return None
    organisation = session.get(Organisation, 1)
    zone = ZoneInfo(organisation.timezone if organisation else "Europe/Paris")
    portfolio_row = session.get(Portfolio, portfolio)
    people = {p.id: p.name for p in session.exec(select(Person))}
    stored = Scorecard.model_validate(cycle.scorecard) if cycle.scorecard else None
    scorecard = stored or cycle_scorecard(session, cycle, now)
    this = cycle_plan(session, cycle)
    draft_row = session.exec(
        select(PlanVersion)
        .where(PlanVersion.portfolio == portfolio, PlanVersion.year == year + 1)
        .order_by(col(PlanVersion.version).desc())
    ).first()
    draft = PlanFile.model_validate(draft_row.document) if draft_row else None
    review = cycle.review or None
    recorded_at = review.get("recorded_at") if review else None
    return {
        "cycle": cycle,
        "portfolio": portfolio,
        "portfolio_name": portfolio_row.name if portfolio_row else portfolio,
        "year": year,
        "next_year": year + 1,
        "phase": cycle.phase,
        "scorecard": scorecard,
        "scorecard_final": stored is not None,
        "review": review,
        "review_when": formatting.when(datetime.fromisoformat(recorded_at), zone, locale)
        if isinstance(recorded_at, str)
        else "",
        "review_by": people.get(str(review.get("recorded_by")), "") if review else "",
        "evaluate_text": formatting.day(cycle.evaluate_on, zone, locale)
        if cycle.evaluate_on
        else "",
        "draft_row": draft_row,
        "items": compare_items(this, draft, year, locale) if draft else [],
        "targets": target_rows(this, draft, portfolio, scorecard, locale) if draft else [],
    }
