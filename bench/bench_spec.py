"""Benchmark (not a test): load + fully validate 1,000 generated component specs.

Prints microseconds per spec for creg's ``load_component_from_text`` next to
``yaml.safe_load`` (pure-Python PyYAML) and ``yaml.load(..., CSafeLoader)`` (libyaml, the
floor) measured in the same run, and the ratio to the floor.  Target: <= 2x.

    .venv/bin/python bench/bench_spec.py [--count 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.component.model import load_component_from_text  # noqa: E402

TARGET = 2.0


def make_spec(n: int) -> str:
    """One spec: 3 inputs, 2 outputs, every common placeholder kind."""
    return f"""name: Generated component {n}
description: Benchmark component number {n}.
inputs:
- {{name: text_{n}, type: String, description: Some text.}}
- {{name: count, type: Integer, default: '{n % 10}'}}
- {{name: flag, type: Boolean, optional: true}}
outputs:
- {{name: result, type: String}}
- {{name: metrics, type: JsonObject}}
implementation:
  container:
    image: python:3.11-slim
    command: [python3, -c, 'import sys; print(sys.argv)']
    args:
    - --text
    - {{inputValue: text_{n}}}
    - --count-file
    - {{inputPath: count}}
    - {{concat: [--result=, {{outputPath: result}}]}}
    - if:
        cond: {{isPresent: flag}}
        then: [--flag, {{inputValue: flag}}]
        else: [--no-flag]
    - --metrics
    - {{outputPath: metrics}}
"""


def per_spec_us(texts: list[str], load: Callable[[str], object], repeat: int) -> float:
    """Best of ``repeat`` passes over all texts, in microseconds per text."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            load(text)
        best = min(best, time.perf_counter() - start)
    return best / len(texts) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = [make_spec(n) for n in range(args.count)]
    load_component_from_text(texts[0])  # compile/cache once, as a long-running process would
    csafe = getattr(yaml, "CSafeLoader", None)
    if csafe is None:
        print("libyaml is not available: the floor cannot be measured")
        return 1
    results = {
        "yaml.load(CSafeLoader)": per_spec_us(texts, lambda t: yaml.load(t, Loader=csafe), args.repeat),
        "yaml.safe_load": per_spec_us(texts, yaml.safe_load, args.repeat),
        "creg load+validate": per_spec_us(texts, load_component_from_text, args.repeat),
    }
    floor = results["yaml.load(CSafeLoader)"]
    print(f"{args.count} specs (3 inputs, 2 outputs, mixed placeholders), best of {args.repeat}")
    for name, us in results.items():
        print(f"  {name:<24} {us:8.1f} us/spec   {us / floor:5.2f}x libyaml")
    ratio = results["creg load+validate"] / floor
    print(f"creg / libyaml floor: {ratio:.2f}x (target <= {TARGET}x): {'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
