"""The naive shape of a reminder burst, measured beside Boucle's on the same server and day.

Each workflow sleeps until the instant and runs one regular activity that does nothing, on a
worker with the SDK's defaults. It is what the machine gives without Boucle's work (the
sandbox, the outbox, rendering and SMTP), and it moves with the machine: on this shared VM
the same code measures from 45 to 96 per second depending on the hour.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import activity, workflow

done = 0


@activity.defn
async def do_nothing() -> None:
    global done
    done += 1


@workflow.defn
class NaiveReminder:
    @workflow.run
    async def run(self, fire_at: datetime) -> None:
        await workflow.sleep(fire_at - workflow.now())
        await workflow.execute_activity(do_nothing, start_to_close_timeout=timedelta(minutes=5))


async def serve(address: str, namespace: str, queue: str) -> None:
    """A naive worker process with the SDK's defaults (what `benchmarks.cluster` starts)."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from workflows.converter import DATA_CONVERTER

    # Boucle's converter, as the workflows were started with it (the instant is a datetime).
    client = await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER)
    async with Worker(client, task_queue=queue, workflows=[NaiveReminder], activities=[do_nothing]):
        await asyncio.Event().wait()  # until the benchmark kills it


if __name__ == "__main__":
    import sys

    asyncio.run(serve(*sys.argv[1:4]))
