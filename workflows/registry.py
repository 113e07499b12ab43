"""The one list of workflows and the runners they run in, for the worker, tests and replays."""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.cycle import PortfolioCycleWorkflow
from workflows.digest import DigestWorkflow
from workflows.sign_in import SignInWorkflow
from workflows.task import TaskWorkflow
from workflows.watch import EngineWatchWorkflow

WORKFLOWS = [
    PortfolioCycleWorkflow,
    TaskWorkflow,
    DigestWorkflow,
    EngineWatchWorkflow,
    SignInWorkflow,
]

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
    """The runner a worker uses: the sandbox (the default), or plain Python when asked.

    The sandbox is a safety net: a change that brings the clock, random numbers or I/O into a
    workflow fails there instead of making a running year non-deterministic. It costs CPU
    (a workflow module re-imported for every new run, a restricted importer on each
    activation); `make bench` measures with it, and `BOUCLE_WORKFLOW_SANDBOX=false` only
    serves to measure what it costs.
    """
    return SANDBOXED_RUNNER if sandboxed else UnsandboxedWorkflowRunner()
