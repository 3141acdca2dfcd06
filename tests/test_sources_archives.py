"""The one safe archive reader (registry.sources.archives) on real tar.gz and zip files built in tmp_path.

``read_member`` (fetching) and ``read_members`` (index import) both refuse an archive holding
any unsafe member, with the same checks and caps.
"""

from __future__ import annotations

import random
import re
import zipfile
import tarfile
from pathlib import Path

import pytest

from helpers_registry import UNSAFE_ZIP, tar_gz, unsafe_tar_member, zip_file
from registry.sources.archives import ArchiveError, read_member, read_members

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



def test_reads_from_bytes_as_from_a_file(tmp_path: Path) -> None:
    for archive in (tar_gz(tmp_path / "a.tar.gz", GOOD), zip_file(tmp_path / "a.zip", GOOD)):
        assert read_member(archive.read_bytes(), "pkg/README.md", "mem") == b"hello\n"


def everything(name: str) -> bool:
    return True


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink", "hardlink", "device", "fifo", "oversize"])
def test_read_members_refuses_unsafe_tar_members_too(tmp_path: Path, kind: str, small_caps: None) -> None:
    archive = tar_gz(tmp_path / "bad.tar.gz", GOOD, [unsafe_tar_member(kind)])
    with pytest.raises(ArchiveError, match="refusing unsafe archive member"):
        read_members(archive.read_bytes(), everything, "bad.tar.gz")


@pytest.mark.parametrize("kind", sorted(UNSAFE_ZIP))
def test_read_members_refuses_unsafe_zip_members_too(tmp_path: Path, kind: str, small_caps: None) -> None:
    name, data, mode = UNSAFE_ZIP[kind]
    archive = zip_file(tmp_path / "bad.zip", {**GOOD, name: data}, {name: mode})
    with pytest.raises(ArchiveError, match=f"refusing unsafe archive member.*{name}"):
        read_members(archive, everything, "bad.zip")


def test_read_members_refuses_zip_bombs_and_obeys_the_total_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zip_file(tmp_path / "bomb.zip", {"pkg/zeros": b"\0" * (8 << 20), **GOOD})
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_members(bomb, everything, "bomb.zip")
    monkeypatch.setenv("CREG_ARCHIVE_MAX_TOTAL", "1000")
    big = zip_file(tmp_path / "t.zip", {f"pkg/f{i}": b"z" * 300 for i in range(5)})
    with pytest.raises(ArchiveError, match="expands to more than 1000 bytes"):
        read_members(big, everything, "t.zip")


def test_member_count_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_ARCHIVE_MAX_COUNT", "3")
    archive = tar_gz(tmp_path / "many.tar.gz", {f"pkg/f{i}": b"x" for i in range(5)})
    with pytest.raises(ArchiveError, match="more than 3 members"):
        read_members(archive, everything, "many.tar.gz")


def test_read_members_returns_only_the_regular_files_wanted_accepts(tmp_path: Path) -> None:
    link = tarfile.TarInfo("pkg/components/b/component.yaml")
    link.type, link.linkname = tarfile.SYMTYPE, "../a/component.yaml"
    archive = tar_gz(tmp_path / "ok.tar.gz", GOOD, [link])
    seen: list[str] = []
    found = read_members(archive, lambda name: seen.append(name) is None and name.endswith(".yaml"), "ok")
    assert "pkg/README.md" in seen and [n for n, _ in found] == ["pkg/components/a/component.yaml"]


def test_corrupt_gzip_stream_mid_archive(tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(64 * 1024)  # incompressible: the cut lands inside member data
    data = tar_gz(tmp_path / "a.tar.gz", {"pkg/noise": noise}).read_bytes()
    with pytest.raises(ArchiveError, match="not a readable archive"):
        read_members(data[: len(data) // 2], everything, "cut.tar.gz")
    with pytest.raises(ArchiveError, match="not a tar or zip archive"):
        read_members(b"junk", everything, "junk")


def test_zip_symlink_inside_the_archive_is_followed(tmp_path: Path) -> None:
    link = "pkg/components/b/component.yaml"
    archive = zip_file(tmp_path / "ok.zip", {**GOOD, link: b"../a/component.yaml"}, {link: 0o120777})
    assert read_member(archive, link) == b"name: a\n"
    assert dict(read_members(archive, everything, "ok.zip")) == GOOD  # links are not listed as files


def test_zip_symlink_with_an_overlong_target_is_unsafe(tmp_path: Path) -> None:
    link = "pkg/link"  # 5000 bytes: no path is that long, so this is no symlink but a payload
    archive = zip_file(tmp_path / "long.zip", {**GOOD, link: b"a" * 5000}, {link: 0o120777})
    for read in (lambda: read_member(archive, "pkg/README.md"), lambda: read_members(archive, everything, "l")):
        with pytest.raises(ArchiveError, match="refusing unsafe archive member 'pkg/link'.*longer than 4096"):
            read()


def test_zip_symlink_bomb_is_refused_without_inflating_it(tmp_path: Path) -> None:
    import stat
    import tracemalloc
    import zipfile

    archive = tmp_path / "linkbomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pkg/README.md", b"hello\n")
        info = zipfile.ZipInfo("pkg/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as member:
            for _ in range(64):
                member.write(b"\0" * (1 << 20))  # 64 MiB of zeros, about 64 KiB compressed
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError, match="refusing unsafe archive member 'pkg/link'"):
            read_member(archive, "pkg/README.md")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak} bytes allocated to refuse a 64 KiB archive"


# --- archives tarfile or zipfile cannot read as plain files --------------------------------------


def _tar_link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = (tarfile.LNKTYPE if hard else tarfile.SYMTYPE), target
    return info


def _encrypted_zip(path: Path) -> Path:
    """A zip whose member is marked encrypted in both of its headers (Python cannot write
    ZipCrypto; the flag is what makes zipfile ask for a password)."""
    zip_file(path, {**GOOD, "pkg/secret.yaml": b"name: secret\n"})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        local = zf.getinfo("pkg/secret.yaml").header_offset
    data[local + 6] |= 0x1  # local file header: general purpose flags at +6
    central = data.find(b"PK\x01\x02", local)
    while data[central + 46:central + 46 + 15] != b"pkg/secret.yaml":
        central = data.find(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1  # central directory entry: flags at +8
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(RuntimeError, match="encrypted"):
        zf.read("pkg/secret.yaml")  # the archive really is one zipfile cannot read
    return path


HOSTILE = {
    "symlink loop": (lambda p: tar_gz(p / "loop.tar.gz", GOOD, [_tar_link("pkg/a", "b"), _tar_link("pkg/b", "a")]),
                     "pkg/a", "links lead in a circle: pkg/a -> pkg/b -> pkg/a"),
    "self link": (lambda p: tar_gz(p / "self.tar.gz", GOOD, [_tar_link("pkg/self", "self")]),
                  "pkg/self", "links lead in a circle"),
    "hard link forward": (lambda p: tar_gz(p / "hard.tar.gz", {}, [
        _tar_link("pkg/early", "pkg/late", hard=True), *_files({"pkg/late": b"x"})]),
        "pkg/early", "hard link to 'pkg/late', which is not an earlier member"),
    "encrypted zip": (lambda p: _encrypted_zip(p / "enc.zip"), "pkg/secret.yaml", "encrypted member"),
    "duplicate name": (lambda p: tar_gz(p / "dup.tar.gz", GOOD, _files({"pkg/README.md": b"evil\n"})),
                       "pkg/README.md", "a second member named 'pkg/README.md'"),
}


def _files(files: dict[str, bytes]) -> list[tarfile.TarInfo]:
    out = []
    for name, data in files.items():
        info = tarfile.TarInfo(name)
        info.size = len(data)
        out.append(info)
    return out


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_archives_tarfile_and_zipfile_cannot_read_plainly_are_refused(tmp_path: Path, case: str) -> None:
    build, member, why = HOSTILE[case]
    archive = build(tmp_path)
    for read in (lambda: read_member(archive, "pkg/components/a/component.yaml" if GOOD else member),
                 lambda: read_member(archive, member), lambda: read_members(archive, everything, "x")):
        with pytest.raises(ArchiveError, match=f"refusing unsafe archive member '{member}'.*{re.escape(why)}"):
            read()


def test_a_chain_of_links_is_followed_to_its_file(tmp_path: Path) -> None:
    archive = tar_gz(tmp_path / "chain.tar.gz", GOOD, [_tar_link("pkg/one", "two"), _tar_link("pkg/two", "README.md")])
    assert read_member(archive, "pkg/one") == b"hello\n"


def test_a_dangling_link_is_an_error_only_when_read(tmp_path: Path) -> None:
    archive = tar_gz(tmp_path / "dangling.tar.gz", GOOD, [_tar_link("pkg/gone", "nowhere")])
    assert read_member(archive, "pkg/README.md") == b"hello\n"
    with pytest.raises(ArchiveError, match="'pkg/gone' is a link to 'pkg/nowhere', which the archive does not hold"):
        read_member(archive, "pkg/gone")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_pull_and_import_archive_refuse_them_with_the_archive_and_member(tmp_path: Path, case: str) -> None:
    from helpers_registry import creg

    build, member, why = HOSTILE[case]
    archive = build(tmp_path)
    imported = creg("index", "import-archive", str(archive), "--tag", "1.0.0", "--to", str(tmp_path / "reg"),
                    "--prefix", "pkg/components/")
    assert imported.returncode == 1, imported.stderr
    assert str(archive) in imported.stderr and f"'{member}'" in imported.stderr and why in imported.stderr
    assert "Traceback" not in imported.stderr
