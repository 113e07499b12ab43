"""The officer prepares next year's plan in Chromium on a live `boucle dev`: signs in by the
emailed link, uploads a workbook with an error and sees it at its cell, uploads it fixed, adds
an action with the form (its error first), reads the calendar and the load, submits.
BOUCLE_SCREENSHOTS keeps plan-page.png and plan-calendar.png."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from domain.validation import load_plan
from services.plan_files import write_plan_workbook
from tests.browser.test_journeys import (
    CHROMIUM,
    DEMO,
    Site,
    _next_years_plan,
    pytestmark,  # noqa: F401 - the same skips: chromium, boucle, the dev server
)
from tests.browser.test_journeys import site as site  # noqa: F401 - one live stack here too

PORTFOLIO = "restauration"


def _workbooks(year: int) -> tuple[bytes, bytes, str]:
    """The demo's restauration plan moved to `year` as a workbook: with the first action's
    assignee unknown (and where that is), and as written."""
    moved = load_plan(DEMO.read_text(encoding="utf-8"))
    document = moved.model_validate(_next_years_plan(moved, PORTFOLIO, year))
    written = write_plan_workbook(document, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(written))
    sheet = workbook["Actions"]
    kinds = [cell.value for cell in sheet["D"]]
    row = kinds.index("action") + 1
    sheet[f"F{row}"] = "inconnu"
    broken = io.BytesIO()
    workbook.save(broken)
    return broken.getvalue(), written, f"Actions!F{row}"


@pytest.fixture(scope="module")
def officer_year(site: Site) -> Iterator[int]:  # noqa: F811
    live = max(c["year"] for c in site.stack.api(f"/cycles?portfolio={PORTFOLIO}", "qdd"))
    yield live + 2  # a year nobody planned yet, whatever the demo's month


def test_the_officer_plans_a_year_from_a_workbook_and_the_form_then_submits(
    site: Site,  # noqa: F811
    officer_year: int,
) -> None:
    assert CHROMIUM
    year = officer_year
    stack = site.stack
    page = site.context().new_page()
    plan_url = f"{stack.base}/app/plans/{PORTFOLIO}/{year}"
    site.sign_in(page, plan_url, site.people["qdd"]["email"])
    main = page.get_by_role("main")
    assert f"Pas encore de plan {year}" in main.inner_text()

    broken, fixed, cell = _workbooks(year)
    page.get_by_label("Fichier du plan (YAML, JSON, XLSX, ODS)").set_input_files(
        {"name": "plan.xlsx", "mimeType": "application/octet-stream", "buffer": broken}
    )
    page.get_by_role("button", name="Importer", exact=True).click()
    page.wait_for_load_state()
    errors = page.locator("#upload-errors")
    assert f"{cell} · Responsables : personne « inconnu » inconnue" in errors.inner_text()
    assert page.evaluate("document.activeElement.id") == "upload-errors"
    site.accessible(page, "the upload refused, its error at its cell")

    page.get_by_label("Fichier du plan (YAML, JSON, XLSX, ODS)").set_input_files(
        {"name": "plan.xlsx", "mimeType": "application/octet-stream", "buffer": fixed}
    )
    page.get_by_role("button", name="Importer", exact=True).click()
    page.wait_for_url(lambda url: "uploaded=" in url)
    assert "Plan importé : version 1 en préparation." in main.inner_text()

    page.get_by_role("link", name="Ajouter un élément").click()
    page.get_by_label("Intitulé").fill("Bilan des menus végétariens")
    page.get_by_label("Échéance (date)").fill(f"{year}-06-15")
    page.get_by_role("button", name="Enregistrer une nouvelle version du plan").click()
    page.wait_for_load_state()
    summary = page.locator("#item-errors")
    assert "Responsables" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "item-errors"
    site.accessible(page, "the item form with its error")
    page.locator("#item-assignees").get_by_label("Paul Durand").check()
    page.get_by_role("button", name="Enregistrer une nouvelle version du plan").click()
    page.wait_for_url(lambda url: "saved=2" in url)
    text = main.inner_text()
    assert "Nouvelle version 2 enregistrée." in text
    assert "Ce qui a changé par rapport à la version 1" in text
    assert "Bilan des menus végétariens" in text
    assert "Juin" in text and f"15 juin {year}" in text
    assert page.locator("#load").get_by_text("Paul Durand").count() == 1
    site.accessible(page, "the officer's plan page")
    site.shot(page, "plan-page")
    page.locator("#calendar").scroll_into_view_if_needed()
    site.shot(page, "plan-calendar")

    page.get_by_role("button", name="Soumettre à la direction").click()
    page.wait_for_load_state()
    assert "Plan soumis à la direction." in main.inner_text()
    page.context.close()


def test_screenshots_land_where_the_readme_shows_them(site: Site) -> None:  # noqa: F811
    shots: Path = site.shots
    assert (shots / "plan-page.png").exists() and (shots / "plan-calendar.png").exists()
