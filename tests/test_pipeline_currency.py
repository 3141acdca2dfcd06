"""``registry.pipeline.currency``: references with their positions and uses, compared with a
registry whose components moved on (a compatible minor, a breaking major, a deprecated version)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_currency import digest_of, moved_registry
from registry.index.resolve import Registry
from registry.pipeline.currency import (Currency, Status, breaking_for, collect, find_references, reference_form,
                                        uses)

FORMS = """\
name: forms
tasks:
  exact:
    component: add@1.0.0
    args: {a: 1, b: 2}
  caret:
    component: "add@^1"
    args: {a: 1, b: {output: exact.sum}}
  tilde:
    component: 'add@~1.1'
    args: {a: {output: caret}, b: 1}
  range:
    component: add@>=1,<2
    args: {a: 1, b: 2}
  bare:
    component: add
    args: {a: 1, b: 2}
  digest:
    component: add@sha256:DIGEST
    args: {a: 1, b: 2}
  dep:
    component: add@1.2.0
    args: {a: 1, b: 2, c: 3}
  div:
    component: divide@^1
    args: {a: 1, b: 2}
  graph:
    component: ./graph.yaml
    args: {x: 1}
  e:
    component: echo@1.0.0
    args: {text: hi}
finally:
  show:
    image: alpine
    command: [echo, {file: e}]
    when: output.div.quotient > 1
"""

GRAPH = """\
name: Graph
inputs: [{name: x, type: Float}]
outputs: [{name: total, type: Float}]
implementation:
  graph:
    tasks:
      First:
        componentRef: {name: add, tag: 1.0.0}
        arguments: {a: {graphInput: {inputName: x}}, b: 1}
      Second:
        componentRef: {name: divide, tag: '^1'}
        arguments: {a: {taskOutput: {taskId: First, outputName: sum}}, b: 2}
    outputValues:
      total: {taskOutput: {taskId: Second, outputName: quotient}}
"""


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    return moved_registry(tmp_path / "registry")


@pytest.fixture
def folder(tmp_path: Path, registry_dir: Path) -> Path:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    digest = digest_of(registry_dir, "add", "1.1.0")[:19]
    (folder / "forms.yaml").write_text(FORMS.replace("sha256:DIGEST", digest), encoding="utf-8")
    (folder / "graph.yaml").write_text(GRAPH, encoding="utf-8")
    return folder


@pytest.fixture
def currency(registry_dir: Path) -> Currency:
    return Currency(Registry([str(registry_dir)]))


def statuses(folder: Path, currency: Currency) -> dict[str, Status]:
    return {ref.owner: currency.status(ref) for f in collect([folder]) for ref in f.references}


@pytest.mark.parametrize("name, spec, form", [
    ("add", "1.0.0", "exact"), ("add", "^1", "caret"), ("add", "~1.2", "tilde"), ("add", ">=1,<2", "range"),
    ("add", None, "bare"), ("add", "latest", "latest"), ("add", "sha256:abcdef0", "digest"),
    ("./add.yaml", None, "path"), ("add", "nightly", "tag")])
def test_reference_forms(name: str, spec: str | None, form: str) -> None:
    assert reference_form(name, spec) == form


def test_references_carry_their_position_and_what_the_task_uses(folder: Path) -> None:
    found = find_references(folder / "forms.yaml")
    by_owner = {r.owner: r for r in found.references}
    caret = by_owner["task caret"]
    assert (caret.line, caret.column, caret.text, caret.name, caret.spec) == (7, 16, "add@^1", "add", "^1")
    assert caret.path == ("tasks", "caret", "component")
    assert by_owner["task exact"].usage.outputs == {"sum"}  # read by caret
    assert by_owner["task caret"].usage.outputs == {""}  # read by tilde, as the only output
    assert by_owner["task div"].usage.outputs == {"quotient"}  # read by a finally task's when
    assert by_owner["task e"].usage.outputs == {""}  # read as a file by an inline container
    assert by_owner["task dep"].usage.inputs == {"a", "b", "c"}
    assert found.component_files == [(folder / "graph.yaml").resolve()]


def test_graph_references_point_at_their_tag(folder: Path) -> None:
    found = find_references(folder / "graph.yaml")
    first, second = found.references
    assert found.kind == "graph"
    assert (first.line, first.column, first.text, first.graph) == (8, 40, "1.0.0", True)
    assert first.path[-1] == "tag" and first.ref == "add@1.0.0"
    assert first.usage.inputs == {"a", "b"} and first.usage.outputs == {"sum"}
    assert second.ref == "divide@^1" and second.usage.outputs == {"quotient"}


def test_each_form_against_the_index(folder: Path, currency: Currency) -> None:
    found = statuses(folder, currency)
    version = {owner: (s.in_use.component.version if s.in_use else None) for owner, s in found.items()}
    assert version == {"task exact": "1.0.0", "task caret": "1.3.0", "task tilde": "1.1.0", "task range": "1.3.0",
                       "task bare": "2.1.0", "task digest": "1.1.0", "task dep": "1.2.0", "task div": "1.0.0",
                       "task graph": None, "task e": "1.0.0", "graph task 'First'": "1.0.0",
                       "graph task 'Second'": "1.0.0"}
    assert {o: s.state for o, s in found.items() if s.state != "outdated"} == {
        "task bare": "current", "task dep": "deprecated", "task graph": "path"}
    assert all(s.latest is None or s.latest.component.version in ("2.1.0", "2.0.0") for s in found.values())


def test_deprecation_is_reported_with_its_replacement(folder: Path, currency: Currency) -> None:
    dep = statuses(folder, currency)["task dep"]
    assert dep.to_dict()["deprecated"] == {"message": "rounds wrongly", "replacement": "add@^1.3"}
    assert dep.compatible is not None and dep.compatible.component.version == "1.3.0"


def test_what_a_pipeline_would_notice(folder: Path, currency: Currency) -> None:
    found = statuses(folder, currency)
    assert found["task exact"].noticed == ["input 'b' was removed and the task passes it",
                                           "new required input 'scale' and the task does not pass it"]
    assert found["task div"].noticed == []  # divide 2.0.0 only adds an output: safe
    assert found["task e"].noticed == ["type of output 'out' changed from 'String' to 'Integer' and the "
                                       "pipeline reads it"]
    assert found["graph task 'Second'"].noticed == []


def test_a_change_the_use_does_not_touch_is_safe(tmp_path: Path, currency: Currency) -> None:
    """echo 2.0.0 changes its output's type: a task whose output nobody reads is unaffected."""
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntasks:\n  e: {component: echo@1.0.0, args: {text: hi}}\n", encoding="utf-8")
    (status,) = [currency.status(r) for r in find_references(path).references]
    assert status.outdated and status.noticed == []


def test_the_lock_pin_is_the_version_in_use(folder: Path, currency: Currency, registry_dir: Path) -> None:
    from registry.index.pinning import lock_file

    lock_file(folder / "forms.yaml", Registry([str(registry_dir)]))
    lock = (folder / "creg.lock").read_text(encoding="utf-8")
    (folder / "creg.lock").write_text(lock.replace("version: 1.3.0", "version: 1.1.0").replace(
        digest_of(registry_dir, "add", "1.3.0"), digest_of(registry_dir, "add", "1.1.0")), encoding="utf-8")
    caret = statuses(folder, currency)["task caret"]
    assert caret.locked and caret.in_use is not None and caret.in_use.component.version == "1.1.0"
    assert caret.wanted is not None and caret.wanted.component.version == "1.3.0"


def test_unknown_component_is_a_note_not_a_crash(tmp_path: Path, currency: Currency) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntasks:\n  t: {component: addd@1.0.0}\n", encoding="utf-8")
    (status,) = [currency.status(r) for r in find_references(path).references]
    assert status.state == "error" and "unknown component 'addd'" in status.note and "did you mean 'add'" in status.note


def test_a_file_named_that_is_no_pipeline_is_an_error_one_in_a_folder_is_not(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("tasks: [1, 2]\n", encoding="utf-8")
    (named,) = collect([other])
    assert named.error is not None and "not a pipeline" in str(named.error)
    assert collect([tmp_path]) == []


def test_a_broken_file_keeps_its_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntasks: {a: [\n", encoding="utf-8")
    (found,) = collect([tmp_path])
    assert found.error is not None and found.error.problems[0].file == str(bad)


def test_who_uses_lists_every_use_with_what_it_uses(folder: Path, currency: Currency) -> None:
    found = uses("divide", None, collect([folder]), currency)
    assert [(u.status.reference.owner, u.inputs, u.outputs) for u in found] == [
        ("task div", ("a", "b"), ("quotient",)), ("graph task 'Second'", ("a", "b"), ("quotient",))]
    assert [u.status.reference.owner for u in uses("add", "~1.3", collect([folder]), currency)] == [
        "task caret", "task range"]


def test_breaking_for_names_the_uses_a_new_major_breaks(folder: Path, currency: Currency) -> None:
    broken = {use.status.reference.owner: why for use, why in breaking_for("add", "2.0.0", collect([folder]), currency)}
    assert "task bare" not in broken  # already on 2.1.0: 2.0.0 is no move forward
    assert "input 'b' was removed and the task passes it" in broken["task exact"]
    assert all(broken[o] for o in ("task caret", "task tilde", "task range", "task dep", "graph task 'First'"))


def test_folders_skip_hidden_and_build_output(tmp_path: Path) -> None:
    for sub in (".git", "build", "node_modules", "ok"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "p.yaml").write_text("name: p\ntasks: {t: {component: add@1.0.0}}\n", encoding="utf-8")
    assert [f.file.parent.name for f in collect([tmp_path])] == ["ok"]



def test_lock_pins_no_pipeline_references_are_reported(tmp_path: Path, currency: Currency, registry_dir: Path) -> None:
    """A lock of a list of references (``creg lock refs.yaml``) is compared pin by pin."""
    from registry.index.pinning import lock_file

    (tmp_path / "refs.yaml").write_text("- add@1.1.0\n- divide@^1\n", encoding="utf-8")
    lock_file(tmp_path / "refs.yaml", Registry([str(registry_dir)]))
    (found,) = collect([tmp_path])
    assert found.kind == "lock" and [r.ref for r in found.references] == ["add@1.1.0", "divide@^1"]
    first = currency.status(found.references[0])
    assert first.locked and first.state == "outdated" and found.references[0].line == 4


def test_lock_pins_a_pipeline_references_are_not_repeated(folder: Path, registry_dir: Path) -> None:
    from registry.index.pinning import lock_file

    lock_file(folder / "forms.yaml", Registry([str(registry_dir)]))
    assert [f.kind for f in collect([folder])] == ["pipeline", "graph"]


@pytest.mark.parametrize("kind, passed, read, noticed", [
    ("input-removed", {"b"}, set(), True), ("input-removed", {"a"}, set(), False),
    ("input-type", {"b"}, set(), True), ("input-type", set(), set(), False),
    ("output-removed", set(), {"b"}, True), ("output-type", set(), {"b"}, True), ("output-type", set(), set(), False),
    ("input-new-required", set(), set(), True), ("input-new-required", {"b"}, set(), False),
    ("input-became-required", set(), set(), True), ("input-new-optional", set(), set(), False),
    ("output-new", set(), {"b"}, False)])
def test_which_changes_a_use_notices(kind: str, passed: set[str], read: set[str], noticed: bool) -> None:
    from registry.index.publish import CHANGE_KINDS, Change
    from registry.pipeline.currency import notices

    assert kind in CHANGE_KINDS
    assert bool(notices(Change("major", "m", (), kind, "b"), frozenset(passed), read)) is noticed


def test_every_interface_change_says_its_kind_and_subject() -> None:
    from helpers_publish import component_text
    from registry.component.model import load_component_from_text
    from registry.index.publish import interface_changes

    old = load_component_from_text(component_text([{"name": "a", "type": "Float"}, {"name": "b", "type": "Float"}],
                                                  [{"name": "s", "type": "Float"}, {"name": "t", "type": "Float"}]))
    new = load_component_from_text(component_text([{"name": "a", "type": "Integer"}, {"name": "n", "type": "Float"},
                                                   {"name": "o", "type": "Float", "default": "1"}],
                                                  [{"name": "s", "type": "String"}, {"name": "u", "type": "Float"}]))
    assert sorted((c.kind, c.subject) for c in interface_changes(old, new)) == [
        ("input-new-optional", "o"), ("input-new-required", "n"), ("input-removed", "b"), ("input-type", "a"),
        ("output-new", "u"), ("output-removed", "t"), ("output-type", "s")]


def test_a_spec_that_cannot_be_had_still_leaves_the_versions(tmp_path: Path, registry_dir: Path,
                                                             currency: Currency) -> None:
    (registry_dir / "components" / "add" / "2.1.0" / "component.yaml").unlink()
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntasks:\n  t: {component: add@1.0.0, args: {a: 1, b: 2}}\n", encoding="utf-8")
    (status,) = [currency.status(r) for r in find_references(path).references]
    assert status.state == "outdated" and status.noticed is None
    assert status.note.startswith("cannot compare the interfaces: ") and "2.1.0" in status.note
