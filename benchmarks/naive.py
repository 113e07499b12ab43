"""The naive shape of a reminder burst, measured beside Boucle's on the same server and day.

Each workflow sleeps until the instant and runs one regular activity that does nothing, on a
worker with the SDK's defaults. It is what the machine gives without Boucle's choices (local
activities, no sandbox, group commits), and it moves with the machine: on this shared VM the
same code measures from 45 to 96 per second depending on the hour.
"""

from __future__ import annotations

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
