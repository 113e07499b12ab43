"""The addresses of Boucle's browser pages: one function per kind of page, for pages and emails.

`base` is the public URL (`app_url`) in an email and empty for a link inside a page.
"""

from __future__ import annotations

from urllib.parse import quote


def task_page(task_id: str, base: str = "") -> str:
    """A task's page; its id keeps its slashes (`nettoyage/2027/veille/2027-01-04`)."""
    return f"{base}/app/tasks/{quote(task_id, safe='/')}"


def tasks_page(base: str = "") -> str:
    """A person's own tasks ("Mes tâches")."""
    return f"{base}/app/tasks"


def plan_page(portfolio: str, year: int, base: str = "") -> str:
    """A portfolio's plan of a year, as the officer edits it and the direction approves it."""
    return f"{base}/app/plans/{quote(portfolio, safe='')}/{year}"


def cycle_page(portfolio: str, year: int, base: str = "") -> str:
    """A portfolio's cycle of a year: its phase, tasks, indicators and evaluation."""
    return f"{base}/app/cycles/{quote(portfolio, safe='')}/{year}"


def dashboard_page(base: str = "") -> str:
    return f"{base}/dashboard"
