"""The YAML writer round-trips every string, characters beyond the BMP included."""

from __future__ import annotations

import json

import pytest
import yaml

from registry.argo.yamlemit import double_quoted, emit, yaml_json

ASTRAL = ["🚀", "launch 🚀 now", "a\n🚀\x07", "\U0010ffff\n\t", "\\ud83d", "x\\\\ud83d\\ude80", "🚀\u2028\x85"]


@pytest.mark.parametrize("value", ASTRAL)
def test_strings_beyond_the_bmp_round_trip(value: str) -> None:
    doc = {"k": value, "list": [value, {"m": value}], value: 1}
    assert yaml.safe_load(emit(doc)) == doc
    assert yaml.load(emit(doc), Loader=yaml.CSafeLoader) == doc


@pytest.mark.parametrize("value", ASTRAL)
def test_json_text_becomes_yaml_that_reads_back_the_same(value: str) -> None:
    data = {"k": [value, value]}
    assert yaml.load(yaml_json(json.dumps(data)), Loader=yaml.CSafeLoader) == data
    assert yaml.load(double_quoted(value), Loader=yaml.CSafeLoader) == value


def test_escaped_backslashes_before_a_u_are_left_as_text() -> None:
    text = json.dumps("\\ud83d\\ude80")  # the characters backslash, u, d, 8 ... (no emoji)
    assert yaml_json(text) == text
