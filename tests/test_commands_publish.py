"""The publishing commands as a user runs them: real subprocesses, real folders."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from helpers_publish import CREG, component_text, creg, make_component, tar_folder
from registry.index.model import load_index


def test_eight_concurrent_publishes_all_land(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    folders = [make_component(tmp_path / "src", f"comp{i}", "1.0.0") for i in range(8)]
    processes = [subprocess.Popen([*CREG, "publish", str(f), "--to", str(registry)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in folders]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]  # type: ignore[union-attr]
    assert all(code == 0 for code, _ in results), results
    index = load_index((registry / "index.yaml").read_bytes())
    assert index.names() == [f"comp{i}" for i in range(8)]
    assert all((registry / f"comp{i}/1.0.0/comp{i}-1.0.0.tar.gz").is_file() for i in range(8))
    assert not list(registry.glob(".index.yaml.*.tmp"))


def test_concurrent_versions_of_one_component_all_land(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    folders = [make_component(tmp_path / "src", "add", f"1.0.{i}") for i in range(6)]
    processes = [subprocess.Popen([*CREG, "publish", str(f), "--to", str(registry)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in folders]
    assert [p.wait(timeout=120) for p in processes] == [0] * 6
    entries = yaml.safe_load((registry / "index.yaml").read_text())["components"]["add"]
    assert [e["version"] for e in entries] == [f"1.0.{i}" for i in reversed(range(6))]


def test_new_then_validate_then_publish(tmp_path: Path) -> None:
    created = creg("new", "text/hello", "--image", "busybox:1.36", "--dir", str(tmp_path / "components"))
    assert created.returncode == 0, created.stderr
    folder = tmp_path / "components" / "text" / "hello" / "0.1.0"
    assert (folder / "README.md").read_text().startswith("# text/hello 0.1.0")
    published = creg("publish", str(folder), "--to", str(tmp_path / "reg"), "--name", "text/hello")
    assert published.returncode == 0, published.stderr
    assert "published text/hello@0.1.0" in published.stdout
    again = creg("publish", str(folder), "--to", str(tmp_path / "reg"), "--name", "text/hello")
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert creg("new", "text/hello", "--dir", str(tmp_path / "components")).returncode == 1


def test_new_escapes_hostile_values(tmp_path: Path) -> None:
    image = 'img"\nimplementation: {graph: {}}\n# '
    result = creg("new", "safe", "--image", image, "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((tmp_path / "safe/0.1.0/component.yaml").read_text())
    assert data["implementation"]["container"]["image"] == image


def test_refusals_are_clean_positioned_errors(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    assert creg("publish", str(make_component(tmp_path / "src", "add", "1.0.0")), "--to", str(registry)).returncode == 0
    before = (registry / "index.yaml").read_bytes()
    hidden = make_component(tmp_path / "src", "add", "1.1.0", component_text([{"name": "a", "type": "Float"}]))
    result = creg("publish", str(hidden), "--to", str(registry))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{hidden / 'component.yaml'}:" in result.stderr and "input 'b' was removed" in result.stderr
    assert (registry / "index.yaml").read_bytes() == before
    forced = creg("publish", str(hidden), "--to", str(registry), "--allow-breaking")
    assert forced.returncode == 0 and "major: input 'b' was removed" in forced.stdout


def test_deprecate_command(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    creg("publish", str(make_component(tmp_path / "src", "add", "1.0.0")), "--to", str(registry))
    result = creg("deprecate", "add@1.0.0", "--message", "use sum", "--replacement", "sum@^1", "--to", str(registry))
    assert result.returncode == 0, result.stderr
    entry = yaml.safe_load((registry / "index.yaml").read_text())["components"]["add"][0]
    assert entry["deprecated"] == {"message": "use sum", "replacement": "sum@^1"}
    via_global = creg("--registry", str(registry), "deprecate", "add@1.0.0", "-m", "use sum", "--replacement", "sum@^1")
    assert via_global.returncode == 0 and "nothing changed" in via_global.stdout
    missing = creg("deprecate", "add@1.0.0", "-m", "x")
    assert missing.returncode == 2 and "--to" in missing.stderr


def test_index_commands(tmp_path: Path) -> None:
    make_component(tmp_path / "tree", "add", "1.0.0")
    built = creg("index", "build", str(tmp_path / "tree"))
    assert built.returncode == 0 and "1 added" in built.stdout
    source = tmp_path / "repo"
    make_component(source / "components", "math/add", "x", component_text())
    archive = tar_folder(source, "repo-2.0.0", tmp_path / "repo-2.0.0.tar.gz")
    imported = creg("index", "import-archive", str(archive), "--tag", "2.0.0", "--to", str(tmp_path / "reg"),
                    "--archive-url", "https://example.com/repo/2.0.0.tar.gz")
    assert imported.returncode == 0, imported.stderr
    entry = yaml.safe_load((tmp_path / "reg" / "index.yaml").read_text())["components"]["math/add/x"][0]
    assert entry["source"]["archive"] == "https://example.com/repo/2.0.0.tar.gz"
    bad_tag = creg("index", "import-archive", str(archive), "--tag", "../x", "--to", str(tmp_path / "reg"))
    assert bad_tag.returncode == 2 and "--tag" in bad_tag.stderr


def test_typos_get_clean_errors_not_tracebacks(tmp_path: Path) -> None:
    make_component(tmp_path / "tree" / "components", "add", "1.0.0")
    typo = creg("index", "build", str(tmp_path / "tree"), "--prefix", "componets")
    assert typo.returncode == 2 and "Traceback" not in typo.stderr, typo.stderr
    assert "--prefix: 'componets' is not a folder" in typo.stderr and "did you mean 'components'" in typo.stderr
    assert not (tmp_path / "tree" / "index.yaml").exists()
    registry = tmp_path / "reg"
    folder = make_component(tmp_path / "src", "add", "1.0.0")
    assert creg("publish", str(folder), "--to", str(registry)).returncode == 0
    before = (registry / "index.yaml").read_bytes()
    for name in ("index.yaml", "archives/add"):
        result = creg("publish", str(folder), "--to", str(registry), "--name", name)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert f"'{name}' is not a valid component name" in result.stderr
    assert (registry / "index.yaml").read_bytes() == before


def test_a_new_major_names_the_pipelines_here_it_would_break(tmp_path: Path) -> None:
    registry, src, work = tmp_path / "reg", tmp_path / "src", tmp_path / "work"
    assert creg("publish", str(make_component(src, "add", "1.0.0")), "--to", str(registry)).returncode == 0
    work.mkdir()
    (work / "uses-b.yaml").write_text("name: p\ntasks:\n  t:\n    component: add@^1\n    args: {a: 1, b: 2}\n")
    (work / "only-a.yaml").write_text("name: q\ntasks:\n  t: {component: add@1.0.0, args: {a: 1}}\n")
    no_b = component_text(inputs=[{"name": "a", "type": "Float"}])
    major = make_component(src, "add", "2.0.0", text=no_b)
    done = creg("--registry", str(registry), "publish", str(major), "--to", str(registry), cwd=work)
    assert done.returncode == 0, done.stderr
    assert "uses-b.yaml:4:16 task t (add@^1, on 1.0.0): would break: input 'b' was removed and the task passes it" \
        in done.stdout
    assert "only-a.yaml:3:18 task t (add@1.0.0, on 1.0.0): unaffected" in done.stdout
    assert "add@2.0.0 would break 1 of 2 use(s) here" in done.stderr


def test_a_minor_lists_nothing(tmp_path: Path) -> None:
    registry, src, work = tmp_path / "reg", tmp_path / "src", tmp_path / "work"
    assert creg("publish", str(make_component(src, "add", "1.0.0")), "--to", str(registry)).returncode == 0
    work.mkdir()
    (work / "p.yaml").write_text("name: p\ntasks:\n  t: {component: add@^1, args: {a: 1, b: 2}}\n")
    done = creg("publish", str(make_component(src, "add", "1.1.0")), "--to", str(registry), cwd=work)
    assert done.returncode == 0 and "would break" not in done.stdout + done.stderr
