"""Registry speed: resolving one ref in a 10,000-version index, and pulling a cached ref.

Both are whole-process timings of the real `creg` command, reported as a ratio to a bare
`python -c pass` measured in the same run (median of several runs).  Target: both under 6x.

    .venv/bin/python bench/bench_registry.py [--runs 9]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

NAMES, VERSIONS = 2000, 5
TARGET = 6.0
CREG = Path(sys.executable).with_name("creg")
COMPONENT = "name: name-1234\nimplementation:\n  container: {image: alpine, command: [echo, hi]}\n"


def build_registry(root: Path) -> None:
    """index.yaml with NAMES x VERSIONS entries; only name-1234's files exist."""
    components = {}
    for n in range(NAMES):
        name = f"name-{n}"
        components[name] = [_entry(name, f"{major}.{minor}.0") for major in (1, 2) for minor in range(3)][:VERSIONS]
    data = {"apiVersion": "creg/v1", "registry": {"name": "bench"}, "components": components}
    (root / "index.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _entry(name: str, version: str) -> dict[str, object]:
    rel = f"components/{name}/{version}/component.yaml"
    digest = "sha256:" + hashlib.sha256(f"{name}@{version}".encode()).hexdigest()
    if name == "name-1234":
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(COMPONENT.replace("hi", version))
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return {"version": version, "digest": digest, "description": f"{name} version {version}",
            "created": "2026-11-28", "source": {"path": rel}}


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return elapsed


def median(argv: list[str], env: dict[str, str], runs: int) -> float:
    return statistics.median(timed(argv, env) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    global ROOT
    with tempfile.TemporaryDirectory() as tmp:
        ROOT = Path(tmp) / "registry"
        ROOT.mkdir()
        build_registry(ROOT)
        env = {**os.environ, "CREG_CACHE_DIR": str(Path(tmp) / "cache"), "CREG_REGISTRIES": "",
               # bytecode cached (outside the tree), as an installed package has it
               "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        resolve = [str(CREG), "--registry", str(ROOT), "versions", "name-1234"]
        pull = [str(CREG), "--registry", str(ROOT), "pull", "name-1234@^1"]
        size = (ROOT / "index.yaml").stat().st_size
        first = timed(resolve, env)  # validates the index once and keeps the validated copy
        timed(pull, env)  # fills the cache
        base = median([sys.executable, "-c", "pass"], env, runs)
        results = {"resolve (creg versions name-1234)": median(resolve, env, runs),
                   "pull of a cached ref (creg pull name-1234@^1)": median(pull, env, runs)}
    print(f"index: {NAMES * VERSIONS} versions ({NAMES} names x {VERSIONS}), {size / 1e6:.1f} MB")
    print(f"python -c pass: {base * 1000:.1f} ms (median of {runs})")
    print(f"first resolve (full validation): {first * 1000:.0f} ms ({first / base:.1f}x)")
    ok = True
    for label, value in results.items():
        ratio = value / base
        ok &= ratio < TARGET
        print(f"{label}: {value * 1000:.1f} ms = {ratio:.2f}x python -c pass "
              f"({'ok' if ratio < TARGET else 'OVER'} target {TARGET}x)")
    return 0 if ok else 1


ROOT = Path()

if __name__ == "__main__":
    sys.exit(main())
