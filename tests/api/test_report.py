"""The annual report and the direction's dashboard, from a store with known figures."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.main import create_app
from boucle.cli import app as cli
from domain.model import Role
from services.settings import Settings
from store.database import SessionFactory
from store.tables import Cycle, IndicatorValue, Task
from tests.api.test_api import client
from tests.api.test_roles import seeded


def with_figures(tmp_path: Path) -> tuple[SessionFactory, dict[Role, str]]:
    """The role tests' store, plus values for part-bio and a done, a late, an open and a
    cancelled task (restauration: five tasks, one cancelled; voirie: one)."""
    sessions, tokens = seeded(tmp_path)
    with sessions() as session:
        for period, value in (("2027-Q2", 15.0), ("2027-Q4", 22.5), ("2026-Q4", 18.0)):
            session.add(
                IndicatorValue(
                    indicator_id="part-bio",
                    portfolio_id="restauration",
                    period=period,
                    value=value,
                    recorded_at=datetime(2027, 12, 1, tzinfo=UTC),
                )
            )
        for number, (status, late) in enumerate(
            [("done", 0), ("done", 3), ("open", 0), ("cancelled", 0)]
        ):
            due = datetime(2027, 3 + number, 10, 15, tzinfo=UTC)
            session.add(
                Task(
                    id=f"restauration/2027/t{number}/{due.date()}",
                    cycle_id="restauration/2027",
                    portfolio="restauration",
                    year=2027,
                    item=f"t{number}",
                    kind="action",
                    title=f"T{number}",
                    due_at=due,
                    original_at=due,
                    assignees=["resto"],
                    status=status,
                    done_at=due + timedelta(days=late) if status == "done" else None,
                )
            )
        cycle = session.get(Cycle, "restauration/2027")
        assert cycle is not None
        cycle.review = {"lessons": "Former les cuisiniers plus tôt", "decisions": ["Former"]}
        session.add(cycle)
        session.commit()
    return sessions, tokens


async def test_the_report_in_json_csv_and_html_carries_the_submitted_figures(
    tmp_path: Path,
) -> None:
    sessions, tokens = with_figures(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens[Role.direction]) as direction:
            as_json = (await direction.get("/reports/2027")).json()
            as_csv = await direction.get("/reports/2027", params={"format": "csv"})
            as_html = await direction.get("/reports/2027", params={"format": "html"})
        async with client(app, tokens[Role.buyer]) as buyer:
            assert (await buyer.get("/reports/2027")).status_code == 403
    restauration = next(p for p in as_json["portfolios"] if p["portfolio"] == "restauration")
    (bio,) = restauration["scorecard"]["indicators"]
    assert (bio["value"], bio["target"], bio["status"]) == (22.5, 20.0, "on_track")
    assert bio["years"] == {"2026": 18.0} and bio["trend"] == "improving"
    tasks = restauration["scorecard"]["tasks"]
    # The tasks fall in 2027: the open ones are not due yet, so not missed.
    assert (tasks["done_on_time"], tasks["done_late"], tasks["missed"], tasks["open"]) == (
        1,
        1,
        0,
        2,
    )
    march = restauration["months"][2]
    assert (march["due"], march["done_on_time"]) == (1, 1)

    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["portefeuille", "indicateur", "libellé", "unité", "agrégation", "valeur"]
    assert rows[1][:7] == ["restauration", "part-bio", "Part bio", "percent", "last", "22,5", "20"]

    page = as_html.text
    assert "Bilan annuel du SPASER 2027" in page and "Part bio" in page
    assert page.count("<svg") == 2 * len(as_json["portfolios"]) - sum(
        1 for p in as_json["portfolios"] if not p["scorecard"]["indicators"]
    )
    assert "Former les cuisiniers plus tôt" in page and "<script" not in page
    # Cancelled tasks count nowhere, as on the dashboard: 4 + 1 planned, 1 cancelled.
    assert "<strong>5</strong>tâches prévues (1 annulée(s) en plus)" in page
    assert "0\nnon faite(s) sur 4\n(1 annulée(s) ne comptent pas)." in page


def test_boucle_report_writes_each_format(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    sessions, _ = with_figures(tmp_path)
    monkeypatch.setenv("BOUCLE_DATABASE_URL", str(sessions.engine.url))
    runner = CliRunner()
    out = tmp_path / "bilan.json"
    done = runner.invoke(cli, ["report", "2027", "--format", "json", "--out", str(out)])
    assert done.exit_code == 0, done.output
    restauration = next(
        p for p in json.loads(out.read_text())["portfolios"] if p["portfolio"] == "restauration"
    )
    assert restauration["scorecard"]["indicators"][0]["value"] == 22.5
    html = runner.invoke(cli, ["report", "2027"])
    assert html.exit_code == 0 and "<svg" in html.output
    to_stdout = runner.invoke(cli, ["report", "2027", "--format", "pdf"])
    assert to_stdout.exit_code == 2 and "--out bilan.pdf" in to_stdout.output
    pdf = tmp_path / "bilan.pdf"
    printed = runner.invoke(cli, ["report", "2027", "--format", "pdf", "--out", str(pdf)])
    assert printed.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF-1.")
    page = runner.invoke(cli, ["report", "2027", "--format", "page"])
    assert page.output.startswith("<!DOCTYPE html>") and "Ce que la loi demande" in page.output
    wrong = runner.invoke(cli, ["report", "2027", "--format", "docx"])
    assert wrong.exit_code == 2


async def log_in(browser: httpx.AsyncClient, token: str) -> httpx.Response:
    """Fill in the login form as a browser does: the form first, then its answer."""
    form = await browser.get("/dashboard/login")
    key = re.search(r'name="form_key" value="([^"]+)"', form.text)
    assert key is not None, form.text
    return await browser.post("/dashboard/login", data={"token": token, "form_key": key[1]})


async def test_the_dashboard_asks_for_a_login_then_shows_every_portfolio(tmp_path: Path) -> None:
    sessions, tokens = with_figures(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        first = await browser.get("/dashboard", params={"year": 2027})
        # to the sign-in page, and back to this very page after it
        assert first.headers["location"] == "/app/sign-in?next=/dashboard?year=2027"
        wrong = await log_in(browser, "bcl_faux")
        assert wrong.status_code == 401 and "Jeton inconnu" in wrong.text
        buyer = await log_in(browser, tokens[Role.buyer])
        assert buyer.status_code == 303
        refused = await browser.get("/dashboard", params={"year": 2027})
        assert refused.status_code == 403
        browser.cookies.clear()
        logged = await log_in(browser, tokens[Role.direction])
        assert logged.status_code == 303
        assert "httponly" in logged.headers["set-cookie"].lower()
        assert "samesite=lax" in logged.headers["set-cookie"].lower()
        page = await browser.get("/dashboard", params={"year": 2027})
    assert page.status_code == 200
    assert "Tableau de bord des achats responsables" in page.text
    assert "Restauration" in page.text and "voirie" in page.text
    assert 'class="status on_track"' in page.text  # part-bio met its target
