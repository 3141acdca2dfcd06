"""Helpers shared by the component-spec tests."""

from __future__ import annotations

import re
from pathlib import Path

from registry.errors import Problem

ROOT = Path(__file__).resolve().parent.parent
SPEC_DATA = Path(__file__).resolve().parent / "data" / "specs"
VALID = sorted((SPEC_DATA / "valid").glob("*.yaml"))
INVALID = sorted((SPEC_DATA / "invalid").glob("*.yaml"))
BUILTIN_COMPONENTS = sorted((ROOT / "components").glob("*/*/component.yaml"))

_EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\S*): (.*)$", re.M)  # an empty path: found while parsing


def expected_problems(path: Path) -> list[Problem]:
    """The ``# expect: LINE:COL $.path: message`` lines of an invalid test file."""
    text = path.read_text(encoding="utf-8")
    return sorted(Problem(str(path), int(line), int(col), where, message)
                  for line, col, where, message in _EXPECT.findall(text))


def container_spec(args: str, inputs: str = "[{name: a}, {name: b, optional: true}]",
                   outputs: str = "[{name: out}]") -> str:
    """A small component text whose container args are ``args`` (YAML flow text)."""
    return (f"name: t\ninputs: {inputs}\noutputs: {outputs}\n"
            f"implementation:\n  container:\n    image: alpine\n    args: {args}\n")
