"""The content-addressed cache: verify-before-store, locking, listing, verifying, cleaning."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from helpers_registry import sha
from registry.sources.store import COMPONENT_TEXT, EXACT, DigestMismatch, Store, cache_root


def test_cache_root_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_root() == tmp_path / "explicit"
    monkeypatch.delenv("CREG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "creg"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "creg"


def test_put_verifies_then_stores(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    data = b"name: x\n"
    path = store.put(sha(data), data)
    assert path.read_bytes() == data and store.read(sha(data)) == data
    assert [e.digest for e in store.entries()] == [sha(data)]


def test_put_mismatch_names_both_digests_and_caches_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    wanted = sha(b"good")
    with pytest.raises(DigestMismatch) as info:
        store.put(wanted, b"evil", origin="http://h/x.yaml")
    assert wanted in str(info.value) and sha(b"evil") in str(info.value)
    assert store.entries() == [] and store.temp_files() == []


def test_component_digest_ignores_crlf_and_the_cache_records_that_rule(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    crlf = b"name: x\r\nimplementation: {}\r\n"
    digest = sha(crlf.replace(b"\r\n", b"\n"))
    path = store.put(digest, crlf, text=True)
    assert path.read_bytes() == crlf  # the published bytes, unchanged
    assert [(e.digest, e.rule) for e in store.entries()] == [(digest, COMPONENT_TEXT)]
    assert store.read(digest) == crlf and store.verify() == []


def test_other_objects_match_byte_for_byte(tmp_path: Path) -> None:
    """An archive whose CRLF-normalised bytes hash to the digest is not the archive indexed."""
    store = Store(tmp_path / "c")
    crlf = b"archive bytes\r\n" * 10
    with pytest.raises(DigestMismatch):
        store.put(sha(crlf.replace(b"\r\n", b"\n")), crlf)
    with pytest.raises(DigestMismatch):
        store.ensure(sha(crlf.replace(b"\r\n", b"\n")), lambda tmp: tmp.write_bytes(crlf) and None)
    assert store.entries() == [] and store.temp_files() == []


def test_verify_holds_exact_objects_to_the_exact_rule(tmp_path: Path) -> None:
    """An object stored byte for byte and later swapped for its CRLF twin is corrupt."""
    store = Store(tmp_path / "c")
    data = b"line\nline\n"
    store.put(sha(data), data).write_bytes(data.replace(b"\n", b"\r\n"))
    assert [e.rule for e in store.verify()] == [EXACT]
    with pytest.raises(DigestMismatch, match="corrupt"):
        store.read(sha(data))


def test_ensure_uses_the_digest_computed_while_streaming(tmp_path: Path) -> None:
    """A producer's digest is taken as the bytes' own (no second read of a large file)."""
    store = Store(tmp_path / "c")
    with pytest.raises(DigestMismatch, match=sha(b"claimed")):
        store.ensure(sha(b"data"), lambda tmp: (tmp.write_bytes(b"data"), sha(b"claimed"))[1])
    assert store.ensure(sha(b"data"), lambda tmp: (tmp.write_bytes(b"data"), sha(b"data"))[1]).read_bytes() == b"data"


def test_a_handle_from_the_cache_outlives_a_clean(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    data = b"archive" * 1000
    handle = store.open_verified(sha(data), lambda tmp: (tmp.write_bytes(data), None)[1])
    assert handle is not None
    with handle:
        store.clean()
        assert not store.has(sha(data)) and handle.read() == data  # removed, yet still read whole


def test_open_verified_rehashes_a_cached_object(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    store.put(sha(b"good"), b"good").write_bytes(b"evil")
    with pytest.raises(DigestMismatch, match="corrupt"):
        store.open_verified(sha(b"good"))
    assert store.open_verified(sha(b"absent")) is None


def test_ensure_produces_once_under_concurrency(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    data = b"payload" * 1000
    calls: list[int] = []

    def produce(tmp: Path) -> None:
        calls.append(1)
        tmp.write_bytes(data)

    threads = [threading.Thread(target=store.ensure, args=(sha(data), produce)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and store.read(sha(data)) == data


def test_ensure_mismatch_leaves_no_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    with pytest.raises(DigestMismatch, match="nothing was cached"):
        store.ensure(sha(b"good"), lambda tmp: tmp.write_bytes(b"bad"), origin="x")
    assert not store.has(sha(b"good")) and store.temp_files() == []


def test_failed_producer_leaves_no_partial_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("connection reset")

    with pytest.raises(OSError):
        store.ensure(sha(b"whole"), half_then_fail)
    assert not store.path_for(sha(b"whole")).exists() and store.temp_files() == []


def test_verify_finds_and_fixes_corruption(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    good, bad = b"good", b"bad"
    store.put(sha(good), good)
    store.put(sha(bad), bad).write_bytes(b"tampered")
    found = store.verify()
    assert [e.digest for e in found] == [sha(bad)]
    with pytest.raises(DigestMismatch, match="corrupt"):
        store.read(sha(bad))
    store.verify(fix=True)
    assert [e.digest for e in store.entries()] == [sha(good)]


def test_clean_removes_objects_and_stale_temps(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    path = store.put(sha(b"a"), b"a")
    stale = path.parent / f".{'0' * 64}.12345.tmp"
    stale.write_bytes(b"partial")
    assert store.temp_files() == [stale]
    assert store.clean(older_than=3600) == [stale]  # the object is fresh: kept
    assert store.has(sha(b"a"))
    os.utime(path, (0, 0))
    assert store.clean(older_than=3600) == [path]
    assert store.entries() == []


def test_bad_digest_text_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a digest"):
        Store(tmp_path).path_for("sha256:../../etc/passwd")


def test_write_output_keeps_links_and_special_files(tmp_path: Path) -> None:
    import os

    from registry.errors import ArgumentError
    from registry.sources.store import write_output

    target = tmp_path / "real.yaml"
    target.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    write_output(link, b"new")
    assert link.is_symlink() and target.read_text() == "new"  # the link stays a link
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_output(fifo, b"through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert fifo.exists() and not fifo.is_file()  # never replaced by a regular file
    with pytest.raises(ArgumentError, match="cannot write") as caught:
        write_output(tmp_path / "real.yaml" / "x", b"")  # a path below a file
    assert caught.value.argument == "path"


def test_atomic_writes_give_new_files_the_umask_mode_and_keep_a_replaced_files_mode(tmp_path: Path) -> None:
    import os
    import stat

    from registry.sources.store import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "index.yaml", b"a: 1\n")
        assert stat.S_IMODE((tmp_path / "index.yaml").stat().st_mode) == 0o644
        os.umask(0o077)
        atomic_write(tmp_path / "private.yaml", b"a: 1\n")
        assert stat.S_IMODE((tmp_path / "private.yaml").stat().st_mode) == 0o600
        (tmp_path / "index.yaml").chmod(0o640)
        atomic_write(tmp_path / "index.yaml", b"a: 2\n")  # replaced: keeps 0640 whatever the umask
        assert stat.S_IMODE((tmp_path / "index.yaml").stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_published_registry_is_readable_by_others(tmp_path: Path) -> None:
    import os
    import stat

    from helpers_registry import creg

    old = os.umask(0o022)
    try:
        assert creg("new", "hello", "--dir", str(tmp_path / "src")).returncode == 0
        published = creg("publish", str(tmp_path / "src" / "hello" / "0.1.0"), "--to", str(tmp_path / "reg"))
        assert published.returncode == 0, published.stderr
    finally:
        os.umask(old)
    written = [p for p in (tmp_path / "reg").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert written and all(stat.S_IMODE(p.stat().st_mode) & 0o044 == 0o044 for p in written), written
