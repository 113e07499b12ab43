"""Parse plan text (YAML or JSON) into plain data and a map of field paths to lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from domain.errors import PlanError, PlanInvalid

Path = tuple[str | int, ...]


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


def parse_source(text: str, *, is_json: bool = False) -> Source:
    """Parse `text`; raise PlanInvalid with a located error when it is unreadable."""
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanInvalid(
                [PlanError(error.lineno, "", "json", (("detail", error.msg),))]
            ) from None
    yaml = YAML(typ="rt", pure=False)
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = error.problem or str(error)
        raise PlanInvalid([PlanError(line, "", "yaml", (("detail", detail),))]) from None
    except YAMLError as error:
        raise PlanInvalid([PlanError(1, "", "yaml", (("detail", str(error)),))]) from None
    lines: dict[Path, int] = {(): 1}
    data = _plain(tree, (), lines)
    return Source(data=data, lines=lines)


def _plain(node: Any, path: Path, lines: dict[Path, int]) -> Any:
    """Copy ruamel's round-trip tree into plain dicts and lists, recording lines."""
    if isinstance(node, CommentedMap):
        if path not in lines:
            lines[path] = node.lc.line + 1
        result: dict[str, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            position = node.lc.data.get(key)
            if position is not None:
                lines[child] = position[0] + 1
            result[str(key)] = _plain(value, child, lines)
        return result
    if isinstance(node, CommentedSeq):
        if path not in lines:
            lines[path] = node.lc.line + 1
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            position = node.lc.data.get(index)
            if position is not None:
                lines[child] = position[0] + 1
            items.append(_plain(value, child, lines))
        return items
    if isinstance(node, str):
        return str(node)
    return node
