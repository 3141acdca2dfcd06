"""Downloads against a real HTTP server on 127.0.0.1 (archive safety: test_sources_archives.py)."""

from __future__ import annotations

import http.server
import re
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers_registry import RegistryServer
from registry.sources.fetch import FetchError, download_bytes, download_to_file


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
    with pytest.raises(FetchError, match="ConnectionError") as info:
        download_bytes(f"{url}/x")
    assert "Connection refused (gave up after" in str(info.value)  # the OS reason, not urllib3's wrapping


def test_file_urls_and_paths(tmp_path: Path) -> None:
    (tmp_path / "a b.yaml").write_bytes(b"x: 1\n")
    assert download_bytes((tmp_path / "a b.yaml").as_uri()) == b"x: 1\n"
    assert download_bytes(str(tmp_path / "a b.yaml")) == b"x: 1\n"
    with pytest.raises(FetchError, match="cannot read"):
        download_bytes(str(tmp_path / "absent.yaml"))


def test_body_over_the_limit_stops_early_and_is_not_retried(served: RegistryServer, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="larger than the limit of 1000 bytes"):
        download_bytes(f"{served.url}/file.bin", limit=1000)
    assert served.count("file.bin") == 1
    (tmp_path / "big").write_bytes(b"x" * 5000)
    with pytest.raises(FetchError, match="larger than the limit of 1000 bytes"):
        download_bytes(str(tmp_path / "big"), limit=1000)
    assert download_bytes(str(tmp_path / "big"), limit=5000) == b"x" * 5000


@pytest.mark.parametrize("location, message", [
    ("file:///etc/passwd", "refusing to follow a redirect to 'file:///etc/passwd'"),
    ("ftp://127.0.0.1/x", "refusing to follow a redirect to 'ftp://127.0.0.1/x'"),
    ("http://[::1", "the Location it redirects to, is not a URL"),
    ("http://127.0.0.1:notaport/x", "the redirect's Location is not a URL"),
    ("/loop", "redirect loop"),
])
def test_bad_redirects_are_fetch_errors(served: RegistryServer, location: str, message: str) -> None:
    served.faults.always["/loop"] = "redirect:/loop"
    served.faults.always["/file.bin"] = f"redirect:{location}"
    with pytest.raises(FetchError, match=re.escape(message)):
        download_bytes(f"{served.url}/file.bin")


def test_a_redirect_to_http_is_followed(served: RegistryServer) -> None:
    served.faults.queue["/moved"] = [f"redirect:{served.url}/file.bin"]
    assert download_bytes(f"{served.url}/moved") == BODY


def test_endless_redirects_stop(served: RegistryServer) -> None:
    for hop in range(20):
        served.faults.always[f"/hop{hop}"] = f"redirect:/hop{hop + 1}"
    with pytest.raises(FetchError, match="more than 10 redirects"):
        download_bytes(f"{served.url}/hop0")


def test_https_never_redirects_down_to_http() -> None:
    from registry.sources.fetch import _redirect_target

    with pytest.raises(FetchError, match="from https to http"):
        _redirect_target("https://example.invalid/index.yaml", "http://example.invalid/index.yaml")
    assert _redirect_target("https://a.invalid/x/i", "../j") == "https://a.invalid/j"


def test_a_body_that_does_not_decode_is_a_fetch_error(served: RegistryServer) -> None:
    served.faults.always["/file.bin"] = "bad-gzip"
    with pytest.raises(FetchError, match="does not decode as its Content-Encoding says"):
        download_bytes(f"{served.url}/file.bin")


def test_a_misbehaving_registry_is_skipped_and_builtin_components_still_load(
        served: RegistryServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.index.resolve import Registry

    served.faults.always["/index.yaml"] = "redirect:file:///etc/passwd"
    with pytest.warns(UserWarning, match="refusing to follow a redirect"):
        assert Registry([served.url]).load("add@1.0.0").name


def test_a_registry_that_trickles_hits_the_overall_deadline(served: RegistryServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_HTTP_DEADLINE", "1")
    served.faults.trickle_chunk, served.faults.trickle_delay = 1, 0.02  # 50 bytes a second, never a read timeout
    served.faults.always["/file.bin"] = "trickle"
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"not finished after 1 s \(\d+ bytes received\).*CREG_HTTP_DEADLINE"):
        download_bytes(f"{served.url}/file.bin")
    assert time.monotonic() - started < 5
    assert served.count("file.bin") == 1  # a deadline is not retried


def test_a_token_never_appears_in_a_request_error(served: RegistryServer) -> None:
    from registry.sources.fetch import request_json

    token = "s3cr3t-token-value"
    for value in (f"Bearer {token}\n", f"Bearer {token}"):  # a newline: requests refuses the header itself
        with pytest.raises(FetchError) as caught:
            request_json("GET", f"{served.url}/{token}", headers={"Authorization": value})
        assert token not in str(caught.value) and "***" in str(caught.value)


# --- streamed lines (Argo's log stream) ---------------------------------------------------------


class _Lines(http.server.BaseHTTPRequestHandler):
    """``/lines``: three lines, the last without a newline; ``/slow``: a line every 0.2 s for ever;
    ``/moved?to=URL``: a 302 there.  Every request's Authorization header is noted."""

    seen: list[tuple[str, str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization", "")))
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        if self.path == "/lines":
            self.wfile.write(b'{"a": 1}\n\n{"b": 2}\n{"c"')
            self.wfile.flush()
            time.sleep(0.05)
            self.wfile.write(b': 3}')
            return
        for _ in range(100):
            self.wfile.write(b"tick\n")
            self.wfile.flush()
            time.sleep(0.2)


@pytest.fixture
def lines_server() -> Iterator[str]:
    _Lines.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Lines)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_stream_lines_yields_whole_lines_and_keeps_the_token_on_its_origin(lines_server: str) -> None:
    from registry.sources.fetch import stream_lines

    auth = {"Authorization": "Bearer s3cr3t-token"}
    assert list(stream_lines(f"{lines_server}/lines", auth)) == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']
    assert list(stream_lines(f"{lines_server}/moved?to=/lines", auth))[0] == b'{"a": 1}'
    other_origin = lines_server.replace("127.0.0.1", "localhost") + "/lines"
    assert list(stream_lines(f"{lines_server}/moved?to={other_origin}", auth))[-1] == b'{"c": 3}'
    assert [header for _, header in _Lines.seen] == ["Bearer s3cr3t-token"] * 4 + [""]


def test_stream_lines_has_a_deadline_and_refuses_a_downgrade(lines_server: str) -> None:
    from registry.sources.fetch import stream_lines

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"still open after 0.5 s"):
        list(stream_lines(f"{lines_server}/slow", limit_seconds=0.5))
    assert time.monotonic() - started < 5
    with pytest.raises(FetchError, match="only http"):
        list(stream_lines(f"{lines_server}/moved?to=file:///etc/passwd"))
