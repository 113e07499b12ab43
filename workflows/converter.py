"""The data converter every client, worker and replay uses: pydantic models as JSON.

It writes exactly what `temporalio.contrib.pydantic.pydantic_data_converter` writes. The
difference is its cost: the SDK constructs a payload converter for every workflow
activation (to give it a serialization context), and the stock pydantic one builds a schema
serializer and an empty type-adapter cache each time — about a tenth of a busy worker's
event loop in a burst of reminders. This one is built once and shared.
"""

from __future__ import annotations

from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import CompositePayloadConverter, DataConverter, EncodingPayloadConverter

SHARED_CONVERTERS: tuple[EncodingPayloadConverter, ...] = tuple(
    PydanticPayloadConverter().converters.values()
)


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """Pydantic's payload converter, whose instances share one set of encoders."""

    def __init__(self) -> None:
        CompositePayloadConverter.__init__(self, *SHARED_CONVERTERS)


DATA_CONVERTER = DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
