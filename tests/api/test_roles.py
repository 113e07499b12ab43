"""Every route × every role × own or someone else's object answers as the route table says.

The table is the routes' own declarations (`api.access`); the README shows the same table,
generated from them. A route added without a request here fails the first test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.access import markdown_table, route_table
from api.main import ROUTERS, create_app
from domain.model import Role
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory
from store.tables import Cycle, Person, Task, TaskPerson
from tests.engine.support import store_with
from tests.plans import plan_text, plan_with

OWN = "restauration/2027/pub/2027-02-15"
OTHER = "voirie/2027/balayage/2027-03-01"
PERSON_OF_ROLE = {
    Role.officer: "qdd",
    Role.buyer: "resto",
    Role.direction: "dgs",
    Role.admin: "adm",
}
PLAN = plan_text('- {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}')
PDF = b"%PDF-1.4\n% preuve\n"

Request = tuple[str, dict[str, Any]]  # url, httpx keyword arguments


def _pick(own: bool, mine: str, theirs: str) -> str:
    return mine if own else theirs


REQUESTS: dict[str, Callable[[bool], Request]] = {
    "GET /act/{token}": lambda own: ("/act/not-a-link", {}),
    "GET /app/calendar": lambda own: ("/app/calendar", {}),
    "POST /app/calendar": lambda own: ("/app/calendar", {"data": {}}),
    "POST /app/calendar/revoke": lambda own: ("/app/calendar/revoke", {"data": {}}),
    "GET /calendar/{secret}.ics": lambda own: ("/calendar/bcf_inconnu.ics", {}),
    "POST /me/calendar-feed": lambda own: ("/me/calendar-feed", {}),
    "DELETE /me/calendar-feed": lambda own: ("/me/calendar-feed", {}),
    "GET /app/cycles/{portfolio}/{year}": lambda own: (
        _pick(own, "/app/cycles/restauration/2027", "/app/cycles/voirie/2027"),
        {},
    ),
    "GET /app/cycles/{portfolio}/{year}/amend": lambda own: (
        f"/app/cycles/restauration/2027/amend?task={OWN}",
        {},
    ),
    "POST /app/cycles/{portfolio}/{year}/amend": lambda own: (
        "/app/cycles/restauration/2027/amend",
        {"data": {"task": OWN, "action": "cancel_task", "reason": "Formation reportée"}},
    ),
    "POST /app/cycles/{portfolio}/{year}/items": lambda own: (
        "/app/cycles/restauration/2027/items",
        {"data": {"reason": "Nouveau marché", "kind": "action", "title": "Sourcing"}},
    ),
    "GET /app/cycles/{portfolio}/{year}/items/new": lambda own: (
        "/app/cycles/restauration/2027/items/new?reason=Nouveau%20march%C3%A9",
        {},
    ),
    "GET /app/cycles/{portfolio}/{year}/review": lambda own: (
        "/app/cycles/restauration/2027/review",
        {},
    ),
    "POST /app/cycles/{portfolio}/{year}/review": lambda own: (
        "/app/cycles/restauration/2027/review",
        {"data": {"lessons": "Former plus tôt"}},
    ),
    "POST /app/cycles/{portfolio}/{year}/next-targets": lambda own: (
        "/app/cycles/restauration/2027/next-targets",
        {"data": {"target:part-bio": "25"}},
    ),
    "GET /app/plans/{portfolio}/{year}": lambda own: ("/app/plans/restauration/2027", {}),
    "POST /app/plans/{portfolio}/{year}/approve": lambda own: (
        "/app/plans/restauration/2027/approve",
        {"data": {}},
    ),
    "POST /app/plans/{portfolio}/{year}/return": lambda own: (
        "/app/plans/restauration/2027/return",
        {"data": {"comment": "Ajouter une action sur les circuits courts"}},
    ),
    "POST /app/plans/{portfolio}/{year}/submit": lambda own: (
        "/app/plans/restauration/2027/submit",
        {"data": {}},
    ),
    "POST /app/plans/{portfolio}/{year}/upload": lambda own: (
        "/app/plans/restauration/2027/upload",
        {"files": {"file": ("plan.yaml", b"version: 1\n")}},
    ),
    "POST /app/plans/{portfolio}/{year}/from-last-year": lambda own: (
        "/app/plans/restauration/2028/from-last-year",
        {"data": {}},
    ),
    "GET /app/plans/{portfolio}/{year}/items/new": lambda own: (
        "/app/plans/restauration/2027/items/new",
        {},
    ),
    "GET /app/plans/{portfolio}/{year}/items/{item_id}": lambda own: (
        "/app/plans/restauration/2027/items/pub",
        {},
    ),
    "POST /app/plans/{portfolio}/{year}/items": lambda own: (
        "/app/plans/restauration/2027/items",
        {"data": {"kind": "action", "title": "Publier", "due": "2027-03-01"}},
    ),
    "POST /app/plans/{portfolio}/{year}/items/{item_id}": lambda own: (
        "/app/plans/restauration/2027/items/pub",
        {"data": {"kind": "action", "title": "Publier", "due": "2027-03-01"}},
    ),
    "GET /app/sign-in": lambda own: ("/app/sign-in", {}),
    "POST /app/sign-in": lambda own: ("/app/sign-in", {"data": {"email": "paul@example.org"}}),
    "GET /app/sign-in/oidc/callback": lambda own: (
        "/app/sign-in/oidc/callback?code=made-up&state=made-up",
        {},
    ),
    "GET /app/sign-in/oidc/start": lambda own: ("/app/sign-in/oidc/start?next=/app/tasks", {}),
    "GET /app/sign-in/{token}": lambda own: ("/app/sign-in/not-a-link", {}),
    "POST /app/sign-in/{token}": lambda own: ("/app/sign-in/not-a-link", {}),
    "POST /app/sign-out": lambda own: ("/app/sign-out", {}),
    "GET /app/tasks": lambda own: ("/app/tasks", {}),
    "GET /app/tasks/{task_id:path}": lambda own: (f"/app/tasks/{_pick(own, OWN, OTHER)}", {}),
    "GET /app/tasks/{task_id:path}/evidence/{evidence_id}": lambda own: (
        f"/app/tasks/{_pick(own, OWN, OTHER)}/evidence/{'0' * 64}",
        {},
    ),
    "POST /app/tasks/{task_id:path}/done": lambda own: (
        f"/app/tasks/{_pick(own, OWN, OTHER)}/done",
        {"data": {"comment": "fait"}},
    ),
    "POST /app/tasks/{task_id:path}/postpone": lambda own: (
        f"/app/tasks/{_pick(own, OWN, OTHER)}/postpone",
        {"data": {"due": "2027-02-22", "reason": "congés"}},
    ),
    "POST /app/tasks/{task_id:path}/decision": lambda own: (
        f"/app/tasks/{_pick(own, OWN, OTHER)}/decision",
        {"data": {"approve": "yes"}},
    ),
    "POST /app/tasks/{task_id:path}/values": lambda own: (
        f"/app/tasks/{_pick(own, OWN, OTHER)}/values",
        {"data": {"value-part-bio": "18,5"}},
    ),
    "POST /act/{token}": lambda own: ("/act/not-a-link", {}),
    "GET /audit": lambda own: ("/audit", {}),
    "GET /cycles": lambda own: ("/cycles", {}),
    "GET /cycles/{portfolio}/{year}": lambda own: (
        _pick(own, "/cycles/restauration/2027", "/cycles/voirie/2027"),
        {},
    ),
    "POST /cycles/{portfolio}/{year}/review": lambda own: (
        "/cycles/restauration/2027/review",
        {"json": {"lessons": "Former plus tôt"}},
    ),
    "GET /cycles/{portfolio}/{year}/scorecard": lambda own: (
        _pick(own, "/cycles/restauration/2027/scorecard", "/cycles/voirie/2027/scorecard"),
        {},
    ),
    "GET /cycles/{portfolio}/{year}/timeline": lambda own: (
        _pick(own, "/cycles/restauration/2027/timeline", "/cycles/voirie/2027/timeline"),
        {},
    ),
    "GET /health": lambda own: ("/health", {}),
    "GET /metrics": lambda own: ("/metrics", {}),
    "GET /dashboard": lambda own: ("/dashboard", {}),
    "GET /dashboard/login": lambda own: ("/dashboard/login", {}),
    "POST /dashboard/login": lambda own: ("/dashboard/login", {"data": {"token": "bcl_faux"}}),
    "POST /dashboard/logout": lambda own: ("/dashboard/logout", {}),
    "GET /dashboard/report/{year}": lambda own: ("/dashboard/report/2027", {}),
    "GET /dashboard/report/{year}/{kind}": lambda own: ("/dashboard/report/2027/pdf", {}),
    "GET /reports/{year}": lambda own: ("/reports/2027", {"params": {"format": "csv"}}),
    "POST /decp": lambda own: (
        "/decp",
        {"files": {"file": ("decp.json", b"[]", "application/json")}},
    ),
    "GET /decp/{year}": lambda own: ("/decp/2026", {}),
    "GET /indicators": lambda own: ("/indicators", {}),
    "GET /indicators/{indicator_id}": lambda own: ("/indicators/part-bio", {}),
    "GET /indicators/{indicator_id}/values": lambda own: ("/indicators/part-bio/values", {}),
    "POST /indicators/values": lambda own: (
        "/indicators/values",
        {
            "content": "indicator;portfolio;period;value\npart-bio;restauration;2027-T2;18,5\n",
            "headers": {"Content-Type": "text/csv"},
        },
    ),
    "GET /me": lambda own: ("/me", {}),
    "GET /me/tasks": lambda own: ("/me/tasks", {}),
    "GET /notifications": lambda own: ("/notifications", {}),
    "GET /people": lambda own: ("/people", {}),
    "GET /people/{person_id}": lambda own: (_pick(own, "/people/resto", "/people/nett"), {}),
    "PUT /people/{person_id}": lambda own: (
        "/people/lea",
        {"json": {"name": "Léa Roux", "email": "lea.roux@example.org", "role": "buyer"}},
    ),
    "GET /proposals": lambda own: ("/proposals", {}),
    "POST /proposals/{proposal_id}/accept": lambda own: ("/proposals/999999/accept", {}),
    "DELETE /proposals/{proposal_id}": lambda own: ("/proposals/999999", {}),
    "GET /plans": lambda own: ("/plans", {}),
    "POST /plans": lambda own: (
        "/plans",
        {"content": PLAN, "headers": {"Content-Type": "application/yaml"}},
    ),
    "POST /plans/validate": lambda own: (
        "/plans/validate",
        {"content": PLAN, "headers": {"Content-Type": "application/yaml"}},
    ),
    "POST /plans/{portfolio}/{year}/amend": lambda own: (
        "/plans/restauration/2027/amend",
        {"json": {"cancel_items": ["pub"]}},
    ),
    "POST /plans/{portfolio}/{year}/approve": lambda own: ("/plans/restauration/2027/approve", {}),
    "POST /plans/{portfolio}/{year}/return": lambda own: (
        "/plans/restauration/2027/return",
        {"json": {"comment": "Ajouter une action sur les circuits courts"}},
    ),
    "POST /plans/{portfolio}/{year}/submit": lambda own: ("/plans/restauration/2027/submit", {}),
    "GET /plans/{portfolio}/{year}/versions/{version}": lambda own: (
        "/plans/restauration/2027/versions/1",
        {},
    ),
    "GET /portfolios": lambda own: ("/portfolios", {}),
    "GET /portfolios/{portfolio_id}": lambda own: ("/portfolios/restauration", {}),
    "GET /settings": lambda own: ("/settings", {}),
    "GET /tasks/{task_id:path}": lambda own: (f"/tasks/{_pick(own, OWN, OTHER)}", {}),
    "POST /tasks/{task_id:path}/complete": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/complete",
        {"json": {"comment": "fait"}},
    ),
    "GET /tasks/{task_id:path}/evidence": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/evidence",
        {},
    ),
    "POST /tasks/{task_id:path}/evidence": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/evidence",
        {"files": {"file": ("preuve.pdf", PDF, "application/pdf")}},
    ),
    "GET /tasks/{task_id:path}/evidence/{evidence_id}": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/evidence/{'0' * 64}",
        {},
    ),
    "POST /tasks/{task_id:path}/reschedule-decision": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/reschedule-decision",
        {"json": {"approve": True}},
    ),
    "POST /tasks/{task_id:path}/reschedule-request": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/reschedule-request",
        {"json": {"due": "2027-02-22T17:00:00+01:00"}},
    ),
    "POST /tasks/{task_id:path}/values": lambda own: (
        f"/tasks/{_pick(own, OWN, OTHER)}/values",
        {"json": {"values": {"part-bio": 18.5}}},
    ),
    "GET /tokens": lambda own: ("/tokens", {}),
    "POST /tokens": lambda own: ("/tokens", {"json": {"person_id": "resto"}}),
    "DELETE /tokens/{token_id}": lambda own: ("/tokens/999999", {}),
}

# What a permitted caller may get: success, or an answer about the object or the engine
# (here the workflow engine is deliberately unreachable, so writes to cycles end in 503).
PERMITTED = {200, 201, 400, 404, 409, 422, 503}


def seeded(folder: Path) -> tuple[SessionFactory, dict[Role, str]]:
    sessions = store_with(plan_with(""), folder)
    due = datetime(2027, 2, 15, 16, tzinfo=UTC)
    with sessions() as session:
        session.add(Person(id="adm", name="Admin", email="admin@example.org", role="admin"))
        for portfolio, task_id, buyer in (
            ("restauration", OWN, "resto"),
            ("voirie", OTHER, "nett"),
        ):
            session.add(
                Cycle(
                    id=f"{portfolio}/2027",
                    portfolio=portfolio,
                    year=2027,
                    phase="executing",
                    workflow_id=f"cycle:{portfolio}:2027",
                    plan_version=1,
                )
            )
            session.add(
                Task(
                    id=task_id,
                    cycle_id=f"{portfolio}/2027",
                    portfolio=portfolio,
                    year=2027,
                    item=task_id.split("/")[2],
                    kind="action",
                    title="Tâche",
                    due_at=due,
                    original_at=due,
                    assignees=[buyer],
                )
            )
            session.add(TaskPerson(task_id=task_id, person_id=buyer, relation="assignee"))
        session.commit()
        tokens = {role: create_token(session, person) for role, person in PERSON_OF_ROLE.items()}
    return sessions, tokens


def expected(entry: Any, role: Role | None, own: bool) -> set[int]:
    if (entry.method, entry.path) == ("POST", "/dashboard/login"):
        return {403}  # a made-up token, and no key from a form the page served, whoever sends it
    if (entry.method, entry.path) == ("POST", "/dashboard/logout"):
        return {303}  # to the login page, with or without a session to end
    if (entry.method, entry.path) == ("POST", "/app/calendar/revoke") and role is not None:
        return {303}  # revoked, back to the page
    if (entry.method, entry.path) == ("POST", "/app/sign-out"):
        return {303}  # to the sign-in page, with or without a session to end
    if entry.method == "POST" and entry.path.startswith("/app/sign-in"):
        return {403}  # no key from a form the page served, whoever sends it
    if entry.public:
        return PERMITTED
    if role is None:
        # pages: to the sign-in page, then back
        return {303} if entry.path.startswith(("/dashboard", "/app/")) else {401}
    if role not in entry.roles:
        return {403}
    if (
        role == Role.buyer
        and not own
        and entry.path.startswith(
            ("/tasks/", "/app/tasks/", "/app/cycles/", "/cycles/{portfolio}/{year}/scorecard")
        )
    ):
        return {403}
    return PERMITTED


def test_every_route_has_a_request_here_and_nothing_else_is_reachable() -> None:
    declared = {f"{entry.method} {entry.path}" for entry in route_table(ROUTERS)}
    assert declared == set(REQUESTS)


def test_the_readme_shows_the_route_table_as_the_routes_declare_it() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table(ROUTERS) in readme, "regenerate it: python -m api.access"


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
async def test_the_role_table(tmp_path: Path, own: bool) -> None:
    sessions, tokens = seeded(tmp_path)
    settings = Settings(data_dir=tmp_path, temporal_address="127.0.0.1:9")  # nothing listens
    app = create_app(settings, sessions=sessions)
    surprises = []
    async with app.router.lifespan_context(app):
        for role in [None, *Role]:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
            ) as http:
                for entry in route_table(ROUTERS):
                    url, options = REQUESTS[f"{entry.method} {entry.path}"](own)
                    response = await http.request(entry.method, url, **options)
                    allowed = expected(entry, role, own)
                    if response.status_code not in allowed:
                        surprises.append(
                            f"{role} {entry.method} {url}: {response.status_code} "
                            f"{response.text[:120]}"
                        )
    assert surprises == []


async def test_every_write_is_in_the_audit_trail(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        officer = {"Authorization": f"Bearer {tokens[Role.officer]}"}
        buyer = {"Authorization": f"Bearer {tokens[Role.buyer]}"}
        put = REQUESTS["PUT /people/{person_id}"](True)
        assert (await http.put(put[0], headers=officer, **put[1])).status_code == 200
        assert (await http.put(put[0], headers=buyer, **put[1])).status_code == 403
        upload = REQUESTS["POST /tasks/{task_id:path}/evidence"](True)
        stored = await http.post(upload[0], headers=buyer, **upload[1])
        assert stored.status_code == 201
        proof = await http.get(stored.json()["url"], headers=officer)
        assert proof.content == PDF
        trail = (await http.get("/audit", headers=officer)).json()
        assert (await http.get("/audit", headers=buyer)).status_code == 403
    rows = [(row["person_id"], row["method"], row["action"], row["status"]) for row in trail]
    assert rows == [
        ("qdd", "PUT", "write_person", 200),
        ("resto", "PUT", "write_person", 403),
        ("resto", "POST", "upload_evidence", 201),
    ]
    assert trail[0]["target"] == "lea" and trail[0]["token_id"] is not None
    assert datetime.fromisoformat(trail[0]["at"]) > datetime.now(UTC) - timedelta(minutes=1)
