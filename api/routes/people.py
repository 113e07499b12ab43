"""People and portfolios; `/me` and `/me/tasks` for whoever holds the token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter
from sqlmodel import col, func, or_, select

from api.access import (
    Admin,
    Anybody,
    PeopleWriter,
    ProposalReader,
    Reader,
    buyer_portfolios,
    buyer_task_filter,
    person_write_refusal,
)
from api.deps import SessionDep
from api.errors import ApiError, responses
from api.models import (
    Me,
    PersonProposalPublic,
    PersonPublic,
    PersonWrite,
    PortfolioPublic,
    TaskPublic,
)
from api.paging import PageDep
from api.routes.cycles import task_public
from domain.model import ID_PATTERN, Role
from store.access import access_changed, people_changed
from store.audit import note_change
from store.people import accept, person_record, settle
from store.tables import Person, PersonProposal, Portfolio, Task

router = APIRouter(tags=["people"], responses=responses(401, 403))
Identifier = Annotated[str, Path(max_length=64, pattern=ID_PATTERN.pattern)]


def _person(row: Person) -> PersonPublic:
    return PersonPublic.model_validate(row, from_attributes=True)


@router.get("/me", response_model=Me)
def read_me(session: SessionDep, person: Anybody) -> Me:
    """Who the token speaks for, and the portfolios they buy for."""
    return Me(**_person(person).model_dump(), portfolios=sorted(buyer_portfolios(session, person)))


_TASKS = TypeAdapter(list[TaskPublic])


@router.get("/me/tasks", response_model=list[TaskPublic])
async def read_my_tasks(
    request: Request,
    person: Anybody,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|done|cancelled)$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    overdue: bool | None = None,
) -> Response:
    """The tasks assigned to me or to which I am invited, soonest first."""

    def compute() -> tuple[bytes, int]:
        now = datetime.now(UTC)
        with request.app.state.sessions() as session:
            query = select(Task).where(buyer_task_filter(session, person, only_mine=True))
            if status is not None:
                query = query.where(Task.status == status)
            if year is not None:
                query = query.where(Task.year == year)
            if overdue is True:
                query = query.where(Task.status == "open", col(Task.due_at) < now)
            elif overdue is False:
                query = query.where(or_(col(Task.status) != "open", col(Task.due_at) >= now))
            total = session.exec(select(func.count()).select_from(query.subquery())).one()
            rows = session.exec(
                query.order_by(col(Task.due_at), col(Task.id)).offset(page.offset).limit(page.limit)
            ).all()
            return _TASKS.dump_json([task_public(row, now) for row in rows]), total

    key = (person.id, status, year, overdue, page.limit, page.offset)
    cache = request.app.state.caches.my_tasks
    body, total = await cache.get(key, lambda: run_in_threadpool(compute))
    response = Response(body, media_type="application/json")
    page.headers(request, response, total)
    return response


@router.get("/people", response_model=list[PersonPublic])
def read_people(
    request: Request,
    response: Response,
    session: SessionDep,
    person: Anybody,
    page: PageDep,
    role: Role | None = None,
) -> list[PersonPublic]:
    """Everyone, by id (a buyer sees the names and roles needed to work with colleagues)."""
    query = select(Person)
    if role is not None:
        query = query.where(Person.role == role.value)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Person.id)).offset(page.offset).limit(page.limit))
    page.headers(request, response, total)
    return [_person(row) for row in rows]


@router.get("/people/{person_id}", response_model=PersonPublic, responses=responses(404))
def read_person(person_id: Identifier, session: SessionDep, person: Anybody) -> PersonPublic:
    row = session.get(Person, person_id)
    if row is None:
        raise ApiError(404, "no_person", person=person_id)
    return _person(row)


@router.put("/people/{person_id}", response_model=PersonPublic, responses=responses(422))
def write_person(
    person_id: Identifier,
    body: PersonWrite,
    request: Request,
    session: SessionDep,
    person: PeopleWriter,
) -> PersonPublic:
    """Create or update a person; roles and activity are an admin's to change, never one's own."""
    row = session.get(Person, person_id)
    refused = person_write_refusal(person, row, body.role.value, body.active)
    if refused is not None:
        raise ApiError(403, refused)
    before = person_record(row) if row else None
    row = row or Person(id=person_id, name="", email="", role="", active=True)
    row.name = body.name
    row.email = body.email
    row.role = body.role.value
    row.locale = body.locale
    row.digest_only = body.digest_only
    if body.active is not None:
        row.active = body.active
    session.add(row)
    note_change(f"person/{person_id}", before, person_record(row))
    if people_changed(session):
        access_changed(session)
    session.commit()
    request.app.state.caches.tokens.forget()
    session.refresh(row)
    return _person(row)


PROPOSAL_LINKS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Pending proposals, oldest first",
        "links": {
            name: {
                "operationRef": f"#/paths/{path}/{method}",
                "parameters": {"proposal_id": "$response.body#/0/id"},
                "description": "The first proposal listed.",
            }
            for name, path, method in (
                ("AcceptFirst", "~1proposals~1{proposal_id}~1accept", "post"),
                ("DismissFirst", "~1proposals~1{proposal_id}", "delete"),
            )
        },
    }
}


@router.get("/proposals", response_model=list[PersonProposalPublic], responses=PROPOSAL_LINKS)
def read_proposals(
    session: SessionDep, person: ProposalReader, settled: bool = False
) -> list[PersonProposalPublic]:
    """What plan imports listed about people and may not apply themselves, oldest first."""
    query = select(PersonProposal).order_by(col(PersonProposal.id))
    is_settled = col(PersonProposal.settled_at).is_not(None)
    rows = session.exec(query.where(is_settled if settled else ~is_settled))
    return [PersonProposalPublic.model_validate(row, from_attributes=True) for row in rows]


def _pending(session: SessionDep, proposal_id: int) -> PersonProposal:
    proposal = session.get(PersonProposal, proposal_id)
    if proposal is None:
        raise ApiError(404, "no_proposal", proposal=proposal_id)
    if proposal.settled_at is not None:
        raise ApiError(409, "proposal_settled", proposal=proposal_id)
    return proposal


ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/proposals/{proposal_id}/accept",
    response_model=PersonPublic,
    responses=responses(404, 409),
)
def accept_proposal(
    proposal_id: ProposalId, request: Request, session: SessionDep, person: Admin
) -> PersonPublic:
    """Apply a proposal as the plan listed it (an admin; never about their own role)."""
    proposal = _pending(session, proposal_id)
    stored = session.get(Person, proposal.person_id)
    role = str(proposal.record.get("role", stored.role if stored else ""))
    refused = person_write_refusal(person, stored, role, None)
    if refused is not None:
        raise ApiError(403, refused)
    row = accept(session, proposal, person.id)
    access_changed(session)
    session.commit()
    request.app.state.caches.tokens.forget()
    session.refresh(row)
    return _person(row)


@router.delete(
    "/proposals/{proposal_id}",
    response_model=PersonProposalPublic,
    responses=responses(404, 409),
)
def dismiss_proposal(
    proposal_id: ProposalId, session: SessionDep, person: Admin
) -> PersonProposalPublic:
    """Dismiss a proposal; the same listing is not proposed again."""
    proposal = _pending(session, proposal_id)
    settle(session, proposal, person.id, "dismissed")
    session.commit()
    session.refresh(proposal)
    return PersonProposalPublic.model_validate(proposal, from_attributes=True)


@router.get("/portfolios", response_model=list[PortfolioPublic])
def read_portfolios(session: SessionDep, person: Reader) -> list[PortfolioPublic]:
    rows = session.exec(select(Portfolio).order_by(col(Portfolio.id)))
    return [PortfolioPublic.model_validate(row, from_attributes=True) for row in rows]


@router.get("/portfolios/{portfolio_id}", response_model=PortfolioPublic, responses=responses(404))
def read_portfolio(
    portfolio_id: Identifier, session: SessionDep, person: Reader
) -> PortfolioPublic:
    row = session.get(Portfolio, portfolio_id)
    if row is None:
        raise ApiError(404, "no_portfolio", portfolio=portfolio_id)
    return PortfolioPublic.model_validate(row, from_attributes=True)
