"""`make bench`: fuzz the plan loader with hypothesis, over YAML and JSON, for five minutes.

Anything but PlanInvalid escaping `domain.validation.load_plan` is a crash; so is an input
that takes over 2 s or makes the process grow by 500 MB. `--seconds 45` checks it works.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from domain.errors import PlanInvalid
from domain.validation import load_plan

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo-plan.yaml"
DEMO_TEXT = DEMO.read_text(encoding="utf-8")
DEMO_DATA = yaml.safe_load(DEMO_TEXT)
FINDINGS = Path(".data") / "fuzz"

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
PLAIN_WORDS = (
    "qdd resto inconnu restauration part-bio action training_session supplier_meeting "
    "indicator_checkpoint regulatory_watch_review officer buyer direction admin "
    "2027-01-04T09:30 2027-02-30 2027-13-01 2026-12-31 2027-03-16 P7D PT1H30M -P1D P1Y 09:00 "
    "25:61 Europe/Paris Mars/Base FR FR-57 XX fr en nan inf -inf 1e999 ~ null yes NO a@b.org "
    "pas-un-email =HYPERLINK(1)"
)
WORDS = [*PLAIN_WORDS.split(), "\r\n", "\x00", "\u2028", "é" * 40, " "]
YAML_PIECES = "&a |*a|&b |*b|<<: *a|<<: [*a, *b]|!!str |!!python/object |? |- |: |[|]|{|}|,|'|\"|#"
YAML_PIECES_LIST = YAML_PIECES.split("|") + ["|\n", ">-\n", "---\n", "...\n", "%YAML 1.2\n"]
YAML_PIECES_LIST += ["\t", "\n", "  ", "\ufeff", "\x85", "x"]


def rule_parts() -> st.SearchStrategy[str]:
    """Text of an RRULE, plausible to absurd: every part dateutil reads, and a few it does not."""
    number = st.integers(min_value=-400, max_value=400).map(str)
    day = st.tuples(
        st.sampled_from(["", "1", "-1", "5", "6", "+2", "53"]), st.sampled_from(WEEKDAYS)
    )
    part = st.one_of(
        st.sampled_from(
            ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "MINUTELY", "SECONDLY", "X"]
        ).map(lambda freq: f"FREQ={freq}"),
        st.integers(min_value=-2, max_value=2000).map(lambda n: f"INTERVAL={n}"),
        st.integers(min_value=-1, max_value=100_000).map(lambda n: f"COUNT={n}"),
        st.sampled_from(["20270615", "20271231T235959Z", "19990101", "20270230", "x"]).map(
            lambda d: f"UNTIL={d}"
        ),
        st.lists(day, min_size=1, max_size=4).map(
            lambda ds: "BYDAY=" + ",".join(n + w for n, w in ds)
        ),
        st.lists(number, min_size=1, max_size=4).map(lambda ns: "BYMONTHDAY=" + ",".join(ns)),
        st.lists(number, min_size=1, max_size=3).map(lambda ns: "BYMONTH=" + ",".join(ns)),
        st.lists(number, min_size=1, max_size=3).map(lambda ns: "BYSETPOS=" + ",".join(ns)),
        st.lists(number, min_size=1, max_size=3).map(lambda ns: "BYYEARDAY=" + ",".join(ns)),
        st.lists(number, min_size=1, max_size=3).map(lambda ns: "BYWEEKNO=" + ",".join(ns)),
        st.sampled_from(["BYHOUR=9,14", "BYMINUTE=5", "BYEASTER=0", "WKST=SU", "DTSTART=20270101"]),
        st.text(max_size=8),
    )
    return st.lists(part, min_size=1, max_size=6).map(";".join)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(WORDS),
    rule_parts(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
ITEM_FIELDS = [
    "id",
    "kind",
    "title",
    "assignees",
    "start",
    "due",
    "rrule",
    "duration",
    "location",
    "attendees",
    "indicators",
    "objective",
    "reminders",
    "on_holiday",
]


@st.composite
def mutated_plan(draw: st.DrawFn) -> Any:
    """The demo plan as data, with a few fields set to anything, removed or nested deeply."""
    data = json.loads(json.dumps(DEMO_DATA, default=str))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        parent, key = _somewhere(data, draw(st.lists(st.integers(0, 50), min_size=1, max_size=6)))
        if parent is None:
            continue
        action = draw(st.sampled_from(["set", "delete", "rule", "deep", "copy", "item", "recur"]))
        if action == "delete" and isinstance(parent, dict):
            parent.pop(key, None)
        elif action == "rule":
            parent[key] = draw(rule_parts())
        elif action == "deep":  # written out as brackets once dumped: no recursion here
            parent[key] = DEEP.format(draw(st.sampled_from([5, 19, 20, 21, 60, 999, 1001, 3000])))
        elif action == "copy" and isinstance(parent[key], list):
            parent[key] = parent[key] * draw(st.integers(min_value=2, max_value=40))
        elif action == "recur":  # a rule on an item that is valid otherwise: the calendar runs
            items = _items(data)
            if items:
                item = items[draw(st.integers(0, len(items) - 1))]
                item.pop("due", None)
                item["start"] = draw(
                    st.sampled_from(["2027-01-01T09:00", "2027-02-28", "2027-12-31"])
                )
                item["rrule"] = draw(rule_parts())
        elif action == "item":
            plans = data.get("plans") if isinstance(data, dict) else None
            if isinstance(plans, list) and plans and isinstance(plans[0], dict):
                fields = draw(st.sets(st.sampled_from(ITEM_FIELDS)))
                plans[0].setdefault("items", []).append({name: draw(VALUES) for name in fields})
        else:
            parent[key] = draw(VALUES)
    return data


def _items(data: Any) -> list[dict[str, Any]]:
    """Every item of every plan in `data`, wherever mutations left them."""
    plans = data.get("plans") if isinstance(data, dict) else None
    return [
        item
        for plan in (plans if isinstance(plans, list) else [])
        if isinstance(plan, dict) and isinstance(plan.get("items"), list)
        for item in plan["items"]
        if isinstance(item, dict)
    ]


def _somewhere(data: Any, turns: list[int]) -> tuple[Any, Any]:
    """A (container, key) pair reached from `data` by following `turns`."""
    parent, key = None, None
    node = data
    for turn in turns:
        if isinstance(node, dict) and node:
            parent, key = node, list(node)[turn % len(node)]
        elif isinstance(node, list) and node:
            parent, key = node, turn % len(node)
        else:
            break
        node = parent[key]
    return parent, key


@st.composite
def alias_text(draw: st.DrawFn) -> str:
    """YAML that leans on anchors: nested alias fans (billion laughs) and merge keys."""
    width = draw(st.integers(min_value=1, max_value=12))
    depth = draw(st.integers(min_value=1, max_value=9))
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, depth)]
    body = DEMO_TEXT.replace("reminders:", f"x-bomb: *a{depth - 1}\nreminders:", 1)
    if draw(st.booleans()):
        body = body.replace("  - {id: resto,", "  - {<<: {role: buyer}, id: resto,", 1)
    return "\n".join(lines) + "\n" + body


@st.composite
def edited_text(draw: st.DrawFn) -> str:
    """The demo plan's text with a few slices deleted, repeated or replaced by YAML syntax."""
    text = DEMO_TEXT
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        start = draw(st.integers(min_value=0, max_value=len(text)))
        end = min(len(text), start + draw(st.integers(min_value=0, max_value=200)))
        action = draw(st.sampled_from(["delete", "repeat", "insert"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "repeat":
            text = text[:end] + text[start:end] * draw(st.integers(1, 30)) + text[end:]
        else:
            piece = "".join(draw(st.lists(st.sampled_from(YAML_PIECES_LIST), max_size=12)))
            text = text[:start] + piece + draw(st.text(max_size=10)) + text[start:]
    return text


DEEP = "deep-{}-levels"
DEEP_MARK = re.compile(r"[\"']?deep-(\d+)-levels[\"']?")


def _dumped(data: Any, as_json: bool, flow: bool) -> str | None:
    try:
        if as_json:
            text = json.dumps(data, ensure_ascii=False, indent=None if flow else 1)
        else:
            text = str(yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow))
    except (RecursionError, ValueError, TypeError, yaml.YAMLError):
        return None  # the fuzzer's own writer gave up, not the loader
    return DEEP_MARK.sub(lambda found: "[" * int(found[1]) + "]" * int(found[1]), text)


@st.composite
def plan_inputs(draw: st.DrawFn) -> tuple[str, bool]:
    """A plan file's text and whether it is JSON."""
    kind = draw(st.sampled_from(["data", "data", "aliases", "edits", "noise"]))
    if kind == "data":
        as_json = draw(st.booleans())
        text = _dumped(draw(mutated_plan()), as_json, draw(st.booleans()))
        return (text, as_json) if text is not None else ("", as_json)
    if kind == "aliases":
        return draw(alias_text()), False
    if kind == "edits":
        return draw(edited_text()), False
    noise = draw(
        st.text(alphabet=st.sampled_from("{}[]:,\"'&*!|>-#?%@`\\ \n\t0aZ.é"), max_size=400)
    )
    return noise, draw(st.booleans())


LIMIT_CODES = (
    "too_deep",
    "alias_expansion",
    "rrule_frequency",
    "rrule_time_part",
    "bad_rrule",
    "item_occurrences",
    "file_occurrences",
    "file_days_scanned",
    "control_character",
    "finite_number",
)


class TooSlow(Exception):
    """Raised by the alarm when one input runs past its time."""


@dataclass
class Figures:
    """What the run tried and what it saw."""

    tried: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    slowest_text: str = ""
    slowest_json: bool = False
    current: tuple[str, bool] = ("", False)  # after a failure: the smallest input that fails
    baseline_mb: float = field(default_factory=lambda: _peak_mb())
    started: float = field(default_factory=time.monotonic)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check(text: str, is_json: bool, figures: Figures, limit: float, memory_mb: float) -> None:
    """Load one input: a plan or PlanInvalid, in time and memory, or raise what went wrong."""
    figures.tried["json" if is_json else "yaml"] += 1
    figures.current = (text, is_json)
    try:
        elapsed = _load(text, is_json, figures, limit)
    except TooSlow:
        elapsed = limit * 2
    if elapsed > limit:  # other processes share these cores: a slow input must be slow twice
        elapsed = _load(text, is_json, figures, limit)
        if elapsed > limit:  # the alarm can land in a garbage-collector callback, which drops it
            raise TooSlow(f"{elapsed:.1f} s, over {limit} s")
    if elapsed > figures.slowest:
        figures.slowest, figures.slowest_text, figures.slowest_json = elapsed, text, is_json
    grown = _peak_mb() - figures.baseline_mb
    if grown > memory_mb:
        raise MemoryError(f"the process grew by {grown:.0f} MB")


def _load(text: str, is_json: bool, figures: Figures, limit: float) -> float:
    """Seconds `load_plan` took on `text`; TooSlow from the alarm past `limit`."""
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        load_plan(text, is_json=is_json)
        figures.tried["valid"] += 1
    except PlanInvalid as invalid:
        for locale in ("fr", "en"):  # every message must render with its parameters
            invalid.locale = locale
            invalid.lines("plan")
        figures.codes.update(error.code for error in invalid.errors)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - started


def run(figures: Figures, seconds: float, limit: float, memory_mb: float) -> None:
    """Fuzz until `seconds` have passed; raise with the smallest failing input found."""
    deadline = time.monotonic() + seconds

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise TooSlow(f"over {limit} s")

    signal.signal(signal.SIGALRM, alarm)

    @settings(
        max_examples=500,
        deadline=None,
        database=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(plan_inputs())
    def one(case: tuple[str, bool]) -> None:
        if time.monotonic() < deadline:
            check(*case, figures, limit, memory_mb)

    while time.monotonic() < deadline:
        one()


def report(figures: Figures, *, crashed: bool = False) -> None:
    """Print the run's figures: inputs tried, the slowest, peak memory, refusals seen."""
    FINDINGS.mkdir(parents=True, exist_ok=True)
    slowest = FINDINGS / f"slowest.{'json' if figures.slowest_json else 'yaml'}"
    slowest.write_text(figures.slowest_text, encoding="utf-8")
    alone = min(
        _load(figures.slowest_text, figures.slowest_json, Figures(), 60.0) for _ in range(3)
    )
    elapsed = time.monotonic() - figures.started
    total = figures.tried["yaml"] + figures.tried["json"]
    print(
        f"plan loader fuzzed for {elapsed:.0f} s: {total:,} inputs "
        f"({figures.tried['yaml']:,} YAML, {figures.tried['json']:,} JSON; "
        f"{figures.tried['valid']:,} valid plans), {'a FINDING' if crashed else 'no crash'}"
    )
    print(
        f"slowest input {figures.slowest * 1000:.0f} ms (alone, best of 3: {alone * 1000:.0f} ms) "
        f"({len(figures.slowest_text):,} characters, in {slowest}); "
        f"peak RSS {_peak_mb():.0f} MB (at start {figures.baseline_mb:.0f} MB)"
    )
    limits = ", ".join(f"{code} {figures.codes[code]:,}" for code in LIMIT_CODES)
    print(f"limits reached: {limits}")
    common = ", ".join(f"{code} {count:,}" for code, count in figures.codes.most_common(8))
    print(f"most frequent refusals: {common}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to fuzz")
    parser.add_argument("--input-seconds", type=float, default=2.0, help="time one input may take")
    parser.add_argument("--memory-mb", type=float, default=500.0, help="growth one input may cause")
    options = parser.parse_args(argv)
    figures = Figures()
    try:
        run(figures, options.seconds, options.input_seconds, options.memory_mb)
    except Exception as error:  # noqa: BLE001 - every escape is a finding
        text, is_json = figures.current
        FINDINGS.mkdir(parents=True, exist_ok=True)
        found = FINDINGS / f"finding-{int(time.time())}.{'json' if is_json else 'yaml'}"
        found.write_text(text, encoding="utf-8")
        report(figures, crashed=True)
        print(
            f"plan loader fuzz: {type(error).__name__}: {error}; input in {found}", file=sys.stderr
        )
        raise SystemExit(1) from None
    report(figures)


if __name__ == "__main__":
    main()
