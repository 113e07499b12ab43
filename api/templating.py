"""The one Jinja environment every page renders with (api/templates/, one layout)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.charts import figure
from notifications import urls

PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
# Pages link to each other with the functions emails link with: the two cannot drift apart.
PAGES.globals.update(
    task_page=urls.task_page,
    tasks_page=urls.tasks_page,
    plan_page=urls.plan_page,
    cycle_page=urls.cycle_page,
    dashboard_page=urls.dashboard_page,
)
PAGES.globals["figure"] = figure  # figures as French readers write them: 20 %, 12 000 €
