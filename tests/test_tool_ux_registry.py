"""Registry mistakes seen from a user's seat (user acceptance findings)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest

from registry.errors import CregError, CregWarning
from registry.index.resolve import Registry


@pytest.fixture
def missing_index_server() -> Iterator[tuple[str, list[str]]]:
    """A registry URL whose index.yaml is 404; records every request path."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            requests.append(self.path)
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_a_broken_registry_is_asked_once_per_run(missing_index_server: tuple[str, list[str]],
                                                 tmp_path: Path) -> None:
    url, requests = missing_index_server
    registry = Registry([url], cache_dir=tmp_path / "cache")
    # The broken registry is skipped with one warning; the built-in one still answers, and a
    # name nobody has reports the broken registry's error.
    with pytest.warns(CregWarning, match=f"registry {url} skipped: .*index.yaml"):
        for ref in ("add@1.0.0", "divmod@1.0.0", "add@1.0.0"):
            assert registry.load(ref).name
        with pytest.raises(CregError, match="index.yaml"):
            registry.load("nobody-has-this@1.0.0")
    assert requests == ["/index.yaml"]
