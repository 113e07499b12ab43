"""The sign-in email: a signed, single-use link to open a page session, valid 15 minutes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import quote

from temporalio import activity

from activities.notify import NotificationActivities
from notifications import formatting
from notifications.compose import Outgoing
from notifications.context import Recipient, plan_context
from notifications.links import LinkClaim, sign_link
from notifications.messages import MessageType
from workflows.sign_in import SIGN_IN_LIFETIME, SignInInput
from workflows.types import ActivityName, SendReport

SIGN_IN_ACTION = "sign-in"


class SignInActivities:
    def __init__(self, notify: NotificationActivities) -> None:
        self.notify = notify

    @activity.defn(name=ActivityName.send_sign_in)
    async def send_sign_in(self, request: SignInInput) -> SendReport:
        outgoing = await asyncio.to_thread(self._message, request)
        if outgoing is None:
            return SendReport()
        return await self.notify.delivery.deliver_all([outgoing])

    def _message(self, request: SignInInput) -> Outgoing | None:
        config = self.notify.config
        snapshot = self.notify.directory.snapshot([request.person])
        person = snapshot.people.get(request.person)
        if person is None or not person.active or not config.link_secret:
            return None  # gone since the request: nobody to sign in
        expires = datetime.fromisoformat(request.expires_at)
        token = sign_link(
            config.link_secret, LinkClaim(SIGN_IN_ACTION, request.next, person.id, expires)
        )
        locale = snapshot.locale_of(person)
        context = plan_context(
            Recipient(person.id, person.name, person.email, locale),
            snapshot.organisation,
            {},
            {},
            sign_in={
                "link": f"{config.app_url}/app/sign-in/{quote(token, safe='')}",
                "until_text": formatting.clock(expires, snapshot.zone, locale),
            },
        )
        return Outgoing(
            key=f"sign-in|{request.nonce}",
            message=MessageType.sign_in,
            person=person,
            locale=locale,
            context=context,
            task_id=None,
            cycle_id=None,
            scheduled_at=expires - SIGN_IN_LIFETIME,
        )
