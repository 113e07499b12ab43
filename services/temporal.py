"""The Temporal client connection of the worker, the API and the command line, TLS as set."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import TLSConfig

from services.settings import (
    TEMPORAL_FILES,
    Settings,
    SettingsInvalid,
    read_pem,
    temporal_problems,
    temporal_tls_wanted,
)
from workflows.converter import DATA_CONVERTER

_connected = False


def temporal_used() -> bool:
    """Whether this process has started the Temporal runtime (its threads outlive clients)."""
    return _connected


async def connect(settings: Settings) -> Client:
    """The Temporal client of the worker, the API and the command line, TLS as set."""
    global _connected
    key = settings.temporal_api_key
    tls = temporal_tls(settings)  # settings that cannot work stop here, before the runtime starts
    _connected = True
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=key.get_secret_value() if key is not None else None,
        tls=tls,
        data_converter=DATA_CONVERTER,
    )


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """The connection's TLS from the settings: off, the system's roots, or files and a name."""
    if found := temporal_problems(settings):
        raise SettingsInvalid("; ".join(found))
    if not temporal_tls_wanted(settings):
        return False
    files = {name: read_pem(settings, name) for name in TEMPORAL_FILES}
    if not any(files.values()) and settings.temporal_tls_server_name is None:
        return True
    return TLSConfig(
        server_root_ca_cert=files["temporal_tls_ca_file"],
        domain=settings.temporal_tls_server_name,
        client_cert=files["temporal_tls_cert_file"],
        client_private_key=files["temporal_tls_key_file"],
    )
