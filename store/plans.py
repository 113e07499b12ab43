"""Saving a plan file: the organisation, people, portfolios, indicators and plan versions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from domain.documents import as_data, single_plan
from domain.model import PlanFile, YearPlan
from store.access import access_changed, people_changed
from store.audit import note_change
from store.people import PROTECTED_ROLES, person_record, propose
from store.tables import (
    Indicator,
    Organisation,
    Person,
    PersonProposal,
    PlanVersion,
    Portfolio,
)


def document_digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def save_organisation(session: Session, document: PlanFile) -> list[PersonProposal]:
    """Upsert the organisation and what it defines; return what only an admin may apply."""
    # Roles are an admin's: buyers and officers are created and updated, nobody's role or
    # activity changes, the rest is proposed. Only the first import, into a store without
    # people (from the command line: no token exists yet), creates everyone as listed.
    organisation = session.get(Organisation, 1) or Organisation(id=1, name="")
    organisation.name = document.organisation.name
    organisation.timezone = document.organisation.timezone
    organisation.locale = document.organisation.locale.value
    organisation.document = {
        "organisation": document.organisation.model_dump(mode="json"),
        "reminders": document.reminders.model_dump(mode="json", exclude_unset=True),
    }
    organisation.updated_at = datetime.now(UTC)
    session.add(organisation)
    first_import = session.exec(select(Person.id).limit(1)).first() is None
    proposals = []
    for person in document.people:
        listed = {
            "name": person.name,
            "email": person.email,
            "role": person.role.value,
            "locale": person.locale.value if person.locale else None,
            "digest_only": person.digest_only,
        }
        proposal = _save_person(session, person.id, listed, first_import)
        if proposal is not None:
            proposals.append(proposal)
    if people_changed(session):
        access_changed(session)
    for folio in document.portfolios:
        known = session.get(Portfolio, folio.id)
        before = known.model_dump(exclude={"id"}) if known else None
        stored_folio = known or Portfolio(id=folio.id, name=folio.name)
        stored_folio.name, stored_folio.owner_id = folio.name, folio.owner
        stored_folio.buyers = list(folio.buyers)
        stored_folio.cpv = list(folio.cpv)
        session.add(stored_folio)
        note_change(f"portfolio/{folio.id}", before, stored_folio.model_dump(exclude={"id"}))
    for indicator in document.indicators:
        known_indicator = session.get(Indicator, indicator.id)
        before = known_indicator.model_dump(exclude={"id"}) if known_indicator else None
        stored_indicator = known_indicator or Indicator(
            id=indicator.id,
            name=indicator.name,
            unit=indicator.unit.value,
            direction=indicator.direction.value,
        )
        stored_indicator.name = indicator.name
        stored_indicator.unit = indicator.unit.value
        stored_indicator.direction = indicator.direction.value
        stored_indicator.baseline = indicator.baseline
        stored_indicator.target = indicator.target
        stored_indicator.floor = indicator.floor
        stored_indicator.portfolios = list(indicator.portfolios)
        stored_indicator.source = indicator.source
        stored_indicator.aggregation = indicator.aggregation.value
        stored_indicator.scope = indicator.scope.value
        stored_indicator.computed = indicator.computed.value if indicator.computed else None
        session.add(stored_indicator)
        after = stored_indicator.model_dump(exclude={"id"})
        note_change(f"indicator/{indicator.id}", before, after)
    return proposals


def _save_person(
    session: Session, person_id: str, listed: dict[str, Any], first_import: bool
) -> PersonProposal | None:
    """Store what an import may change about one person; propose the rest."""
    stored = session.get(Person, person_id)
    if stored is None:
        if first_import or listed["role"] not in PROTECTED_ROLES:
            session.add(Person(id=person_id, active=True, **listed))
            note_change(f"person/{person_id}", None, {**listed, "active": True})
            return None
        return propose(session, person_id, listed, None)
    if stored.role not in PROTECTED_ROLES:
        before = person_record(stored)
        for name in ("name", "email", "locale", "digest_only"):
            setattr(stored, name, listed[name])
        session.add(stored)
        note_change(f"person/{person_id}", before, person_record(stored))
        if stored.role == listed["role"]:
            return None
    current = person_record(stored)
    if all(current[name] == value for name, value in listed.items()):
        return None
    return propose(session, person_id, listed, stored)


def latest_version(session: Session, portfolio: str, year: int) -> PlanVersion | None:
    return session.exec(
        select(PlanVersion)
        .where(PlanVersion.portfolio == portfolio, PlanVersion.year == year)
        .order_by(col(PlanVersion.version).desc())
    ).first()


def save_plan_version(
    session: Session,
    document: PlanFile,
    plan: YearPlan,
    created_by: str | None,
    origin: str = "import",
) -> tuple[PlanVersion, bool]:
    """Store `plan` as a new draft version unless it equals the latest; (version, created)."""
    data = as_data(single_plan(document, plan))
    digest = document_digest(data)
    latest = latest_version(session, plan.portfolio, plan.year)
    if latest is not None and latest.digest == digest:
        return latest, False
    number = (
        session.exec(
            select(func.max(PlanVersion.version)).where(
                PlanVersion.portfolio == plan.portfolio, PlanVersion.year == plan.year
            )
        ).one()
        or 0
    ) + 1
    version = PlanVersion(
        portfolio=plan.portfolio,
        year=plan.year,
        version=number,
        status="draft",
        origin=origin,
        document=data,
        digest=digest,
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    session.add(version)
    note_change(
        f"plan/{plan.portfolio}/{plan.year}/{number}",
        None,
        {"status": version.status, "origin": origin, "digest": digest},
    )
    return version, True
