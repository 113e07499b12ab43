"""Small plan documents for tests, written the way an officer writes them."""

from __future__ import annotations

import textwrap

from domain.model import PlanFile
from domain.validation import load_plan

HEADER = """\
version: 1
organisation:
  name: Département Test
  timezone: Europe/Paris
  locale: {locale}
  holidays: {holidays}
  working_days: [MO, TU, WE, TH, FR]
  on_holiday: {on_holiday}
people:
  - {{id: qdd, name: Claire Martin, email: claire.martin@example.org, role: officer}}
  - {{id: resto, name: Paul Durand, email: paul.durand@example.org, role: buyer}}
  - {{id: nett, name: Nadia Benali, email: nadia.benali@example.org, role: buyer}}
  - {{id: dgs, name: Anne Leroy, email: anne.leroy@example.org, role: direction}}
portfolios:
  - {{id: restauration, name: Restauration, owner: resto, buyers: [resto]}}
indicators:
  - {{id: part-bio, name: Part bio, unit: percent, direction: increase, baseline: 12,
     target: 20, portfolios: [restauration]}}
reminders:
  before: [P7D, P1D]
  on_due: true
  overdue: [P3D, P7D]
  escalate_after: P10D
  send_at: "09:00"
plans:
  - portfolio: restauration
    year: 2027
    objectives:
      - {{id: bio-local, statement: Développer le bio, indicators: [part-bio]}}
    items:
"""


def plan_text(
    items: str, *, locale: str = "fr", holidays: str = "FR", on_holiday: str = "next_working_day"
) -> str:
    """A complete plan file whose 2027 restauration plan holds `items` (YAML list lines)."""
    body = textwrap.indent(textwrap.dedent(items).strip("\n"), "      ")
    return HEADER.format(locale=locale, holidays=holidays, on_holiday=on_holiday) + body + "\n"


def plan_with(items: str, **options: str) -> PlanFile:
    return load_plan(plan_text(items, **options))
