"""What the CLI and the API do with DECP contract data: import a file, sum up a year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from domain.decp import DecpError, Scope, read_decp
from domain.decp_figures import DecpSummary, portfolio_by_cpv, summarise
from domain.law import law_for
from store.decp import (
    StoredContracts,
    organisation_document,
    organisation_sirets,
    store_contracts,
    stored_contracts,
)
from store.tables import Portfolio


@dataclass
class DecpImport:
    """What an import did: stored, or refused with every error; what it left aside."""

    errors: list[DecpError]
    stored: StoredContracts | None  # None: nothing was stored
    records: int
    left_out: int  # other buyers' or other years' records
    skipped: list[DecpError] = field(default_factory=list)  # with --skip-invalid


def import_decp(
    session: Session,
    data: bytes,
    filename: str,
    *,
    sirets: frozenset[str] = frozenset(),
    year: int | None = None,
    skip_invalid: bool = False,
) -> DecpImport:
    """Read a DECP file and store its contracts once each; with errors, store nothing unless
    `skip_invalid`, which stores the valid records and reports the others."""
    read = read_decp(data, filename, Scope(sirets or organisation_sirets(session), year))
    result = DecpImport(read.errors, None, read.records, read.left_out)
    if read.errors and not skip_invalid:
        return result
    result.stored = store_contracts(session, read.contracts, filename)
    session.commit()
    result.skipped, result.errors = read.errors, []
    return result


def year_summary(session: Session, year: int, *, art35_from: date | None = None) -> DecpSummary:
    """The year's legal figures from the stored contracts, per portfolio by CPV prefix."""
    prefixes = {row.id: list(row.cpv) for row in session.exec(select(Portfolio))}
    contracts = stored_contracts(session, year, organisation_sirets(session))
    return summarise(
        contracts,
        law_for(year),
        buyer_category=organisation_document(session).get("buyer_category", "local"),
        art35_from=art35_from,
        portfolio_of=portfolio_by_cpv(prefixes) if any(prefixes.values()) else None,
    )
