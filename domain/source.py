"""Parse plan text (YAML or JSON) into plain data and a map of field paths to lines.

libyaml composes the node tree (fast, with line marks); scalars are then resolved with
YAML 1.2 core rules, so `NO`, `on` or `09:00` stay text instead of turning into booleans
or sexagesimal numbers as YAML 1.1 would have them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from domain.errors import PlanError, PlanInvalid, format_path

Path = tuple[str | int, ...]

# The plan format nests 8 levels at most (plans[0].items[0].reminders.before[0]).
MAX_DEPTH = 20
# Aliases may repeat a shared block (`<<: *defaults`), not multiply a document (billion laughs).
MAX_ALIAS_VALUES = 10_000
LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"  # libyaml's own limit, 1,000 levels


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
    # Parts beyond the limits, left out of `data`: reported alone, in the document's locale.
    problems: list[PlanError] = field(default_factory=list)

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


@dataclass
class _Walk:
    """What the conversion has seen: lines, nodes, what aliases copied, what it left out."""

    lines: dict[Path, int]
    visited: set[int] = field(default_factory=set)
    copied: int = 0
    problems: dict[str, PlanError] = field(default_factory=dict)

    def leave_out(self, line: int, path: Path, code: str, limit: int) -> None:
        """Report the first part beyond each limit; the conversion goes on without it."""
        self.problems.setdefault(
            code, PlanError(line, format_path(path), code, (("limit", limit),))
        )


def parse_source(text: str, *, is_json: bool = False) -> Source:
    """Parse `text`; raise PlanInvalid with a located error when it is unreadable."""
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanInvalid(
                [PlanError(error.lineno, "", "json", (("detail", error.msg),))]
            ) from None
        except RecursionError:
            pass  # too deep for json: libyaml below says where
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        if error.problem == LIBYAML_TOO_DEEP:
            raise PlanInvalid([_too_deep(line)]) from None
        detail = error.problem or str(error)
        raise PlanInvalid([PlanError(line, "", "yaml", (("detail", detail),))]) from None
    except yaml.YAMLError as error:
        raise PlanInvalid([PlanError(1, "", "yaml", (("detail", str(error)),))]) from None
    except RecursionError:  # the pure-Python composer, where libyaml is missing
        raise PlanInvalid([_too_deep(1)]) from None
    walk = _Walk(lines={(): 1})
    if root is None:
        return Source(data=None, lines=walk.lines)
    try:
        data = _plain(root, (), walk, depth=0, copy=False)
    except _DuplicateKey as duplicate:
        detail = f"clé « {duplicate.key} » en double"
        raise PlanInvalid([PlanError(duplicate.line, "", "yaml", (("detail", detail),))]) from None
    return Source(data=data, lines=walk.lines, problems=list(walk.problems.values()))


def _too_deep(line: int) -> PlanError:
    return PlanError(line, "", "too_deep", (("limit", MAX_DEPTH),))


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


def _plain(node: yaml.Node, path: Path, walk: _Walk, *, depth: int, copy: bool) -> Any:
    """Turn composed nodes into plain dicts, lists and scalars, recording lines."""
    line = walk.lines.setdefault(path, node.start_mark.line + 1)
    if depth > MAX_DEPTH:
        walk.leave_out(line, path, "too_deep", MAX_DEPTH)
        return None
    if copy:
        walk.copied += 1
        if walk.copied > MAX_ALIAS_VALUES:
            walk.leave_out(line, path, "alias_expansion", MAX_ALIAS_VALUES)
            return None
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # libyaml composes an alias as the anchored node itself: a second visit is a copy.
        copy = copy or id(node) in walk.visited
        walk.visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else "?"
            key = str(key).lower() if isinstance(key, bool) else str(key)
            key_line = key_node.start_mark.line + 1
            if key == "<<" and isinstance(value_node, yaml.MappingNode | yaml.SequenceNode):
                merged = _plain(value_node, (*path, "<<"), walk, depth=depth + 1, copy=copy)
                for source in merged if isinstance(merged, list) else [merged]:
                    if isinstance(source, dict):
                        for merged_key, merged_value in source.items():
                            result.setdefault(merged_key, merged_value)
                continue
            if key in first_line:
                raise _DuplicateKey(key, key_line)
            first_line[key] = key_line
            child = (*path, key)
            walk.lines[child] = key_line
            result[key] = _plain(value_node, child, walk, depth=depth + 1, copy=copy)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, value_node in enumerate(node.value):
            child = (*path, index)
            walk.lines[child] = value_node.start_mark.line + 1
            items.append(_plain(value_node, child, walk, depth=depth + 1, copy=copy))
        return items
    return _scalar(node)
