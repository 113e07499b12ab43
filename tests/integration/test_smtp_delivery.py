"""Delivery against a real SMTP server (aiosmtpd): retries send once, refusals are reported."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotificationActivities, NotificationConfig
from domain.tasks import plan_tasks
from notifications.email import Mail, build_email
from notifications.render import RenderedMessage
from notifications.smtp import DeliveryError, SmtpMailer
from store.tables import Notification
from tests.engine.support import store_with
from tests.plans import plan_with
from workflows.types import TaskNotice


class MoodyServer:
    """Answers 451 to the first `refusals` messages, 550 to one address, then accepts."""

    def __init__(self, refusals: int, unknown: str) -> None:
        self.refusals = refusals
        self.unknown = unknown
        self.received: list[tuple[str, str]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == self.unknown:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 try again later"
        message_id = next(
            line
            for line in envelope.content.decode().splitlines()
            if line.lower().startswith("message-id:")
        )
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, message_id))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Any:
    handler = MoodyServer(refusals=3, unknown="nadia.benali@example.org")
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def test_refusals_then_acceptance_deliver_each_message_once_and_5xx_is_reported(
    server: Any, tmp_path: Path
) -> None:
    handler, port = server
    document = plan_with("""
        - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto, nett],
           due: "2027-02-15"}
    """)
    sessions = store_with(document, tmp_path)
    activities = NotificationActivities(sessions, SmtpMailer(port=port), NotificationConfig())
    (task,) = plan_tasks(document, document.plans[0])
    notice = TaskNotice(
        key=f"{task.id}|reminder|2027-02-08T08:00:00+00:00",
        message="reminder",
        task=task,
        to=("resto", "nett"),
        scheduled_at=datetime(2027, 2, 8, 8, tzinfo=UTC),
    )
    environment = ActivityEnvironment()
    attempts = 0
    while True:  # what Temporal's retry policy does, without the waiting
        attempts += 1
        try:
            report = await environment.run(activities.send_task_notice, notice)
            break
        except ApplicationError as error:
            assert "temporary delivery failure" in str(error)
            assert attempts < 10
    # Three 451 answers: two to the buyer's reminder, one to the officer's report of the 550.
    assert attempts == 3
    assert report.sent == 1 and report.failed == 1
    delivered = [recipient for recipient, _ in handler.received]
    assert delivered.count("paul.durand@example.org") == 1
    assert delivered.count("claire.martin@example.org") == 1  # told about the refusal
    with sessions() as session:
        rows = {
            row.person_id: row
            for row in session.exec(select(Notification))
            if row.type == "reminder"
        }
        report_row = session.exec(
            select(Notification).where(Notification.type == "delivery_failed")
        ).one()
    assert rows["resto"].status == "sent" and rows["resto"].attempts == 3
    assert rows["nett"].status == "failed" and "550" in rows["nett"].last_error
    assert report_row.person_id == "qdd" and report_row.status == "sent"
    assert report_row.subject.startswith("Message non distribué : Rappel : Publier")
    again = await environment.run(activities.send_task_notice, notice)  # a replayed retry
    assert again.sent == 0 and len(handler.received) == 2


class Mailbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 OK"


def accept_only(user: bytes, password: bytes) -> Any:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, credentials: Any
    ) -> AuthResult:
        ok = (credentials.login, credentials.password) == (user, password)
        return AuthResult(success=ok, handled=False)  # the server answers 235 or 535

    return authenticate


def a_mail(subject: str) -> Mail:
    return build_email(
        RenderedMessage(subject=subject, text="Bonjour Élodie,", html="<p>Bonjour Élodie,</p>"),
        sender=("Boucle", "boucle@example.org"),
        recipient=("Élodie Müller", "elodie@example.org"),
        message_id_value="<tls@boucle.test>",
        date=datetime(2027, 2, 8, 8, tzinfo=UTC),
    )


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


def client_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def test_starttls_with_authentication_delivers_and_a_wrong_password_is_permanent(
    authority: trustme.CA,
) -> None:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(authority),
        require_starttls=True,
        auth_required=True,
        authenticator=accept_only(b"boucle", b"s3cret"),
    )
    controller.start()
    try:
        trusted = client_context(authority)
        good = SmtpMailer(
            port=port, starttls=True, username="boucle", password="s3cret", tls_context=trusted
        )
        await good.send(a_mail("Rappel : échéance lundi"))
        refused = SmtpMailer(
            port=port, starttls=True, username="boucle", password="wrong", tls_context=trusted
        )
        with pytest.raises(DeliveryError) as error:
            await refused.send(a_mail("Jamais"))
        assert error.value.permanent and "535" in str(error.value)
        plain = SmtpMailer(port=port, starttls=False)  # the server requires STARTTLS first
        with pytest.raises(DeliveryError) as error:
            await plain.send(a_mail("En clair"))
        assert error.value.permanent
    finally:
        controller.stop()
    (received,) = mailbox.received
    parsed = message_from_bytes(received, policy=default)
    assert parsed["Subject"] == "Rappel : échéance lundi"
    assert parsed["To"].addresses[0].display_name == "Élodie Müller"


async def test_implicit_tls_checks_the_certificate(authority: trustme.CA) -> None:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, ssl_context=server_context(authority)
    )
    controller.start()
    try:
        await SmtpMailer(port=port, use_tls=True, tls_context=client_context(authority)).send(
            a_mail("Par TLS")
        )
        stranger = SmtpMailer(port=port, use_tls=True)  # the system's CAs do not know it
        with pytest.raises(DeliveryError) as error:
            await stranger.send(a_mail("Refusé"))
        assert not error.value.permanent  # a TLS failure is retried, an operator fixes it
    finally:
        controller.stop()
    assert len(mailbox.received) == 1


class TlsAwareMailbox(Mailbox):
    """Also records whether each message came over TLS."""

    def __init__(self) -> None:
        super().__init__()
        self.over_tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.over_tls.append(session.ssl is not None)
        return await super().handle_DATA(server, session, envelope)


async def test_starttls_is_opportunistic_by_default_and_required_when_asked(
    authority: trustme.CA,
) -> None:
    offering, offering_port = TlsAwareMailbox(), free_port()
    with_tls = Controller(
        offering, hostname="127.0.0.1", port=offering_port, tls_context=server_context(authority)
    )
    plain_only, plain_port = TlsAwareMailbox(), free_port()
    without_tls = Controller(plain_only, hostname="127.0.0.1", port=plain_port)
    with_tls.start()
    without_tls.start()
    try:
        trusted = client_context(authority)
        await SmtpMailer(port=offering_port, tls_context=trusted).send(a_mail("Proposé"))
        await SmtpMailer(port=plain_port).send(a_mail("Pas de TLS ici"))  # make run's catcher
        with pytest.raises(DeliveryError) as error:
            await SmtpMailer(port=plain_port, starttls=True).send(a_mail("Exigé"))
        assert "STARTTLS" in str(error.value) and not error.value.permanent
    finally:
        with_tls.stop()
        without_tls.stop()
    assert offering.over_tls == [True]  # sent in clear before: start_tls=False means never
    assert plain_only.over_tls == [False]


async def test_auth_without_tls_is_refused_unless_explicitly_allowed() -> None:
    attempts: list[bytes] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        attempts.append(auth.password)
        return AuthResult(success=True)

    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,  # a server that would take a password in clear
        authenticator=authenticate,
    )
    controller.start()
    try:
        refused = SmtpMailer(port=port, username="boucle", password="s3cret")
        with pytest.raises(DeliveryError) as error:
            await refused.send(a_mail("En clair"))
        assert "offers no TLS: the password is not sent in clear" in str(error.value)
        assert "BOUCLE_SMTP_ALLOW_PLAIN_AUTH=true" in str(error.value)
        assert not error.value.permanent  # kept and retried once the relay or settings change
        assert attempts == []  # the password never left
        allowed = SmtpMailer(port=port, username="boucle", password="s3cret", allow_plain_auth=True)
        await allowed.send(a_mail("Permis"))
    finally:
        controller.stop()
    assert attempts == [b"s3cret"] and len(mailbox.received) == 1


async def test_the_settings_refuse_a_password_in_clear_at_start_and_make_run_still_delivers(
    tmp_path: Path,
) -> None:
    from boucle.mailcatcher import start_mail_catcher
    from boucle.temporal import mailer_for
    from services.settings import Settings, SettingsInvalid

    clear = Settings(data_dir=tmp_path, smtp_username="boucle", smtp_starttls=False)
    with pytest.raises(SettingsInvalid, match="BOUCLE_SMTP_ALLOW_PLAIN_AUTH=true"):
        mailer_for(clear)
    assert mailer_for(clear.model_copy(update={"smtp_allow_plain_auth": True})).allow_plain_auth
    with pytest.raises(SettingsInvalid, match="exclude each other"):
        mailer_for(Settings(data_dir=tmp_path, smtp_ssl=True, smtp_starttls=True))
    port = free_port()
    catcher = start_mail_catcher(tmp_path / "mail", "127.0.0.1", port)
    try:
        mailer = mailer_for(Settings(data_dir=tmp_path, smtp_port=port))  # what `make run` builds
        assert mailer.starttls is None
        await mailer.send(a_mail("Rappel du catcher"))
    finally:
        catcher.stop()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
