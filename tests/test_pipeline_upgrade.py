"""``registry.pipeline.upgrade``: references rewritten in place, everything around them kept byte
for byte (golden files under tests/data/upgrade/, rewritten only with CREG_REGEN_GOLDEN=1)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from helpers_currency import moved_registry
from helpers_registry import creg
from registry.errors import CregError
from registry.index.resolve import Registry
from registry.pipeline.currency import Currency, Reference, Usage, collect, find_references
from registry.pipeline.upgrade import apply, plan, respelled, rewrite

DATA = Path(__file__).resolve().parent / "data" / "upgrade"
REF = re.compile(rb"(?:add|divide|echo)@[^\s'\"]+|tag: '?[^\s'#]+'?")


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    return moved_registry(tmp_path / "registry")


def golden_copy(folder: Path) -> Path:
    folder.mkdir()
    shutil.copyfile(DATA / "pipeline-before.yaml", folder / "pipeline.yaml")
    shutil.copyfile(DATA / "graph-before.yaml", folder / "graph.yaml")
    return folder


def check_golden(produced: Path, golden: Path) -> None:
    if os.environ.get("CREG_REGEN_GOLDEN") == "1":
        golden.write_bytes(produced.read_bytes())
    assert golden.is_file(), f"{golden} is missing; run with CREG_REGEN_GOLDEN=1 and review it"
    assert produced.read_bytes() == golden.read_bytes()


def only_references_differ(before: bytes, after: bytes) -> None:
    """Same bytes once every reference is masked: comments, quotes, CRLF, BOM all kept."""
    assert before.count(b"\r\n") == after.count(b"\r\n") and before[:3] == after[:3]
    assert REF.sub(b"REF", before) == REF.sub(b"REF", after)


@pytest.mark.parametrize("spec, version, expected", [
    ("1.0.0", "2.1.0", "2.1.0"), ("^1", "2.1.0", "^2"), ("^1.2", "2.1.0", "^2.1"), ("^1.2.3", "2.1.0", "^2.1.0"),
    ("~1.2", "1.3.0", "~1.3"), ("~1", "2.1.0", "~2"), ("^0.2", "0.3.1", "^0.3"), ("^0", "1.0.0", "^1"),
    ("^1.x", "2.0.0", "^2")])
def test_a_reference_keeps_its_form(spec: str, version: str, expected: str) -> None:
    form = "exact" if spec[0].isdigit() else "caret" if spec[0] == "^" else "tilde"
    assert respelled(form, spec, version) == expected


def test_ranges_are_not_respelled() -> None:
    assert respelled("range", ">=1,<2", "2.0.0") is None


@pytest.mark.parametrize("to", ["latest", "compatible"])
def test_golden_upgrade_keeps_every_other_byte(tmp_path: Path, registry_dir: Path, to: str) -> None:
    folder = golden_copy(tmp_path / "work")
    done = creg("--registry", str(registry_dir), "upgrade", "--to", to, ".", cwd=folder)
    if to == "latest":  # add@^1 -> 2.x is refused: it removes an input the task passes
        assert done.returncode == 1, done.stderr
        assert "add@^1 not upgraded: it would break task breaking: input 'b' was removed" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
    for name in ("pipeline", "graph"):
        check_golden(folder / f"{name}.yaml", DATA / f"{name}-after-{to}.yaml")
        only_references_differ((DATA / f"{name}-before.yaml").read_bytes(), (folder / f"{name}.yaml").read_bytes())


def test_golden_latest_moves_what_is_safe(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    creg("--registry", str(registry_dir), "upgrade", ".", cwd=folder)
    after = (folder / "pipeline.yaml").read_bytes()
    for text in (b"component: divide@^2      # keep this comment\r\n", b'component: "add@1.1.0"\r\n',
                 b"component: 'add@~1.1'}   # flow style", b"component: add@^1         # 2.x removes",
                 b"component:   echo@2.0.0\r\n", b"component: add@>=1,<2\r\n"):
        assert text in after
    assert after.startswith(b"\xef\xbb\xbf# A pipeline") and b"\n" not in after.replace(b"\r\n", b"")
    assert b"tag: '^2'}" in (folder / "graph.yaml").read_bytes()


def test_allow_breaking_moves_the_rest(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    done = creg("--registry", str(registry_dir), "upgrade", "--allow-breaking", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert b"component: add@^2         # 2.x removes" in (folder / "pipeline.yaml").read_bytes()
    assert b"tag: 2.1.0          # the same" in (folder / "graph.yaml").read_bytes()


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    before = (folder / "pipeline.yaml").read_bytes()
    done = creg("--registry", str(registry_dir), "upgrade", "--dry-run", "pipeline.yaml", cwd=folder)
    assert (folder / "pipeline.yaml").read_bytes() == before
    assert "--- a/pipeline.yaml" in done.stdout and "+    component: divide@^2      # keep this comment" in done.stdout
    assert "-    component: divide@^1      # keep this comment" in done.stdout
    assert "would upgrade" in done.stderr


def test_only_limits_the_upgrade_to_one_component(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    creg("--registry", str(registry_dir), "upgrade", "--only", "echo", "pipeline.yaml", cwd=folder)
    after = (folder / "pipeline.yaml").read_bytes()
    assert b"echo@2.0.0" in after and b"divide@^1 " in after


def test_paths_digests_and_ranges_are_reported_not_rewritten(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    done = creg("--registry", str(registry_dir), "upgrade", "pipeline.yaml", cwd=folder)
    assert "./graph.yaml left as it is: a path names a file" in done.stderr
    assert "divide@sha256:1db8e912807f left as it is: a digest pins exact bytes" in done.stderr
    assert "add@>=1,<2 left as it is: '>=1,<2' is a range" in done.stderr


def test_a_file_that_fails_to_parse_is_left_untouched(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    broken = folder / "broken.yaml"
    broken.write_bytes(b"name: x\ntasks:\n  t: {component: divide@^1\n")
    done = creg("--registry", str(registry_dir), "upgrade", ".", cwd=folder)
    assert broken.read_bytes() == b"name: x\ntasks:\n  t: {component: divide@^1\n"
    assert "broken.yaml:4:1: error: invalid YAML" in done.stderr and done.returncode == 1
    assert b"divide@^2" in (folder / "pipeline.yaml").read_bytes()  # the other files still move


def test_the_lock_is_re_pinned(tmp_path: Path, registry_dir: Path) -> None:
    folder = golden_copy(tmp_path / "work")
    assert creg("--registry", str(registry_dir), "lock", "pipeline.yaml", cwd=folder).returncode == 0
    done = creg("--registry", str(registry_dir), "upgrade", "--to", "compatible", cwd=folder)
    assert "creg.lock re-pinned" in done.stdout
    frozen = creg("--registry", str(registry_dir), "lock", "--frozen", "pipeline.yaml", cwd=folder)
    assert frozen.returncode == 0, frozen.stderr
    lock = (folder / "creg.lock").read_text(encoding="utf-8")
    assert "ref: add@1.1.0" not in lock and "ref: add@~1.1" not in lock
    assert "ref: add@1.3.0" in lock and "ref: add@~1.3" in lock


def test_a_locked_range_moves_only_its_pin(tmp_path: Path, registry_dir: Path) -> None:
    """add@^1 locked at 1.0.0: --to compatible leaves the text and pins 1.3.0."""
    (tmp_path / "p.yaml").write_text("name: p\ntasks:\n  t: {component: add@^1, args: {a: 1, b: 2}}\n",
                                     encoding="utf-8")
    registry = Registry([str(registry_dir)])
    from registry.index.pinning import lock_file

    lock_file(tmp_path / "p.yaml", registry)
    lock = tmp_path / "creg.lock"
    text = lock.read_text(encoding="utf-8")
    old_digest = re.search(r"digest: (\S+)", text)
    assert old_digest is not None
    from helpers_currency import digest_of

    lock.write_text(text.replace("version: 1.3.0", "version: 1.0.0").replace(
        old_digest.group(1), digest_of(registry_dir, "add", "1.0.0")), encoding="utf-8")
    (found,) = collect([tmp_path / "p.yaml"])
    result = apply(plan(found, Currency(registry), "compatible"), registry)
    assert [m.new_text for m in result.moves] == [None] and result.relocked and not result.written
    assert "version: 1.3.0" in lock.read_text(encoding="utf-8")


def reference(path: Path, owner: str) -> Reference:
    return next(r for r in find_references(path).references if r.owner == owner)


def test_rewrite_refuses_what_it_cannot_do_in_place(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    raw = b'name: p\ntasks:\n  t:\n    component: "divide@\\x5e1"\n'  # an escape: the text is not the value
    path.write_bytes(raw)
    ref = reference(path, "task t")
    with pytest.raises(CregError, match="uses escapes"):
        rewrite(raw, str(path), [(ref, "divide@^2")])


def test_rewrite_refuses_a_reference_folded_over_lines(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    raw = b"name: p\ntasks:\n  t:\n    component: divide@^1\n      foo\n"
    path.write_bytes(raw)
    ref = reference(path, "task t")
    with pytest.raises(CregError, match="spans lines"):
        rewrite(raw, str(path), [(ref, "divide@^2")])


def test_rewrite_escapes_a_single_quote(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    raw = b"name: p\ntasks:\n  t: {component: 'x''y@1.0.0'}\n"
    path.write_bytes(raw)
    ref = reference(path, "task t")
    assert rewrite(raw, str(path), [(ref, "x'y@2.0.0")]) == b"name: p\ntasks:\n  t: {component: 'x''y@2.0.0'}\n"


def test_rewrite_checks_the_position_it_was_given(tmp_path: Path) -> None:
    raw = b"name: p\ntasks:\n  t: {component: add@1.0.0}\n"
    wrong = Reference(tmp_path / "p.yaml", 3, 3, ("tasks", "t", "component"), "add@1.0.0", "add", "1.0.0",
                      "task t", Usage())
    with pytest.raises(CregError, match="not where the loader saw it"):
        rewrite(raw, "p.yaml", [(wrong, "add@2.0.0")])
