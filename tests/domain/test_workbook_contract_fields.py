"""The DECP settings of a plan (SIRETs, buyer category, CPV prefixes) survive a workbook."""

from __future__ import annotations

import pytest

from domain.catalogue import with_catalogue
from domain.validation import load_plan
from services.plan_files import read_plan_bytes, write_plan_workbook
from tests.api.test_decp import PLAN


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_sirets_buyer_category_and_cpv_prefixes_go_and_come_back(fmt: str) -> None:
    central = PLAN.replace("organisation:\n", "organisation:\n  buyer_category: central\n")
    document = load_plan(with_catalogue(central))
    back = read_plan_bytes(f"plan.{fmt}", write_plan_workbook(document, fmt))  # type: ignore[arg-type]
    assert back.organisation.sirets == ["21590001100017"]
    assert back.organisation.buyer_category == "central"
    assert back.portfolios[0].cpv == ["15"]
    assert back == document  # the catalogue's DECP indicators included
