"""Realistic sample messages of every type, for previews and template tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.durations import parse_duration
from notifications.compose import fault_view
from notifications.context import Recipient, SeriesFacts, TaskFacts, plan_context, task_context
from notifications.cycle_messages import plan_view
from notifications.email import Mail, build_email, message_id
from notifications.ics import invitation_calendar
from notifications.messages import CALENDAR_METHODS, MessageType
from notifications.render import RenderedMessage, render
from notifications.urls import task_page, tasks_page

ZONE = ZoneInfo("Europe/Paris")
ORGANISATION = "Département de démonstration"
# The demo plan's buyers' meeting: four sessions, its calendar ending after the last one.
SERIES_RULE = "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TH;UNTIL=20271105T130000Z"
SAMPLE_TASKS = {
    "event": TaskFacts(
        id="restauration/2027/formation-saisonnalite/2027-03-16",
        title="Formation du personnel à la saisonnalité et aux variétés locales",
        kind="training_session",
        portfolio="restauration",
        portfolio_name="Restauration — denrées alimentaires",
        due=datetime(2027, 3, 16, 13, 0, tzinfo=UTC),
        location="Arras — restaurant administratif",
        duration="PT3H",
        assignee_names=("Marc Dupuis",),
    ),
    "series": TaskFacts(
        id="pilotage/2027/reunion-acheteurs/2027-02-04",
        title="Réunion d'information des acheteurs — partage d'expériences",
        kind="training_session",
        portfolio="pilotage",
        portfolio_name="Pilotage de la politique d'achat responsable",
        due=datetime(2027, 2, 4, 13, 0, tzinfo=UTC),
        location="Arras — salle 204",
        duration="PT1H30M",
        assignee_names=("Claire Martin",),
        series=SeriesFacts(
            rule=SERIES_RULE,
            first=datetime(2027, 2, 4, 13, 0, tzinfo=UTC),
            last=datetime(2027, 11, 4, 13, 0, tzinfo=UTC),
            sessions=4,
        ),
    ),
    "action": TaskFacts(
        id="restauration/2027/publicite/2027-02-15",
        title="Publier le marché bio sur la plateforme régionale alimentaire",
        kind="action",
        portfolio="restauration",
        portfolio_name="Restauration — denrées alimentaires",
        due=datetime(2027, 2, 15, 16, 0, tzinfo=UTC),
        assignee_names=("Paul Durand",),
    ),
    "checkpoint": TaskFacts(
        id="restauration/2027/point-egalim/2027-03-31",
        title="Point d'étape EGalim (bio, durable, circuits courts)",
        kind="indicator_checkpoint",
        portfolio="restauration",
        portfolio_name="Restauration — denrées alimentaires",
        due=datetime(2027, 3, 31, 15, 0, tzinfo=UTC),
        assignee_names=("Paul Durand",),
        indicator_names=("Part des produits bio", "Part des produits durables et de qualité"),
    ),
}
TASK_SAMPLE = {
    MessageType.invitation: "series",
    MessageType.invitation_updated: "event",
    MessageType.invitation_cancelled: "event",
    MessageType.checkpoint: "checkpoint",
}


def recipient(locale: str) -> Recipient:
    return Recipient("resto", "Paul Durand", "paul.durand@demo.boucle.test", locale)


APP_URL = "http://127.0.0.1:8000"


def sample_links(message: MessageType) -> dict[str, str]:
    """The "Voir dans Boucle" link the engine gives this type (as notifications.compose)."""
    if message == MessageType.sign_in:
        return {}  # its link is the sign-in itself
    if message == MessageType.digest:
        return {"view": tasks_page(APP_URL)}
    if message == MessageType.engine_fault:
        return {"view": fault_view(None, APP_URL)}
    if message == MessageType.delivery_failed:
        return {"view": fault_view(SAMPLE_TASKS["action"].id, APP_URL)}
    if message.value.startswith(("plan_", "values", "evaluation", "review", "draft")):
        return {"view": plan_view(message, "restauration", 2027, APP_URL)}
    return {"view": task_page(SAMPLE_TASKS[TASK_SAMPLE.get(message, "action")].id, APP_URL)}


def sample_context(message: MessageType, locale: str) -> dict[str, Any]:
    """A context as the engine would build it, with the demo plan's people and portfolios."""
    links = sample_links(message)
    person = recipient(locale)
    if message.value.startswith(
        ("plan_", "values", "evaluation", "review", "draft", "digest", "delivery", "engine", "sign")
    ):
        plan = {
            "portfolio": "restauration",
            "portfolio_name": "Restauration — denrées alimentaires",
            "year": 2027,
            "item_count": 8,
            "occurrences": 19,
            "carried_over": 2,
            "approve_by_text": "mardi 15 décembre 2026"
            if locale == "fr"
            else "Tuesday 15 December 2026",
            "approved_by": "Anne Leroy",
            "returned_by": "Anne Leroy",
            "return_comment": "L'objectif bio est trop timide au regard du bilan 2026 : visez 25 %."
            "\nAjoutez aussi une rencontre fournisseurs au printemps."
            if locale == "fr"
            else "The organic target is too timid given the 2026 results: aim for 25%."
            "\nPlease add a spring supplier meeting too.",
        }
        score = {
            "done_on_time": 14,
            "done_late": 3,
            "missed": 2,
            "indicators": [
                {
                    "name": "Part des produits bio",
                    "value_text": "17,5",
                    "target_text": "20",
                    "status_text": "à surveiller" if locale == "fr" else "at risk",
                },
                {
                    "name": "Dépense en emballages jetables",
                    "value_text": "11 200",
                    "target_text": "12 000",
                    "status_text": "en bonne voie" if locale == "fr" else "on track",
                },
            ],
        }
        week = {
            "due": [
                {
                    "title": SAMPLE_TASKS["action"].title,
                    "portfolio_name": "Restauration — denrées alimentaires",
                    "due_text": "lundi 15 février 2027 à 17 h"
                    if locale == "fr"
                    else "Monday 15 February 2027 at 5:00 PM",
                }
            ],
            "overdue": [
                {
                    "title": "Rédiger la clause d'insertion du marché de nettoyage",
                    "portfolio_name": "Nettoyage des locaux et vitrerie",
                    "due_text": "vendredi 12 février 2027 à 17 h"
                    if locale == "fr"
                    else "Friday 12 February 2027 at 5:00 PM",
                }
            ],
        }
        return plan_context(
            person,
            ORGANISATION,
            plan,
            links,
            score=score,
            week=week,
            indicators=["Part des produits bio", "Part des produits locaux"],
            amended=sample_amendment(locale),
            failure={
                "name": "Nadia Benali",
                "email": "nadia.benali@exemple",
                "subject": "Rappel : Rédiger la clause d'insertion",
                "unwritten": False,
                "uncomposed": False,
                "error": "550 5.1.1 mailbox unavailable",
            },
            fault={
                "what": "Point d'étape indicateurs (Restauration — denrées alimentaires 2027)",
                "workflow_id": "task:restauration/2027/points-indicateurs/2027-03-31",
                "cause": "WorkflowTaskFailedCauseWorkflowWorkerUnhandledFailure",
                "seen_text": "lundi 29 mars 2027 à 10 h"
                if locale == "fr"
                else "Monday 29 March 2027 at 10:00 AM",
            },
            sign_in={
                "link": "https://boucle.exemple/app/sign-in/eyJhIjoic2lnbi1pbiJ9.c2lnbmF0dXJl",
                "until_text": "10 h 15" if locale == "fr" else "10:15 AM",
            },
        )
    task = SAMPLE_TASKS[TASK_SAMPLE.get(message, "action")]
    if message in (MessageType.reminder, MessageType.due, MessageType.overdue):
        links = {
            **links,
            "complete": f"{APP_URL}/act/exemple-de-lien-signe",
            "postpone": f"{APP_URL}/act/autre-lien-signe",
        }
    if message == MessageType.checkpoint:
        links = {
            **links,
            "values": f"{APP_URL}/act/lien-signe-des-valeurs",
            "postpone": f"{APP_URL}/act/autre-lien-signe",
        }
    return task_context(
        task,
        person,
        ZONE,
        ORGANISATION,
        links,
        change="déplacée d'une semaine" if locale == "fr" else "moved a week",
        overdue_days=3 if message == MessageType.overdue else 10,
        series_invitation=task.series is not None and message == MessageType.invitation,
        proposal={
            "by": "Paul Durand",
            "reason": "le marché est relancé",
            "due_text": "lundi 22 février 2027 à 17 h"
            if locale == "fr"
            else "Monday 22 February 2027 at 5:00 PM",
        },
    )


def sample_amendment(locale: str) -> dict[str, Any]:
    """An officer hands a recurring action over and cancels an occurrence."""
    fr = locale == "fr"
    return {
        "by": "Claire Martin",
        "reason": "réorganisation du service" if fr else "the team is reorganised",
        "assigned": [
            {
                "title": "Groupe de travail menus de saison",
                "occurrences": 4,
                "next_text": "jeudi 6 mai 2027 à 10 h" if fr else "Thursday 6 May 2027 at 10:00 AM",
            }
        ],
        "added": [],
        "moved": [],
        "unassigned": [],
        "cancelled": [
            {
                "title": "Point fournisseurs",
                "occurrences": 1,
                "next_text": "mardi 8 juin 2027 à 14 h" if fr else "Tuesday 8 June 2027 at 2:00 PM",
            }
        ],
    }


def sample_rendered(message: MessageType, locale: str) -> RenderedMessage:
    return render(message, locale, sample_context(message, locale))


def sample_email(message: MessageType, locale: str, stamp: datetime) -> Mail:
    rendered = sample_rendered(message, locale)
    calendar = None
    method = CALENDAR_METHODS.get(message)
    if method:
        task = SAMPLE_TASKS[TASK_SAMPLE[message]]
        calendar = invitation_calendar(
            uid=f"{task.id}@boucle",
            method=method,
            sequence=0 if message == MessageType.invitation else 1,
            title=task.title,
            start=task.due,
            end=task.due + parse_duration(task.duration or "PT1H").total,
            rule=task.series.rule if task.series else None,
            zone=ZONE,
            organiser=("Boucle", "boucle@demo.boucle.test"),
            attendees=[
                ("Marc Dupuis", "marc.dupuis@demo.boucle.test"),
                ("Paul Durand", "paul.durand@demo.boucle.test"),
            ],
            stamp=stamp,
            location=task.location,
        ).to_ical()
    key = f"preview|{message.value}|{locale}"
    person = recipient(locale)
    return build_email(
        rendered,
        sender=("Boucle", "boucle@demo.boucle.test"),
        recipient=(person.name, person.email),
        message_id_value=message_id(key, "boucle.local"),
        date=stamp,
        calendar=calendar,
        calendar_method=method,
    )
