"""publish / deprecate as a library: immutability, truthful versions, reproducible archives."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers_publish import component_text, make_component
from registry.errors import ArgumentError, SpecError
from registry.sources.packing import ArchiveError, pack_folder
from registry.index.publish import PublishError, deprecate, interface_changes, publish
from registry.index.resolve import Registry
from registry.component.model import load_component_from_text

A = {"name": "a", "type": "Float"}
B = {"name": "b", "type": "Float"}
SUM = {"name": "sum", "type": "Float"}


def index_of(registry: Path) -> dict[str, Any]:
    return yaml.safe_load((registry / "index.yaml").read_text())


def versions(registry: Path, name: str) -> list[str]:
    return [e["version"] for e in index_of(registry)["components"][name]]


# --- packing ---------------------------------------------------------------------------------


def test_pack_is_reproducible_and_normalised(tmp_path: Path) -> None:
    folder = make_component(tmp_path, "add", "1.0.0", extra={"README.md": "hi\n"})
    (folder / "scripts").mkdir()
    (folder / "scripts" / "run.sh").write_text("echo\n")
    (folder / "scripts" / "run.sh").chmod(0o700)
    first = pack_folder(folder, "add-1.0.0")
    os.utime(folder / "README.md", (1, 1))
    assert pack_folder(folder, "add-1.0.0") == first
    assert first[4:8] == b"\0\0\0\0" and not first[3] & 0x08  # gzip: no mtime, no file name
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["add-1.0.0", "add-1.0.0/README.md", "add-1.0.0/component.yaml",
                                         "add-1.0.0/scripts", "add-1.0.0/scripts/run.sh"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    assert {m.name: m.mode for m in members}["add-1.0.0/scripts/run.sh"] == 0o644
    assert {m.name: m.mode for m in members}["add-1.0.0/scripts"] == 0o755


def test_pack_refuses_symlinks(tmp_path: Path) -> None:
    folder = make_component(tmp_path, "add", "1.0.0")
    (folder / "secret").symlink_to("/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic links"):
        pack_folder(folder, "add-1.0.0")


# --- publish ---------------------------------------------------------------------------------


def test_publish_writes_archive_and_entry(tmp_path: Path) -> None:
    folder = make_component(tmp_path / "src", "add", "1.0.0", extra={"README.md": "read me\n"})
    registry = tmp_path / "reg"
    result = publish(folder, registry, today="2026-01-02")
    assert result.status == "published"
    entry = index_of(registry)["components"]["add"][0]
    archive = registry / "add/1.0.0/add-1.0.0.tar.gz"
    assert entry["source"] == {"archive": "add/1.0.0/add-1.0.0.tar.gz",
                               "archiveDigest": "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest(),
                               "member": "add-1.0.0/component.yaml"}
    assert (entry["version"], entry["created"], entry["description"]) == ("1.0.0", "2026-01-02", "Adds two numbers.")
    with tarfile.open(archive) as tar:
        member = tar.extractfile("add-1.0.0/component.yaml").read()  # type: ignore[union-attr]
    assert entry["digest"] == load_component_from_text(member).digest
    assert list(entry) == ["version", "digest", "description", "created", "source"]


def test_published_version_resolves_through_the_registry(tmp_path: Path) -> None:
    from registry.index.resolve import Registry

    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "math/add", "1.0.0"), registry, name="math/add")
    spec = Registry([str(registry)]).load("math/add@^1")
    assert spec.input("a") is not None and (registry / "math/add/1.0.0/add-1.0.0.tar.gz").is_file()


def test_same_content_twice_changes_nothing(tmp_path: Path) -> None:
    folder = make_component(tmp_path / "src", "add", "1.0.0")
    registry = tmp_path / "reg"
    publish(folder, registry, today="2026-01-01")
    before = (registry / "index.yaml").read_bytes()
    stamp = (registry / "index.yaml").stat().st_mtime_ns
    again = publish(folder, registry, today="2026-02-02")
    assert again.status == "unchanged" and "nothing changed" in again.summary()
    assert (registry / "index.yaml").read_bytes() == before
    assert (registry / "index.yaml").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("change", ["component.yaml", "README.md"])
def test_different_content_under_a_published_version_is_refused(tmp_path: Path, change: str) -> None:
    folder = make_component(tmp_path / "src", "add", "1.0.0", extra={"README.md": "one\n"})
    registry = tmp_path / "reg"
    publish(folder, registry)
    before = (registry / "index.yaml").read_bytes()
    archive = (registry / "add/1.0.0/add-1.0.0.tar.gz").read_bytes()
    if change == "README.md":
        (folder / "README.md").write_text("two\n")
    else:
        (folder / "component.yaml").write_text(component_text(description="Changed."))
    with pytest.raises(PublishError, match="already published .* with different content") as caught:
        publish(folder, registry)
    assert change in str(caught.value) or "other files" in str(caught.value)
    assert (registry / "index.yaml").read_bytes() == before
    assert (registry / "add/1.0.0/add-1.0.0.tar.gz").read_bytes() == archive


def test_a_version_spelled_differently_is_the_same_version(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    with pytest.raises(PublishError, match="already published"):
        publish(make_component(tmp_path / "src", "add", "v1.0.0", component_text([A])), registry)
    assert versions(registry, "add") == ["1.0.0"]


def test_invalid_spec_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    folder = make_component(tmp_path / "src", "add", "1.0.0", text="name: x\ninputs: {a: 1}\n")
    with pytest.raises(SpecError):
        publish(folder, tmp_path / "reg")
    assert not (tmp_path / "reg").exists()


def test_version_comes_from_the_folder_or_the_option(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    plain = tmp_path / "src" / "adder"
    plain.mkdir(parents=True)
    (plain / "component.yaml").write_text(component_text())
    with pytest.raises(ArgumentError, match="pass `version`"):
        publish(plain, registry)
    assert publish(plain / "component.yaml", registry, version="0.3.0").component.name == "adder"
    assert versions(registry, "adder") == ["0.3.0"]


# --- interface comparison --------------------------------------------------------------------


def spec_of(inputs: list[dict[str, Any]], outputs: list[dict[str, Any]] | None = None) -> Any:
    return load_component_from_text(component_text(inputs, outputs))


@pytest.mark.parametrize("inputs, outputs, level, words", [
    ([A], [SUM], "major", "input 'b' was removed"),
    ([A, B], [], "major", "output 'sum' was removed"),
    ([A, {"name": "b", "type": "Integer"}], [SUM], "major", "type of input 'b' changed"),
    ([A, B], [{"name": "sum", "type": "String"}], "major", "type of output 'sum' changed"),
    ([A, B, {"name": "c", "type": "Float"}], [SUM], "major", "new required input 'c'"),
    ([A, B, {"name": "c", "type": "Float", "default": "1"}], [SUM], "minor", "new optional input 'c'"),
    ([A, B, {"name": "c", "type": "Float", "optional": True}], [SUM], "minor", "new optional input 'c'"),
    ([A, B], [SUM, {"name": "log", "type": "String"}], "minor", "new output 'log'"),
])
def test_interface_changes_and_the_bump_they_need(inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
                                                  level: str, words: str) -> None:
    changes = interface_changes(spec_of([A, B], [SUM]), spec_of(inputs, outputs))
    assert [(c.level, c.message.startswith(words)) for c in changes] == [(level, True)]


def test_optional_input_becoming_required_is_major() -> None:
    before = spec_of([A, {"name": "b", "type": "Float", "default": "1"}])
    changes = interface_changes(before, spec_of([A, B]))
    assert [(c.level, c.message) for c in changes] == [("major", "input 'b' became required")]


def test_unchanged_interface_is_a_patch() -> None:
    assert interface_changes(spec_of([A, B]), load_component_from_text(component_text(description="New words"))) == []


@pytest.mark.parametrize("inputs, refused, accepted", [
    ([A], ["1.0.1", "1.1.0"], "2.0.0"),  # removed input: major
    ([A, B, {"name": "c", "type": "Float", "default": "0"}], ["1.0.1"], "1.1.0"),  # optional input: minor
])
def test_version_number_must_tell_the_truth(tmp_path: Path, inputs: list[dict[str, Any]], refused: list[str],
                                            accepted: str) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    before = (registry / "index.yaml").read_bytes()
    for version in refused:
        folder = make_component(tmp_path / "src", "add", version, component_text(inputs))
        with pytest.raises(PublishError, match=f"needs a .* bump from 1.0.0, but {version} is a") as caught:
            publish(folder, registry)
        assert str(folder / "component.yaml") + ":" in str(caught.value)  # positioned in the new spec
        assert (registry / "index.yaml").read_bytes() == before
        assert not (registry / "add" / version).exists()
    publish(make_component(tmp_path / "src", "add", accepted, component_text(inputs)), registry)
    assert versions(registry, "add") == [accepted, "1.0.0"]


def test_allow_breaking_is_recorded(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    result = publish(make_component(tmp_path / "src", "add", "1.0.1", component_text([A])), registry,
                     allow_breaking=True)
    assert result.level == "major" and result.changes == ["major: input 'b' was removed"]
    entries = index_of(registry)["components"]["add"]
    assert entries[0]["version"] == "1.0.1" and entries[0]["allowBreaking"] is True
    assert "allowBreaking" not in entries[1]


def test_backport_is_compared_with_the_newest_earlier_version(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    publish(make_component(tmp_path / "src", "add", "2.0.0", component_text([A])), registry)
    result = publish(make_component(tmp_path / "src", "add", "1.0.1", component_text(description="Fix")), registry)
    assert result.previous == "1.0.0" and result.level == "patch"
    assert versions(registry, "add") == ["2.0.0", "1.0.1", "1.0.0"]


def test_non_semver_versions_need_allow_breaking(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    folder = make_component(tmp_path / "src", "add", "nightly")
    with pytest.raises(PublishError, match="not semver"):
        publish(folder, registry, version="nightly")
    assert not (registry / "index.yaml").exists()
    publish(folder, registry, version="nightly", allow_breaking=True)
    assert index_of(registry)["components"]["add"][0]["allowBreaking"] is True


def test_tampered_earlier_archive_is_detected(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    (registry / "add/1.0.0/add-1.0.0.tar.gz").write_bytes(pack_folder(
        make_component(tmp_path / "evil", "add", "1.0.0", component_text([A])), "add-1.0.0"))
    with pytest.raises(PublishError, match="archive digest does not match"):
        publish(make_component(tmp_path / "src", "add", "1.0.1"), registry)


# --- deprecate ---------------------------------------------------------------------------------


def test_deprecate_marks_and_never_deletes(tmp_path: Path) -> None:
    from registry.index.resolve import DeprecatedComponentWarning, Registry

    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    publish(make_component(tmp_path / "src", "add", "2.0.0", component_text([A])), registry)
    assert "deprecated add@1.0.0" in deprecate(registry, "add@1.0.0", "use 2", "add@^2")
    before = (registry / "index.yaml").read_bytes()
    assert "nothing changed" in deprecate(registry, "add@1.0.0", "use 2", "add@^2")
    assert (registry / "index.yaml").read_bytes() == before
    entry = index_of(registry)["components"]["add"][1]
    assert entry["deprecated"] == {"message": "use 2", "replacement": "add@^2"}
    assert (registry / entry["source"]["archive"]).is_file()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = Registry([str(registry)]).load("add@1.0.0")
    assert spec.input("b") is not None
    assert any(issubclass(w.category, DeprecatedComponentWarning) for w in caught)


@pytest.mark.parametrize("ref, replacement, error", [
    ("add@9.9.9", None, "no version '9.9.9' of 'add'; published: 1.0.0"),
    ("ad@1.0.0", None, "no component 'ad' (did you mean 'add'?)"),
    ("add", None, "expected NAME@VERSION"),
    ("add@1.0.0", "add@^^2", "not a version or range"),
    ("add@1.0.0", "bad name@1", "not NAME or NAME@RANGE"),
])
def test_deprecate_errors(tmp_path: Path, ref: str, replacement: str | None, error: str) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    before = (registry / "index.yaml").read_bytes()
    with pytest.raises((PublishError, ArgumentError)) as caught:
        deprecate(registry, ref, "old", replacement)
    assert error in str(caught.value)
    assert (registry / "index.yaml").read_bytes() == before


def test_deprecate_unknown_names_point_into_index_yaml(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    lines = (registry / "index.yaml").read_text().splitlines()
    for ref, path, key_line in (("add@9.9.9", "$.components.add", "  add:"), ("ad@1.0.0", "$.components", "components:")):
        with pytest.raises(PublishError) as caught:
            deprecate(registry, ref, "old")
        problem = caught.value.problems[0]
        assert problem.path == path and problem.file == str(registry / "index.yaml")
        assert problem.line > lines.index(key_line)  # at the value below that key, not 0:0


# --- what gets packed ------------------------------------------------------------------------------


def archive_names(registry: Path, name: str, version: str) -> list[str]:
    leaf = name.rsplit("/", 1)[-1]
    with tarfile.open(registry / name / version / f"{leaf}-{version}.tar.gz") as tar:
        return tar.getnames()


def test_a_spec_file_is_published_alone(tmp_path: Path) -> None:
    project = tmp_path / "project"  # a whole project folder: secrets, other files, the registry
    project.mkdir()
    (project / "component.yaml").write_text(component_text())
    (project / ".env").write_text("TOKEN=secret\n")
    (project / "README.md").write_text("the project, not this component\n")
    (project / "other.py").write_text("print()\n")
    registry = project / "reg"
    publish(project / "component.yaml", registry, version="1.0.0", name="add")
    assert archive_names(registry, "add", "1.0.0") == ["add-1.0.0", "add-1.0.0/component.yaml"]
    assert Registry([str(registry)]).load("add@1.0.0").input("a") is not None


def test_a_folder_is_packed_without_dotfiles_or_the_registry_inside_it(tmp_path: Path) -> None:
    folder = make_component(tmp_path, "add", "1.0.0", extra={"README.md": "hi\n", ".env": "TOKEN=x\n",
                                                             ".netrc": "machine x\n", ".hidden.yaml": "a: 1\n"})
    (folder / ".secrets").mkdir()
    (folder / ".secrets" / "key").write_text("k\n")
    registry = folder / "reg"
    publish(folder, registry)
    publish(folder, registry)  # the registry grew inside the folder: still the same content
    names = archive_names(registry, "add", "1.0.0")
    assert names == ["add-1.0.0", "add-1.0.0/README.md", "add-1.0.0/component.yaml"]
    with pytest.raises(ArgumentError, match="is the registry folder itself"):
        publish(folder, folder, version="1.0.1")
    assert not (folder / "index.yaml").exists()


# --- names that collide with the registry's own files ---------------------------------------------


@pytest.mark.parametrize("name", ["index.yaml", "archives", "archives/x", "Index.yaml/y"])
def test_names_of_registry_files_are_refused(tmp_path: Path, name: str) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    before = (registry / "index.yaml").read_bytes()
    with pytest.raises(ArgumentError, match="not a valid component name: .* of the registry itself"):
        publish(make_component(tmp_path / "src", "add", "1.0.0"), registry, name=name)
    assert (registry / "index.yaml").read_bytes() == before


def test_a_name_running_into_a_registry_file_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    (registry / "README.md").write_text("about this registry\n")
    before = (registry / "index.yaml").read_bytes()
    with pytest.raises(ArgumentError, match="README.md is a file of the registry"):
        publish(make_component(tmp_path / "src", "add", "1.0.0"), registry, name="README.md/x")
    assert (registry / "index.yaml").read_bytes() == before


# --- versions published out of order ---------------------------------------------------------------

C = {"name": "c", "type": "Float", "optional": True}


def test_an_earlier_version_may_not_make_a_later_one_lie(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0", component_text([A])), registry)
    publish(make_component(tmp_path / "src", "add", "1.2.0", component_text([A, {**B, "optional": True}])),
            registry)
    before = (registry / "index.yaml").read_bytes()
    folder = make_component(tmp_path / "src", "add", "1.1.0", component_text([A, C]))
    with pytest.raises(PublishError, match="1.2.0 is already published; from 1.1.0 to 1.2.0 input 'c' was "
                                           "removed, which needs a major bump") as caught:
        publish(folder, registry)
    assert str(folder / "component.yaml") + ":" in str(caught.value)
    assert (registry / "index.yaml").read_bytes() == before and not (registry / "add/1.1.0").exists()
    publish(folder, registry, allow_breaking=True)
    assert versions(registry, "add") == ["1.2.0", "1.1.0", "1.0.0"]


def test_an_earlier_version_that_fits_between_is_accepted(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0", component_text([A])), registry)
    publish(make_component(tmp_path / "src", "add", "1.2.0", component_text([A, C])), registry)
    publish(make_component(tmp_path / "src", "add", "1.1.0", component_text([A, C])), registry)
    publish(make_component(tmp_path / "src", "add", "1.0.1", component_text([A])), registry)
    assert versions(registry, "add") == ["1.2.0", "1.1.0", "1.0.1", "1.0.0"]


def _debris(registry: Path) -> list[Path]:
    """What a publish killed between its writes leaves (creg's own file shapes), and user files."""
    leftovers = [registry / ".index.yaml.k3j9x_2a.tmp", registry / "add" / "9.9.9" / ".add-9.9.9.tar.gz.abcdEFGH.tmp",
                 registry / "add" / "9.9.9" / "add-9.9.9.tar.gz", registry / "archives" / "half.tar.gz"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    for keep in ("README.md", "notes/add-1.0.0.tar.gz.bak", "notes/1.0.0/x.tar.gz", ".git/.a.12345678.tmp"):
        (registry / keep).parent.mkdir(parents=True, exist_ok=True)
        (registry / keep).write_text("the user's")
    return leftovers


def test_the_next_publish_removes_what_a_killed_one_left(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    leftovers = _debris(registry)
    with pytest.warns(UserWarning, match=r"removed 4 leftover file\(s\) of an interrupted publish"):
        publish(make_component(tmp_path / "src", "add", "1.0.1"), registry)
    assert not any(path.exists() for path in leftovers)
    assert (registry / "add" / "1.0.0" / "add-1.0.0.tar.gz").is_file() and (registry / "add" / "1.0.1").is_dir()
    assert all((registry / keep).is_file() for keep in ("README.md", "notes/add-1.0.0.tar.gz.bak",
                                                        "notes/1.0.0/x.tar.gz", ".git/.a.12345678.tmp"))
    assert Registry([str(registry)]).load("add@1.0.1").name == "Add"


def test_index_build_clean_removes_the_debris_too(tmp_path: Path) -> None:
    from helpers_registry import creg

    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "add", "1.0.0"), registry)
    leftovers = _debris(registry)
    out = creg("index", "build", str(registry), "--merge", "--clean")
    assert out.returncode == 0, out.stderr
    assert not any(path.exists() for path in leftovers) and out.stderr.count("removed: ") == 4
    assert (registry / "add" / "1.0.0" / "add-1.0.0.tar.gz").is_file()
