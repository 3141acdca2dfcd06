"""Fixtures shared by every test.

``isolated_home`` applies to every test: HOME, the XDG folders and creg's cache point into
``tmp_path``, and any network connection other than loopback fails, so no test touches the
user's files or the outside world.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple):
        host = address[0]
    else:
        return True  # AF_UNIX paths are local
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("CREG_CACHE_DIR", str(home / ".cache" / "creg"))
    monkeypatch.delenv("CREG_REGISTRIES", raising=False)
    monkeypatch.delenv("CREG_OFFLINE", raising=False)
    monkeypatch.delenv("CREG_HOME", raising=False)  # the run store: under XDG_DATA_HOME above

    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"tests may not reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield home


@pytest.fixture
def shared_dir() -> Path:
    """../shared (corpus, Argo schema); skips visibly in a user's clone without it."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a user's clone): corpus tests skipped")
    return SHARED
