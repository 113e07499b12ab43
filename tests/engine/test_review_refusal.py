"""A second year-end review is refused as already recorded, not as "not open yet"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.exceptions import ApplicationError

from domain.next_year import Review
from tests.plans import plan_with
from workflows.cycle_checks import check_review
from workflows.types import CycleState, Phase, ReviewRequest


def test_a_review_sent_again_after_the_cycle_moved_on_says_it_is_recorded() -> None:
    recorded = Review(
        lessons="Former plus tôt", recorded_by="qdd", recorded_at=datetime(2027, 12, 1, tzinfo=UTC)
    )
    state = CycleState(review=recorded)
    again = ReviewRequest(by="qdd", lessons="Autre chose")
    with pytest.raises(ApplicationError) as refused:
        check_review(Phase.improving, state, plan_with(""), again)
    assert refused.value.details[0]["code"] == "review_recorded"
