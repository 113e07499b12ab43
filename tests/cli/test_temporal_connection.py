"""The Temporal connection of worker, API and command line: TLS, mTLS and API keys."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from boucle.cli import app
from services.settings import Settings, SettingsInvalid
from services.temporal import connect, temporal_tls

SERVER_NAME = "temporal.boucle.test"


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    """A CA, the frontend's certificate for SERVER_NAME, and a client certificate for mTLS."""
    authority = trustme.CA()
    server = authority.issue_cert(SERVER_NAME)
    worker = authority.issue_cert("boucle-worker")
    files = {
        "ca": authority.cert_pem,
        "server": server.cert_chain_pems[0],
        "server_key": server.private_key_pem,
        "cert": worker.cert_chain_pems[0],
        "key": worker.private_key_pem,
    }
    paths = {}
    for name, blob in files.items():
        paths[name] = tmp_path / f"{name}.pem"
        blob.write_to_path(str(paths[name]))
    return paths


def test_temporal_tls_settings_map_to_the_clients_tls_config(
    pki: dict[str, Path], tmp_path: Path
) -> None:
    assert temporal_tls(Settings(data_dir=tmp_path)) is False  # the dev server: plain
    assert temporal_tls(Settings(data_dir=tmp_path, temporal_tls=True)) is True  # system roots
    assert temporal_tls(Settings(data_dir=tmp_path, temporal_api_key="k")) is True  # implied
    mutual = temporal_tls(
        Settings(
            data_dir=tmp_path,
            temporal_tls_ca_file=pki["ca"],
            temporal_tls_cert_file=pki["cert"],
            temporal_tls_key_file=pki["key"],
            temporal_tls_server_name=SERVER_NAME,
        )
    )
    assert mutual == TLSConfig(
        server_root_ca_cert=pki["ca"].read_bytes(),
        domain=SERVER_NAME,
        client_cert=pki["cert"].read_bytes(),
        client_private_key=pki["key"].read_bytes(),
    )
    assert temporal_tls(Settings(data_dir=tmp_path, temporal_tls_server_name="t.x")) == TLSConfig(
        domain="t.x"
    )


async def test_connect_hands_the_api_key_and_tls_to_the_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    async def fake_connect(address: str, **options: Any) -> str:
        seen.update(options, address=address)
        return "client"

    monkeypatch.setattr(Client, "connect", fake_connect)
    settings = Settings(
        data_dir=tmp_path,
        temporal_address="boucle.tmprl.cloud:7233",
        temporal_namespace="boucle.a1b2c",
        temporal_api_key="cle-secrete",
    )
    assert await connect(settings) == "client"
    assert seen["address"] == "boucle.tmprl.cloud:7233"
    assert seen["namespace"] == "boucle.a1b2c"
    assert seen["api_key"] == "cle-secrete" and seen["tls"] is True
    assert "cle-secrete" not in repr(settings) and "cle-secrete" not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"BOUCLE_TEMPORAL_TLS_CA_FILE": "{tmp}/absent.pem"},
            "BOUCLE_TEMPORAL_TLS_CA_FILE {tmp}/absent.pem: cannot be read (No such file or "
            "directory)",
        ),
        (
            {"BOUCLE_TEMPORAL_TLS_CA_FILE": "{tmp}"},
            "BOUCLE_TEMPORAL_TLS_CA_FILE {tmp}: cannot be read (Is a directory)",
        ),
        (
            {"BOUCLE_TEMPORAL_TLS_CERT_FILE": "{cert}", "BOUCLE_TEMPORAL_TLS_KEY_FILE": "{cert}"},
            "BOUCLE_TEMPORAL_TLS_KEY_FILE {cert}: holds no PEM private key (unencrypted)",
        ),
        (
            {"BOUCLE_TEMPORAL_TLS_CERT_FILE": "{cert}"},
            "BOUCLE_TEMPORAL_TLS_CERT_FILE and BOUCLE_TEMPORAL_TLS_KEY_FILE go together (mTLS)",
        ),
        (
            {"BOUCLE_TEMPORAL_TLS": "false", "BOUCLE_TEMPORAL_API_KEY": "k"},
            "BOUCLE_TEMPORAL_TLS=false, yet a TLS file, server name or API key is set",
        ),
    ],
)
@pytest.mark.parametrize("command", [["worker"], ["api"], ["plan", "approve", "p", "2027"]])
def test_bad_temporal_tls_settings_stop_every_process_at_start_with_a_clear_message(
    variables: dict[str, str],
    message: str,
    command: list[str],
    pki: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOUCLE_DATA_DIR", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path, cert=pki["cert"]))
    if command[0] == "plan":
        command = [*command, "--as", "dgs"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert result.output.startswith("boucle cannot start:\n")
    assert message.format(tmp=tmp_path, cert=pki["cert"]) in result.output
    with pytest.raises(SettingsInvalid, match="BOUCLE_TEMPORAL_TLS"):  # and connect itself
        temporal_tls(Settings())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def tls_frontend(target: str, pki: dict[str, Path]) -> AsyncIterator[tuple[str, list[Any]]]:
    """A TLS frontend that requires a client certificate, in front of a plain server."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki["ca"]))
    context.load_cert_chain(str(pki["server"]), str(pki["server_key"]))
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    host, _, port = target.rpartition(":")

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    clients: list[Any] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.append(writer.get_extra_info("peercert")["subjectAltName"])
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    listening = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", listening, ssl=context)
    try:
        yield f"127.0.0.1:{listening}", clients
    finally:
        server.close()


async def test_a_worker_reaches_temporal_over_mutual_tls_and_not_without_its_certificate(
    env: WorkflowEnvironment, pki: dict[str, Path], tmp_path: Path
) -> None:
    target = env.client.service_client.config.target_host
    async with tls_frontend(target, pki) as (address, clients):
        mutual = Settings(
            data_dir=tmp_path,
            temporal_address=address,
            temporal_tls_ca_file=pki["ca"],
            temporal_tls_cert_file=pki["cert"],
            temporal_tls_key_file=pki["key"],
            temporal_tls_server_name=SERVER_NAME,
        )
        client = await connect(mutual)
        assert await client.service_client.check_health()
        assert clients == [(("DNS", "boucle-worker"),)]  # the worker's certificate, checked
        plain = Settings(data_dir=tmp_path, temporal_address=address)
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(connect(plain), 20)
        without_certificate = mutual.model_copy(
            update={"temporal_tls_cert_file": None, "temporal_tls_key_file": None}
        )
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(connect(without_certificate), 20)
        wrong_name = mutual.model_copy(update={"temporal_tls_server_name": "ailleurs.test"})
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(connect(wrong_name), 20)
