"""Peak memory of creg on hostile registry input, next to the input's size (issue 15's bound).

Each case runs the real ``creg`` command in a child process and reads that child's peak RSS
(``os.wait4``).  The children are started by a small spawner process started first: a child
forked from this (large) process would count this process's pages in its peak.  The baseline
is ``creg validate`` of one small spec, measured in the same run.
Target: every case under 200 MB, whatever the input expands to.

* ``import-archive`` of a ~2 MB tar.gz whose ``component.yaml`` members expand to ~2 GB
  (it peaked at 2.3 GB when every member was read into memory first);
* the same archive with the big members outside ``--prefix`` (never read);
* ``import-archive`` of a tar.gz with as many tiny members as the cap allows (the member list);
* ``pull`` of a ``url:`` component whose server sends 64 MB (capped at a spec's 4 MiB);
* ``show add@1.0.0`` with a registry whose 6 MB index has 200,000 versions, each invalid, twice:
  the second run meets the same bytes, which the cache remembers as invalid (time shown too).

    .venv/bin/python bench/bench_hostile.py [--gigabytes 2]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

CREG = Path(sys.executable).with_name("creg")
TARGET_MB = 200
MEMBERS = 100_000  # archives.MAX_MEMBERS
SPEC = b"name: ok\nimplementation:\n  container: {image: alpine, command: [echo, hi]}\n"


SPAWNER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    args, env = json.loads(line)
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    print(json.dumps([usage.ru_maxrss, os.waitstatus_to_exitcode(status), time.perf_counter() - start]), flush=True)
"""


class Spawner:
    """A small process that runs each command and reports its peak RSS (see the docstring)."""

    def __init__(self) -> None:
        self.seconds = 0.0  # how long the last command took
        self.process = subprocess.Popen([sys.executable, "-c", SPAWNER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def peak_mb(self, args: list[str], env: dict[str, str]) -> tuple[float, int]:
        """(peak RSS in MB, exit status) of ``creg ARGS``."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([[str(CREG), *args], env]) + "\n")
        self.process.stdin.flush()
        peak_kb, status, self.seconds = json.loads(self.process.stdout.readline())
        return peak_kb / 1024, status

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


class _Zeros(io.RawIOBase):
    """``size`` bytes of spaces, produced as read (the member data never exists in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = b" " * count
        self.left -= count
        return count


def bomb_archive(path: Path, members: int, size: int, folder: str) -> None:
    """``members`` component.yaml members of ``size`` bytes each, below ``folder``, plus one valid spec."""
    with gzip.open(path, "wb", compresslevel=9) as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        _add(tar, "pipelines-1/components/ok/component.yaml", io.BytesIO(SPEC), len(SPEC))
        for i in range(members):
            _add(tar, f"pipelines-1/{folder}/big{i}/component.yaml", _Zeros(size), size)


def many_members_archive(path: Path, count: int) -> None:
    with gzip.open(path, "wb", compresslevel=6) as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        for i in range(count - 1):
            _add(tar, f"pipelines-1/components/m{i // 1000}/f{i}.txt", io.BytesIO(b"x"), 1)
        _add(tar, "pipelines-1/components/ok/component.yaml", io.BytesIO(SPEC), len(SPEC))


def _add(tar: tarfile.TarFile, name: str, data: io.RawIOBase | io.BytesIO, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    tar.addfile(info, data)  # type: ignore[arg-type]


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def handle(self) -> None:
            with contextlib.suppress(ConnectionError):  # creg hangs up on a body over its limit
                super().handle()

    handler = lambda *a: Quiet(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def url_registry(folder: Path, url: str, body_mb: int) -> None:
    with open(folder / "big.yaml", "wb") as big:
        for _ in range(body_mb):
            big.write(b"#" * (1024 * 1024))
    digest = "sha256:" + "0" * 64
    (folder / "index.yaml").write_text(
        "apiVersion: creg/v1\ncomponents:\n  big:\n"
        f"  - {{version: 1.0.0, digest: '{digest}', source: {{url: '{url}/big.yaml'}}}}\n")


def report(label: str, size: int, peak: float, status: int, baseline: float) -> bool:
    ok = peak < TARGET_MB
    print(f"{label:<58} input {size / 1e6:7.2f} MB  peak {peak:7.1f} MB  ({peak / baseline:4.1f}x baseline, "
          f"exit {status}) {'ok' if ok else 'OVER ' + str(TARGET_MB) + ' MB'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=2.0, help="what the bomb's members expand to")
    args = parser.parse_args()
    spawner = Spawner()
    try:
        run(args.gigabytes, spawner)
    finally:
        spawner.close()


def invalid_index(folder: Path, places: int) -> None:
    """An index with ``places`` versions, each of them invalid (no source, a bad digest)."""
    folder.mkdir()
    lines = ["apiVersion: creg/v1", "components:"]
    for n in range(places // 10):
        lines.append(f"  c{n}:")
        lines += [f"  - {{version: '{v}', digest: x}}" for v in range(10)]
    (folder / "index.yaml").write_text("\n".join(lines) + "\n")


def run(gigabytes: float, spawner: Spawner) -> None:
    peak_mb = spawner.peak_mb
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = dict(os.environ, CREG_CACHE_DIR=str(tmp / "cache"), XDG_CONFIG_HOME=str(tmp / "config"))
        (tmp / "small.yaml").write_bytes(SPEC)
        baseline, _ = peak_mb(["validate", str(tmp / "small.yaml")], env)
        print(f"baseline: creg validate of one small spec peaks at {baseline:.1f} MB")
        member = 250 * 1024 * 1024
        members = max(1, int(gigabytes * 1024**3 // member))
        results = []
        for folder, label in (("components", "import-archive, spec members expand to"),
                              ("elsewhere", "import-archive, members outside --prefix, expand to")):
            archive = tmp / f"{folder}.tar.gz"
            bomb_archive(archive, members, member, folder)
            peak, status = peak_mb(["index", "import-archive", str(archive), "--tag", "1.0",
                                    "--to", str(tmp / f"reg-{folder}")], env)
            results.append(report(f"{label} {members * member / 1e9:.1f} GB", archive.stat().st_size,
                                  peak, status, baseline))
        archive = tmp / "many.tar.gz"
        many_members_archive(archive, MEMBERS)
        peak, status = peak_mb(["index", "import-archive", str(archive), "--tag", "1.0", "--to", str(tmp / "r")], env)
        results.append(report(f"import-archive, {MEMBERS:,} members (the cap)", archive.stat().st_size, peak, status, baseline))
        served = tmp / "www"
        served.mkdir()
        with serving(served) as url:
            url_registry(served, url, 64)
            peak, status = peak_mb(["--registry", url, "pull", "big"], env)
            results.append(report("pull of a url: component whose body is 64 MB", 64 * 1024 * 1024, peak, status,
                                  baseline))
        invalid_index(tmp / "bad", 200_000)
        size = (tmp / "bad" / "index.yaml").stat().st_size
        for attempt in ("first", "second"):
            peak, status = peak_mb(["--registry", str(tmp / "bad"), "show", "add@1.0.0"], env)
            results.append(report(f"show add@1.0.0, 200,000 invalid versions ({attempt})", size, peak,
                                  status, baseline))
            print(f"{'':<58} took {spawner.seconds:.2f} s")
        print("all under the target" if all(results) else "SOME CASES ARE OVER THE TARGET")


if __name__ == "__main__":
    main()
