"""The dashboard and the annual report as a person sees them, in headless Chromium.

Playwright drives Debian's Chromium (`/usr/bin/chromium`); no browser is downloaded. Set
BOUCLE_SCREENSHOTS to a folder to keep the screenshots (the README's come from here).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from activities.store import StoreActivities
from api.main import create_app
from domain.tasks import plan_tasks
from domain.validation import load_plan
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory
from store.tables import IndicatorValue
from tests.engine.support import running_cycle, serving, store_with
from workflows.types import TaskRow, TaskStatus

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)

VALUES = {  # the demo year's figures, as the buyers submitted them
    ("restauration", "part-bio"): [("2027-Q2", 16.0), ("2027-Q4", 21.5)],
    ("restauration", "part-durable"): [("2027-Q4", 44.0)],
    ("nettoyage", "heures-insertion"): [("2027-Q2", 2100), ("2027-Q4", 3900)],
    ("reserves", "achats-ess"): [("2027-Q4", 290000)],
}


def demo_store(folder: Path) -> tuple[SessionFactory, str, int]:
    """The demo plan's year 2027 projected as if run until 1 October, with values."""
    document = load_plan(DEMO.read_text(encoding="utf-8"))
    sessions = store_with(document, folder)
    cut = datetime(2027, 10, 1, tzinfo=UTC)
    year = document.plans[0].year
    projection = StoreActivities(sessions)
    with sessions() as session:
        for plan in document.plans:
            session.add(running_cycle(plan.portfolio, plan.year))
        session.commit()
    for plan in document.plans:
        rows = []
        for number, task in enumerate(plan_tasks(document, plan)):
            done = task.due < cut and number % 5 != 0
            rows.append(
                TaskRow(
                    task=task,
                    cycle_id=f"{plan.portfolio}/{plan.year}",
                    status=TaskStatus.done if done else TaskStatus.open,
                    done_at=task.due + timedelta(days=number % 3) if done else None,
                )
            )
        projection.project_tasks(rows)
    with sessions() as session:
        for (portfolio, indicator), points in VALUES.items():
            for period, value in points:
                session.add(
                    IndicatorValue(
                        indicator_id=indicator,
                        portfolio_id=portfolio,
                        period=period.replace("2027", str(year)),
                        value=value,
                        recorded_at=cut,
                    )
                )
        session.commit()
        token = create_token(session, "dgs")
    return sessions, token, year


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, str, int]]:
    sessions, token, year = demo_store(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with serving(app) as url:
        yield url, token, year


async def test_the_direction_logs_in_and_reads_the_dashboard_and_the_report(
    site: tuple[str, str, int], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    base, token, year = site
    shots = Path(os.environ.get("BOUCLE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        await page.goto(f"{base}/dashboard?year={year}")
        assert await page.title() == "Connexion — Boucle"  # sent to the sign-in page first
        await page.goto(f"{base}/dashboard/login")  # a program's token, as the direction has one
        await page.fill("#token", token)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/dashboard")
        await page.goto(f"{base}/dashboard?year={year}")
        assert await page.title() == "Tableau de bord — Boucle"
        heading = page.get_by_role("heading", level=1)
        assert await heading.inner_text() == "Tableau de bord des achats responsables"
        row = page.get_by_role("row").filter(has_text="Restauration — denrées alimentaires")
        assert await row.count() == 1
        assert "en cours" in await row.inner_text()
        await page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

        handset = await browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
        await handset.add_cookies(await page.context.cookies())  # the page session, logged in
        phone = await handset.new_page()
        await phone.goto(f"{base}/dashboard?year={year}")
        assert await phone.title() == "Tableau de bord — Boucle"
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # readable on a phone: no sideways scrolling
        await phone.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)

        await row.get_by_role("link").click()
        await page.wait_for_load_state()
        assert await page.title() == f"Bilan SPASER {year} — Boucle"
        charts = page.locator("svg[role=img]")
        assert await charts.count() >= 2
        bio = page.get_by_role("row").filter(has_text="Part des produits bio")
        assert "21,5\u00a0%" in await bio.inner_text()  # the value submitted last
        assert "en bonne voie" in await bio.inner_text()
        await page.screenshot(path=str(shots / "report.png"), full_page=False)
        await browser.close()
