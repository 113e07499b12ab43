"""The MIME writer: mail clients read what the `email` package itself would have written."""

from __future__ import annotations

from datetime import UTC, datetime
from email import charset, policy
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.parser import BytesParser
from email.utils import format_datetime, formataddr

import pytest

from notifications.email import build_email
from notifications.render import RenderedMessage

UTF8 = charset.Charset("utf-8")
UTF8.header_encoding = charset.QP
UTF8.body_encoding = charset.QP
CALENDAR = (
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Formation achats "
    b"responsables \xe2\x80\x94 module 2\r\nDESCRIPTION:Salle B\\, 2e \xc3\xa9tage ; pr\xc3\xa9voir"
    b" le support imprim\xc3\xa9 et la liste des march\xc3\xa9s \xc3\xa0 revoir\r\n "
    b"ensemble\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
TEXTS = {
    "accents": "Bonjour Émilie,\n\nLe marché « bio » est-il prêt ?\n",
    "long lines": "é" * 120 + "\n" + "x" * 1200 + "\n" + "mot " * 60 + "\n",
    "equals and dots": "a = b\n.\n.. deux points\n=3D déjà\nFrom here\n",
    "trailing blanks": "fin de ligne   \nune tabulation\t\n\tdébut\n",
    "carriage returns": "windows\r\nligne\r\nseul\rretour\n",
    "no final newline": "Cordialement",
    "emoji and empty lines": "\n\n🌱 achats durables\n\n",
    "empty": "",
}


def reference(rendered, sender, recipient, calendar=None, method=None) -> bytes:
    """The message as the `email` package's classic classes write it."""

    def text(body: str, subtype: str) -> MIMENonMultipart:
        part = MIMENonMultipart("text", subtype)
        part.set_payload(body, UTF8)
        return part

    alternatives = MIMEMultipart("alternative")
    alternatives.attach(text(rendered.text, "plain"))
    alternatives.attach(text(rendered.html, "html"))
    root: Message = alternatives
    if calendar is not None:
        inline = text(calendar.decode("utf-8"), "calendar")
        inline.set_param("method", method)
        alternatives.attach(inline)
        attachment = MIMEApplication(calendar, "ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        root = MIMEMultipart("mixed")
        root.attach(alternatives)
        root.attach(attachment)
    root["Subject"] = Header(rendered.subject, UTF8, header_name="Subject").encode()
    root["From"] = formataddr(sender, UTF8)
    root["To"] = formataddr(recipient, UTF8)
    root["Message-ID"] = "<cle@boucle.local>"
    root["Date"] = format_datetime(datetime(2027, 2, 8, 7, tzinfo=UTC))
    root["Auto-Submitted"] = "auto-generated"
    return root.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))


def as_read(data: bytes) -> dict[str, object]:
    """What a mail client shows: headers, the parts' types and parameters, decoded bodies."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert not message.defects
    parts = []
    for part in message.walk():
        assert not part.defects, part.defects
        entry: dict[str, object] = {
            "type": part.get_content_type(),
            "method": part.get_param("method"),
            "filename": part.get_filename(),
        }
        if not part.is_multipart():
            entry["body"] = part.get_payload(decode=True).replace(b"\r\n", b"\n")
        parts.append(entry)
    headers = ("Subject", "From", "To", "Message-ID", "Date", "Auto-Submitted")
    return {"headers": {name: str(message[name]) for name in headers}, "parts": parts}


@pytest.mark.parametrize("with_calendar", [False, True])
@pytest.mark.parametrize("case", sorted(TEXTS))
def test_clients_read_the_same_message(case: str, with_calendar: bool) -> None:
    rendered = RenderedMessage(
        subject="Rappel : Publier le marché « restauration collective » — lundi 15 février 2027",
        text=TEXTS[case],
        html=f"<p>{TEXTS[case]}</p>",
    )
    sender = ("Boucle — Qualité & DD", "boucle@ville.example")
    recipient = ("Durand, Émilie", "emilie.durand@ville.example")
    ours = build_email(
        rendered,
        sender=sender,
        recipient=recipient,
        message_id_value="<cle@boucle.local>",
        date=datetime(2027, 2, 8, 7, tzinfo=UTC),
        calendar=CALENDAR if with_calendar else None,
        calendar_method="REQUEST" if with_calendar else None,
    )
    expected = reference(
        rendered, sender, recipient, CALENDAR if with_calendar else None, "REQUEST"
    )
    assert as_read(ours.data) == as_read(expected)
    # On the wire: ASCII only, CRLF line ends only, no line over 78 characters.
    ours.data.decode("ascii")
    lines = ours.data.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 78
    assert ours.recipients == ("emilie.durand@ville.example",)


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Rappel", "Claire Martin"),
        ("Formation =?utf-8?q?piège?= " + "très longue " * 12, "Martin, Claire (QDD)"),
        ("Réunion fournisseurs 🌱 — « sourcing » _x_ ?=", "Émilie Ä-Ø Durand-Łukasz"),
        ("é" * 200, "Ŝ" * 80),
        ("", "É"),
    ],
)
def test_headers_read_back_as_written(subject: str, name: str) -> None:
    mail = build_email(
        RenderedMessage(subject=subject, text="x\n", html="<p>x</p>"),
        sender=("Boucle", "boucle@ville.example"),
        recipient=(name, "personne@ville.example"),
        message_id_value="<cle@boucle.local>",
        date=datetime(2027, 2, 8, 7, tzinfo=UTC),
    )
    message = mail.parsed()
    assert message["Subject"] == subject
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "personne@ville.example"
    subject_lines = mail.data.split(b"\r\nFrom:")[0].split(b"\r\n")
    assert max(len(line) for line in subject_lines) <= 78
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998


def test_a_name_with_cr_lf_never_becomes_a_header_and_a_bad_address_is_refused() -> None:
    rendered = RenderedMessage(subject="Rappel\x00 : marché\r\nBcc: x@evil.test", text="", html="")
    mail = build_email(
        rendered,
        sender=("Boucle\r\nX-Sender: forged", "boucle@example.org"),
        recipient=("Paul\r\nReply-To: attacker@evil.test", "paul.durand@example.org"),
        message_id_value="<id@boucle.test>",
        date=datetime(2027, 2, 8, 8, tzinfo=UTC),
    )
    parsed = mail.parsed()
    assert parsed["Reply-To"] is None and parsed["Bcc"] is None and parsed["X-Sender"] is None
    assert parsed["To"].addresses[0].display_name == "Paul Reply-To: attacker@evil.test"
    assert parsed["To"].addresses[0].addr_spec == "paul.durand@example.org"
    assert parsed["Subject"] == "Rappel  : marché Bcc: x@evil.test"
    head = mail.data.split(b"\r\n\r\n")[0]
    assert all(line[:1] in b" \t" or b":" in line for line in head.split(b"\r\n"))
    for address in ("paul@example.org\r\nBcc: x@evil.test", "paul <x@evil.test>", "paul\x00@x.org"):
        with pytest.raises(ValueError, match="is not an email address"):
            build_email(
                rendered,
                sender=("Boucle", "boucle@example.org"),
                recipient=("Paul", address),
                message_id_value="<id@boucle.test>",
                date=datetime(2027, 2, 8, 8, tzinfo=UTC),
            )
