"""Write plain data as block YAML that reads back with Boucle's loader."""

from __future__ import annotations

from typing import Any

import yaml


def dump(document: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(document, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120)
