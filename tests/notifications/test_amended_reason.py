"""The reason of an amendment is said once, without a full stop before the sentence's own."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from notifications.compose import Snapshot
from notifications.cycle_messages import amended_facts


def test_a_reason_ending_with_a_full_stop_loses_it_inside_the_parentheses() -> None:
    snapshot = Snapshot(organisation="Département", zone=ZoneInfo("Europe/Paris"), locale="fr",
                        people={})  # fmt: skip
    facts = {"amended_by": "qdd", "reason": "  Formation reportée à la demande de Paul.  "}
    assert amended_facts(facts, "resto", snapshot, "fr")["reason"] == (
        "Formation reportée à la demande de Paul"
    )
    assert amended_facts({"reason": None}, "resto", snapshot, "fr")["reason"] == ""
