"""The one list of workflows and their sandbox, used by the worker, the tests and the replayer."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.cycle import PortfolioCycleWorkflow
from workflows.digest import DigestWorkflow
from workflows.task import TaskWorkflow

WORKFLOWS = [PortfolioCycleWorkflow, TaskWorkflow, DigestWorkflow]

# domain/ is pure and deterministic; holidays and dateutil import lazily and read the clock
# at import time only, so they are shared with the sandbox instead of re-imported in it.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "domain", "holidays", "dateutil", "pydantic", "pydantic_core", "babel"
    )
)
