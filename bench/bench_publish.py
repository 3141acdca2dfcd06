"""Publishing speed against naive peers measured in the same run (ratios, not absolute targets).

* import-archive of the KFP 0.2.5 tag archive (or a synthetic one without ../shared) vs a
  naive importer: tarfile.extractall to a temp folder + yaml.safe_load of every component.yaml;
* pack_folder (deterministic tar.gz) vs tarfile 'w:gz' of the same folder.

Run: .venv/bin/python bench/bench_publish.py
"""

from __future__ import annotations

import io
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.index.build import import_archive  # noqa: E402
from registry.sources.packing import pack_folder  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "kfp-components" / "0.2.5"


def median_seconds(work: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def source_tree(tmp: Path) -> Path:
    if CORPUS.is_dir():
        return CORPUS
    tree = tmp / "synthetic"
    for i in range(80):
        folder = tree / "components" / f"c{i}"
        folder.mkdir(parents=True)
        (folder / "component.yaml").write_text(
            f"name: c{i}\nimplementation:\n  container:\n    image: busybox\n    command: [echo, {i}]\n")
    return tree


def naive_import(archive: Path, tmp: Path) -> int:
    with tempfile.TemporaryDirectory(dir=tmp) as out, tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
        return sum(1 for p in Path(out).rglob("component.yaml") if yaml.safe_load(p.read_bytes()))


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        tree = source_tree(tmp)
        archive = tmp / "tag.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(tree, arcname="pipelines-0.2.5")
        counter = iter(range(10**6))
        ours = median_seconds(lambda: import_archive(str(archive), "0.2.5", tmp / f"reg{next(counter)}"))
        peer = median_seconds(lambda: naive_import(archive, tmp))
        print(f"import-archive ({'corpus 0.2.5' if tree == CORPUS else 'synthetic'}): {ours * 1000:.1f} ms; "
              f"naive extract+yaml.safe_load: {peer * 1000:.1f} ms; ratio {ours / peer:.2f}")
        ours = median_seconds(lambda: pack_folder(tree, "top"))
        peer = median_seconds(lambda: _plain_tar(tree))
        print(f"pack_folder: {ours * 1000:.1f} ms; tarfile w:gz: {peer * 1000:.1f} ms; ratio {ours / peer:.2f}")


def _plain_tar(tree: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tree, arcname="top")
    return buffer.getvalue()


if __name__ == "__main__":
    main()
