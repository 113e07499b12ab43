"""One Settings object, read from BOUCLE_* environment variables (and .env)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsInvalid(ValueError):
    """Raised when settings cannot work; the message says which ones and what to change."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOUCLE_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".data")
    database_url: str = Field(
        default="", validation_alias=AliasChoices("BOUCLE_DATABASE_URL", "DATABASE_URL")
    )

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    # Unset: TLS as soon as a CA, a client certificate, a server name or an API key is given.
    temporal_tls: bool | None = None
    temporal_tls_ca_file: Path | None = None  # PEM roots to trust instead of the system's
    temporal_tls_cert_file: Path | None = None  # mTLS: the client certificate (PEM)...
    temporal_tls_key_file: Path | None = None  # ...and its private key (PEM)
    temporal_tls_server_name: str | None = None  # SNI and the name the certificate must bear
    temporal_api_key: SecretStr | None = None  # Temporal Cloud and the like; implies TLS
    task_queue: str = "boucle"
    search_attributes: bool = True

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_url: str = ""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool | None = None  # unset: STARTTLS whenever the server offers it
    smtp_ssl: bool = False
    smtp_allow_plain_auth: bool = False  # AUTH over a connection without TLS
    smtp_ca_file: str | None = None  # PEM bundle of CAs to trust besides the system's
    mail_from: str = "boucle@localhost"
    mail_from_name: str = "Boucle"
    message_domain: str = "boucle.local"
    templates_dir: str | None = None

    secret_key: str = ""  # signs one-click links; all workers and API replicas share it

    worker_activities: int = 200
    worker_threads: int = 16
    # Emails sent per second at most by all workers together (the relay's quota; 0: no limit).
    # The server holds the mail queue's activities to it: one activity sends one notice's
    # emails (one per recipient), a batch of invitations or a week's digests.
    mail_per_second: float = Field(default=0.0, ge=0.0)
    # Workflows kept in memory between their tasks; one that is evicted is replayed from its
    # history at its next timer, which costs far more than its few kilobytes of state.
    worker_cached_workflows: int = 2000
    # Workflows run in Temporal's sandbox, which refuses what would make them
    # non-deterministic (the clock, random numbers, I/O). false only to measure without it.
    workflow_sandbox: bool = True
    scheduler: bool = True

    # OpenID Connect sign-in ("Se connecter avec …"): the first four together, or none.
    oidc_issuer: str = ""  # discovery at {issuer}/.well-known/openid-configuration
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    oidc_name: str = ""  # the button's label: "ProConnect", "Intranet du Département"
    oidc_scopes: str = "openid email profile"

    # Observability: who may read the API's /metrics (unset: anyone, it holds nothing
    # secret), the worker's metrics port (0: none), the Temporal SDK's own metrics
    # ("host:port", empty: none) and the log lines' shape.
    metrics_token: SecretStr | None = None
    worker_metrics_port: int = 0
    temporal_metrics_address: str = ""
    log_format: Literal["text", "json"] = "text"

    # First notification date under art. 35 Climat et résilience; unset: the catalogue's
    # (domain/law.yaml: 21 August 2026; sources say 21 or 22).
    art35_from: date | None = None

    @property
    def oidc_enabled(self) -> bool:
        """Whether "Se connecter avec …" is offered: every OIDC setting is given."""
        return all(getattr(self, name) for name in OIDC_REQUIRED)

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'boucle.db'}"

    @property
    def link_secret(self) -> str:
        """BOUCLE_SECRET_KEY, or a key kept in the data folder (one machine, `boucle dev`)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32), replace=False)
        return path.read_text().strip()

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"


MIN_SECRET_KEY_BYTES = 32


def write_private(path: Path, text: str, *, replace: bool = True) -> None:
    """Write `text` to `path`, readable by its owner alone from the first byte, and whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            with contextlib.suppress(FileExistsError):  # another process wrote it first
                os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def secret_problems(settings: Settings) -> list[str]:
    """A link-signing key too short to resist guessing, with how to make a good one."""
    key = settings.secret_key
    if key and len(key.encode()) < MIN_SECRET_KEY_BYTES:
        return [
            f"BOUCLE_SECRET_KEY is {len(key.encode())} bytes long: it signs the one-click links "
            f"and needs at least {MIN_SECRET_KEY_BYTES} (python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'), the same on every worker and API replica"
        ]
    return []


def smtp_problems(settings: Settings) -> list[str]:
    """What in the SMTP settings could never work, each with what to change."""
    found = []
    if settings.smtp_ssl and settings.smtp_starttls:
        found.append(
            "BOUCLE_SMTP_SSL and BOUCLE_SMTP_STARTTLS exclude each other: TLS from the first "
            "byte (port 465) or an upgrade (port 587)"
        )
    plain = not settings.smtp_ssl and settings.smtp_starttls is False
    if plain and settings.smtp_username and not settings.smtp_allow_plain_auth:
        found.append(
            "BOUCLE_SMTP_STARTTLS=false with BOUCLE_SMTP_USERNAME would send the SMTP password "
            "in clear: use TLS, or set BOUCLE_SMTP_ALLOW_PLAIN_AUTH=true"
        )
    return found


PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----")
PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN (RSA |EC )?PRIVATE KEY-----")  # not encrypted
TEMPORAL_FILES = {
    "temporal_tls_ca_file": ("certificate", PEM_CERTIFICATE),
    "temporal_tls_cert_file": ("certificate", PEM_CERTIFICATE),
    "temporal_tls_key_file": ("private key", PEM_PRIVATE_KEY),
}


def temporal_tls_wanted(settings: Settings) -> bool:
    """Whether the Temporal connection is TLS: as set, or implied by any TLS setting or key."""
    if settings.temporal_tls is not None:
        return settings.temporal_tls
    implied = [getattr(settings, name) for name in TEMPORAL_FILES]
    implied += [settings.temporal_tls_server_name, settings.temporal_api_key]
    return any(value is not None for value in implied)


def read_pem(settings: Settings, name: str) -> bytes | None:
    """The PEM file a setting names, or None; SettingsInvalid when it cannot be used."""
    path = getattr(settings, name)
    if path is None:
        return None
    label = f"BOUCLE_{name.upper()}"
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SettingsInvalid(f"{label} {path}: cannot be read ({error.strerror})") from None
    kind, pattern = TEMPORAL_FILES[name]
    if not pattern.search(data):
        raise SettingsInvalid(f"{label} {path}: holds no PEM {kind} (unencrypted)")
    return data


def temporal_problems(settings: Settings) -> list[str]:
    """What in the Temporal connection settings could never work, each with what to change."""
    found = []
    for name in TEMPORAL_FILES:
        try:
            read_pem(settings, name)
        except SettingsInvalid as error:
            found.append(str(error))
    if (settings.temporal_tls_cert_file is None) != (settings.temporal_tls_key_file is None):
        found.append(
            "BOUCLE_TEMPORAL_TLS_CERT_FILE and BOUCLE_TEMPORAL_TLS_KEY_FILE go together (mTLS)"
        )
    if settings.temporal_tls is False and temporal_tls_wanted(
        settings.model_copy(update={"temporal_tls": None})
    ):
        found.append(
            "BOUCLE_TEMPORAL_TLS=false, yet a TLS file, server name or API key is set: an API "
            "key travels only over TLS"
        )
    return found


OIDC_REQUIRED = ("oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_name")


def oidc_problems(settings: Settings) -> list[str]:
    """What in the OpenID Connect settings could never sign anyone in, with what to change."""
    given = [name for name in OIDC_REQUIRED if getattr(settings, name)]
    if not given:
        return []
    labels = [f"BOUCLE_{name.upper()}" for name in OIDC_REQUIRED]
    missing = [
        label for name, label in zip(OIDC_REQUIRED, labels, strict=True) if name not in given
    ]
    found = []
    if missing:
        found.append(
            f"OpenID Connect sign-in needs {', '.join(labels)} together: "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing "
            "(or unset them all to sign in by emailed link only)"
        )
    issuer = urlsplit(settings.oidc_issuer)
    local = issuer.hostname in ("localhost", "127.0.0.1", "::1")
    if settings.oidc_issuer and not (
        issuer.netloc and (issuer.scheme == "https" or (issuer.scheme == "http" and local))
    ):
        found.append(
            f"BOUCLE_OIDC_ISSUER {settings.oidc_issuer!r} is not an https URL (http only on "
            "localhost): the provider's discovery is read at {issuer}/.well-known/"
            "openid-configuration"
        )
    scopes = settings.oidc_scopes.split()
    if not {"openid", "email"} <= set(scopes):
        found.append(
            f"BOUCLE_OIDC_SCOPES {settings.oidc_scopes!r} must include openid and email: "
            "Boucle finds the person by the email claim"
        )
    return found


def problems(settings: Settings) -> list[str]:
    """Everything in the settings that would fail once running, found before starting."""
    return (
        secret_problems(settings)
        + smtp_problems(settings)
        + temporal_problems(settings)
        + oidc_problems(settings)
    )


def exit_if_invalid(settings: Settings) -> Settings:
    """Return `settings`, or stop the process with every problem they have."""
    found = problems(settings)
    if found:
        raise _cannot_start(found)
    return settings


def _cannot_start(lines: list[str]) -> SystemExit:
    return SystemExit("boucle cannot start:\n" + "\n".join(f"  {line}" for line in lines))


def process_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment with the BOUCLE_* variables under which a child process
    (`boucle worker`, a command) reads the same store, engine and queue as `settings`."""
    return {
        **os.environ,
        "BOUCLE_DATA_DIR": str(settings.data_dir),
        "BOUCLE_DATABASE_URL": settings.database,
        "BOUCLE_TEMPORAL_ADDRESS": settings.temporal_address,
        "BOUCLE_TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "BOUCLE_TASK_QUEUE": settings.task_queue,
        "BOUCLE_SMTP_PORT": str(settings.smtp_port),
        "BOUCLE_SCHEDULER": str(settings.scheduler).lower(),
        **extra,
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, checked: a process with bad settings stops at once."""
    try:
        settings = Settings()
    except ValidationError as error:
        # Without the values: one of them may be a secret.
        lines = [
            f"BOUCLE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        ]
        raise _cannot_start(lines) from None
    return exit_if_invalid(settings)
