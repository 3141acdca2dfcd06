"""Benchmark (not a test): ``creg outdated`` over many pipelines costs about what ``creg lint`` does.

1,000 pipelines, each of 5 tasks naming components in every version form (``@1.2.0``,
``@^2``, ``@~3.4``, ``@>=1,<2``), 100 components, a 10,000-version index (100 versions each;
the 4.x versions drop an input, so ``outdated`` also compares interfaces).  Both commands run
as whole processes over the same files, with the index's validated copy and the components
already in the cache (one warm-up run each).  Target: ``outdated`` within 5x of ``lint``.

    .venv/bin/python bench/bench_outdated.py [--runs 3] [--pipelines 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

COMPONENTS, MAJORS, MINORS = 100, 4, 25  # 100 x 4 x 25 = 10,000 versions
TARGET = 5.0
CREG = Path(sys.executable).with_name("creg")


def spec(name: str, version: str, inputs: list[str]) -> str:
    args = [x for i in inputs for x in (f"--{i}", {"inputValue": i})] + ["--sum", {"outputPath": "sum"}]
    data = {"name": name, "description": f"{name} {version}", "inputs": [{"name": i, "type": "Float"} for i in inputs],
            "outputs": [{"name": "sum", "type": "Float"}],
            "implementation": {"container": {"image": "python:3.11", "command": ["add"], "args": args}}}
    return yaml.safe_dump(data, sort_keys=False)


def build_registry(root: Path) -> None:
    components: dict[str, list[dict[str, object]]] = {}
    for n in range(COMPONENTS):
        name = f"comp-{n:03d}"
        components[name] = []
        for major in range(1, MAJORS + 1):
            for minor in range(MINORS):
                version = f"{major}.{minor}.0"
                text = spec(name, version, ["a"] if major == MAJORS else ["a", "b"])
                rel = f"components/{name}/{version}/component.yaml"
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text, encoding="utf-8")
                components[name].append({"version": version, "created": "2026-12-01", "source": {"path": rel},
                                         "digest": "sha256:" + hashlib.sha256(text.encode()).hexdigest()})
    data = {"apiVersion": "creg/v1", "registry": {"name": "bench"}, "components": components}
    (root / "index.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def pipeline(index: int, rng: random.Random) -> str:
    lines = [f"name: p{index}", "tasks:"]
    for task in range(5):
        name = f"comp-{rng.randrange(COMPONENTS):03d}"
        major, minor = rng.randrange(1, MAJORS), rng.randrange(MINORS)
        ref = rng.choice([f"{major}.{minor}.0", f"^{major}", f"~{major}.{minor}", f">={major},<{major + 1}"])
        b = f"{{output: t{task - 1}}}" if task else "2"
        lines += [f"  t{task}:", f"    component: '{name}@{ref}'", f"    args: {{a: 1, b: {b}}}"]
    return "\n".join(lines) + "\n"


def timed(args: list[str], env: dict[str, str], runs: int, ok: tuple[int, ...]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(CREG), *args], capture_output=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode not in ok:
            raise SystemExit(f"creg {args[:3]}... exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pipelines", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_registry(root / "registry")
        rng = random.Random(12)
        files = []
        for index in range(args.pipelines):
            path = root / "pipelines" / f"p{index:04d}.yaml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(pipeline(index, rng), encoding="utf-8")
            files.append(str(path))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(CREG_CACHE_DIR=str(root / "cache"), CREG_REGISTRIES=str(root / "registry"), HOME=str(root))
        lint_args, outdated_args = ["lint", *files], ["outdated", str(root / "pipelines")]
        timed(lint_args, env, 1, (0,))  # warm-up: validate the index once, fill the cache
        timed(outdated_args, env, 1, (1,))
        lint = timed(lint_args, env, args.runs, (0,))
        outdated = timed(outdated_args, env, args.runs, (1,))
    ratio = outdated / lint
    print(f"{args.pipelines} pipelines x 5 references, {COMPONENTS} components, "
          f"{COMPONENTS * MAJORS * MINORS} versions; median of {args.runs}")
    print(f"  creg lint       {lint:7.3f} s   1.00x")
    print(f"  creg outdated   {outdated:7.3f} s   {ratio:.2f}x")
    print(f"outdated / lint: {ratio:.2f}x (target <= {TARGET}x): {'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
