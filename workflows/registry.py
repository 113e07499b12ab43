"""The one list of workflows and the runners they run in, for the worker, tests and replays."""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.cycle import PortfolioCycleWorkflow
from workflows.digest import DigestWorkflow
from workflows.task import TaskWorkflow

WORKFLOWS = [PortfolioCycleWorkflow, TaskWorkflow, DigestWorkflow]

# The sandbox refuses what would make a workflow non-deterministic (the clock, random
# numbers, I/O) when a change brings it in by mistake. Every workflow test and every replay
# of the saved histories runs in it. domain/ is pure and deterministic; holidays and
# dateutil import lazily and read the clock at import time only, so they are shared with
# the sandbox instead of re-imported in it.
SANDBOXED_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "domain", "holidays", "dateutil", "pydantic", "pydantic_core", "babel"
    )
)


def workflow_runner(sandboxed: bool) -> WorkflowRunner:
    """The runner a worker uses: the sandbox when asked, otherwise plain Python.

    A running worker does without the sandbox by default: it re-enters its restricted
    importer for every activation and every payload, which cost about a fifth of the
    worker's CPU in a burst of reminders (`make bench`), to guard code the tests have
    already run in it.
    """
    return SANDBOXED_RUNNER if sandboxed else UnsandboxedWorkflowRunner()
