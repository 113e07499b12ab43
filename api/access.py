"""Who may call what: one declaration per route, enforced there and listed in the README.

Every route states the roles it admits with `allow(...)` (or `anyone()` for the two that need
no token). Object-level rules — a buyer reaches only the tasks assigned to them or to their
portfolios — are checked by the helpers below, inside the routes that read or act on objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from sqlmodel import Session, col, or_, select

from api.deps import CurrentPerson
from api.errors import ApiError
from domain.model import Role
from store.people import PROTECTED_ROLES
from store.tables import Person, Portfolio, Task, TaskPerson

EVERY_ROLE = tuple(Role)


@dataclass(frozen=True)
class Rule:
    roles: tuple[Role, ...]
    scope: str = ""  # the object-level rule, in words, for the README table


def allow(*roles: Role, scope: str = "") -> Any:
    """A dependency that admits the listed roles and answers 403 to the others."""
    admitted = set(roles)

    # async: FastAPI runs a plain function dependency on a worker thread, a hop per request.
    async def check(person: CurrentPerson) -> Person:
        if person.role not in admitted:
            raise ApiError(403, "role_forbidden", role=person.role)
        return person

    check.rule = Rule(tuple(roles), scope)  # type: ignore[attr-defined]
    return Depends(check)


def anyone(scope: str) -> Any:
    async def check() -> None:
        return None

    check.rule = Rule((), scope)  # type: ignore[attr-defined]
    return Depends(check)


BUSINESS = (Role.officer, Role.buyer, Role.direction)
Anybody = Annotated[Person, allow(*EVERY_ROLE)]
Reader = Annotated[Person, allow(*BUSINESS)]
OwnReader = Annotated[
    Person, allow(*BUSINESS, scope="a buyer: only what concerns them or their portfolios")
]
TaskReader = Annotated[
    Person,
    allow(*BUSINESS, scope="a buyer: tasks assigned to them, inviting them or of their portfolios"),
]
TaskActor = Annotated[
    Person,
    allow(
        Role.officer,
        Role.buyer,
        scope="a buyer: tasks assigned to them or of their portfolios; the task's workflow "
        "also requires an assignee (or the officer)",
    ),
]
PeopleWriter = Annotated[
    Person,
    allow(
        Role.officer,
        Role.admin,
        scope="an officer: buyers and officers, never a role or whether someone is active; "
        "an admin: anyone, but never their own role or activity",
    ),
]
ProposalReader = Annotated[Person, allow(Role.officer, Role.admin)]
PortfolioReader = Annotated[
    Person, allow(*BUSINESS, scope="a buyer: only the cycles of their portfolios")
]
Staff = Annotated[Person, allow(Role.officer, Role.direction)]
Officer = Annotated[Person, allow(Role.officer)]
Director = Annotated[Person, allow(Role.direction)]
Admin = Annotated[Person, allow(Role.admin)]


def sees_everything(person: Person) -> bool:
    return person.role in (Role.officer, Role.direction)


def buyer_portfolios(session: Session, person: Person) -> set[str]:
    """Portfolios a buyer is one of the buyers of, or owns."""
    rows = session.exec(select(Portfolio))
    return {p.id for p in rows if person.id in p.buyers or p.owner_id == person.id}


def readable_portfolios(session: Session, person: Person) -> set[str] | None:
    """The portfolios whose indicator values, scorecards and reviews a person reads (None: all)."""
    return None if sees_everything(person) else buyer_portfolios(session, person)


def reads_portfolio(session: Session, person: Person, portfolio: str) -> bool:
    readable = readable_portfolios(session, person)
    return readable is None or portfolio in readable


def require_portfolio(session: Session, person: Person, portfolio: str) -> None:
    if not reads_portfolio(session, person, portfolio):
        raise ApiError(403, "not_your_portfolio")


def concerns(session: Session, person: Person, task: Task) -> bool:
    if sees_everything(person):
        return True
    if person.role != Role.buyer:
        return False
    if person.id in task.assignees or person.id in task.attendees:
        return True
    return task.portfolio in buyer_portfolios(session, person)


def require_concerns(session: Session, person: Person, task: Task) -> None:
    if not concerns(session, person, task):
        raise ApiError(403, "not_your_task")


def person_write_refusal(
    actor: Person, stored: Person | None, role: str, active: bool | None
) -> str | None:
    """Why `actor` may not write this person (an error code), or None."""
    changes_role = stored is not None and stored.role != role
    changes_activity = active is not None and (stored.active if stored else True) != active
    if actor.role == Role.admin:
        own = stored is not None and stored.id == actor.id
        return "own_role" if own and (changes_role or changes_activity) else None
    if changes_role or changes_activity:
        return "role_change_forbidden"
    if role in PROTECTED_ROLES:
        return "protected_person"
    return None


def buyer_task_filter(session: Session, person: Person, *, only_mine: bool = False) -> Any:
    """A WHERE clause for the tasks a buyer may see (or only those they are named on)."""
    mine = select(TaskPerson.task_id).where(TaskPerson.person_id == person.id)
    if only_mine:
        return col(Task.id).in_(mine)
    portfolios = buyer_portfolios(session, person)
    return or_(col(Task.id).in_(mine), col(Task.portfolio).in_(portfolios))


@dataclass(frozen=True)
class RouteAccess:
    method: str
    path: str
    name: str
    roles: tuple[Role, ...]
    scope: str
    public: bool


def _rule_of(route: APIRoute) -> Rule | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        call: Callable[..., Any] | None = dependency.call
        rule = getattr(call, "rule", None)
        if isinstance(rule, Rule):
            return rule
        pending.extend(dependency.dependencies)
    return None


def route_table(routers: Iterable[APIRouter]) -> list[RouteAccess]:
    """Every route with its declared access; a route without one is an error."""
    table = []
    for route in (route for router in routers for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        rule = _rule_of(route)
        if rule is None:
            raise RuntimeError(f"{route.path} declares no access rule")
        for method in sorted((route.methods or set()) - {"HEAD"}):
            table.append(
                RouteAccess(method, route.path, route.name, rule.roles, rule.scope, not rule.roles)
            )
    return sorted(table, key=lambda entry: (entry.path, entry.method))


def markdown_table(routers: Iterable[APIRouter]) -> str:
    """The README's route table, generated from the routes themselves."""
    header = "| route | " + " | ".join(role.value for role in EVERY_ROLE) + " | rule |"
    lines = [header, "|---|" + "---|" * len(EVERY_ROLE) + "---|"]
    for entry in route_table(routers):
        if entry.public:
            marks = ["anyone"] * len(EVERY_ROLE)
        else:
            marks = ["✓" if role in entry.roles else "—" for role in EVERY_ROLE]
        lines.append(
            f"| `{entry.method} {entry.path}` | " + " | ".join(marks) + f" | {entry.scope} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # prints the README's route table
    import api.access  # the rules the routes hold are this module's, not __main__'s
    from api.main import ROUTERS

    print(api.access.markdown_table(ROUTERS))
