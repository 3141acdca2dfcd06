"""The safe YAML loader: limits, positions, and what it refuses."""

from __future__ import annotations

import os
import re
import tracemalloc
from pathlib import Path

import pytest

from registry import yamlio
from registry.errors import YamlError
from registry.yamlio import MAX_BYTES, MAX_NODES, dump, json_path, load_any, load_mapping, read_limited


def _fails(text: str | bytes, match: str, **limits: int) -> YamlError:
    with pytest.raises(YamlError, match=match) as info:
        load_mapping(text, "f.yaml", **limits)
    return info.value


def test_duplicate_key_is_an_error_with_both_lines() -> None:
    error = _fails("a: 1\nb:\n  c: 1\n  c: 2\n", "duplicate key 'c'")
    (problem,) = error.problems
    assert (problem.file, problem.line, problem.column) == ("f.yaml", 4, 3)
    assert "first defined at line 3" in problem.message


def test_billion_laughs_fails_fast() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    tracemalloc.start()
    try:
        error = _fails("\n".join(lines) + "\n", "alias/anchor bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.problems[0].line > 0
    assert peak < 200 * 1024 * 1024  # stopped after a bounded number of values, not 10**10


def test_aliases_within_limits_still_load() -> None:
    doc = load_mapping("a: &x [1, 2]\nb: *x\n")
    assert doc.data == {"a": [1, 2], "b": [1, 2]}
    assert doc.data["a"] is not doc.data["b"]  # plain, independent values


def test_deep_nesting_is_refused() -> None:
    depth = yamlio.MAX_DEPTH + 5
    _fails("a: " + "[" * depth + "]" * depth + "\n", "nesting deeper than")


def test_size_cap() -> None:
    _fails(b"a: " + b"x" * 200 + b"\n", "the limit is 100", max_bytes=100)
    _fails("a: " + "x" * 200 + "\n", "the limit is 100", max_bytes=100)
    _fails(b"a: " + b"x" * (yamlio.MAX_BYTES + 1), f"the limit is {yamlio.MAX_BYTES}")


def test_the_alias_cap_is_a_parameter_and_counts_only_what_aliases_add() -> None:
    text = "a: &a [1, 2, 3, 4, 5]\nb: *a\n"
    _fails(text, "expand to more than 4 values", max_nodes=4)
    assert load_mapping(text, max_nodes=6).data == {"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4, 5]}
    assert load_mapping("a: [1, 2, 3, 4, 5]\n", max_nodes=1).data == {"a": [1, 2, 3, 4, 5]}


def test_an_honest_file_with_more_values_than_the_alias_cap_loads() -> None:
    """Plain values are bounded by the size limit, not by the alias cap (50,000 tasks fit)."""
    rows = "".join(f"  t{i}: {{image: alpine, command: [echo, '{i}']}}\n" for i in range(50_000))
    text = "tasks:\n" + rows
    assert len(text) < MAX_BYTES and 50_000 * 5 > MAX_NODES
    assert len(load_mapping(text, positions=False).data["tasks"]) == 50_000


def test_non_utf8_names_the_position() -> None:
    error = _fails(b"name: ok\ndescription: caf\xe9\n", "not valid UTF-8")
    assert (error.problems[0].line, error.problems[0].column) == (2, 17)


def test_utf8_bom_is_accepted() -> None:
    assert load_mapping("\ufeffname: x\n".encode()).data == {"name": "x"}


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    _fails(text, "the file is empty")


@pytest.mark.parametrize("text,kind", [("- a\n- b\n", "a list"), ("just text\n", "a str scalar"),
                                       ("42\n", "a int scalar")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    error = _fails(text, "expected a mapping at the top level")
    assert kind in error.problems[0].message and error.problems[0].line == 1


def test_syntax_error_has_position() -> None:
    error = _fails("a: [1, 2\nb: 3\n", "invalid YAML")
    assert error.problems[0].line >= 2


@pytest.mark.parametrize("text,match", [("a: !!python/object:os.system x\n", "unsupported YAML tag"),
                                        ("a: !custom x\n", "unsupported YAML tag"),
                                        ("base: &b {x: 1}\nc:\n  <<: *b\n", "merge keys")])
def test_unsafe_or_unsupported_constructs(text: str, match: str) -> None:
    _fails(text, match)


def test_scalars_are_typed_but_timestamps_stay_text() -> None:
    data = load_mapping("i: 1\nf: 1.5\nb: true\nn: null\nd: 2024-01-02\ns: '1'\n").data
    assert data == {"i": 1, "f": 1.5, "b": True, "n": None, "d": "2024-01-02", "s": "1"}


def test_positions_of_values_and_keys() -> None:
    text = "name: x\ninputs:\n- name: a\n  type: Integer\n- {name: b, type: {GCSPath: {data_type: CSV}}}\n"
    doc = load_mapping(text, "f.yaml")
    locate = doc.positions.locate
    assert locate(doc.data, ["name"]) == (1, 7)
    assert locate(doc.data, ["inputs", 0, "type"]) == (4, 9)
    assert locate(doc.data, ["inputs", 0, "type"], key=True) == (4, 3)
    assert locate(doc.data, ["inputs", 1, "type", "GCSPath", "data_type"]) == (5, 41)
    assert locate(doc.data, ["inputs", 1, "missing", "deeper"]) == (5, 3)  # closest existing parent
    problem = doc.positions.problem(doc.data, ["inputs", 1, "name"], "bad")
    assert problem.format() == "f.yaml:5:10: error: $.inputs[1].name: bad"


def test_crlf_positions_match_lf() -> None:
    lf = "a: 1\nb:\n  c: x\n"
    crlf = lf.replace("\n", "\r\n")
    for text in (lf, crlf):
        doc = load_mapping(text)
        assert doc.positions.locate(doc.data, ["b", "c"]) == (3, 6)


def test_json_path_rendering() -> None:
    assert json_path(["inputs", 0, "type"]) == "$.inputs[0].type"
    assert json_path(["tasks", "my task", "=="]) == "$.tasks['my task']['==']"
    assert json_path([]) == "$"


def test_dump_keeps_order_and_never_writes_aliases() -> None:
    shared = {"x": 1}
    text = dump({"b": shared, "a": shared, "s": "yes: no"})
    assert "&" not in text and "*" not in text
    assert text.splitlines()[0] == "b:"
    assert load_any(text)[0] == {"b": {"x": 1}, "a": {"x": 1}, "s": "yes: no"}


def test_dump_literal_blocks_keep_programs_readable_and_exact() -> None:
    data = {"program": "def f():\n    return 1\n", "odd": "trailing space \nx", "plain": "one line"}
    text = dump(data, literal_blocks=True)
    assert "program: |\n  def f():\n      return 1\n" in text
    assert load_any(text)[0] == data


@pytest.mark.parametrize("steps", [
    ["tasks", "add-1", "args", 0], ["components", "google-cloud/storage/download", 0, "digest"],
    ["a", "it's", 3, "b.c"], ["spec", "templates", 0, "container", "command", 0], [],
])
def test_path_steps_inverts_json_path(steps: list) -> None:  # type: ignore[type-arg]
    from registry.yamlio import json_path, path_steps

    assert path_steps(json_path(steps)) == steps


def test_read_limited_refuses_devices_fifos_and_folders_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, kind in (("/dev/zero", "character device"), (fifo, "FIFO"), (tmp_path, "folder")):
        with pytest.raises(YamlError, match=f"not a regular file \\(a {kind}\\)"):
            read_limited(path)


def test_read_limited_checks_the_size_before_reading(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.yaml"
    with open(sparse, "wb") as handle:
        handle.truncate(1 << 40)  # a 1 TiB sparse file: reading it would never finish
    with pytest.raises(YamlError, match=f"file is {1 << 40} bytes; the limit is {MAX_BYTES}"):
        read_limited(sparse)
    small = tmp_path / "ok.yaml"
    small.write_bytes(b"a: 1\n")
    assert read_limited(small) == b"a: 1\n"
    with pytest.raises(YamlError, match="cannot read"):
        read_limited(tmp_path / "missing.yaml")


def test_an_integer_past_pythons_digit_limit_is_a_positioned_error() -> None:
    error = _fails("a: 1\nb: " + "9" * 5000 + "\n", r"as int: Exceeds the limit \(4300 digits\)")
    assert (error.problems[0].line, error.problems[0].column) == (2, 4)


@pytest.mark.parametrize("text, where, said", [
    ("tasks:\n  yes: {image: a}\n", (2, 3), "the key 'yes' is read as a boolean (true), not as text; quote it: 'yes'"),
    ("args:\n  1: x\n", (2, 3), "the key '1' is read as an integer (1), not as text"),
    ("~: 1\n", (1, 1), "the key '~' is read as null (null)"),
    ("a: {2.5: x}\n", (1, 5), "the key '2.5' is read as a number (2.5)"),
])
def test_every_key_is_text(text: str, where: tuple[int, int], said: str) -> None:
    error = _fails(text, re.escape(said))
    assert (error.problems[0].line, error.problems[0].column) == where


def test_quoted_and_date_like_keys_are_text() -> None:
    assert load_mapping("'yes': 1\n'1': 2\n2024-01-01: 3\n").data == {"yes": 1, "1": 2, "2024-01-01": 3}


@pytest.mark.parametrize("command", ["lint", "compile", "run"])
def test_pipeline_commands_refuse_a_device_without_reading_it(command: str) -> None:
    from helpers_registry import creg

    result = creg(command, "/dev/zero", timeout=30)
    assert result.returncode == 1, result.stderr
    assert "/dev/zero: error: not a regular file (a character device)" in result.stderr


def test_sparse_positions_agree_with_the_full_table_where_asked() -> None:
    """The places a report asks for, found in one pass over the text, are the full table's."""
    from registry.yamlio import AskedPositions, load_any, sparse_positions

    text = ("a: {b: [1, {c: 2, 'd e': [x, y]}], f: null}\nlist:\n- k: v\n  m:\n    - 1\n    - n: {o: p}\n"
            "empty: {}\nlast: [[], [z]]\n")
    data, full = load_any(text, "f.yaml")
    places = [(["a", "b", 1, "d e", 1], False), (["a", "b", 1, "c"], True), (["list", 0, "m", 1, "n", "o"], False),
              (["list", 0, "m", 1, "n", "o"], True), (["last", 1, 0], False), (["a", "f"], False), ([], False),
              (["empty", "missing"], False), (["list", 5], False)]
    asked = AskedPositions(file="f.yaml")
    for path, key in places:
        asked.locate(data, path, key)
    sparse = sparse_positions(text, "f.yaml", data, asked.asked)
    for path, key in places:
        assert sparse.locate(data, path, key) == full.locate(data, path, key), (path, key)
    assert sparse.locate(data, ["a", "b", 0]) == full.locate(data, ["a", "b"])  # not asked: the closest parent asked
