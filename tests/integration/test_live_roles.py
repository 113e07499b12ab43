"""The role table walked against a live engine: every permitted call succeeds, every other is 403.

A real dev server and worker run approved plans; every route is called by nobody and by each
role, on the caller's own object and on someone else's. A permitted write must succeed (2xx,
or the login form's 303), a refused one must be 403; no 404, 409 or 503 passes as permitted.
Each permitted write gets a fresh object of its own (a task, a link, a waiting plan).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from api.access import RouteAccess, route_table
from api.main import ROUTERS, create_app
from domain.documents import single_plan
from domain.model import Role
from domain.validation import load_plan
from notifications.links import LinkClaim, sign_link
from services.feeds import issue_feed
from services.plans import approve_plan, import_plans, submit_plan
from services.settings import Settings
from services.tokens import issue_token
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from store.tables import Cycle, Person, PersonProposal, Task
from tests.engine.support import RecordingMailer, running_worker
from workflows.common import search_attributes
from workflows.cycle import PortfolioCycleWorkflow
from workflows.task import TaskWorkflow
from workflows.types import CycleInput, CycleState, Phase, cycle_workflow_id, task_workflow_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

YEAR = datetime.now(UTC).year + 1  # a whole year ahead: nothing falls due while the test runs
SECRET = "live-roles-secret"
PERSON_OF_ROLE = {
    Role.officer: "qdd",
    Role.buyer: "resto",
    Role.direction: "dgs",
    Role.admin: "adm",
}
PDF = b"%PDF-1.4\n% preuve\n"
CALLERS = [None, *Role]
WEEKS = 40  # weekly tasks per portfolio: each permitted or refused write takes a fresh one
# A Tuesday in mid-June (no French holiday that week): where a reschedule request moves a task.
MOVED_TO = next(
    day for day in (date(YEAR, 6, 15) + timedelta(days=n) for n in range(7)) if day.weekday() == 1
)


def plan_text(portfolios: list[str]) -> str:
    """One file: restauration (resto's) and voirie (nett's), and small plans for the rest."""
    plans = []
    for portfolio in portfolios:
        buyer = "nett" if portfolio == "voirie" else "resto"
        items = [
            f"{{id: hebdo, kind: action, title: Action de la semaine, assignees: [{buyer}], "
            f'start: "{YEAR}-01-05T10:00", rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT={WEEKS}"}}',
        ]
        if portfolio in ("restauration", "voirie"):
            items += [
                f"{{id: point, kind: indicator_checkpoint, title: Point indicateurs, "
                f'assignees: [{buyer}], indicators: [part-bio], start: "{YEAR}-01-29T17:00", '
                f'rrule: "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=8"}}',
                f"{{id: pilote, kind: action, title: Pilotage, assignees: [qdd], "
                f'start: "{YEAR}-01-05T11:00", rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT=6"}}',
            ]
        body = "\n".join(f"      - {item}" for item in items)
        plans.append(f"  - portfolio: {portfolio}\n    year: {YEAR}\n    items:\n{body}")
    folios = "\n".join(
        f"  - {{id: {p}, name: {p.title()}, owner: {'nett' if p == 'voirie' else 'resto'}, "
        f"buyers: [{'nett' if p == 'voirie' else 'resto'}]}}"
        for p in portfolios
    )
    return f"""\
version: 1
organisation: {{name: Département Vivant, timezone: Europe/Paris, locale: fr, holidays: FR}}
people:
  - {{id: qdd, name: Claire Martin, email: claire.martin@example.org, role: officer}}
  - {{id: resto, name: Paul Durand, email: paul.durand@example.org, role: buyer}}
  - {{id: nett, name: Nadia Benali, email: nadia.benali@example.org, role: buyer}}
  - {{id: dgs, name: Anne Leroy, email: anne.leroy@example.org, role: direction}}
portfolios:
{folios}
indicators:
  - {{id: part-bio, name: Part bio, unit: percent, direction: increase, baseline: 12,
     target: 20, portfolios: [{", ".join(portfolios)}]}}
reminders: {{before: [P7D], overdue: [P3D], send_at: "09:00"}}
plans:
{chr(10).join(plans)}
"""


RUNNING = [
    "restauration",
    "voirie",
    "soumettre-a",
    "soumettre-b",
    "approuver-a",
    "approuver-b",
    "renvoyer-a",
    "renvoyer-b",
]
# The browser's pages answer their forms with 303 to themselves and take a session or a form
# key: tests/api/test_roles.py walks their role table, tests/browser their journeys.
PAGES = "/app/"
REVIEWED = ["bilan-a", "bilan-b"]


@dataclass
class World:
    """What the calls act on: pools of fresh objects, taken one per permitted write."""

    app: Any
    sessions: SessionFactory
    tokens: dict[Role, str]
    tasks: dict[tuple[str, str], Iterator[str]]  # (portfolio, item) → unused task ids
    waiting: dict[str, Iterator[str]]  # portfolio → tasks with a reschedule request waiting
    evidence: dict[str, tuple[str, str]]  # portfolio → (task id, evidence id)
    proposals: Iterator[int]
    spare_tokens: Iterator[int]
    shown_link: str
    feed: str  # the secret of a calendar feed no caller replaces
    added: Iterator[int] = field(default_factory=lambda: iter(range(1, 1000)))

    def task(self, portfolio: str, item: str = "hebdo") -> str:
        return next(self.tasks[(portfolio, item)])

    def link(self) -> str:
        task = self.task("restauration")
        expires = datetime.now(UTC) + timedelta(days=3)
        return sign_link(SECRET, LinkClaim("complete", task, "resto", expires))


async def stored_tasks(sessions: SessionFactory, portfolios: list[str]) -> list[Task]:
    """Wait until the approved cycles have started and projected all their tasks."""
    for _ in range(240):
        with sessions() as session:
            rows = session.exec(select(Task).where(col(Task.portfolio).in_(portfolios))).all()
        if len(rows) == 2 * (WEEKS + 8 + 6):
            return list(rows)
        await asyncio.sleep(0.5)
    raise TimeoutError("the cycles did not start their tasks")


async def start_in_evaluation(env: WorkflowEnvironment, queue: str, text: str) -> None:
    """Two cycles as their continue-as-new would start them at the evaluation date."""
    document = load_plan(text)
    now = datetime.now(UTC)
    for plan in document.plans:
        await env.client.start_workflow(
            PortfolioCycleWorkflow.run,
            CycleInput(
                portfolio=plan.portfolio,
                year=plan.year,
                document=single_plan(document, plan),
                holidays=cycle_holidays(document.organisation, plan.year),
                plan_version=1,
                phase=Phase.evaluating,
                state=CycleState(
                    approved_at=now - timedelta(days=300),
                    approved_by="dgs",
                    execution_start=now - timedelta(days=300),
                    values_requested_at=now - timedelta(days=30),
                ),
            ),
            id=cycle_workflow_id(plan.portfolio, plan.year),
            task_queue=queue,
            search_attributes=search_attributes(plan.portfolio, plan.year, Phase.evaluating),
        )


async def scorecards_ready(sessions: SessionFactory, portfolios: list[str]) -> None:
    for _ in range(120):
        with sessions() as session:
            ready = [session.get(Cycle, f"{p}/{YEAR}") for p in portfolios]
        if all(cycle is not None and cycle.scorecard for cycle in ready):
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the evaluations did not produce their scorecards")


def as_(app: Any, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers=headers,
        timeout=60,
    )


Call = Callable[["World", httpx.AsyncClient, Role | None, bool], Awaitable[httpx.Response]]


def get(url: Callable[[World, Role | None, bool], str]) -> Call:
    async def call(world: World, http: httpx.AsyncClient, role: Role | None, own: bool) -> Any:
        return await http.get(url(world, role, own))

    return call


def send(method: str, url: Callable[[World, Role | None, bool], str], **options: Any) -> Call:
    async def call(world: World, http: httpx.AsyncClient, role: Role | None, own: bool) -> Any:
        built = {k: v(world, role, own) if callable(v) else v for k, v in options.items()}
        return await http.request(method, url(world, role, own), **built)

    return call


def mine(own: bool, theirs: str = "voirie") -> str:
    return "restauration" if own else theirs


async def log_in(world: World, http: httpx.AsyncClient, role: Role | None, own: bool) -> Any:
    """The login form as a browser fills it, in a browser of its own."""
    async with as_(world.app, None) as browser:
        form = await browser.get("/dashboard/login")
        key = re.search(r'name="form_key" value="([^"]+)"', form.text)
        assert key is not None
        token = world.tokens[Role.direction]
        return await browser.post("/dashboard/login", data={"token": token, "form_key": key[1]})


async def log_out(world: World, http: httpx.AsyncClient, role: Role | None, own: bool) -> Any:
    async with as_(world.app, None) as browser:
        assert (await log_in(world, browser, role, own)).status_code == 303
        form = await browser.get("/dashboard/login")
        assert form.status_code == 200
        return await browser.post("/dashboard/logout")


def reschedule(world: World, role: Role | None, own: bool) -> str:
    # The officer's own task is one assigned to her; anyone else's belongs to a buyer.
    if role == Role.officer and own:
        return f"/tasks/{world.task('restauration', 'pilote')}/reschedule-request"
    return f"/tasks/{world.task(mine(own))}/reschedule-request"


def later(world: World | None, role: Role | None, own: bool) -> dict[str, str]:
    return {"due": f"{MOVED_TO.isoformat()}T17:00:00+02:00"}


CALLS: dict[str, Call] = {
    "GET /act/{token}": get(lambda w, r, o: f"/act/{w.shown_link}"),
    "POST /act/{token}": send("POST", lambda w, r, o: f"/act/{w.link()}"),
    "GET /audit": get(lambda w, r, o: "/audit"),
    "GET /calendar/{secret}.ics": get(lambda w, r, o: f"/calendar/{w.feed}.ics"),
    "POST /me/calendar-feed": send("POST", lambda w, r, o: "/me/calendar-feed"),
    "DELETE /me/calendar-feed": send("DELETE", lambda w, r, o: "/me/calendar-feed"),
    "GET /cycles": get(lambda w, r, o: f"/cycles?year={YEAR}"),
    "GET /cycles/{portfolio}/{year}": get(lambda w, r, o: f"/cycles/{mine(o)}/{YEAR}"),
    "POST /cycles/{portfolio}/{year}/review": send(
        "POST",
        lambda w, r, o: f"/cycles/{'bilan-a' if o else 'bilan-b'}/{YEAR}/review",
        json={"lessons": "Former les acheteurs plus tôt"},
    ),
    "GET /cycles/{portfolio}/{year}/scorecard": get(
        lambda w, r, o: f"/cycles/{mine(o)}/{YEAR}/scorecard"
    ),
    "GET /cycles/{portfolio}/{year}/timeline": get(
        lambda w, r, o: f"/cycles/{mine(o)}/{YEAR}/timeline"
    ),
    "GET /dashboard": get(lambda w, r, o: f"/dashboard?year={YEAR}"),
    "GET /dashboard/login": get(lambda w, r, o: "/dashboard/login"),
    "POST /dashboard/login": log_in,
    "POST /dashboard/logout": log_out,
    "GET /dashboard/report/{year}": get(lambda w, r, o: f"/dashboard/report/{YEAR}"),
    "GET /dashboard/report/{year}/{kind}": get(lambda w, r, o: f"/dashboard/report/{YEAR}/csv"),
    "POST /decp": send(
        "POST",
        lambda w, r, o: "/decp",
        files={"file": ("decp.json", b"[]", "application/json")},
    ),
    "GET /decp/{year}": get(lambda w, r, o: f"/decp/{YEAR}"),
    "GET /health": get(lambda w, r, o: "/health"),
    "GET /metrics": get(lambda w, r, o: "/metrics"),
    "GET /indicators": get(lambda w, r, o: "/indicators"),
    "POST /indicators/values": send(
        "POST",
        lambda w, r, o: "/indicators/values",
        content=f"indicator;portfolio;period;value\npart-bio;restauration;{YEAR}-T2;18,5\n",
        headers={"Content-Type": "text/csv"},
    ),
    "GET /indicators/{indicator_id}": get(lambda w, r, o: "/indicators/part-bio"),
    "GET /indicators/{indicator_id}/values": get(lambda w, r, o: "/indicators/part-bio/values"),
    "GET /me": get(lambda w, r, o: "/me"),
    "GET /me/tasks": get(lambda w, r, o: "/me/tasks"),
    "GET /notifications": get(lambda w, r, o: "/notifications"),
    "GET /people": get(lambda w, r, o: "/people"),
    "GET /people/{person_id}": get(
        lambda w, r, o: f"/people/{PERSON_OF_ROLE.get(r, 'resto') if o else 'nett'}"
    ),
    "PUT /people/{person_id}": send(
        "PUT",
        lambda w, r, o: f"/people/{PERSON_OF_ROLE.get(r, 'resto') if o else 'nett'}",
        json=lambda w, r, o: _same_person(w, PERSON_OF_ROLE.get(r, "resto") if o else "nett"),
    ),
    "GET /plans": get(lambda w, r, o: "/plans"),
    "POST /plans": send(
        "POST",
        lambda w, r, o: "/plans",
        content=plan_text(RUNNING),
        headers={"Content-Type": "application/yaml"},
    ),
    "POST /plans/validate": send(
        "POST",
        lambda w, r, o: "/plans/validate",
        content=plan_text(RUNNING),
        headers={"Content-Type": "application/yaml"},
    ),
    "POST /plans/{portfolio}/{year}/amend": send(
        "POST",
        lambda w, r, o: f"/plans/{mine(o)}/{YEAR}/amend",
        json=lambda w, r, o: {
            "add": [
                {
                    "id": f"ajout-{next(w.added)}",
                    "kind": "action",
                    "title": "Action ajoutée",
                    "assignees": ["resto" if o else "nett"],
                    "due": f"{YEAR}-09-15",
                }
            ],
            "reason": "nouvelle priorité",
        },
    ),
    "POST /plans/{portfolio}/{year}/approve": send(
        "POST", lambda w, r, o: f"/plans/{'approuver-a' if o else 'approuver-b'}/{YEAR}/approve"
    ),
    "POST /plans/{portfolio}/{year}/return": send(
        "POST",
        lambda w, r, o: f"/plans/{'renvoyer-a' if o else 'renvoyer-b'}/{YEAR}/return",
        json={"comment": "Ajoutez une action sur les circuits courts."},
    ),
    "POST /plans/{portfolio}/{year}/submit": send(
        "POST", lambda w, r, o: f"/plans/{'soumettre-a' if o else 'soumettre-b'}/{YEAR}/submit"
    ),
    "GET /plans/{portfolio}/{year}/versions/{version}": get(
        lambda w, r, o: f"/plans/{mine(o)}/{YEAR}/versions/1"
    ),
    "GET /portfolios": get(lambda w, r, o: "/portfolios"),
    "GET /portfolios/{portfolio_id}": get(lambda w, r, o: f"/portfolios/{mine(o)}"),
    "GET /proposals": get(lambda w, r, o: "/proposals"),
    "POST /proposals/{proposal_id}/accept": send(
        "POST", lambda w, r, o: f"/proposals/{next(w.proposals)}/accept"
    ),
    "DELETE /proposals/{proposal_id}": send(
        "DELETE", lambda w, r, o: f"/proposals/{next(w.proposals)}"
    ),
    "GET /reports/{year}": get(lambda w, r, o: f"/reports/{YEAR}?format=csv"),
    "GET /settings": get(lambda w, r, o: "/settings"),
    "GET /tasks/{task_id:path}": get(lambda w, r, o: f"/tasks/{w.evidence[mine(o)][0]}"),
    "POST /tasks/{task_id:path}/complete": send(
        "POST",
        lambda w, r, o: f"/tasks/{w.task(mine(o))}/complete",
        json={"comment": "fait", "evidence_url": "https://intranet.example.org/preuve"},
    ),
    "GET /tasks/{task_id:path}/evidence": get(
        lambda w, r, o: f"/tasks/{w.evidence[mine(o)][0]}/evidence"
    ),
    "POST /tasks/{task_id:path}/evidence": send(
        "POST",
        lambda w, r, o: f"/tasks/{w.evidence[mine(o)][0]}/evidence",
        files={"file": ("preuve.pdf", PDF, "application/pdf")},
    ),
    "GET /tasks/{task_id:path}/evidence/{evidence_id}": get(
        lambda w, r, o: "/tasks/{}/evidence/{}".format(*w.evidence[mine(o)])
    ),
    "POST /tasks/{task_id:path}/reschedule-decision": send(
        "POST",
        lambda w, r, o: f"/tasks/{next(w.waiting[mine(o)])}/reschedule-decision",
        json={"approve": True, "reason": "accordé"},
    ),
    "POST /tasks/{task_id:path}/reschedule-request": send("POST", reschedule, json=later),
    "POST /tasks/{task_id:path}/values": send(
        "POST",
        lambda w, r, o: f"/tasks/{w.task(mine(o), 'point')}/values",
        json={"values": {"part-bio": 18.5}, "comment": "relevé"},
    ),
    "GET /tokens": get(lambda w, r, o: "/tokens"),
    "POST /tokens": send("POST", lambda w, r, o: "/tokens", json={"person_id": "nett"}),
    "DELETE /tokens/{token_id}": send("DELETE", lambda w, r, o: f"/tokens/{next(w.spare_tokens)}"),
}


def _same_person(world: World, person_id: str) -> dict[str, Any]:
    """The person as stored, renamed: no role or activity change, which only an admin makes."""
    with world.sessions() as session:
        row = session.get(Person, person_id)
    assert row is not None
    return {"name": row.name + " ", "email": row.email, "role": row.role}


SUCCESS = {
    (method, route.path): route.status_code or 200
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
}


def expected(entry: RouteAccess, role: Role | None, own: bool) -> int:
    """The one status this caller must get."""
    if entry.path.startswith("/dashboard/log") and entry.method == "POST":
        return 303  # the login form's success is the way to the dashboard
    if entry.public:
        return 200
    if role is None:
        return 303 if entry.path.startswith("/dashboard") else 401
    if role not in entry.roles:
        return 403
    if (
        role == Role.buyer
        and not own
        and entry.path.startswith(("/tasks/", "/cycles/{portfolio}/{year}/scorecard"))
    ):
        return 403
    if entry.path.endswith("/reschedule-request") and role == Role.officer and not own:
        return 403  # the task's workflow: only an assignee asks to move it
    return SUCCESS[(entry.method, entry.path)]


async def test_the_role_table_against_a_live_engine(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'boucle.db'}")
    migrate(engine)
    sessions = SessionFactory(engine)
    document = load_plan(plan_text(RUNNING))
    with sessions() as session:
        save_organisation(session, document)  # the first import: everyone as listed
        session.add(Person(id="adm", name="Admin", email="admin@example.org", role="admin"))
        session.commit()
        tokens = {role: issue_token(session, who)[0] for role, who in PERSON_OF_ROLE.items()}
        spare = [issue_token(session, "nett")[1].id or 0 for _ in range(10)]
        feed = issue_feed(session, "nett")[0]
    async with running_worker(dev_server.client, sessions, RecordingMailer()) as queue:
        imported = await import_plans(document, sessions, dev_server.client, queue, by="qdd")
        assert all(plan.cycle_started for plan in imported)
        for portfolio in (
            "restauration",
            "voirie",
            "approuver-a",
            "approuver-b",
            "renvoyer-a",
            "renvoyer-b",
        ):
            await submit_plan(dev_server.client, portfolio, YEAR, "qdd")
        for portfolio in ("restauration", "voirie"):
            await approve_plan(dev_server.client, portfolio, YEAR, "dgs")
        await start_in_evaluation(dev_server, queue, plan_text(REVIEWED))
        rows = await stored_tasks(sessions, ["restauration", "voirie"])
        by_item: dict[tuple[str, str], list[str]] = {}
        for row in sorted(rows, key=lambda task: task.due_at):
            by_item.setdefault((row.portfolio, row.item), []).append(row.id)
        for ids in by_item.values():  # each task's workflow answers updates
            for task_id in ids:
                await _until_running(dev_server, task_id)
        await scorecards_ready(sessions, REVIEWED)

        settings = Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue)
        app = create_app(settings, sessions=sessions, temporal=dev_server.client)
        async with app.router.lifespan_context(app):
            evidence = {}
            waiting: dict[str, list[str]] = {}
            async with as_(app, tokens[Role.officer]) as officer:
                for portfolio in ("restauration", "voirie"):
                    task_id = by_item[(portfolio, "hebdo")].pop(0)
                    stored = await officer.post(
                        f"/tasks/{task_id}/evidence",
                        files={"file": ("preuve.pdf", PDF, "application/pdf")},
                    )
                    assert stored.status_code == 201, stored.text
                    evidence[portfolio] = (task_id, stored.json()["id"])
            for portfolio, buyer in (("restauration", "resto"), ("voirie", "nett")):
                with sessions() as session:
                    buyer_token = issue_token(session, buyer)[0]
                async with as_(app, buyer_token) as asking:
                    for _ in range(5):
                        task_id = by_item[(portfolio, "hebdo")].pop()
                        asked = await asking.post(
                            f"/tasks/{task_id}/reschedule-request",
                            json=later(None, None, True),  # type: ignore[arg-type]
                        )
                        assert asked.status_code == 200, asked.text
                        waiting.setdefault(portfolio, []).append(task_id)
            with sessions() as session:
                listed = plan_text(RUNNING).replace(
                    "people:\n",
                    "people:\n"
                    + "".join(
                        f"  - {{id: dg{n}, name: Directeur {n}, email: dg{n}@example.org, "
                        "role: direction}\n"
                        for n in range(2, 22)
                    ),
                )
                proposals = save_organisation(session, load_plan(listed))
                session.commit()
                proposal_ids = [p.id or 0 for p in proposals]
            assert len(proposal_ids) == 20
            shown = sign_link(
                SECRET,
                LinkClaim(
                    "complete",
                    by_item[("restauration", "hebdo")].pop(),
                    "resto",
                    datetime.now(UTC) + timedelta(days=3),
                ),
            )
            world = World(
                app=app,
                sessions=sessions,
                tokens=tokens,
                tasks={key: iter(ids) for key, ids in by_item.items()},
                waiting={key: iter(ids) for key, ids in waiting.items()},
                evidence=evidence,
                proposals=iter(proposal_ids),
                spare_tokens=iter(spare),
                shown_link=shown,
                feed=feed,
            )
            surprises, written = await walk(world)
    assert surprises == []
    # 30 public (links, login, logout), 29 the officer's (two DECP imports among them), 8 the
    # buyer's, 8 the direction's, 14 the admin's: each succeeded on an object of its own.
    assert written == 89
    with sessions() as session:
        assert session.exec(select(PersonProposal)).first() is not None


async def walk(world: World) -> tuple[list[str], int]:
    """Call every route as everyone, own and other; the surprises, and how many writes ran."""
    table = [entry for entry in route_table(ROUTERS) if not entry.path.startswith(PAGES)]
    assert {f"{entry.method} {entry.path}" for entry in table} == set(CALLS)
    surprises, written = [], 0
    for role in CALLERS:
        async with as_(world.app, world.tokens[role] if role else None) as http:
            for entry in table:
                for own in (True, False):
                    response = await CALLS[f"{entry.method} {entry.path}"](world, http, role, own)
                    wanted = expected(entry, role, own)
                    written += entry.method != "GET" and response.status_code == wanted < 400
                    if response.status_code != wanted:
                        surprises.append(
                            f"{role} {'own' if own else 'other'} {entry.method} {entry.path}: "
                            f"{response.status_code}, expected {wanted}: {response.text[:160]}"
                        )
    return surprises, written


async def _until_running(env: WorkflowEnvironment, task_id: str) -> None:
    """Have the task's cycle start its workflow now (it would when its first notice nears)."""
    portfolio, year = task_id.split("/")[:2]
    cycle = env.client.get_workflow_handle(cycle_workflow_id(portfolio, int(year)))
    await cycle.execute_update(PortfolioCycleWorkflow.start_task, task_id, id=f"start:{task_id}")
    handle = env.client.get_workflow_handle(task_workflow_id(task_id))
    for _ in range(120):
        try:
            await handle.query(TaskWorkflow.view)
            return
        except Exception:  # noqa: BLE001 - not started yet
            await asyncio.sleep(0.25)
    raise TimeoutError(f"task workflow {task_id} did not start")
