"""Bad input never gives a 500: each answer is a problem document that says what and where."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from domain.model import Role
from services.settings import Settings
from services.tokens import create_token
from tests.api.test_api import client, start_task, stored_pub_task
from tests.api.test_roles import OWN, seeded
from tests.engine.support import RecordingMailer, running_worker
from tests.plans import plan_text


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    return body  # type: ignore[no-any-return]


async def test_malformed_wrong_huge_and_unknown(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as http:
        broken = await http.post(
            f"/tasks/{OWN}/complete",
            content=b'{"comment": "fait",',
            headers={"Content-Type": "application/json"},
        )
        body = assert_problem(broken, 422, "invalid_request")
        assert body["errors"][0]["type"] == "json_invalid"

        wrong = await http.put(
            "/people/lea", json={"name": "Léa", "email": 42, "role": "boss", "active": "x"}
        )
        body = assert_problem(wrong, 422, "invalid_request")
        assert {tuple(e["loc"]) for e in body["errors"]} >= {
            ("body", "email"),
            ("body", "role"),
            ("body", "active"),
        }

        huge = {"comment": "x" * 3_000_000}
        declared = await http.post(f"/tasks/{OWN}/complete", json=huge)
        assert_problem(declared, 413, "too_large")

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(30):
                yield b" " * 100_000

        streamed = await http.post(
            f"/tasks/{OWN}/complete",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert_problem(streamed, 413, "too_large")

        for url, code in (
            ("/tasks/voirie/2031/rien/2031-01-01", "no_task"),
            ("/cycles/voirie/2031", "no_cycle"),
            ("/indicators/inconnu", "no_indicator"),
            ("/people/personne", "no_person"),
            ("/plans/restauration/2027/versions/9", "no_plan_version"),
        ):
            assert_problem(await http.get(url), 404, code)
        assert_problem(await http.get("/nulle-part"), 404, "not_found")
        english = await http.get("/cycles/voirie/2031", headers={"Accept-Language": "en"})
        assert english.json()["detail"] == "no cycle for portfolio 'voirie' in 2031"

        not_yaml = await http.post(
            "/plans/validate", content=b"\x00\xff", headers={"Content-Type": "image/png"}
        )
        assert_problem(not_yaml, 415, "plan_media_type")
        binary = await http.post(
            "/plans/validate", content=b"\xff\xfe", headers={"Content-Type": "text/yaml"}
        )
        assert_problem(binary, 422, "plan_unreadable")


async def test_a_plan_with_fifty_errors_lists_each_one_located(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    items = "\n".join(
        f'- {{id: item-{n}, kind: action, title: T{n}, assignees: [resto], due: "2027-13-01"}}\n'
        f'- {{id: autre-{n}, kind: action, title: A{n}, assignees: [x{n}], due: "2027-03-01"}}'
        for n in range(25)
    )
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as http:
        checked = await http.post(
            "/plans/validate",
            content=plan_text(items).encode(),
            headers={"Content-Type": "application/yaml", "Accept-Language": "en"},
        )
        valid = await http.post(
            "/plans/validate",
            content=json.dumps({"version": 1}).encode(),
            headers={"Content-Type": "application/json"},
        )
    body = assert_problem(checked, 422, "plan_invalid")
    assert len(body["errors"]) == 50
    first = body["errors"][0]
    assert first["line"] > 30 and first["path"].startswith("plans[0].items[0].")
    assert first["text"].startswith(f"plan:{first['line']}: plans[0].items[0].")
    assert body["detail"] == "the plan has 50 error(s)"
    assert valid.status_code == 422 and valid.json()["errors"]  # JSON plans too


async def test_a_reschedule_to_the_past_or_a_holiday_is_refused_with_its_reason(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    with sessions() as session:
        token = create_token(session, "resto")
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions, temporal=env.client)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app), client(app, token) as buyer:
            past = await buyer.post(
                f"/tasks/{task.id}/reschedule-request", json={"due": "2020-01-06T17:00:00+01:00"}
            )
            holiday = await buyer.post(
                f"/tasks/{task.id}/reschedule-request", json={"due": "2027-07-14T17:00:00+02:00"}
            )
            naive = await buyer.post(
                f"/tasks/{task.id}/reschedule-request", json={"due": "2027-07-15T17:00:00"}
            )
    for refused in (past, holiday):
        body = assert_problem(refused, 422, "refused")
        assert body["detail"]
    assert holiday.json()["detail"] == "le 2027-07-14 n'est pas un jour ouvré (Fête nationale)"
    assert_problem(naive, 422, "invalid_request")  # a time without its offset is ambiguous


def test_every_workflow_refusal_reads_in_french_and_english() -> None:
    from services.refusals import refusal_text

    assert refusal_text("task_closed", {"status": "done"}, "fr", "") == "la tâche est déjà faite"
    assert refusal_text("task_closed", {"status": "missed"}, "en", "") == (
        "the task is already closed without being done"
    )
    assert refusal_text("unknown_items", {"items": "a, b"}, "fr", "") == "éléments inconnus : a, b"
    assert refusal_text("holiday", {"day": "2027-05-08", "name": "Victoire 1945"}, "fr", "") == (
        "le 2027-05-08 n'est pas un jour ouvré (Victoire 1945)"
    )
    # An unknown code is never lost: the workflow's own words, at worst untranslated.
    assert refusal_text("something_new", {}, "fr", "something new") == "something new"


def test_every_refusal_code_a_workflow_can_give_has_its_texts() -> None:
    import ast

    from services.refusals import MESSAGES

    codes = set()
    for path in [*Path("workflows").glob("*.py"), Path("domain/execution.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            given = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "code")]
            if getattr(node.func, "id", "") in ("refuse", "Problem"):
                codes |= {c.value for c in given if isinstance(c, ast.Constant)}
    assert len(codes) > 30
    assert codes <= set(MESSAGES), sorted(codes - set(MESSAGES))


async def test_a_plan_that_would_exhaust_the_server_is_a_located_422(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 6)]
    bomb = "\n".join(levels) + "\nversion: 1\n"
    deep = '{"version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    minutely = plan_text("""
        - {id: v, kind: action, title: V, assignees: [resto], start: "2027-01-04T09:30",
           rrule: "FREQ=MINUTELY;INTERVAL=24"}
    """)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as http:
        answers = [
            await http.post(
                "/plans/validate",
                content=text.encode(),
                headers={"Content-Type": media, "Accept-Language": "en"},
            )
            for text, media in (
                (bomb, "application/yaml"),
                (deep, "application/json"),  # a RecursionError, so a 500, before
                (minutely, "application/yaml"),
            )
        ]
    texts = [assert_problem(answer, 422, "plan_invalid")["errors"][0]["text"] for answer in answers]
    assert texts == [
        "plan:1: a4[0][2][1][0][4]: YAML aliases (*name) copy too many values: "
        "at most 10000 in all",
        "plan:1: (document): nested too deeply: at most 20 levels of lists and mappings",
        "plan:32: plans[0].items[0].rrule: frequency MINUTELY refused: a task recurs at most "
        "daily (DAILY, WEEKLY, MONTHLY or YEARLY)",
    ]


async def test_people_put_and_other_bodies_refuse_control_characters_in_names(
    tmp_path: Path,
) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    person = {"email": "lea@example.org", "role": "buyer"}
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as http:
        injected = await http.put(
            "/people/lea", json={**person, "name": "Léa\r\nReply-To: attacker@evil.test"}
        )
        nul = await http.put(
            "/people/lea", json={**person, "name": "Léa", "email": "lea@example.org\n"}
        )
        kept = await http.put("/people/lea", json={**person, "name": "Léa Dupont"})
        comment = await http.post(f"/tasks/{OWN}/complete", json={"comment": "fait\x00"})
    body = assert_problem(injected, 422, "invalid_request")
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["body", "name"], "control_character")
    ]
    assert "U+000D" in body["errors"][0]["msg"]
    body = assert_problem(nul, 422, "invalid_request")
    assert body["errors"][0]["loc"] == ["body", "email"]
    assert kept.status_code == 200 and kept.json()["name"] == "Léa Dupont"
    body = assert_problem(comment, 422, "invalid_request")  # PostgreSQL stores no NUL: a 500
    assert body["errors"][0]["type"] == "control_character_text"


async def test_indicator_values_must_be_finite_a_nan_is_a_422_not_a_500(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions, temporal=env.client)
    csv = "indicator;portfolio;period;value\npart-bio;restauration;2027-T2;nan\n"
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as http:
        answers = [
            await http.post(
                f"/tasks/{OWN}/values",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            for body in (
                b'{"values": {"part-bio": NaN}}',
                b'{"values": {"part-bio": Infinity}}',
                b'{"values": {"part-bio": 1e999}}',
                b'{"values": {"part-bio": "nan"}}',
            )
        ]
        imported = await http.post(
            "/indicators/values", content=csv, headers={"Content-Type": "text/csv"}
        )
    for answer in answers:
        body = assert_problem(answer, 422, "invalid_request")
        assert [(e["loc"], e["type"]) for e in body["errors"]] == [
            (["body", "values", "part-bio"], "finite_number")
        ]
    assert imported.status_code == 422
    assert imported.json()["errors"][0]["message"] == "« nan » : un nombre fini est attendu"
