"""Generate a région-sized plan: 100 portfolios × 40 items, recurring ones included."""

from __future__ import annotations

import random
from datetime import date, timedelta

from benchmarks import yaml_writer

KINDS_SINGLE = ["action"] * 6 + ["regulatory_watch_review"]


def region_plan(
    portfolios: int = 100, items_per_portfolio: int = 40, year: int = 2027, seed: int = 7
) -> str:
    """The YAML text of a région's plan file for `year`."""
    rng = random.Random(seed)
    people = [
        {"id": "qdd", "name": "Responsable QDD", "email": "qdd@region.test", "role": "officer"},
        {
            "id": "dgs",
            "name": "Direction générale",
            "email": "dgs@region.test",
            "role": "direction",
        },
    ]
    buyers = [f"acheteur-{n:03d}" for n in range(400)]
    people += [
        {"id": b, "name": f"Acheteur {b[-3:]}", "email": f"{b}@region.test", "role": "buyer"}
        for b in buyers
    ]
    folios, indicators, plans = [], [], []
    for p in range(portfolios):
        folio = f"portefeuille-{p:03d}"
        team = rng.sample(buyers, 4)
        folios.append({"id": folio, "name": f"Portefeuille {p}", "owner": team[0], "buyers": team})
        indicators.append(
            {
                "id": f"ind-{p:03d}",
                "name": f"Indicateur {p}",
                "unit": "percent",
                "direction": "increase",
                "baseline": 10,
                "target": 20,
                "portfolios": [folio],
            }
        )
        items = [
            {
                "id": "hebdo",
                "kind": "action",
                "title": "Point hebdomadaire",
                "assignees": [team[0]],
                "start": f"{year}-01-05T10:00",
                "rrule": "FREQ=WEEKLY",
            },
            {
                "id": "veille",
                "kind": "regulatory_watch_review",
                "title": "Veille",
                "assignees": [team[1]],
                "start": f"{year}-01-04T09:30",
                "rrule": "FREQ=MONTHLY;BYDAY=1MO",
            },
            {
                "id": "sourcing",
                "kind": "action",
                "title": "Sourcing mensuel",
                "assignees": [team[2]],
                "start": f"{year}-01-15T14:00",
                "rrule": "FREQ=MONTHLY;BYMONTHDAY=15",
            },
            {
                "id": "point",
                "kind": "indicator_checkpoint",
                "title": "Point indicateurs",
                "assignees": [team[0]],
                "indicators": [f"ind-{p:03d}"],
                "start": f"{year}-03-31T17:00",
                "rrule": "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
            },
        ]
        for n in range(4):
            day = date(year, 1, 10) + timedelta(days=rng.randrange(340))
            items.append(
                {
                    "id": f"evenement-{n}",
                    "kind": rng.choice(["training_session", "supplier_meeting"]),
                    "title": f"Événement {n}",
                    "start": f"{day.isoformat()}T14:00",
                    "duration": "PT2H",
                    "location": "Lyon",
                    "assignees": [team[n % 4]],
                    "attendees": [b for b in team if b != team[n % 4]],
                }
            )
        for n in range(items_per_portfolio - len(items)):
            day = date(year, 1, 2) + timedelta(days=rng.randrange(360))
            items.append(
                {
                    "id": f"action-{n:02d}",
                    "kind": rng.choice(KINDS_SINGLE),
                    "title": f"Action {n}",
                    "due": day.isoformat(),
                    "assignees": [rng.choice(team)],
                }
            )
        plans.append({"portfolio": folio, "year": year, "items": items})
    document = {
        "version": 1,
        "organisation": {
            "name": "Région de démonstration",
            "timezone": "Europe/Paris",
            "locale": "fr",
            "holidays": "FR",
        },
        "people": people,
        "portfolios": folios,
        "indicators": indicators,
        "reminders": {
            "before": ["P7D", "P1D"],
            "on_due": True,
            "overdue": ["P3D", "P7D"],
            "escalate_after": "P10D",
            "send_at": "09:00",
        },
        "plans": plans,
    }
    return yaml_writer.dump(document)
