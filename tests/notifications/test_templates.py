"""Every message type renders in both languages; HTML is escaped; accents survive."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import icalendar
import pytest
import vobject

from notifications.context import task_context
from notifications.messages import MessageType
from notifications.render import render
from notifications.samples import SAMPLE_TASKS, ZONE, recipient, sample_email, sample_rendered


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("message", list(MessageType), ids=lambda m: m.value)
def test_every_type_renders_in_both_locales(message: MessageType, locale: str) -> None:
    rendered = sample_rendered(message, locale)
    assert rendered.subject and "\n" not in rendered.subject
    greeting = "Bonjour Paul Durand," if locale == "fr" else "Hello Paul Durand,"
    assert rendered.text.startswith(greeting)
    assert greeting in rendered.html
    assert "{{" not in rendered.text + rendered.html
    assert f'lang="{locale}"' in rendered.html
    assert "<script" not in rendered.html and "src=" not in rendered.html  # no remote images
    for internals in ("built-in", "object at 0x", "bound method", "None", "Undefined"):
        assert internals not in rendered.text + rendered.html, (message, internals)


def test_french_and_english_dates_for_people() -> None:
    french = sample_rendered(MessageType.invitation_updated, "fr")
    english = sample_rendered(MessageType.invitation_updated, "en")
    assert "mardi 16 mars 2027 à 14 h" in french.subject
    assert "Tuesday 16 March 2027 at 2:00 PM" in english.subject
    assert "(3 h)" in french.text


def test_a_title_with_a_script_tag_is_escaped_in_html_only() -> None:
    task = SAMPLE_TASKS["action"].__class__(
        **{**SAMPLE_TASKS["action"].__dict__, "title": "Bio <script>alert(1)</script>"}
    )
    rendered = render(
        MessageType.reminder,
        "fr",
        task_context(task, recipient("fr"), ZONE, "Département", {"view": "http://x/t"}),
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<script>" not in rendered.html
    assert "Bio <script>alert(1)</script>" in rendered.text  # plain text stays as typed


def test_accents_survive_mime_and_the_calendar_part() -> None:
    email = sample_email(MessageType.invitation_updated, "fr", datetime(2026, 12, 1, tzinfo=UTC))
    parsed = message_from_bytes(bytes(email), policy=default)
    assert parsed["Subject"].startswith("Modifié : Formation du personnel à la saisonnalité")
    assert "variétés locales" in parsed.get_body(("plain",)).get_content()
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    ics = part.get_content()
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    names = {str(a.params["CN"]) for a in event["attendee"]}
    assert names == {"Marc Dupuis", "Paul Durand"}
    assert str(event["location"]) == "Arras — restaurant administratif"
    card = vobject.readOne(ics)
    assert card.vevent.summary.value.endswith("variétés locales")
    assert card.method.value == "REQUEST"


def test_a_series_invitation_says_its_recurrence_in_words_and_carries_the_rule() -> None:
    french = sample_rendered(MessageType.invitation, "fr")
    english = sample_rendered(MessageType.invitation, "en")
    # Subjects are one line of plain spaces.
    assert french.subject.endswith(
        "— tous les trois mois, le premier jeudi du mois à 14 h, à partir du jeudi 4 février 2027"
    )
    assert english.subject.endswith(
        "— every three months, on the first Thursday of the month at 2:00 PM, "
        "starting Thursday 4 February 2027"
    )
    assert "Vous êtes invité(e) à cette série de séances ; la première :" in french.text
    assert (
        "Récurrence : tous les trois mois, le premier jeudi du mois à 14\u00a0h "
        "(4 séances, du jeudi 4 février 2027 au jeudi 4 novembre 2027)"
    ) in french.text
    assert "Récurrence : tous les trois mois, le premier jeudi du mois" in french.html
    assert "L'invitation jointe contient toute la série" in french.text
    assert (
        "Recurrence: every three months, on the first Thursday of the month at 2:00 PM "
        "(4 sessions, from Thursday 4 February 2027 to Thursday 4 November 2027)"
    ) in english.text
    email = sample_email(MessageType.invitation, "fr", datetime(2026, 12, 1, tzinfo=UTC))
    part = next(p for p in email.parsed().walk() if p.get_content_type() == "text/calendar")
    event = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    rule = event["rrule"]
    assert (rule["FREQ"], rule["INTERVAL"], rule["BYDAY"]) == (["MONTHLY"], [3], ["1TH"])
    one_off = sample_rendered(MessageType.invitation_updated, "fr")
    assert "Récurrence" not in one_off.text + one_off.html


def test_cancellation_is_an_itip_cancel() -> None:
    email = sample_email(MessageType.invitation_cancelled, "en", datetime(2026, 12, 1, tzinfo=UTC))
    part = next(p for p in email.parsed().walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert str(calendar["method"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["status"]) == "CANCELLED"
