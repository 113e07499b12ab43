"""The Temporal client connection of the worker, the API and the command line, TLS as set."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig

from services.metrics import WorkflowStarts
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
_runtimes: dict[str, Runtime] = {}  # one per metrics address: each binds its port once


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
        interceptors=[WorkflowStarts()],
        runtime=temporal_runtime(settings),
    )


def temporal_runtime(settings: Settings) -> Runtime | None:
    """The SDK's runtime, serving its own metrics where BOUCLE_TEMPORAL_METRICS_ADDRESS says.

    Its worker and client metrics (polls, task latencies, slots, requests) are the runtime's:
    it must exist before the client connects, and the worker shares the client's.
    """
    address = settings.temporal_metrics_address
    if not address:
        return None  # the SDK's default runtime, which exports nothing
    if address not in _runtimes:
        telemetry = TelemetryConfig(
            metrics=PrometheusConfig(bind_address=address, durations_as_seconds=True)
        )
        _runtimes[address] = Runtime(telemetry=telemetry)
    return _runtimes[address]


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
