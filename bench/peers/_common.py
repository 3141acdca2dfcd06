"""Shared by the peer scripts: arguments, timing and the JSON line (same fields as creg's)."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shapes import STEP_COMPONENT, task_name, upstream  # noqa: E402,F401


def measure(tool: str, imports: Callable[[], object], build: Callable[[str, int, Path], Path]) -> None:
    """``script --one SHAPE N DIR``: time ``imports`` + ``build`` and print one JSON line.

    ``total_s`` includes importing the tool, ``compile_s`` does not (the same split as
    bench_compile.py makes for creg).
    """
    _, flag, shape, n_text, folder = sys.argv
    assert flag == "--one", "usage: SCRIPT --one SHAPE N DIR"
    n = int(n_text)
    start = time.perf_counter()
    imports()
    imported = time.perf_counter()
    out = build(shape, n, Path(folder))
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "shape": shape, "n": n, "total_s": round(end - start, 4),
                      "compile_s": round(end - imported, 4), "yaml_bytes": out.stat().st_size,
                      "peak_mem_mb": round(peak, 1)}))
