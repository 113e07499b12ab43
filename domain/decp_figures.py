"""The SPASER's legal figures from the year's DECP contracts: shares with a social or an
environmental consideration, reserved contracts, and the contracts art. 35 of the Climat et
résilience law asks to explain. One function for `decp summary`, the import and the scorecard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from domain.decp import (
    ENVIRONMENTAL_CLAUSE,
    ENVIRONMENTAL_CRITERION,
    RESERVED,
    SOCIAL_CLAUSE,
    SOCIAL_CRITERION,
    Contract,
)
from domain.law import Law

BuyerCategory = Literal["local", "central", "utility"]

# Each computed indicator and the contracts it counts.
MEASURES: dict[str, Callable[[Contract], bool]] = {
    "decp.environmental": lambda c: c.has_environmental,
    "decp.social": lambda c: c.has_social,
    "decp.reserved": lambda c: RESERVED in c.social,
    "decp.social_clause": lambda c: SOCIAL_CLAUSE in c.social,
    "decp.social_criterion": lambda c: SOCIAL_CRITERION in c.social,
    "decp.environmental_clause": lambda c: ENVIRONMENTAL_CLAUSE in c.environmental,
    "decp.environmental_criterion": lambda c: ENVIRONMENTAL_CRITERION in c.environmental,
}


@dataclass(frozen=True)
class Figure:
    """One indicator: how many contracts and how much of the year's value, and which."""

    count: int
    amount: Decimal
    share_count: float | None  # percent; None when the year has no contract
    share_amount: float | None
    contracts: tuple[str, ...]  # uids


@dataclass(frozen=True)
class Gap:
    """A contract notified under art. 35 without the consideration it requires."""

    contract: Contract
    missing: Literal["environmental", "social"]
    threshold: Decimal | None  # the social obligation's threshold that the amount reaches


@dataclass
class DecpSummary:
    contracts: int
    amount: Decimal
    indicators: dict[str, Figure]
    art35_gaps: list[Gap]
    art35_from: date
    by_portfolio: dict[str, DecpSummary] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The summary as `boucle decp summary --format json` prints it."""
        return {
            "contracts": self.contracts,
            "amount": _number(self.amount),
            "indicators": {
                name: {
                    "count": figure.count,
                    "amount": _number(figure.amount),
                    "share_count": figure.share_count,
                    "share_amount": figure.share_amount,
                    "contracts": list(figure.contracts),
                }
                for name, figure in self.indicators.items()
            },
            "art35_from": self.art35_from.isoformat(),
            "art35_gaps": [
                {
                    "id": gap.contract.id,
                    "objet": gap.contract.objet,
                    "montant": _number(gap.contract.amount),
                    "dateNotification": gap.contract.notified.isoformat(),
                    "missing": gap.missing,
                }
                for gap in self.art35_gaps
            ],
            **(
                {"portfolios": {key: part.as_json() for key, part in self.by_portfolio.items()}}
                if self.by_portfolio
                else {}
            ),
        }


def summarise(
    contracts: Iterable[Contract],
    law: Law,
    *,
    buyer_category: BuyerCategory = "local",
    art35_from: date | None = None,
    portfolio_of: Callable[[Contract], str | None] | None = None,
) -> DecpSummary:
    """The year's figures over `contracts`, and per portfolio when `portfolio_of` says one."""
    chosen = sorted(contracts, key=lambda c: (c.notified, c.uid))
    summary = _summary(chosen, law, buyer_category, art35_from or law.art35_from)
    if portfolio_of is not None:
        groups: dict[str, list[Contract]] = {}
        for contract in chosen:
            key = portfolio_of(contract)
            if key is not None:
                groups.setdefault(key, []).append(contract)
        summary.by_portfolio = {
            key: _summary(group, law, buyer_category, summary.art35_from)
            for key, group in sorted(groups.items())
        }
    return summary


def portfolio_by_cpv(prefixes: Mapping[str, Iterable[str]]) -> Callable[[Contract], str | None]:
    """Map a contract to the portfolio whose CPV prefix is the longest that matches it."""
    table = sorted(
        ((prefix, portfolio) for portfolio, values in prefixes.items() for prefix in values),
        key=lambda pair: -len(pair[0]),
    )

    def portfolio_of(contract: Contract) -> str | None:
        for prefix, portfolio in table:
            if contract.cpv.startswith(prefix):
                return portfolio
        return None

    return portfolio_of


def _summary(
    contracts: list[Contract], law: Law, buyer_category: BuyerCategory, art35_from: date
) -> DecpSummary:
    total = sum((c.amount for c in contracts), Decimal(0))
    indicators = {}
    for name, counts in MEASURES.items():
        chosen = [c for c in contracts if counts(c)]
        amount = sum((c.amount for c in chosen), Decimal(0))
        indicators[name] = Figure(
            count=len(chosen),
            amount=amount,
            share_count=_percent(Decimal(len(chosen)), Decimal(len(contracts))),
            share_amount=_percent(amount, total),
            contracts=tuple(c.uid for c in chosen),
        )
    gaps: list[Gap] = []
    for contract in contracts:
        if contract.notified < art35_from:
            continue
        if not contract.has_environmental:
            gaps.append(Gap(contract, "environmental", None))
        threshold = law.thresholds.works if contract.is_works else law.thresholds.of(buyer_category)
        if contract.amount >= threshold and not contract.has_social:
            gaps.append(Gap(contract, "social", threshold))
    return DecpSummary(len(contracts), total, indicators, gaps, art35_from)


def _percent(part: Decimal, whole: Decimal) -> float | None:
    if not whole:
        return None
    return float(round(100 * part / whole, 2))


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)
