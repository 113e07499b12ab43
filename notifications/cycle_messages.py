"""Composing a cycle's messages about its plan and its evaluation (pure: no store, no clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifications import formatting
from notifications.compose import Outgoing, Snapshot
from notifications.context import Recipient, plan_context
from notifications.messages import MessageType
from notifications.urls import cycle_page, plan_page

# Messages asking the officer or the direction to act on a plan open its page; the other
# cycle messages open the cycle's. Values, not members: plan_returned may not exist yet.
PLAN_PAGE = {"plan_submit_request", "plan_approval_request", "draft_ready", "plan_returned"}


@dataclass(frozen=True)
class PlanMessage:
    """A cycle's request to tell people about its plan or its evaluation."""

    key: str
    message: MessageType
    portfolio: str
    year: int
    to: tuple[str, ...]
    scheduled_at: datetime
    facts: dict[str, Any] = field(default_factory=dict)


def plan_messages(
    request: PlanMessage,
    snapshot: Snapshot,
    app_url: str,
    occurrences: int,
    scorecard: dict[str, Any],
) -> list[Outgoing]:
    """One message per active recipient, in their language."""
    facts = dict(request.facts)
    approver = facts.pop("approved_by", None)
    returner = facts.pop("returned_by", None)
    people = snapshot.people
    portfolio = snapshot.portfolios.get(request.portfolio, request.portfolio)
    cycle_id = f"{request.portfolio}/{request.year}"
    result = []
    for person_id in request.to:
        person = people.get(person_id)
        if person is None or not person.active:
            continue
        locale = snapshot.locale_of(person)
        plan = {
            "portfolio": request.portfolio,
            "portfolio_name": portfolio,
            "year": facts.get("year", request.year),
            "item_count": facts.get("items", 0),
            "occurrences": facts.get("occurrences", occurrences),
            "carried_over": facts.get("carried_over", 0),
            "approve_by_text": formatting.day(
                _deadline(facts, request.scheduled_at), snapshot.zone, locale
            ),
            "approved_by": people[approver].name if approver in people else approver,
            "returned_by": people[returner].name if returner in people else returner,
            "return_comment": facts.get("comment") or "",
        }
        context = plan_context(
            Recipient(person.id, person.name, person.email, locale),
            snapshot.organisation,
            plan,
            {"view": plan_view(request.message, request.portfolio, plan["year"], app_url)},
            indicators=facts.get("indicators", []),
            score=score_facts(scorecard, locale),
            amended=amended_facts(facts, person.id, snapshot, locale),
        )
        result.append(
            Outgoing(
                key=f"{request.key}|{person.id}",
                message=request.message,
                person=person,
                locale=locale,
                context=context,
                task_id=None,
                cycle_id=cycle_id,
                scheduled_at=request.scheduled_at,
            )
        )
    return result


def plan_view(message: MessageType, portfolio: str, year: int, app_url: str) -> str:
    """The page a plan or cycle message is about: the plan to act on, or the cycle."""
    page = plan_page if message.value in PLAN_PAGE else cycle_page
    return page(portfolio, year, app_url)


AMENDED_KINDS = ("assigned", "added", "moved", "unassigned", "cancelled")


def amended_facts(
    facts: dict[str, Any], person: str, snapshot: Snapshot, locale: str
) -> dict[str, Any]:
    """What an amendment changed for one person, its times written for them."""
    effects = facts.get("amended", {}).get(person, {})
    author = snapshot.people.get(facts.get("amended_by", ""))

    def written(entry: dict[str, Any]) -> dict[str, Any]:
        times = {
            f"{name}_text": formatting.when(
                datetime.fromisoformat(entry[name]), snapshot.zone, locale
            )
            for name in ("next", "from")
            if entry.get(name)
        }
        return {**entry, **times}

    return {
        "by": author.name if author else facts.get("amended_by", ""),
        # Said in parentheses before the sentence's own full stop: "(… Paul.)." reads badly.
        "reason": str(facts.get("reason") or "").strip().rstrip("."),
        **{kind: [written(entry) for entry in effects.get(kind, [])] for kind in AMENDED_KINDS},
    }


STATUS_LABELS = {
    "fr": {
        "on_track": "en bonne voie",
        "at_risk": "à surveiller",
        "off_track": "en retard sur la cible",
        "no_data": "sans valeur",
    },
    "en": {
        "on_track": "on track",
        "at_risk": "at risk",
        "off_track": "off track",
        "no_data": "no value",
    },
}


def score_facts(card: dict[str, Any], locale: str) -> dict[str, Any]:
    """What an evaluation message says about a stored scorecard."""
    tasks = card.get("tasks", {})
    labels = STATUS_LABELS.get(locale, STATUS_LABELS["fr"])
    return {
        "done_on_time": tasks.get("done_on_time", 0),
        "done_late": tasks.get("done_late", 0),
        "missed": tasks.get("missed", 0),
        "indicators": [
            {
                "name": row["name"],
                "value_text": formatting.number(row.get("value"), locale, row.get("unit")),
                "target_text": formatting.number(row.get("target"), locale, row.get("unit")),
                "status_text": labels.get(row["status"], row["status"]),
            }
            for row in card.get("indicators", [])
        ],
    }


def _deadline(facts: dict[str, Any], fallback: datetime) -> datetime:
    text = facts.get("deadline")
    return datetime.fromisoformat(text) if isinstance(text, str) else fallback
