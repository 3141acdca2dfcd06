"""index build / import-archive: index folder trees and whole tag archives."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers_publish import component_text, http_server, make_component, tar_folder
from registry.sources.archives import ArchiveError
from registry.errors import CregError
from registry.index.build import IndexBuildError, build, built_index_bytes, import_archive
from registry.index.publish import deprecate, publish
from registry.component.model import load_component_from_file

BROKEN = "name: Broken\ninputs:\n- {name: a, type: Float}\n- {name: a, type: Float}\nimplementation: 7\n"


def index_of(registry: Path) -> dict[str, Any]:
    return yaml.safe_load((registry / "index.yaml").read_text())


# --- build -------------------------------------------------------------------------------------


def test_build_indexes_a_tree_with_nested_names(tmp_path: Path) -> None:
    make_component(tmp_path, "add", "1.0.0")
    make_component(tmp_path, "add", "1.1.0")
    make_component(tmp_path, "gcs/download", "0.2.5")
    summary = build(tmp_path)
    assert sorted(summary.added) == ["add@1.0.0", "add@1.1.0", "gcs/download@0.2.5"]
    index = index_of(tmp_path)
    assert [e["version"] for e in index["components"]["add"]] == ["1.1.0", "1.0.0"]
    entry = index["components"]["gcs/download"][0]
    assert entry["source"] == {"path": "gcs/download/0.2.5/component.yaml"}
    assert entry["digest"] == load_component_from_file(tmp_path / "gcs/download/0.2.5/component.yaml").digest
    assert "created" not in entry  # path entries depend on the files only, never on the clock


def test_build_uses_components_folder_and_is_idempotent(tmp_path: Path) -> None:
    make_component(tmp_path / "components", "add", "1.0.0")
    build(tmp_path)
    first = (tmp_path / "index.yaml").read_bytes()
    assert "components/add/1.0.0/component.yaml" in first.decode()
    summary = build(tmp_path)
    assert summary.unchanged == ["add@1.0.0"] and (tmp_path / "index.yaml").read_bytes() == first
    assert built_index_bytes(tmp_path) == first


def test_invalid_spec_fails_the_build_and_keeps_the_index(tmp_path: Path) -> None:
    make_component(tmp_path, "add", "1.0.0")
    build(tmp_path)
    before = (tmp_path / "index.yaml").read_bytes()
    make_component(tmp_path, "broken", "1.0.0", BROKEN)
    with pytest.raises(IndexBuildError) as caught:
        build(tmp_path)
    assert str(tmp_path / "broken/1.0.0/component.yaml") + ":" in str(caught.value)
    assert (tmp_path / "index.yaml").read_bytes() == before


def test_merge_keeps_published_entries_and_carries_metadata(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    publish(make_component(tmp_path / "src", "packed", "1.0.0"), registry, today="2026-01-01")
    make_component(registry, "tree", "1.0.0")
    build(registry, merge=True)
    assert sorted(index_of(registry)["components"]) == ["packed", "tree"]
    deprecate(registry, "tree@1.0.0", "old")
    build(registry, merge=True)
    assert index_of(registry)["components"]["tree"][0]["deprecated"] == {"message": "old"}
    before = (registry / "index.yaml").read_bytes()
    with pytest.raises(IndexBuildError, match=r"1 entries are not from this tree \(packed@1.0.0"):
        build(registry)  # without --merge a published archive would be lost: refused
    assert (registry / "index.yaml").read_bytes() == before


def test_without_merge_stale_tree_entries_are_dropped(tmp_path: Path) -> None:
    make_component(tmp_path, "add", "1.0.0")
    make_component(tmp_path, "old", "1.0.0")
    build(tmp_path)
    deprecate(tmp_path, "add@1.0.0", "use sum")
    shutil.rmtree(tmp_path / "old")
    build(tmp_path)
    components = index_of(tmp_path)["components"]
    assert sorted(components) == ["add"] and components["add"][0]["deprecated"] == {"message": "use sum"}


def test_tree_layout_problems_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "component.yaml").write_text(component_text())
    make_component(tmp_path, "add", "1.0.0")
    summary = build(tmp_path)
    assert summary.added == ["add@1.0.0"]
    assert any("not in a <name>/<version>/ folder" in s for s in summary.skipped)


# --- import-archive ------------------------------------------------------------------------


def synthetic_archive(tmp_path: Path, hostile: bool = False) -> Path:
    """A tag archive with good, broken and out-of-prefix members (and hostile ones if asked)."""
    out = tmp_path / ("hostile-9.9.9.tar.gz" if hostile else "pipelines-9.9.9.tar.gz")
    good = component_text().encode()
    with tarfile.open(out, "w:gz") as tar:
        def add(name: str, data: bytes, kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.size, info.type, info.linkname = (len(data) if kind == tarfile.REGTYPE else 0), kind, link
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        add("pipelines-9.9.9/components/math/add/component.yaml", good)
        add("pipelines-9.9.9/components/math/broken/component.yaml", BROKEN.encode())
        add("pipelines-9.9.9/samples/demo/component.yaml", good)
        add("pipelines-9.9.9/components/other.component.yaml", good)
        if hostile:
            add("pipelines-9.9.9/components/evil/component.yaml", b"", tarfile.SYMTYPE, "/etc/passwd")
            add("pipelines-9.9.9/components/../../escape/component.yaml", good)
    return out


def test_import_indexes_valid_and_reports_invalid(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    summary = import_archive(str(synthetic_archive(tmp_path)), "9.9.9", registry)
    assert summary.added == ["math/add@9.9.9"]
    assert summary.invalid_files == 1 and "components/math/broken/component.yaml:" in summary.invalid[0].format()
    assert summary.invalid[0].line > 0
    assert summary.line() == "1 added, 0 unchanged, 1 invalid (skipped), 0 conflicting"
    entry = index_of(registry)["components"]["math/add"][0]
    assert entry["source"]["member"] == "pipelines-9.9.9/components/math/add/component.yaml"
    assert entry["source"]["archive"] == "archives/pipelines-9.9.9.tar.gz"
    assert (registry / entry["source"]["archive"]).is_file()
    assert not (tmp_path / "escape").exists()


def test_reimport_is_a_no_op_and_changed_content_is_a_conflict(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    archive = synthetic_archive(tmp_path)
    import_archive(str(archive), "9.9.9", registry)
    before = (registry / "index.yaml").read_bytes()
    assert import_archive(str(archive), "9.9.9", registry).unchanged == ["math/add@9.9.9"]
    assert (registry / "index.yaml").read_bytes() == before
    source = tmp_path / "changed"
    make_component(source / "components" / "math", "add", ".", component_text(description="Other"))
    changed = tar_folder(source, "pipelines-9.9.9", tmp_path / "changed.tar.gz")
    summary = import_archive(str(changed), "9.9.9", registry)
    assert summary.added == [] and "a published version never changes" in summary.conflicts[0].message
    assert (registry / "index.yaml").read_bytes() == before


def test_import_reads_zip_archives_with_a_prefix(tmp_path: Path) -> None:
    out = tmp_path / "repo-1.0.zip"
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("repo-1.0/samples/hello/component.yaml", component_text())
        archive.writestr("repo-1.0/components/skipped/component.yaml", component_text())
    summary = import_archive(str(out), "1.0", tmp_path / "reg", prefix="samples")
    assert summary.added == ["hello@1.0"]


def test_import_refuses_what_is_not_an_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not an archive at all")
    with pytest.raises(CregError, match="not a tar or zip archive"):
        import_archive(str(bogus), "1.0.0", tmp_path / "reg")
    assert not (tmp_path / "reg" / "index.yaml").exists()
    assert not (tmp_path / "reg" / "archives").exists()  # nothing is copied before the archive is read


# --- the 0.2.5 corpus ------------------------------------------------------------------------


def valid_corpus_names(corpus: Path) -> set[str]:
    names = set()
    for path in (corpus / "components").rglob("component.yaml"):
        try:
            load_component_from_file(path)
        except CregError:
            continue
        names.add(path.parent.relative_to(corpus / "components").as_posix())
    return names


def corpus_archive(shared_dir: Path, tmp_path: Path) -> Path:
    corpus = shared_dir / "corpus" / "kfp-components" / "0.2.5"
    served = tmp_path / "served"
    served.mkdir()
    return tar_folder(corpus, "pipelines-0.2.5", served / "0.2.5.tar.gz")


@pytest.mark.parametrize("how", ["file", "http"])
def test_corpus_0_2_5_every_valid_component_indexed_and_loadable(shared_dir: Path, tmp_path: Path,
                                                                   how: str) -> None:
    from registry.index.resolve import Registry

    corpus = shared_dir / "corpus" / "kfp-components" / "0.2.5"
    archive = corpus_archive(shared_dir, tmp_path)
    registry = tmp_path / "reg"
    expected = valid_corpus_names(corpus)
    assert len(expected) >= 70  # the corpus holds 81 component.yaml below components/
    with http_server(archive.parent) as base:
        location = f"{base}/0.2.5.tar.gz" if how == "http" else str(archive)
        summary = import_archive(location, "0.2.5", registry)
        assert {n.removesuffix("@0.2.5") for n in summary.added} == expected
        total = len(list((corpus / "components").rglob("component.yaml")))
        assert summary.invalid_files == total - len(expected)
        index = index_of(registry)["components"]
        assert set(index) == expected and "gcp/dataflow/launch_python" in index
        archive_ref = index["gcp/dataflow/launch_python"][0]["source"]["archive"]
        assert archive_ref == (location if how == "http" else "archives/0.2.5.tar.gz")
        loader = Registry([str(registry)])  # downloads the archive from the server when remote
        for name in sorted(expected):
            spec = loader.load(f"{name}@0.2.5")
            assert spec.digest == index[name][0]["digest"]


def test_an_archive_with_hostile_members_is_refused_whole_and_changes_nothing(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    with pytest.raises(ArchiveError, match="refusing unsafe archive member"):
        import_archive(str(synthetic_archive(tmp_path, hostile=True)), "9.9.9", registry)
    assert not (registry / "index.yaml").exists() and not (registry / "archives").exists()
    assert not (tmp_path / "escape").exists()


def test_import_conflict_points_at_the_indexed_digest(tmp_path: Path) -> None:
    registry = tmp_path / "reg"
    import_archive(str(synthetic_archive(tmp_path)), "9.9.9", registry)
    source = tmp_path / "changed"
    make_component(source / "components" / "math", "add", ".", component_text(description="Other"))
    summary = import_archive(str(tar_folder(source, "pipelines-9.9.9", tmp_path / "c.tar.gz")), "9.9.9", registry)
    problem = summary.conflicts[0]
    digest_line = next(i for i, line in enumerate((registry / "index.yaml").read_text().splitlines(), 1)
                       if "digest:" in line)
    assert (problem.line, problem.path) == (digest_line, "$.components['math/add'][0].digest")


def test_a_prefix_that_is_not_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    from registry.errors import ArgumentError

    make_component(tmp_path / "components", "add", "1.0.0")
    for prefix in ("componets", "components/add/1.0.0/component.yaml"):
        with pytest.raises(ArgumentError, match=f"`prefix`: '{prefix}' is not a folder below") as caught:
            build(tmp_path, prefix=prefix)
        assert caught.value.problems[0].file == str(tmp_path / prefix)
        assert caught.value.argument == "prefix"
        with pytest.raises(ArgumentError):
            built_index_bytes(tmp_path, prefix=prefix)
    assert not (tmp_path / "index.yaml").exists()
    assert build(tmp_path, prefix="components/").added == ["add@1.0.0"]


def test_import_reads_only_specs_below_the_prefix_and_at_most_a_spec_of_each(tmp_path: Path) -> None:
    """A component.yaml over the spec limit is reported (after reading 4 MiB + 1 byte, never all
    of it); members outside --prefix are never read; the valid one is indexed."""
    from registry.sources.archives import for_each_member

    archive = tmp_path / "t.tar.gz"
    big = b"#" * (5 * 1024 * 1024)
    files = {"top/components/add/component.yaml": component_text().encode(),
             "top/components/huge/component.yaml": big, "top/other/x/component.yaml": big}
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    summary = import_archive(str(archive), "1.0.0", tmp_path / "reg")
    assert summary.added == ["add@1.0.0"] and summary.invalid_files == 1
    assert "huge/component.yaml: error: larger than 4194304 bytes" in summary.invalid[0].format()
    assert summary.skipped == ["top/other/x/component.yaml: not in a folder below 'components/'"]

    handed: list[tuple[str, int | None]] = []
    for_each_member(archive, "t", lambda names: {n for n in names if "/other/" not in n},
                    lambda name, data: handed.append((name, None if data is None else len(data))), 1000)
    assert handed == [("top/components/add/component.yaml", len(files["top/components/add/component.yaml"])),
                      ("top/components/huge/component.yaml", None)]


def test_import_of_a_url_streams_it_and_keeps_the_exact_digest(tmp_path: Path) -> None:
    from helpers_registry import RegistryServer, sha

    served = tmp_path / "www"
    served.mkdir()
    make_component(tmp_path / "src" / "components", "add", "1.0.0")
    archive = tar_folder(tmp_path / "src", "pipelines-1", served / "a.tar.gz")
    with RegistryServer(served) as server:
        summary = import_archive(f"{server.url}/a.tar.gz", "1.0.0", tmp_path / "reg")
    assert summary.added == ["add/1.0.0@1.0.0"]
    entry = index_of(tmp_path / "reg")["components"]["add/1.0.0"][0]
    assert entry["source"]["archiveDigest"] == sha(archive.read_bytes())
    assert entry["source"]["archive"].endswith("/a.tar.gz") and not (tmp_path / "reg" / "archives").exists()
