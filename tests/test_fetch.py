"""Downloads against a real HTTP server on 127.0.0.1, and archive safety on real archives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from helpers_registry import UNSAFE_ZIP, RegistryServer, tar_gz, unsafe_tar_member, zip_file
from registry.fetch import ArchiveError, FetchError, download_bytes, download_to_file, read_member


@pytest.fixture
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("CREG_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("CREG_HTTP_RETRIES", "2")


@pytest.fixture
def served(tmp_path: Path, fast_http: None):  # type: ignore[no-untyped-def]
    root = tmp_path / "www"
    root.mkdir()
    (root / "file.bin").write_bytes(bytes(range(256)) * 400)
    with RegistryServer(root) as server:
        yield server


BODY = bytes(range(256)) * 400


def test_plain_download(served: RegistryServer) -> None:
    assert download_bytes(f"{served.url}/file.bin") == BODY
    assert served.count("file.bin") == 1


def test_500_then_success_retries(served: RegistryServer) -> None:
    served.faults.queue["/file.bin"] = ["500", "500"]
    assert download_bytes(f"{served.url}/file.bin") == BODY
    assert served.count("file.bin") == 3


def test_persistent_500_gives_up(served: RegistryServer) -> None:
    served.faults.always["/file.bin"] = "500"
    with pytest.raises(FetchError, match=r"HTTP 500 .*gave up after 3 attempts"):
        download_bytes(f"{served.url}/file.bin")
    assert served.count("file.bin") == 3


def test_404_is_not_retried(served: RegistryServer) -> None:
    with pytest.raises(FetchError, match=r"GET http://127\.0\.0\.1:\d+/missing\.yaml: HTTP 404"):
        download_bytes(f"{served.url}/missing.yaml")
    assert served.count("missing.yaml") == 1


def test_truncated_body_is_detected_and_retried(served: RegistryServer, tmp_path: Path) -> None:
    served.faults.queue["/file.bin"] = ["truncate"]
    target = tmp_path / "out"
    download_to_file(f"{served.url}/file.bin", target)
    assert target.read_bytes() == BODY and served.count("file.bin") == 2


def test_always_truncated_fails(served: RegistryServer) -> None:
    served.faults.always["/file.bin"] = "truncate"
    with pytest.raises(FetchError, match="gave up after 3 attempts") as info:
        download_bytes(f"{served.url}/file.bin")
    assert "truncated" in str(info.value) or "broken" in str(info.value)


def test_server_that_never_answers_times_out(served: RegistryServer) -> None:
    served.faults.always["/file.bin"] = "hang"
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        download_bytes(f"{served.url}/file.bin")
    assert time.monotonic() - started < 10
    assert served.count("file.bin") == 3


def test_connection_refused_is_an_error(fast_http: None) -> None:
    with RegistryServer(Path(".")) as server:
        url = server.url
    with pytest.raises(FetchError, match="ConnectionError"):
        download_bytes(f"{url}/x")


def test_file_urls_and_paths(tmp_path: Path) -> None:
    (tmp_path / "a b.yaml").write_bytes(b"x: 1\n")
    assert download_bytes((tmp_path / "a b.yaml").as_uri()) == b"x: 1\n"
    assert download_bytes(str(tmp_path / "a b.yaml")) == b"x: 1\n"
    with pytest.raises(FetchError, match="cannot read"):
        download_bytes(str(tmp_path / "absent.yaml"))


# --- archives ----------------------------------------------------------------------------------

GOOD = {"pkg/components/a/component.yaml": b"name: a\n", "pkg/README.md": b"hello\n"}


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_ARCHIVE_MAX_MEMBER", "1024")


def test_reads_one_member_from_tar_gz_and_zip(tmp_path: Path) -> None:
    for archive in (tar_gz(tmp_path / "a.tar.gz", GOOD), zip_file(tmp_path / "a.zip", GOOD)):
        assert read_member(archive, "pkg/components/a/component.yaml") == b"name: a\n"


def test_missing_member_suggests(tmp_path: Path) -> None:
    archive = tar_gz(tmp_path / "a.tgz", GOOD)
    with pytest.raises(ArchiveError, match="did you mean 'pkg/components/a/component.yaml'"):
        read_member(archive, "pkg/components/a/component.yml")


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink", "hardlink", "device", "fifo", "oversize"])
def test_tar_refuses_unsafe_members(tmp_path: Path, kind: str, small_caps: None) -> None:
    archive = tar_gz(tmp_path / "bad.tar.gz", GOOD, [unsafe_tar_member(kind)])
    with pytest.raises(ArchiveError, match="refusing unsafe archive member"):
        read_member(archive, "pkg/components/a/component.yaml")


@pytest.mark.parametrize("kind", sorted(UNSAFE_ZIP))
def test_zip_refuses_unsafe_members(tmp_path: Path, kind: str, small_caps: None) -> None:
    name, data, mode = UNSAFE_ZIP[kind]
    archive = zip_file(tmp_path / "bad.zip", {**GOOD, name: data}, {name: mode})
    with pytest.raises(ArchiveError, match="refusing unsafe archive member"):
        read_member(archive, "pkg/components/a/component.yaml")


def test_symlink_inside_the_archive_is_fine(tmp_path: Path) -> None:
    import tarfile

    link = tarfile.TarInfo("pkg/components/b/component.yaml")
    link.type, link.linkname = tarfile.SYMTYPE, "../a/component.yaml"
    archive = tar_gz(tmp_path / "ok.tar.gz", GOOD, [link])
    assert read_member(archive, "pkg/components/b/component.yaml") == b"name: a\n"


def test_total_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_ARCHIVE_MAX_TOTAL", "1000")
    files = {f"pkg/f{i}": b"z" * 300 for i in range(5)}
    for archive in (tar_gz(tmp_path / "t.tar.gz", files), zip_file(tmp_path / "t.zip", files)):
        with pytest.raises(ArchiveError, match="expands to more than 1000 bytes"):
            read_member(archive, "pkg/f0")


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    archive = zip_file(tmp_path / "bomb.zip", {"pkg/zeros": b"\0" * (8 << 20), **GOOD})
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_member(archive, "pkg/README.md")


def test_corrupt_archive(tmp_path: Path) -> None:
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(ArchiveError, match="not a readable"):
        read_member(bad, "x")
