"""The entry point's exit: fast when nothing is left to do, the normal exit whenever something is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALCULATION = str(ROOT / "examples" / "calculation.yaml")


def _entry(argv: list[str], before: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``registry.commands.entry.main`` in a fresh process after ``before`` (Python code)."""
    probe = (f"import sys\n{before}\nsys.argv = ['creg'] + {argv!r}\n"
             "from registry.commands.entry import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_output_on_a_pipe_is_complete(tmp_path: Path) -> None:
    piped = _entry(["compile", CALCULATION, "-o", "-"])
    written = _entry(["compile", CALCULATION, "-o", str(tmp_path / "out.yaml")])
    assert piped.returncode == written.returncode == 0, piped.stderr + written.stderr
    assert piped.stdout == (tmp_path / "out.yaml").read_text(encoding="utf-8")


def test_exit_codes_and_messages_are_kept(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ntasks:\n  a: {component: nope@1}\n", encoding="utf-8")
    result = _entry(["lint", str(broken)])
    assert result.returncode == 1
    assert f"{broken}:3:" in result.stderr or f"{broken}:3:" in result.stdout


def test_an_exit_handler_still_runs(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    before = f"import atexit, pathlib\natexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')"
    result = _entry(["lint", CALCULATION], before)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "yes"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "thread-done"
    before = ("import pathlib, threading, time\n"
              f"threading.Thread(target=lambda: (time.sleep(0.5), pathlib.Path({str(marker)!r}).write_text('yes')))"
              ".start()")
    result = _entry(["lint", CALCULATION], before)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "yes"
