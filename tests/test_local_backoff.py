"""Argo's retry backoff in local runs: the waits between attempts, the cap, maxDuration."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from registry.local.backoff import Backoff, BackoffError, duration_seconds
from registry.local.runner import run_pipeline_file


@pytest.mark.parametrize("text, seconds", [("1", 1), (10, 10), ("30s", 30), ("2m", 120), ("6h", 21600),
                                           ("1m30s", 90), ("500ms", 0.5), ("1d", 86400)])
def test_durations_read_as_argo_reads_them(text: object, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def test_a_bad_duration_is_an_error() -> None:
    with pytest.raises(BackoffError, match="'soon' is not a duration"):
        duration_seconds("soon")


def test_waits_grow_by_the_factor_up_to_the_cap_and_stop_at_max_duration() -> None:
    backoff = Backoff.of({"backoff": {"duration": "1", "factor": "2", "cap": "5", "maxDuration": "1m"}})
    assert [backoff.delay(n, 0) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert backoff.delay(1, 59.5) is None  # the next wait would end after maxDuration
    assert Backoff.of({}).delay(3, 1e6) == 0


def workflow(tmp_path: Path, backoff: str) -> Path:
    path = tmp_path / "wf.yaml"
    path.write_text(f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: retry}}
spec:
  entrypoint: flaky
  templates:
  - name: flaky
    retryStrategy: {{limit: "2", backoff: {backoff}}}
    script:
      image: python
      command: [python3]
      source: |
        import sys, time
        print(round(time.time(), 2))
        sys.exit(0 if {{{{retries}}}} == 2 else 1)
""")
    return path


def test_a_retry_waits_as_the_backoff_says(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_pipeline_file(workflow(tmp_path, '{duration: "1", factor: "2"}'), None, {}, tmp_path / "run")
    assert result.phase == "Succeeded" and result.nodes[0].message == "3 attempt(s)"
    stamps = [float(line) for line in (result.folder / "nodes" / "retry" / "log.txt").read_text().split()]
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert gaps[0] >= 0.95 and gaps[1] >= 1.95, gaps  # 1 s, then 2 s
    assert time.monotonic() - start >= 3


def test_no_retry_starts_after_max_duration(tmp_path: Path) -> None:
    result = run_pipeline_file(workflow(tmp_path, '{duration: "2", maxDuration: "1"}'), None, {}, tmp_path / "run")
    assert result.phase == "Failed"
    log = (result.folder / "nodes" / "retry" / "log.txt").read_text()
    assert len(log.split()) > 1 and "maxDuration has passed" in log
    assert sum(1 for line in log.splitlines() if line.replace(".", "").isdigit()) == 1  # one attempt only
