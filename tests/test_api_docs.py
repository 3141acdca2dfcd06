"""docs/python-api.md: every public name of ``registry`` is documented, and its examples run.

The page's ``python`` blocks run in order in one namespace, from a folder that holds the
checkout's ``examples/`` and ``components/`` (so files they write land in a temporary folder),
with ``$ARGO_SERVER`` pointing at the Argo Server stand-in on 127.0.0.1 (``helpers_argo``).
"""

from __future__ import annotations

import contextlib
import io
import linecache
import re
from pathlib import Path

import pytest

import registry
from helpers_argo import TOKEN, start, stop

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "python-api.md"


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_every_public_name_is_documented() -> None:
    text = PAGE.read_text(encoding="utf-8")
    missing = [name for name in registry.__all__ if f"`{name}" not in text]
    assert missing == []


def test_the_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("examples", "components"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    server = start()  # checks every request against Argo's swagger (schemas/argo)
    monkeypatch.setenv("ARGO_SERVER", server.url)
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            for number, code in enumerate(blocks(), 1):
                name = f"{PAGE.name} block {number}"
                # As IPython does for a cell: the source stays readable by inspect.
                linecache.cache[name] = (len(code), None, code.splitlines(True), name)
                exec(compile(code, name, "exec"), namespace)  # noqa: S102 - the docs' own code
    finally:
        stop(server)
    assert len(blocks()) >= 12
    output = printed.getvalue()
    assert re.search(r"<Run 'calculation-[a-z0-9]{5}' Succeeded 3/3 tasks>", output)
    assert "Succeeded {'sum': '18.0'}" in output
    assert "<pipeline>:5:21: error: $.tasks.a.args.c: unknown input 'c'" in output and "unknown param 'aa' (did you mean 'a'?)" in output
    assert "published my-divmod@1.0.0" in output
    assert server.created()[0]["metadata"]["labels"]["creg.dev/experiment"] == "tuning"
    assert server.violations == []
    assert (tmp_path / "calculation.svg").read_text().startswith("<svg")
