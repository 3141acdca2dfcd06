"""Rollback and freeze protection: serials written by every index write, the highest serial a
cache accepted per registry, refusing an older index, warning about an old one."""

from __future__ import annotations

import datetime
import shutil
import warnings
from pathlib import Path

import pytest
import yaml

from helpers_registry import RegistryServer, creg, path_entry
from registry.errors import CregWarning
from registry.index.config import config_path
from registry.index.build import build
from registry.index.freshness import FrozenIndexWarning, RollbackError, RollbackWarning
from registry.index.publish import deprecate
from registry.index.resolve import DeprecatedComponentWarning, Registry
from registry.sources.store import Store


@pytest.fixture(autouse=True)
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("CREG_HTTP_RETRIES", "0")


def index_data(root: Path) -> dict:
    return yaml.safe_load((root / "index.yaml").read_text())


def registry_with_hello(root: Path) -> Path:
    """A registry folder whose index is written by creg itself (so it carries a serial)."""
    (root / "components").mkdir(parents=True)
    path_entry(root, "hello", "1.0.0")
    path_entry(root, "hello", "1.1.0")
    build(root)
    return root


def test_every_write_raises_the_serial_and_a_no_op_keeps_the_file(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = registry_with_hello(tmp_path / "reg")
    first = index_data(root)
    assert first["serial"] == 1 and first["generated"].endswith("Z")
    before = (root / "index.yaml").read_bytes()
    build(root)  # nothing changed: same bytes, same serial
    assert (root / "index.yaml").read_bytes() == before
    deprecate(root, "hello@1.0.0", "CVE-2026-1: use 1.1.0")
    assert index_data(root)["serial"] == 2
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    deprecate(root, "hello@1.1.0", "superseded")
    assert (index_data(root)["serial"], index_data(root)["generated"]) == (3, "1970-01-02T00:00:00Z")


def test_a_served_rollback_is_refused_and_allowed_only_on_request(tmp_path: Path) -> None:
    """The deprecation of hello@1.1.0 must not disappear because a mirror serves yesterday's index."""
    root = registry_with_hello(tmp_path / "www")
    old = (root / "index.yaml").read_bytes()  # serial 1: 1.1.0 not deprecated
    deprecate(root, "hello@1.1.0", "CVE-2026-1: use 1.2.0")  # serial 2
    with RegistryServer(root) as server:
        with pytest.warns(DeprecatedComponentWarning, match="CVE-2026-1"):
            Registry([server.url]).resolve("hello@^1")
        (root / "index.yaml").write_bytes(old)
        Store().clean()  # cleaning the cache keeps the serials it accepted
        with pytest.raises(RollbackError, match=r"has serial 1, but serial 2 was seen before"), \
                pytest.warns(CregWarning, match="skipped"):
            Registry([server.url]).resolve("hello@^1")
        with pytest.warns(RollbackWarning, match="accepted"):
            assert Registry([server.url], allow_rollback=True).resolve("hello@^1").entry.deprecated is None
        Registry([server.url]).resolve("hello@^1")  # accepted once: serial 1 is the new baseline


def test_an_index_without_a_serial_after_one_with_is_a_rollback(tmp_path: Path) -> None:
    root = registry_with_hello(tmp_path / "www")
    with RegistryServer(root) as server:
        Registry([server.url]).resolve("hello")
        data = index_data(root)
        del data["serial"]
        (root / "index.yaml").write_text(yaml.safe_dump(data))
        with pytest.raises(RollbackError, match="has no serial"), pytest.warns(CregWarning):
            Registry([server.url]).resolve("hello")


def test_the_cli_names_the_flag_and_the_flag_accepts(tmp_path: Path) -> None:
    root = registry_with_hello(tmp_path / "www")
    old = (root / "index.yaml").read_bytes()
    deprecate(root, "hello@1.1.0", "CVE")
    with RegistryServer(root) as server:
        assert creg("--registry", server.url, "show", "hello@^1").returncode == 0
        (root / "index.yaml").write_bytes(old)
        refused = creg("--registry", server.url, "show", "hello@^1")
        assert refused.returncode == 1 and "pass --allow-rollback to accept it" in refused.stderr
        assert "Traceback" not in refused.stderr
        allowed = creg("--registry", server.url, "--allow-rollback", "show", "hello@^1")
        assert allowed.returncode == 0 and "warning:" in allowed.stderr and "--allow-rollback" in allowed.stderr


def _aged(root: Path, days: int) -> None:
    data = index_data(root)
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    data["generated"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    (root / "index.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def test_an_index_older_than_the_maximum_age_gets_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = registry_with_hello(tmp_path / "www")
    _aged(root, 60)
    with RegistryServer(root) as server:
        Registry([server.url]).resolve("hello")  # no maximum configured: no warning
        monkeypatch.setenv("CREG_INDEX_MAX_AGE", "30")
        with pytest.warns(FrozenIndexWarning, match=r"generated 60 days ago .* maximum age of 30 days"):
            Registry([server.url]).resolve("hello")
        monkeypatch.setenv("CREG_INDEX_MAX_AGE", "90")
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenIndexWarning)
            Registry([server.url]).resolve("hello")


def test_the_maximum_age_comes_from_the_config_file_too(tmp_path: Path) -> None:
    root = registry_with_hello(tmp_path / "www")
    _aged(root, 10)
    config = config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("indexMaxAge: 7\n")
    with RegistryServer(root) as server:
        shown = creg("--registry", server.url, "show", "hello")
        assert shown.returncode == 0 and "generated 10 days ago" in shown.stderr
        config.write_text("indexMaxAge: soon\n")
        bad = creg("--registry", server.url, "show", "hello")
        assert bad.returncode == 1 and "config.yaml:1:14: error: $.indexMaxAge: expected a number of days" in bad.stderr


def test_a_local_copy_of_a_registry_folder_is_not_held_to_serials(tmp_path: Path) -> None:
    """Folders are the user's own: rebuilding one from scratch must not lock it out."""
    root = registry_with_hello(tmp_path / "reg")
    deprecate(root, "hello@1.0.0", "old")
    Registry([str(root)]).resolve("hello")
    shutil.rmtree(root)
    registry_with_hello(root)
    assert Registry([str(root)]).resolve("hello@1.0.0").entry.deprecated is None
