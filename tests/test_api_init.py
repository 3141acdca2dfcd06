"""``import registry`` stays cheap: it defines names only, and each public name loads its module
on first use.  (Its time against bare Python is measured by bench/bench_import.py.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

import registry

HEAVY = ("yaml", "jsonschema", "jinja2", "requests", "click")


def loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             f"('registry',) + {HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_import_registry_loads_nothing_else() -> None:
    assert loaded_after("import registry") == ["registry"]


def test_the_api_never_loads_the_cli_or_http_until_asked() -> None:
    loaded = loaded_after("import registry\nregistry.Pipeline\nregistry.Component\nregistry.Run\nregistry.Registry")
    assert not [m for m in loaded if m.split(".")[0] in ("click", "requests", "jinja2", "jsonschema")]
    assert not [m for m in loaded if m.startswith("registry.commands")]


def test_every_exported_name_resolves() -> None:
    for name in registry.__all__:
        assert getattr(registry, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getattr(registry, "nope")
