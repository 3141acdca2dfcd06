"""Compile chain-N and fanout-N pipelines with creg; one JSON line per run.

    .venv/bin/python bench/bench_compile.py [--sizes 10,100,1000,10000] [--shapes chain,fanout]
        [--peers]   # also run bench/peers/*.py in bench/.venv-hera and bench/.venv-kfp

Each run happens in a fresh subprocess, so imports are paid and ``ru_maxrss`` is that run's
peak.  ``total_s`` covers importing creg and its libraries, reading the pipeline, resolving
the component, compiling, validating against Argo's schema and writing the YAML; ``compile_s``
leaves the imports out (the peers split their numbers the same way).  With --peers the same shapes are built by hera 7.1 and kfp 1.8.22 and the
ratios printed at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
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
    import jinja2  # noqa: F401  (creg imports these lazily; count them as imports, like the peers')
    import jsonschema  # noqa: F401

    import registry.argo  # noqa: F401
    import registry.argo_check  # noqa: F401
    from registry.compiler import compile_pipeline
    from registry.store import atomic_write

    imported = time.perf_counter()
    text = compile_pipeline(pipeline)
    out = workdir / "out.yaml"
    atomic_write(out, text.encode("utf-8"))
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"tool": "creg", "shape": shape, "n": n, "total_s": round(end - start, 4),
            "compile_s": round(end - imported, 4), "yaml_bytes": out.stat().st_size,
            "peak_mem_mb": round(peak, 1)}


def spawn(python: Path | str, script: Path, shape: str, n: int) -> dict[str, object] | None:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([str(python), str(script), "--one", shape, str(n), tmp],
                                capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        print(json.dumps({"tool": script.stem, "shape": shape, "n": n,
                          "error": result.stderr.strip().splitlines()[-1:]}), flush=True)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", nargs=3, metavar=("SHAPE", "N", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--peers", action="store_true", help="also run hera and kfp v1 (see bench/peers)")
    parser.add_argument("--peer-max", type=int, default=1000,
                        help="largest N given to the peers (kfp v1 takes minutes beyond 1000)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), Path(args.one[2]))))
        return 0
    rows = []
    for shape in args.shapes.split(","):
        for n in map(int, args.sizes.split(",")):
            runs = [("creg", sys.executable, Path(__file__))]
            if args.peers and n <= args.peer_max:
                runs += [(tool, python, HERE / "peers" / f"{tool}_compile.py")
                         for tool, python in PEERS.items() if python.exists()]
            for tool, python, script in runs:
                row = spawn(python, script, shape, n)
                if row:
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    report(rows)
    return 0


def report(rows: list[dict[str, object]]) -> None:
    """Ratios and targets, to stderr so stdout stays one JSON line per run."""
    by = {(r["tool"], r["shape"], r["n"]): r for r in rows}
    for shape in ("chain", "fanout"):
        ours = by.get(("creg", shape, 1000))
        if ours is None:
            continue
        for tool, target in (("hera", 5), ("kfp", 70)):
            peer = by.get((tool, shape, 1000))
            if peer:
                total = float(peer["total_s"]) / float(ours["total_s"])
                compile_only = float(peer["compile_s"]) / float(ours["compile_s"])
                print(f"{shape}-1000: {tool} / creg = {total:.1f}x with imports, {compile_only:.1f}x "
                      f"compile only (target >= {target}x)", file=sys.stderr)
        big = by.get(("creg", shape, 10000))
        if big:
            growth = float(big["total_s"]) / float(ours["total_s"])
            print(f"{shape}: 10000 vs 1000 = {growth:.1f}x (target <= 11x); "
                  f"peak at 10000 = {big['peak_mem_mb']} MB (target <= 80)", file=sys.stderr)
        print(f"{shape}-1000 YAML = {int(ours['yaml_bytes']) / 1e6:.3f} MB (target <= 0.15)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
