"""Words of the pages that say a plan item's recurrence, French and English."""

from __future__ import annotations

FR: dict[str, str] = {
    "task_recurrence": "Récurrence",
}

EN: dict[str, str] = {
    "task_recurrence": "Recurrence",
}
