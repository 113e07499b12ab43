"""The shared converter writes what the SDK's pydantic converter writes, and reads it back."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.contrib.pydantic import pydantic_data_converter

from workflows.converter import DATA_CONVERTER, SharedPydanticPayloadConverter
from workflows.types import SendReport, TaskStatus, TaskView


def test_same_payloads_as_the_sdk_pydantic_converter() -> None:
    values = [
        TaskView(
            id="restauration/2027/bio/2027-02-15",
            status=TaskStatus.open,
            due=datetime(2027, 2, 15, 16, tzinfo=UTC),
            assignees=("resto",),
            done_at=None,
            done_by=None,
            values={"part-bio": 21.5},
            sequence=1,
            next_notice=datetime(2027, 2, 8, 8, tzinfo=UTC),
            sent=2,
        ),
        SendReport(sent=2),
        {"année": 2027, "montant": 1.5},
        None,
    ]
    ours = DATA_CONVERTER.payload_converter.to_payloads(values)
    theirs = pydantic_data_converter.payload_converter.to_payloads(values)
    assert ours == theirs
    back = DATA_CONVERTER.payload_converter.from_payloads(
        theirs, [TaskView, SendReport, dict, type(None)]
    )
    assert back == values


def test_instances_share_their_encoders() -> None:
    first, second = SharedPydanticPayloadConverter(), SharedPydanticPayloadConverter()
    pairs = zip(first.converters.values(), second.converters.values(), strict=True)
    assert all(mine is yours for mine, yours in pairs)
