"""Compile chain-N and fanout-N pipelines with creg; one JSON line per run.

    .venv/bin/python bench/bench_compile.py [--sizes 10,100,1000,10000] [--shapes chain,fanout]
        [--peers]   # also run bench/peers/*.py in bench/.venv-hera and bench/.venv-kfp
        [--repeat 3]  # fresh processes per tool and size; the summary at the end uses medians

Each run happens in a fresh subprocess, so imports are paid and ``ru_maxrss`` is that run's
peak.  ``total_s`` covers importing creg and its libraries, reading the pipeline, resolving
the component, compiling, validating against Argo's schema and writing the YAML; ``compile_s``
leaves the imports out (the peers split their numbers the same way).  Nothing is cached
between runs: every run reads, resolves, compiles, validates and writes from scratch.

With --peers the same shapes are built by hera 7.1 and kfp 1.8.22 in the same run, and the
end of the output gives both ratios (with and without imports) against each target, marked
OK or MISSED.  ``process_s`` is a whole process timed from outside, as a user feels it: for
creg the ``creg compile PIPELINE -o OUT`` command, for a peer its script (interpreter start,
imports, building the DAG, writing the YAML); hera's against creg's is the whole-process ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from shapes import SHAPES, SIZES, STEP_COMPONENT, creg_pipeline  # noqa: E402

PEERS = {"hera": HERE / ".venv-hera" / "bin" / "python", "kfp": HERE / ".venv-kfp" / "bin" / "python"}


def run_one(shape: str, n: int, workdir: Path) -> dict[str, object]:
    """Runs inside the fresh subprocess."""
    (workdir / "step.yaml").write_text(STEP_COMPONENT, encoding="utf-8")
    pipeline = workdir / "pipeline.yaml"
    pipeline.write_text(creg_pipeline(shape, n), encoding="utf-8")
    start = time.perf_counter()
    import jinja2  # noqa: F401  (creg imports it lazily; count it as an import, like the peers')

    import registry.argo.emit  # noqa: F401
    import registry.argo.check  # noqa: F401
    from registry.argo.compiler import compile_pipeline
    from registry.sources.store import atomic_write

    imported = time.perf_counter()
    text = compile_pipeline(pipeline)
    out = workdir / "out.yaml"
    atomic_write(out, text.encode("utf-8"))
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"tool": "creg", "shape": shape, "n": n, "total_s": round(end - start, 4),
            "compile_s": round(end - imported, 4), "yaml_bytes": out.stat().st_size,
            "peak_mem_mb": round(peak, 1)}


def bytecode_env(pycache: str) -> dict[str, str]:
    """Every tool runs with bytecode caching, as an installed package does.

    Here PYTHONDONTWRITEBYTECODE may be set, which would make creg's own modules compile
    from source in every run while the peers' pip-installed packages have .pyc files.
    """
    env = {**os.environ, "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def spawn(python: Path | str, script: Path, shape: str, n: int, env: dict[str, str]) -> dict[str, object] | None:
    """One fresh process of a tool's ``--one`` mode; its JSON row, with the process timed from outside."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = subprocess.run([str(python), str(script), "--one", shape, str(n), tmp],
                                capture_output=True, text=True, timeout=3600, env=env)
        elapsed = time.perf_counter() - start
    if result.returncode != 0:
        print(json.dumps({"tool": script.stem, "shape": shape, "n": n,
                          "error": result.stderr.strip().splitlines()[-1:]}), flush=True)
        return None
    row: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    if row["tool"] == "creg":
        elapsed = cli_process(shape, n, env)  # the command a user runs, not this script's --one mode
    return {**row, "process_s": round(elapsed, 4)}


def cli_process(shape: str, n: int, env: dict[str, str]) -> float:
    """Seconds for a whole ``creg compile`` process on the shape (files written beforehand)."""
    creg = Path(sys.executable).with_name("creg")
    command = [str(creg)] if creg.exists() else [sys.executable, "-m", "registry"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "step.yaml").write_text(STEP_COMPONENT, encoding="utf-8")
        (folder / "pipeline.yaml").write_text(creg_pipeline(shape, n), encoding="utf-8")
        start = time.perf_counter()
        # Output captured, as for the peers: with no pipe to read, ``run(timeout=...)`` polls for
        # the exit in sleeps of up to 50 ms, which rounded every creg process up to that grid.
        subprocess.run(command + ["compile", "pipeline.yaml", "-o", "out.yaml"], cwd=folder, env=env,
                       check=True, capture_output=True, timeout=3600)
        return time.perf_counter() - start


def main() -> int:
    args = parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), Path(args.one[2]))))
        return 0
    summary = []
    with tempfile.TemporaryDirectory() as pycache:
        env = bytecode_env(pycache)
        for tool, python, script in tools(args.peers):
            spawn(python, script, "chain", 10, env)  # warm-up: writes the .pyc files
        for shape in args.shapes.split(","):
            for n in map(int, args.sizes.split(",")):
                summary += measure(args, shape, n, env)
    report(summary)
    return 0


def measure(args: argparse.Namespace, shape: str, n: int, env: dict[str, str]) -> list[dict[str, object]]:
    summary = []
    for tool, python, script in tools(args.peers and n <= args.peer_max):
        runs = [row for _ in range(args.repeat) if (row := spawn(python, script, shape, n, env))]
        for row in runs:
            print(json.dumps(row), flush=True)
        if runs:
            summary.append(median_row(runs))
    return summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", nargs=3, metavar=("SHAPE", "N", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--peers", action="store_true", help="also run hera and kfp v1 (see bench/peers)")
    parser.add_argument("--peer-max", type=int, default=1000,
                        help="largest N given to the peers (kfp v1 takes minutes beyond 1000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh processes per tool and size; the summary uses their median")
    return parser.parse_args()


def tools(with_peers: bool) -> list[tuple[str, Path | str, Path]]:
    out: list[tuple[str, Path | str, Path]] = [("creg", sys.executable, Path(__file__))]
    if with_peers:
        out += [(tool, python, HERE / "peers" / f"{tool}_compile.py")
                for tool, python in PEERS.items() if python.exists()]
    return out


def median_row(runs: list[dict[str, object]]) -> dict[str, object]:
    """One row per tool and size: median times (a shared machine is noisy), the largest peak."""
    out = dict(runs[0])
    for key in ("total_s", "compile_s", "process_s"):
        out[key] = statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
    out["peak_mem_mb"] = max(float(r["peak_mem_mb"]) for r in runs)  # type: ignore[arg-type]
    return out


# chain-1000 / fanout-1000 targets from issue 4 (the peer ratios hold with and without imports)
PEER_TARGETS = {"hera": 5.0, "kfp": 70.0}
# issue 13: whole processes (creg compile against the peer's script), at least this much faster
PROCESS_TARGETS = {"hera": 6.0}
COMPILE_BUDGET_S = 0.055  # compile-only (imports excluded) at 1,000 tasks
GROWTH_LIMIT, PEAK_LIMIT_MB, YAML_LIMIT_MB = 11.0, 80.0, 0.15


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def report(rows: list[dict[str, object]]) -> None:
    """Ratios against the peers from this same run, each target with OK/MISSED, to stderr
    (stdout stays one JSON line per run)."""
    by: dict[tuple[object, ...], Row] = {(r["tool"], r["shape"], r["n"]): r for r in rows}
    for shape in ("chain", "fanout"):
        ours = by.get(("creg", shape, 1000))
        if ours is not None:
            for line in _shape_lines(shape, ours, by):
                print(line, file=sys.stderr)


Row = dict[str, object]


def num(row: Row, key: str) -> float:
    return float(row[key])  # type: ignore[arg-type]


def _shape_lines(shape: str, ours: Row, by: dict[tuple[object, ...], Row]) -> list[str]:
    compile_s = num(ours, "compile_s")
    lines = [f"{shape}-1000: creg compile only {compile_s * 1000:.1f} ms (target <= "
             f"{COMPILE_BUDGET_S * 1000:.0f} ms) {verdict(compile_s <= COMPILE_BUDGET_S)}"]
    for tool, target in PEER_TARGETS.items():
        peer = by.get((tool, shape, 1000))
        if peer is None:
            lines.append(f"{shape}-1000: {tool} not measured (run with --peers after bench/peers/setup.sh)")
        else:
            lines += [_ratio_line(shape, tool, label, num(peer, key), num(ours, key), target)
                      for label, key in (("total", "total_s"), ("compile only", "compile_s"))]
            if tool in PROCESS_TARGETS:
                lines.append(_ratio_line(shape, tool, "whole processes", num(peer, "process_s"),
                                         num(ours, "process_s"), PROCESS_TARGETS[tool]))
    return lines + _scale_lines(shape, ours, by.get(("creg", shape, 10000)))


def _ratio_line(shape: str, tool: str, label: str, theirs: float, ours: float, target: float) -> str:
    ratio = theirs / ours
    return (f"{shape}-1000: {tool} / creg {label} = {ratio:.1f}x ({theirs:.3f} s / {ours:.3f} s; "
            f"target >= {target:.0f}x) {verdict(ratio >= target)}")


def _scale_lines(shape: str, ours: Row, big: Row | None) -> list[str]:
    size = num(ours, "yaml_bytes") / 1e6
    lines = [f"{shape}-1000 YAML = {size:.3f} MB (target <= {YAML_LIMIT_MB}) {verdict(size <= YAML_LIMIT_MB)}"]
    if big is not None:
        growth, peak = num(big, "total_s") / num(ours, "total_s"), num(big, "peak_mem_mb")
        lines.append(f"{shape}: 10000 vs 1000 = {growth:.1f}x (target <= {GROWTH_LIMIT:.0f}x) "
                     f"{verdict(growth <= GROWTH_LIMIT)}; peak at 10000 = {peak} MB "
                     f"(target <= {PEAK_LIMIT_MB:.0f}) {verdict(peak <= PEAK_LIMIT_MB)}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
