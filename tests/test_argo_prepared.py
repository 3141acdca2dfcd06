"""Argo's schema in its prepared (marshal) form is the vendored JSON, parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.argo.check import SCHEMA
from registry.argo.prepared import _entry, prepared_schema
from registry.resources import schema_path


def source() -> dict[str, object]:
    return json.loads(schema_path(SCHEMA).read_text(encoding="utf-8"))


def test_the_prepared_form_is_the_source_parsed_and_is_reused() -> None:
    entry = _entry(SCHEMA)
    assert entry is not None and not entry.exists()
    assert prepared_schema(SCHEMA) == source()
    assert entry.is_file()
    written = entry.stat().st_mtime_ns
    assert prepared_schema(SCHEMA) == source() and entry.stat().st_mtime_ns == written  # read, not rewritten


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\xe9" * 100])
def test_a_damaged_entry_is_parsed_again(damage: bytes) -> None:
    entry = _entry(SCHEMA)
    assert entry is not None
    prepared_schema(SCHEMA)
    entry.write_bytes(damage)
    assert prepared_schema(SCHEMA) == source()
    assert entry.read_bytes() != damage


def test_an_unwritable_cache_only_costs_the_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CREG_CACHE_DIR", str(blocker / "cache"))
    assert prepared_schema(SCHEMA) == source()
    assert blocker.read_text() == "" and not any(tmp_path.rglob("*.marshal"))
