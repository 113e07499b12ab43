"""schemathesis against the live API (uvicorn, a real dev server behind it): no 5xx, and
every answer — status, content type, headers, body — matches what the OpenAPI document says,
for every operation, as an officer, a buyer and an admin."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from boucle.settings import Settings
from domain.model import Role
from tests.api.test_roles import seeded
from tests.engine.support import serving

EXAMPLES = 12  # per operation and role: bounded, the suite stays quick


def check_operation(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run: a failure is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            timeout=30,
            # A schema cannot say that a plan, a date or a task's state is valid: a
            # well-formed request the domain refuses gets its 422, as documented.
            excluded_checks=[positive_data_acceptance],
        )

    check()


def run_schemathesis(base_url: str, tokens: dict[Role, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for role in (Role.officer, Role.buyer, Role.admin):
            try:
                check_operation(operation, base_url, {"Authorization": f"Bearer {tokens[role]}"})
            except Exception as error:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.label} as {role}: {str(error)[:600]}")
    return failures


async def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(
        Settings(data_dir=tmp_path, task_queue="schema-test"),
        sessions=sessions,
        temporal=dev_server.client,
    )
    async with serving(app) as url:
        failures = await asyncio.to_thread(run_schemathesis, url, tokens)
    assert failures == [], "\n".join(failures)
