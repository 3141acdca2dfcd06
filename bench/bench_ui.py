"""Benchmark (not a test): the web UI measured in a real headless Chromium.

- A run graph of 1,000 tasks (chain and fan-out shapes) is laid out by dagre and drawn: target
  under 1 s from navigation start to the drawn graph, printed next to a 10-task run's time.
- A catalog of 1,000 components filters as you type: target under 50 ms per keystroke (the
  filter and the re-layout it causes; at most 100 matching rows are shown while typing, the
  rest behind "Show all"), printed next to the built-in catalog's time.
- The static site ``creg ui --export`` writes for the built-in registry: target under 1 MB.

    .venv/bin/python bench/bench_ui.py [--runs 5]

The run pages read a run store; here the runs are Workflow documents (the shape
``registry.argo.runview`` describes) held in memory, since only the browser's side is timed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from shapes import upstream  # noqa: E402

from registry.argo.runview import Experiment, LogLine, RunNotFound, RunQuery, Workflow  # noqa: E402
from registry.index.resolve import RegistryOptions  # noqa: E402
from registry.ui.routes import App, Site  # noqa: E402
from registry.ui.server import make_server, url_of  # noqa: E402

GRAPH_TARGET_MS = 1000.0
FILTER_TARGET_MS = 50.0
EXPORT_TARGET_BYTES = 1_000_000


def workflow(shape: str, n: int) -> Workflow:
    """A finished run of ``n`` Pod tasks in ``shape``, as Argo (and creg's run store) records it."""
    name = f"{shape}-{n}"
    nodes: dict[str, Any] = {name: {"id": name, "name": name, "displayName": name, "type": "DAG", "phase": "Running",
                                    "children": [f"{name}-0"]}}
    for i in range(n):
        children = [f"{name}-{j}" for j in range(i + 1, n) if upstream(shape, j) == i]
        nodes[f"{name}-{i}"] = {"id": f"{name}-{i}", "name": f"{name}.t{i}", "displayName": f"t{i}", "type": "Pod",
                                "templateName": "step", "phase": "Succeeded" if i % 3 else "Running",
                                "boundaryID": name, "children": children}
    return {"metadata": {"name": name, "labels": {}}, "status": {"phase": "Running", "nodes": nodes}}


class MemoryRuns:
    """A RunBackend over Workflow documents in memory (only what the run page reads)."""

    def __init__(self, runs: Sequence[Workflow]) -> None:
        self.runs = {w["metadata"]["name"]: w for w in runs}

    def list_runs(self, query: RunQuery) -> list[Workflow]:
        return list(self.runs.values())

    def get_run(self, run_id: str) -> Workflow:
        if run_id not in self.runs:
            raise RunNotFound(run_id)
        return self.runs[run_id]

    def logs(self, run_id: str, task: str | None = None, follow: bool = False) -> Iterator[LogLine]:
        return iter(())

    def delete_runs(self, run_ids: Sequence[str]) -> list[str]:
        return []

    def stop_run(self, run_id: str) -> Workflow:
        return self.get_run(run_id)

    def retry_run(self, run_id: str) -> Workflow:
        return self.get_run(run_id)

    def experiments(self) -> list[Experiment]:
        return []


def big_registry(folder: Path, count: int) -> Path:
    """An index of ``count`` components (the catalog page reads only the index)."""
    lines = ["apiVersion: creg/v1", "components:"]
    for i in range(count):
        lines += [f"  comp-{i:04d}-{['train', 'eval', 'load', 'serve'][i % 4]}:", "  - version: 1.0.0",
                  f"    digest: sha256:{i:064x}", f"    description: Component number {i} of the benchmark catalog.",
                  "    source:", f"      path: c/{i}/component.yaml"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.yaml").write_text("\n".join(lines) + "\n")
    return folder


def browser(profile: Path) -> Any:
    from helpers_browser import start_browser

    return start_browser(profile)


def serve(site: Site) -> tuple[Any, str]:
    server = make_server(App(site), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, url_of(server)


def graph_ms(driver: Any, url: str) -> tuple[float, dict[str, float]]:
    """Navigation start -> graph drawn (the page's own clock), and dagre's share of it (layout)."""
    import time

    driver.get(url)
    timing = None
    for _ in range(200):
        timing = driver.execute_script("return window.cregGraphTiming || null")
        if timing:
            break
        time.sleep(0.05)
    if not timing:
        raise SystemExit(f"{url}: the graph was never drawn; browser log: {driver.get_log('browser')}")
    return timing["drawnAt"], timing


def filter_ms(driver: Any, text: str) -> float:
    """One keystroke's filter and the layout it forces, timed inside the page."""
    return driver.execute_script("""
        const box = document.getElementById('search');
        box.value = arguments[0];
        const t0 = performance.now();
        box.dispatchEvent(new Event('input'));
        document.body.offsetHeight;  // the re-layout the hidden rows cause
        return performance.now() - t0;""", text)


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench_graph(driver: Any, runs: int) -> bool:
    shapes = [workflow(shape, n) for shape in ("chain", "fanout") for n in (10, 1000)]
    server, url = serve(Site(backends={"local": MemoryRuns(shapes)}))
    ok = True
    try:
        for shape in ("chain", "fanout"):
            small = median([graph_ms(driver, f"{url}runs/local/{shape}-10.html")[0] for _ in range(runs)])
            measured = [graph_ms(driver, f"{url}runs/local/{shape}-1000.html") for _ in range(runs)]
            big = median([m[0] for m in measured])
            layout = median([m[1]["layoutMs"] for m in measured])
            nodes = measured[0][1]["nodes"]
            ok &= big < GRAPH_TARGET_MS
            print(f"run graph {shape}-1000: {big:7.1f} ms to drawn ({nodes:.0f} nodes, dagre layout {layout:.1f} ms); "
                  f"{shape}-10: {small:.1f} ms; ratio {big / small:.1f}x; target < {GRAPH_TARGET_MS:.0f} ms: "
                  f"{'ok' if big < GRAPH_TARGET_MS else 'MISSED'}")
    finally:
        server.shutdown()
    return ok


def bench_filter(driver: Any, folder: Path, runs: int) -> bool:
    """Each keystroke's median over ``runs`` rounds; the slowest keystroke's median is checked."""
    typed = ("c", "co", "com", "comp-0", "comp-01", "comp-01 ev", "", "train", "x")
    results = {}
    for label, registries in (("builtin", ()), ("1000", (str(big_registry(folder / "big", 1000)),))):
        server, url = serve(Site(RegistryOptions(registries)))
        try:
            driver.get(url)
            rounds = [[filter_ms(driver, text) for text in typed] for _ in range(runs)]
            per_key = [median([r[i] for r in rounds]) for i in range(len(typed))]
            results[label] = (max(per_key), max(max(r) for r in rounds), driver.execute_script(
                "return document.querySelectorAll('#catalog .row[data-search]').length"))
        finally:
            server.shutdown()
    slowest, worst, rows = results["1000"]
    ok = slowest < FILTER_TARGET_MS
    print(f"catalog filter, {rows} rows: slowest keystroke {slowest:.2f} ms (median of {runs}), single worst "
          f"{worst:.2f} ms; {results['builtin'][2]} rows: slowest {results['builtin'][0]:.2f} ms; "
          f"target < {FILTER_TARGET_MS:.0f} ms: {'ok' if ok else 'MISSED'}")
    return ok


def bench_export(folder: Path) -> bool:
    out = folder / "site"
    script = Path(sys.executable).with_name("creg")
    creg = [str(script)] if script.exists() else [sys.executable, "-m", "registry"]
    subprocess.run([*creg, "ui", "--export", str(out)], check=True, capture_output=True)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    ok = size < EXPORT_TARGET_BYTES
    print(f"exported built-in registry: {size:,} bytes in {sum(1 for p in out.rglob('*') if p.is_file())} files; "
          f"target < {EXPORT_TARGET_BYTES:,}: {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        import os

        os.environ["CREG_CACHE_DIR"] = str(folder / "cache")
        driver = browser(folder / "profile")
        try:
            ok = bench_graph(driver, args.runs)
            ok &= bench_filter(driver, folder, args.runs)
        finally:
            driver.quit()
            shutil.rmtree(folder / "profile", ignore_errors=True)
        ok &= bench_export(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
