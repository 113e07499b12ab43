"""Amending a running plan, for the API and the pages alike: the amendment the cycle's
workflow takes, naming people as the directory has them, and the update that sends it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session, col, select
from temporalio.client import Client

from domain.model import Person, PlanItem
from services.plans import cycle_handle
from store.tables import Person as StoredPerson
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import Amendment, CycleView


def directory_people(session: Session, ids: list[str]) -> list[Person]:
    """The people an amendment names, as the directory has them (the cycle may not list them:
    it carries only the people its own plan names)."""
    rows = session.exec(select(StoredPerson).where(col(StoredPerson.id).in_(ids))).all()
    return [
        Person.model_validate(
            {
                "id": row.id,
                "name": row.name,
                "email": row.email,
                "role": row.role,
                "locale": row.locale,
                "digest_only": row.digest_only,
            }
        )
        for row in rows
        if row.active
    ]


def amendment_of(
    session: Session,
    by: str,
    *,
    add: Iterable[PlanItem] = (),
    cancel_items: Iterable[str] = (),
    reassign_items: Mapping[str, list[str]] | None = None,
    reschedule_tasks: Mapping[str, datetime] | None = None,
    cancel_tasks: Iterable[str] = (),
    reason: str | None = None,
) -> Amendment:
    """The officer's amendment, with every person it gives work to as the directory has them;
    a blank reason is no reason."""
    added = list(add)
    reassigned = dict(reassign_items or {})
    named = {p for people in reassigned.values() for p in people}
    named |= {p for item in added for p in (*item.assignees, *item.attendees)}
    return Amendment(
        by=by,
        people=directory_people(session, sorted(named)),
        add=added,
        cancel_items=list(cancel_items),
        reassign_items=reassigned,
        reschedule_tasks=dict(reschedule_tasks or {}),
        cancel_tasks=list(cancel_tasks),
        reason=(reason or "").strip() or None,
    )


async def amend_cycle(
    client: Client, portfolio: str, year: int, amendment: Amendment, update_id: str
) -> CycleView:
    """Send the amendment to the cycle's workflow once (`update_id`); its validator decides."""
    view: CycleView = await cycle_handle(client, portfolio, year).execute_update(
        PortfolioCycleWorkflow.amend, amendment, id=update_id
    )
    return view
