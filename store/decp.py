"""Store the buyer's DECP contracts once each: the same record again changes nothing, a
modified one replaces its earlier version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from domain.decp import Contract
from domain.decp_figures import portfolio_by_cpv, summarise
from domain.law import law_for
from domain.scorecard import ORGANISATION_SHARES, ContractGap
from store.tables import DecpContract, Organisation, Portfolio

BATCH = 500  # uids per lookup: well under SQLite's and PostgreSQL's bound-parameter limits


@dataclass(frozen=True)
class StoredContracts:
    added: int
    replaced: int
    unchanged: int


def store_contracts(
    session: Session, contracts: Iterable[Contract], source: str
) -> StoredContracts:
    """Add the new contracts, replace the changed ones, leave the rest; the caller commits."""
    now = datetime.now(UTC)
    added = replaced = unchanged = 0
    for batch in _batches(list(contracts)):
        known = dict(
            session.exec(
                select(DecpContract.uid, DecpContract.fingerprint).where(
                    col(DecpContract.uid).in_([c.uid for c in batch])
                )
            ).all()
        )
        new_rows, changed_rows = [], []
        for contract in batch:
            row = _row(contract, source, now)
            if contract.uid not in known:
                new_rows.append(row)
            elif known[contract.uid] != row["fingerprint"]:
                changed_rows.append(row)
            else:
                unchanged += 1
        if new_rows:
            session.execute(insert(DecpContract), new_rows)
        if changed_rows:
            session.execute(update(DecpContract), changed_rows)
        added += len(new_rows)
        replaced += len(changed_rows)
    return StoredContracts(added, replaced, unchanged)


def stored_contracts(session: Session, year: int, sirets: Iterable[str] = ()) -> list[Contract]:
    """The year's stored contracts, of the given SIRETs (all when none is given)."""
    query = select(DecpContract).where(DecpContract.year == year)
    chosen = list(sirets)
    if chosen:
        query = query.where(col(DecpContract.buyer).in_(chosen))
    return [
        Contract(
            uid=row.uid,
            id=row.contract_id,
            buyer=row.buyer,
            objet=row.objet,
            amount=Decimal(str(row.amount)),
            notified=date.fromisoformat(row.notified),
            cpv=row.cpv,
            procedure=row.procedure,
            nature=row.nature,
            social=frozenset(row.social),
            environmental=frozenset(row.environmental),
        )
        for row in session.exec(query.order_by(col(DecpContract.notified), col(DecpContract.uid)))
    ]


def contract_facts(
    session: Session, portfolio: str, year: int, art35_from: date | None = None
) -> tuple[dict[str, float | None], list[ContractGap]]:
    """The year's DECP shares for the scorecard (percent of contracts, in number: the whole
    organisation's, and the portfolio's own when it has CPV prefixes) and the portfolio's art. 35
    gaps; nothing without contracts."""
    contracts = stored_contracts(session, year, organisation_sirets(session))
    if not contracts:
        return {}, []
    law = law_for(year)
    category = organisation_document(session).get("buyer_category", "local")
    everything = summarise(contracts, law, buyer_category=category, art35_from=art35_from)
    shares: dict[str, float | None] = {
        f"{ORGANISATION_SHARES}{name}": figure.share_count
        for name, figure in everything.indicators.items()
    }
    row = session.get(Portfolio, portfolio)
    if row is None or not row.cpv:
        return shares, []
    mine = [c for c in contracts if portfolio_by_cpv({portfolio: row.cpv})(c) == portfolio]
    own = summarise(mine, law, buyer_category=category, art35_from=art35_from)
    shares |= {name: figure.share_count for name, figure in own.indicators.items()}
    gaps = [
        ContractGap(
            id=gap.contract.id,
            objet=gap.contract.objet,
            amount=float(gap.contract.amount),
            notified=gap.contract.notified,
            missing=gap.missing,
        )
        for gap in own.art35_gaps
    ]
    return shares, gaps


def organisation_sirets(session: Session) -> frozenset[str]:
    """The SIRETs the plan file gives the organisation (empty: none declared)."""
    return frozenset(organisation_document(session).get("sirets") or ())


def organisation_document(session: Session) -> dict[str, Any]:
    """The plan file's `organisation` section as last imported."""
    stored = session.get(Organisation, 1)
    document: dict[str, Any] = (stored.document or {}).get("organisation", {}) if stored else {}
    return document


def _batches(contracts: list[Contract]) -> Iterator[list[Contract]]:
    for start in range(0, len(contracts), BATCH):
        yield contracts[start : start + BATCH]


def _row(contract: Contract, source: str, now: datetime) -> dict[str, object]:
    fields: dict[str, object] = {
        "uid": contract.uid,
        "contract_id": contract.id,
        "buyer": contract.buyer,
        "objet": contract.objet,
        "amount": float(contract.amount),
        "notified": contract.notified.isoformat(),
        "year": contract.notified.year,
        "cpv": contract.cpv,
        "procedure": contract.procedure,
        "nature": contract.nature,
        "social": sorted(contract.social),
        "environmental": sorted(contract.environmental),
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return {**fields, "fingerprint": digest, "source": source[:200], "imported_at": now}
