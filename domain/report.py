"""The annual SPASER follow-up report: what each portfolio's year achieved, in one document.

Pure: it is assembled from scorecards and task outcomes that the caller gathered; the store,
the API and `boucle report` only fetch and render it.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.decp import Contract
from domain.decp_figures import DecpSummary
from domain.law import Law
from domain.scorecard import ContractGap, Scorecard, TaskOutcome, on_time


class MonthTasks(BaseModel):
    month: int
    due: int = 0
    done_on_time: int = 0
    done_late: int = 0
    missed: int = 0  # still open after their due date
    open: int = 0  # not yet due


class ObjectiveReport(BaseModel):
    """One objective of the portfolio's plan, with the names of the indicators measuring it."""

    statement: str
    pillar: str | None = None
    indicators: list[str] = Field(default_factory=list)


class ActionReport(BaseModel):
    """One occurrence of an action of the plan, and how it ended (or stands)."""

    title: str
    due: datetime
    status: str  # done, done_late, missed, open, cancelled
    done_at: datetime | None = None


class PortfolioReport(BaseModel):
    portfolio: str
    name: str
    phase: str
    scorecard: Scorecard
    months: list[MonthTasks]
    review: dict[str, object] | None = None
    objectives: list[ObjectiveReport] = Field(default_factory=list)
    actions: list[ActionReport] = Field(default_factory=list)

    @property
    def lessons(self) -> str:
        return str((self.review or {}).get("lessons") or "")

    @property
    def decisions(self) -> list[str]:
        found = (self.review or {}).get("decisions") or []
        return [str(decision) for decision in found] if isinstance(found, list) else []


class LegalFigure(BaseModel):
    """One legal share from the year's DECP contracts, in number and in value."""

    indicator: str  # decp.environmental …
    label: str
    count: int
    amount: float
    share_count: float | None
    share_amount: float | None


class Publication(BaseModel):
    """Whether this report's year is one whose indicators are due for publication."""

    due: bool
    last: int | None  # the last year whose indicators were published
    next: int  # the next year whose indicators are to be published


class ContractRow(BaseModel):
    """A notified contract and its considerations: what each legal share counts."""

    id: str
    objet: str
    amount: float
    notified: date
    social: list[str]
    environmental: list[str]


class LegalSection(BaseModel):
    """What the law asks the report to say about the year's notified contracts."""

    contracts: int
    amount: float
    figures: list[LegalFigure]
    art35_from: date
    art35_gaps: list[ContractGap]
    threshold: float  # the supplies-and-services threshold of the buyer's category
    works_threshold: float
    rows: list[ContractRow] = Field(default_factory=list)  # the contracts behind the shares


class AnnualReport(BaseModel):
    organisation: str
    year: int
    generated_at: datetime
    portfolios: list[PortfolioReport]
    timezone: str = "Europe/Paris"  # the organisation's: dates are written as people read them
    legal: LegalSection | None = None  # None: no DECP contract stored for the year
    publication: Publication | None = None

    def objectives_by_pillar(self) -> dict[str, list[tuple[str, ObjectiveReport]]]:
        """Every portfolio's objectives under their pillar (social, environmental, …)."""
        grouped: dict[str, list[tuple[str, ObjectiveReport]]] = {}
        for portfolio in self.portfolios:
            for objective in portfolio.objectives:
                grouped.setdefault(objective.pillar or "", []).append((portfolio.name, objective))
        return grouped

    @property
    def totals(self) -> dict[str, int]:
        keys = ("total", "done_on_time", "done_late", "missed", "cancelled")
        return {key: sum(getattr(p.scorecard.tasks, key) for p in self.portfolios) for key in keys}


LEGAL_LABELS = {
    "decp.environmental": "au moins une considération environnementale",
    "decp.social": "au moins une considération sociale",
    "decp.reserved": "marchés réservés",
    "decp.social_clause": "une clause sociale",
    "decp.social_criterion": "un critère social",
    "decp.environmental_clause": "une clause environnementale",
    "decp.environmental_criterion": "un critère environnemental",
}
PUBLICATION_EVERY = 2  # CCP L2111-3: the indicators are published every two years


def legal_section(
    summary: DecpSummary, law: Law, buyer_category: str, contracts: list[Contract]
) -> LegalSection:
    """The legal shares and the art. 35 gaps of the year, as the report shows them, with the
    contracts behind them."""
    return LegalSection(
        rows=[
            ContractRow(
                id=c.id,
                objet=c.objet,
                amount=float(c.amount),
                notified=c.notified,
                social=sorted(c.social),
                environmental=sorted(c.environmental),
            )
            for c in sorted(contracts, key=lambda c: (c.notified, c.id))
        ],
        contracts=summary.contracts,
        amount=float(summary.amount),
        figures=[
            LegalFigure(
                indicator=name,
                label=LEGAL_LABELS[name],
                count=figure.count,
                amount=float(figure.amount),
                share_count=figure.share_count,
                share_amount=figure.share_amount,
            )
            for name, figure in summary.indicators.items()
        ],
        art35_from=summary.art35_from,
        art35_gaps=[
            ContractGap(
                id=gap.contract.id,
                objet=gap.contract.objet,
                amount=float(gap.contract.amount),
                notified=gap.contract.notified,
                missing=gap.missing,
            )
            for gap in summary.art35_gaps
        ],
        threshold=float(law.thresholds.of(buyer_category)),
        works_threshold=float(law.thresholds.works),
    )


def publication(year: int, last_published: int | None) -> Publication:
    """Whether `year`'s indicators are due: two years after the last published, or now when
    none ever was."""
    if last_published is None or year >= last_published + PUBLICATION_EVERY:
        return Publication(due=True, last=last_published, next=year)
    return Publication(due=year == last_published, last=last_published,
                       next=last_published + PUBLICATION_EVERY)  # fmt: skip


def action_status(outcome: TaskOutcome, zone: ZoneInfo, now: datetime) -> str:
    """How an action ended: done (on time or late), missed, cancelled, or still open."""
    if outcome.status == "done":
        return "done" if on_time(outcome, zone) else "done_late"
    if outcome.status == "open" and outcome.due < now:
        return "missed"
    return outcome.status


def months_of(outcomes: list[TaskOutcome], zone: ZoneInfo, now: datetime) -> list[MonthTasks]:
    """Task completion month by month (by local due month), cancelled tasks left out."""
    months = [MonthTasks(month=number) for number in range(1, 13)]
    for outcome in outcomes:
        if outcome.status == "cancelled":
            continue
        month = months[outcome.due.astimezone(zone).month - 1]
        month.due += 1
        if outcome.status == "done":
            if on_time(outcome, zone):
                month.done_on_time += 1
            else:
                month.done_late += 1
        elif outcome.due < now:
            month.missed += 1
        else:
            month.open += 1
    return months


CSV_COLUMNS = (
    "portefeuille",
    "indicateur",
    "libellé",
    "unité",
    "agrégation",
    "valeur",
    "cible",
    "référence",
    "plancher",
    "statut",
    "tendance",
    "règle",
)


def report_csv(report: AnnualReport) -> str:
    """One row per portfolio and indicator, then one row per portfolio for its tasks."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for portfolio in report.portfolios:
        for score in portfolio.scorecard.indicators:
            writer.writerow(
                (
                    _text(portfolio.portfolio),
                    _text(score.indicator),
                    _text(score.name),
                    _text(score.unit),
                    _text(score.aggregation),
                    _number(score.value),
                    _number(score.target),
                    _number(score.baseline),
                    _number(score.floor),
                    _text(score.status.value),
                    _text(score.trend.value),
                    _text(score.rule),
                )
            )
    writer.writerow(())
    writer.writerow(
        ("portefeuille", "tâches", "faites à temps", "en retard", "manquées", "annulées")
    )
    for portfolio in report.portfolios:
        tasks = portfolio.scorecard.tasks
        writer.writerow(
            (
                _text(portfolio.portfolio),
                tasks.total,
                tasks.done_on_time,
                tasks.done_late,
                tasks.missed,
                tasks.cancelled,
            )
        )
    _write_plan_sections(writer, report)
    if report.legal is not None:
        _write_legal_sections(writer, report.legal)
    return out.getvalue()


def _write_legal_sections(writer: Any, legal: LegalSection) -> None:
    """The year's shares from DECP data, then the contracts art. 35 asks to explain."""
    writer.writerow(())
    writer.writerow(
        ("marchés notifiés avec", "nombre", "part en nombre", "montant", "part en valeur")
    )
    writer.writerow(("(tous)", legal.contracts, "100", _amount(legal.amount), "100"))
    for figure in legal.figures:
        writer.writerow(
            (
                _text(figure.label),
                figure.count,
                _number(figure.share_count),
                _amount(figure.amount),
                _number(figure.share_amount),
            )
        )
    writer.writerow(())
    writer.writerow(("article 35 : marché", "objet", "montant", "notifié le", "manque"))
    for gap in legal.art35_gaps:
        missing = "considération " + (
            "environnementale" if gap.missing == "environmental" else "sociale"
        )
        writer.writerow(
            (
                _text(gap.id),
                _text(gap.objet),
                _number(gap.amount),
                gap.notified.isoformat(),
                missing,
            )
        )


ACTION_STATUSES = {
    "done": "faite à temps",
    "done_late": "faite en retard",
    "missed": "non faite",
    "open": "à venir",
    "cancelled": "annulée",
}


def _write_plan_sections(writer: Any, report: AnnualReport) -> None:
    """The objectives, the actions and how each ended, and the year-end review."""
    writer.writerow(())
    writer.writerow(("portefeuille", "objectif", "pilier", "indicateurs"))
    for portfolio in report.portfolios:
        for objective in portfolio.objectives:
            writer.writerow(
                (
                    _text(portfolio.portfolio),
                    _text(objective.statement),
                    _text(objective.pillar or ""),
                    _text(", ".join(objective.indicators)),
                )
            )
    writer.writerow(())
    writer.writerow(("portefeuille", "action", "échéance", "état", "faite le"))
    zone = ZoneInfo(report.timezone)
    for portfolio in report.portfolios:
        for action in portfolio.actions:
            writer.writerow(
                (
                    _text(portfolio.portfolio),
                    _text(action.title),
                    action.due.astimezone(zone).date().isoformat(),
                    ACTION_STATUSES.get(action.status, action.status),
                    action.done_at.astimezone(zone).date().isoformat() if action.done_at else "",
                )
            )
    writer.writerow(())
    writer.writerow(("portefeuille", "revue", "texte"))
    for portfolio in report.portfolios:
        if portfolio.lessons:
            writer.writerow((_text(portfolio.portfolio), "enseignements", _text(portfolio.lessons)))
        for decision in portfolio.decisions:
            writer.writerow((_text(portfolio.portfolio), "décision", _text(decision)))


# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A text cell as text: one that a spreadsheet would run as a formula starts with '."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _amount(value: float) -> str:
    """Euros as a French spreadsheet reads them, never in exponent form: 6600000 or 1234,5."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _number(value: float | None) -> str:
    """French decimals, as a spreadsheet set to French reads them; -3,5 stays a number."""
    # Written from a float, never from text: a minus sign here can only start a number.
    return "" if value is None or not math.isfinite(value) else f"{value:g}".replace(".", ",")
