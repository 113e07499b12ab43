"""SMTP delivery with aiosmtplib, classifying failures as temporary or permanent."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib

from notifications.email import Mail


class DeliveryError(Exception):
    """Raised when a message could not be delivered; `permanent` means do not retry."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class PlainAuthRefused(DeliveryError):
    """Raised instead of sending a password over a connection without TLS."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"SMTP server {host}:{port} offers no TLS: the password is not sent in clear "
            "(BOUCLE_SMTP_SSL=true or BOUCLE_SMTP_STARTTLS=true for a server with TLS, "
            "BOUCLE_SMTP_ALLOW_PLAIN_AUTH=true to send it anyway)",
            permanent=False,  # retried: an operator fixes the server or the settings
        )


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


@dataclass
class SmtpMailer:
    host: str = "127.0.0.1"
    port: int = 1025
    username: str | None = None
    password: str | None = None
    starttls: bool | None = None  # None: upgrade when the server offers it; True: required
    use_tls: bool = False
    allow_plain_auth: bool = False
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None  # e.g. to trust an organisation's own CA
    pool_size: int = 8
    _idle: list[aiosmtplib.SMTP] = field(default_factory=list, repr=False)
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    async def _connection(self) -> aiosmtplib.SMTP:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.starttls,
            tls_context=self.tls_context,
            timeout=self.timeout,
        )
        await client.connect()
        if self.username and self.password:
            if client.get_transport_info("sslcontext") is None and not self.allow_plain_auth:
                client.close()
                raise PlainAuthRefused(self.host, self.port)
            await client.login(self.username, self.password)
        return client

    async def _send_pooled(self, mail: Mail) -> None:
        """Send over one of a few kept-open connections (a burst pays no handshakes)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.pool_size)
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            try:
                client = await self._connection()
                await client.sendmail(mail.sender, list(mail.recipients), mail.data)
                self._idle.append(client)
                client = None
            finally:
                if client is not None and client.is_connected:
                    client.close()

    async def send(self, mail: Mail) -> None:
        try:
            await self._send_pooled(mail)
        except DeliveryError:
            raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            raise DeliveryError(str(error), permanent=all(500 <= c < 600 for c in codes)) from None
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryError(
                f"{error.code} {error.message}", permanent=500 <= error.code < 600
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise DeliveryError(str(error) or type(error).__name__, permanent=False) from None
