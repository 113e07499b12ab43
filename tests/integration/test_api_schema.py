"""schemathesis against the live API (uvicorn, a real dev server behind it): no 5xx, and
every answer — status, content type, headers, body — matches what the OpenAPI document says,
for every operation, as an officer, a buyer and an admin; then sequences of calls that follow
the OpenAPI links between operations (a created token revoked, a listed task completed)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from domain.model import Role
from domain.validation import load_plan
from services.settings import Settings
from store.plans import save_organisation
from tests.api.test_people_roles import changed_people_plan
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


STATEFUL = settings(
    max_examples=40,  # scenarios per role, each a chain of linked calls
    stateful_step_count=6,
    phases=[Phase.generate],  # no shrinking: the server's state moves on between replays
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def snapshot(database: Path) -> Callable[[], None]:
    """A function that puts the database back as it is now."""
    saved = sqlite3.connect(":memory:")
    with closing(sqlite3.connect(database)) as live:
        live.backup(saved)

    def restore() -> None:
        with closing(sqlite3.connect(database, timeout=30)) as live:
            saved.backup(live)

    return restore


def run_stateful(base_url: str, tokens: dict[Role, str], database: Path) -> tuple[int, list[str]]:
    """Linked sequences as each role; how many links the document holds, and the failures.

    Each scenario starts from the same store: a chain that accepted a proposal or revoked a
    token must not change what the next one finds (Hypothesis replays scenarios).
    """
    restore = snapshot(database)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    # Valid requests only, as in the test above: the chain is what is under test here.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    failures: list[str] = []
    machine = schema.as_state_machine()
    links = schema.statistic.transitions.total
    for role in (Role.officer, Role.buyer, Role.admin):  # the admin last: it revokes tokens
        headers = {"Authorization": f"Bearer {tokens[role]}"}

        class Scenario(machine):  # type: ignore[valid-type, misc]
            bearer = headers

            def setup(self) -> None:
                restore()

            def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
                return {"base_url": base_url, "headers": self.bearer, "timeout": 30}

            def validate_response(
                self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any
            ) -> None:
                case.validate_response(
                    response,
                    excluded_checks=[positive_data_acceptance],
                    transport_kwargs=kwargs,
                    recorder=getattr(self, "recorder", None),  # for the checks across calls
                )

        try:
            Scenario.run(settings=STATEFUL)
        except Exception as error:  # noqa: BLE001 - collect each role's failure
            failures.append(f"linked calls as {role}: {str(error)[:1500]}")
    return links, failures


async def test_linked_calls_answer_as_documented_and_never_with_a_server_error(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions, tokens = seeded(tmp_path)
    with sessions() as session:
        save_organisation(session, load_plan(changed_people_plan()))  # proposals to act on
        session.commit()
    app = create_app(
        Settings(data_dir=tmp_path, task_queue="schema-links-test"),
        sessions=sessions,
        temporal=dev_server.client,
    )
    async with serving(app) as url:
        links, failures = await asyncio.to_thread(run_stateful, url, tokens, tmp_path / "boucle.db")
    assert links >= 50  # inferred from the answers' schemas, and the proposals' own
    assert failures == [], "\n".join(failures)


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
