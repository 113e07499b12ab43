"""One-click links in emails: signed, expiring, single-purpose (HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LINK_LIFETIME = timedelta(days=30)
LONGEST_LINK = 2000  # characters: a task id is at most 200, a signed payload about 400


class LinkError(ValueError):
    """The link is malformed, tampered with or expired."""


@dataclass(frozen=True)
class LinkClaim:
    action: str  # "complete"
    task: str
    person: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url, refusing every spelling but the one `_b64` writes."""
    if not BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise LinkError("this link is not valid")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # unused trailing bits set: another spelling of the same bytes
        raise LinkError("this link is not valid")
    return data


def sign_link(secret: str, claim: LinkClaim) -> str:
    payload = json.dumps(
        {
            "a": claim.action,
            "t": claim.task,
            "p": claim.person,
            "e": int(claim.expires.timestamp()),
        },
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def verify_link(secret: str, token: str, now: datetime) -> LinkClaim:
    if len(token) > LONGEST_LINK:
        raise LinkError("this link is not valid")
    try:
        encoded, signature = token.split(".")
        payload = _unb64(encoded)
        expected = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise LinkError("this link has been altered")
        data = json.loads(payload)
        claim = LinkClaim(
            action=str(data["a"]),
            task=str(data["t"]),
            person=str(data["p"]),
            expires=datetime.fromtimestamp(int(data["e"]), UTC),
        )
    except LinkError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise LinkError("this link is not valid") from error
    if claim.expires < now:
        raise LinkError("this link has expired")
    return claim


def link_digest(token: str) -> str:
    """What a used link is recorded by: the SHA-256 of its decoded, signed payload."""
    return hashlib.sha256(_unb64(token.split(".")[0])).hexdigest()
