"""Delivery through the outbox: a message is claimed (its send lease) before the SMTP call and
marked right after it; a refusal for good is reported to the officers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.directory import Directory
from activities.outbox import Claim, Claimed, Outbox, Outcome
from notifications.compose import UNWRITTEN, Outgoing, failure_report
from notifications.email import build_email, message_id
from notifications.messages import CALENDAR_METHODS, MessageType
from notifications.render import render, template_locale
from notifications.smtp import DeliveryError, Mailer
from services.metrics import NOTIFICATIONS_FAILED, NOTIFICATIONS_RETRIED, count_sent
from workflows.types import SendReport

# A send that has not finished by then counts as failed for now (and is retried): shorter
# than the outbox lease, so that no other attempt takes a message still being sent.
SEND_TIMEOUT = 30.0
# The occurrences of a series invited to at once wait this long for the one that sends it.
GROUP_WAIT, GROUP_WAITS = 0.2, 50
log = logging.getLogger("boucle.delivery")


@dataclass(frozen=True)
class Sender:
    name: str = "Boucle"
    email: str = "boucle@localhost"
    message_domain: str = "boucle.local"
    templates_dir: str | None = None
    app_url: str = "http://127.0.0.1:8000"  # where the links of a failure report lead


@dataclass(frozen=True)
class Failure:
    """A message the SMTP server refused for good (5xx)."""

    subject: str
    error: str


Result = str | Failure  # "sent", "skipped", a Failure, or why it must be tried again


def beat() -> None:
    """Tell the server this send is alive (when it runs as an activity with a heartbeat)."""
    if activity.in_activity():
        activity.heartbeat()


class Delivery:
    def __init__(self, outbox: Outbox, mailer: Mailer, sender: Sender, directory: Directory):
        self.outbox = outbox
        self.mailer = mailer
        self.sender = sender
        self.directory = directory

    async def deliver_all(self, outgoing: list[Outgoing]) -> SendReport:
        """Deliver each message once; raise a retryable error while any must be tried again."""
        report = SendReport()
        temporary: list[str] = []
        attempt = uuid.uuid4().hex  # this attempt's name on the leases it takes
        for message in outgoing:
            beat()
            outcome = await self.deliver(message, attempt)
            if outcome == "sent":
                report.sent += 1
            elif outcome == "skipped":
                report.skipped += 1
            elif isinstance(outcome, Failure):
                report.failed += 1
                if message.message != MessageType.delivery_failed:
                    temporary += await self._tell_officers(message, outcome, attempt)
            else:
                temporary.append(outcome)
        if temporary:
            # Retried by Temporal with backoff; messages already sent are skipped next time.
            raise ApplicationError("temporary delivery failure: " + "; ".join(temporary))
        return report

    async def _tell_officers(self, message: Outgoing, failure: Failure, attempt: str) -> list[str]:
        """Report a permanent failure to the officers; returns their temporary failures."""
        temporary: list[str] = []
        snapshot = await asyncio.to_thread(self.directory.snapshot)
        for officer in snapshot.officers:
            if officer.id == message.person.id:
                continue
            report = failure_report(
                message, failure.subject, failure.error, officer, snapshot, self.sender.app_url
            )
            outcome = await self.deliver(report, attempt)
            if isinstance(outcome, str) and outcome not in ("sent", "skipped"):
                temporary.append(outcome)
        return temporary

    async def refuse(self, message: Outgoing, subject: str, reason: str) -> None:
        """Record a message that could not be composed as failed and tell the officers once;
        raise a retryable error while a report could not go."""
        attempt = uuid.uuid4().hex
        row = await self.outbox.claim(self._claim(message, message.key, attempt))
        if row.status in ("sent", "grouped"):
            return  # it went before; only this attempt could not compose it
        if row.leased:
            await self.outbox.record(Outcome(message.key, subject, "failed", reason))
        temporary = await self._tell_officers(message, Failure(subject, reason), attempt)
        if temporary:
            raise ApplicationError("temporary delivery failure: " + "; ".join(temporary))

    async def deliver(self, message: Outgoing, attempt: str) -> Result:
        row = await self.outbox.claim(self._claim(message, message.key, attempt))
        if row.status in ("sent", "grouped"):
            return "skipped"
        if row.status == "failed":
            # Refused for good earlier: report it again (idempotent) in case that report failed.
            return Failure(row.subject, row.last_error or "")
        if not row.leased:
            return f"{message.person.email}: being sent by another attempt"
        if message.group is None:
            return await self._send(message, message.key, row)
        # One email for the whole group (a series invitation): whichever attempt holds the
        # group's lease sends it; each message of the group counts as sent once it was.
        group_key = f"{message.group}|{message.person.id}"
        group = await self.outbox.claim(self._claim(message, group_key, attempt))
        for _ in range(GROUP_WAITS):
            if group.leased or group.status != "pending":
                break
            await asyncio.sleep(GROUP_WAIT)  # another occurrence is sending it right now
            beat()
            group = await self.outbox.claim(self._claim(message, group_key, attempt))
        outcome: Result
        if group.status in ("sent", "grouped"):
            outcome = "sent"
        elif group.status == "failed":
            outcome = Failure(group.subject, group.last_error or "")
        elif group.leased:
            outcome = await self._send(message, group_key, group)
        else:
            outcome = f"{message.person.email}: its series invitation is being sent"
        if outcome == "sent":
            await self.outbox.record(Outcome(message.key, "", "grouped", None))
            return "skipped"
        if isinstance(outcome, Failure):
            # The series email was refused for good: that refusal is reported once, by it.
            await self.outbox.record(Outcome(message.key, "", "failed", outcome.error))
            return "skipped"
        await self.outbox.record(Outcome(message.key, "", "pending", outcome))
        return outcome

    def _claim(self, message: Outgoing, key: str, attempt: str) -> Claim:
        return Claim(
            key=key,
            type=message.message.value,
            task_id=message.task_id,
            cycle_id=message.cycle_id,
            person_id=message.person.id,
            email=message.person.email,
            message_id=message_id(key, self.sender.message_domain),
            scheduled_at=message.scheduled_at,
            owner=attempt,
        )

    async def _send(self, message: Outgoing, key: str, row: Claimed) -> Result:
        """Render and send one email under the outbox row `key`, then mark it at once."""
        kind = message.message.value
        try:
            rendered = render(
                message.message, message.locale, message.context, self.sender.templates_dir
            )
            email = build_email(
                rendered,
                sender=(self.sender.name, self.sender.email),
                recipient=(message.person.name, message.person.email),
                message_id_value=row.message_id,
                date=datetime.now(UTC),
                calendar=message.calendar,
                calendar_method=CALENDAR_METHODS.get(message.message),
            )
        except Exception as error:  # a template's bug fails every attempt: refused for good
            reason = f"{UNWRITTEN}: {type(error).__name__}: {error}"
            NOTIFICATIONS_FAILED.labels(kind).inc()
            log.error(
                "%s for %s: %s",
                kind,
                message.person.id,
                reason,
                extra={"task_id": message.task_id, "person_id": message.person.id},
            )
            template = f"{template_locale(message.locale)}/{kind}"
            await self.outbox.record(Outcome(key, template, "failed", reason))
            return Failure(template, reason)
        try:
            await asyncio.wait_for(self.mailer.send(email), SEND_TIMEOUT)
        except (DeliveryError, TimeoutError) as error:
            permanent = isinstance(error, DeliveryError) and error.permanent
            reason = str(error) or "the SMTP server did not answer in time"
            (NOTIFICATIONS_FAILED if permanent else NOTIFICATIONS_RETRIED).labels(kind).inc()
            log.warning(
                "%s %s for %s: %s",
                kind,
                "refused for good" if permanent else "not sent, to be retried",
                message.person.id,
                reason,
                extra={"task_id": message.task_id, "person_id": message.person.id},
            )
            await self.outbox.record(
                Outcome(key, rendered.subject, "failed" if permanent else "pending", reason)
            )
            if permanent:
                return Failure(rendered.subject, reason)
            return f"{message.person.email}: {reason}"
        count_sent(kind, message.scheduled_at, datetime.now(UTC))
        log.info(
            "%s sent to %s",
            kind,
            message.person.id,
            extra={"task_id": message.task_id, "person_id": message.person.id},
        )
        await self.outbox.record(Outcome(key, rendered.subject, "sent", None))
        return "sent"
