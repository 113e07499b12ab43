"""An item whose title is only spaces is refused, at its field, in the plan and the form."""

from __future__ import annotations

import pytest

from domain.errors import PlanInvalid
from domain.validation import load_plan
from tests.plans import plan_text


def test_a_title_of_spaces_is_an_error_at_its_field() -> None:
    with pytest.raises(PlanInvalid) as invalid:
        load_plan(
            plan_text(
                '- {id: pub, kind: action, title: "   ", assignees: [resto], due: "2027-02-15"}'
            )
        )
    assert invalid.value.lines("plan.yaml") == [
        "plan.yaml:31: plans[0].items[0].title: ce texte est vide : écrivez-le"
    ]
