"""Parse plan text (YAML or JSON) into plain data and a map of field paths to lines.

libyaml composes the node tree (fast, with line marks); scalars are then resolved with
YAML 1.2 core rules, so `NO`, `on` or `09:00` stay text instead of turning into booleans
or sexagesimal numbers as YAML 1.1 would have them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from domain.errors import PlanError, PlanInvalid

Path = tuple[str | int, ...]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Composes only: scalars are resolved by _scalar, so implicit resolvers are skipped."""

    _DEFAULT_TAGS = {
        yaml.ScalarNode: "tag:yaml.org,2002:str",
        yaml.SequenceNode: "tag:yaml.org,2002:seq",
        yaml.MappingNode: "tag:yaml.org,2002:map",
    }

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return self._DEFAULT_TAGS[kind]


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


@dataclass
class Source:
    """A parsed plan document: its data and the line of every field path."""

    data: Any
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            line = self.lines.get(path)
            if line is not None:
                return line
            path = path[:-1]
        return self.lines.get((), 1)


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


def parse_source(text: str, *, is_json: bool = False) -> Source:
    """Parse `text`; raise PlanInvalid with a located error when it is unreadable."""
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanInvalid(
                [PlanError(error.lineno, "", "json", (("detail", error.msg),))]
            ) from None
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = error.problem or str(error)
        raise PlanInvalid([PlanError(line, "", "yaml", (("detail", detail),))]) from None
    except yaml.YAMLError as error:
        raise PlanInvalid([PlanError(1, "", "yaml", (("detail", str(error)),))]) from None
    lines: dict[Path, int] = {(): 1}
    if root is None:
        return Source(data=None, lines=lines)
    try:
        data = _plain(root, (), lines)
    except _DuplicateKey as duplicate:
        detail = f"clé « {duplicate.key} » en double"
        raise PlanInvalid([PlanError(duplicate.line, "", "yaml", (("detail", detail),))]) from None
    return Source(data=data, lines=lines)


def _scalar(node: yaml.ScalarNode) -> Any:
    value = node.value
    if node.style:  # quoted or block scalars are text ('' or None means plain)
        return value
    if node.tag not in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:timestamp",
        "tag:yaml.org,2002:value",
        "tag:yaml.org,2002:merge",
    ):
        return value  # explicit tags are read as text; the schema decides
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


def _plain(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    """Turn composed nodes into plain dicts, lists and scalars, recording lines."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else "?"
            key = str(key).lower() if isinstance(key, bool) else str(key)
            line = key_node.start_mark.line + 1
            if key == "<<" and isinstance(value_node, yaml.MappingNode | yaml.SequenceNode):
                merged = _plain(value_node, (*path, "<<"), lines)
                for source in merged if isinstance(merged, list) else [merged]:
                    if isinstance(source, dict):
                        for merged_key, merged_value in source.items():
                            result.setdefault(merged_key, merged_value)
                continue
            if key in first_line:
                raise _DuplicateKey(key, line)
            first_line[key] = line
            child = (*path, key)
            lines[child] = line
            result[key] = _plain(value_node, child, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, value_node in enumerate(node.value):
            child = (*path, index)
            lines[child] = value_node.start_mark.line + 1
            items.append(_plain(value_node, child, lines))
        return items
    return _scalar(node)
