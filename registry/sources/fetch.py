"""Getting bytes from URLs and archives, safely.

HTTP goes through ``requests`` (imported lazily: the only module that uses it) with
connect/read timeouts, retries with exponential backoff on connection errors, timeouts,
truncated bodies and 5xx answers, and none on 4xx.  Redirects are followed here, not by
requests, so that only http(s) targets are taken and never from https down to http; every
failure of a request, whatever requests or urllib3 raised, becomes a ``FetchError``.  ``file://`` URLs and plain paths are
read from disk.  (Reading members of downloaded archives is ``registry.sources.archives``'s job.)
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, cast

from registry.errors import CregError

MAX_DOWNLOAD_BYTES = 2 * 1024 * 1024 * 1024  # as archive.MAX_TOTAL_BYTES: nothing bigger can be used
# Each kind of download is capped at what its reader accepts, so a hostile server cannot make
# creg store gigabytes that are refused afterwards.
LIMITS = {
    "archive": MAX_DOWNLOAD_BYTES,
    "component": 4 * 1024 * 1024,  # as yamlio.MAX_BYTES: the largest spec creg loads
    "index": 128 * 1024 * 1024,  # as index.model.INDEX_MAX_BYTES
}


class FetchError(CregError):
    """A download failed (HTTP status, timeout, connection, truncated body)."""


class HTTPStatusError(FetchError):
    """A JSON API answered with an HTTP error; ``status`` lets a caller tell 404 from 401."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class OfflineError(CregError):
    """Offline mode needs something that is not in the cache."""


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``CREG_HTTP_TIMEOUT`` sets both ("5") or each ("3,30")."""
    raw = os.environ.get("CREG_HTTP_TIMEOUT", "")
    parts = [p for p in raw.split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not values:
        return (10.0, 60.0)
    return (values[0], values[-1])


def deadline() -> float:
    """Seconds one download may take in all, ``CREG_HTTP_DEADLINE`` (timeouts are per read)."""
    return _env_float("CREG_HTTP_DEADLINE", 900.0)


def retries() -> int:
    return int(_env_float("CREG_HTTP_RETRIES", 3))


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def local_path(location: str) -> Path:
    """A ``file://`` URL or a plain path -> Path."""
    if location.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(location).path))
    return Path(location)


# --- HTTP ------------------------------------------------------------------------------------

_SESSION: Any = None


def _session() -> Any:
    global _SESSION
    if _SESSION is None:
        import requests  # heavy; only a real download pays for it

        _SESSION = requests.Session()
        _SESSION.headers["User-Agent"] = "creg"
    return _SESSION


class _Retryable(Exception):
    """A failure worth another try (connection, timeout, 5xx, truncated body)."""


def download(location: str, sink: IO[bytes], label: str = "", limit: int = MAX_DOWNLOAD_BYTES) -> None:
    """Write the bytes at ``location`` (URL or path) into ``sink`` (seekable).

    More than ``limit`` bytes stop the transfer (not retried), so an endless or huge body
    never fills the memory or the disk.  With a ``label`` and a terminal on stderr, a
    progress bar shows the download.
    """
    if not is_remote(location):
        _copy_local(location, sink, limit)
        return
    attempts = max(1, retries() + 1)
    for attempt in range(attempts):
        sink.seek(0)
        sink.truncate()
        try:
            _get(location, sink, label, limit)
            return
        except _Retryable as exc:
            if attempt == attempts - 1:
                raise FetchError(f"GET {location}: {exc} (gave up after {attempts} attempts)") from None
            time.sleep(_env_float("CREG_HTTP_BACKOFF", 0.5) * 2 ** attempt)


def download_bytes(location: str, limit: int = 64 * 1024 * 1024) -> bytes:
    sink = io.BytesIO()
    download(location, sink, limit=limit)
    return sink.getvalue()


def download_to_file(location: str, path: Path, label: str = "", limit: int = MAX_DOWNLOAD_BYTES) -> str:
    """Download into ``path``; the ``sha256:`` digest of what was written, hashed as it streamed."""
    with open(path, "wb") as handle:
        sink = _HashingSink(handle)
        download(location, cast(IO[bytes], sink), label, limit)  # it has what download uses
        handle.flush()
        os.fsync(handle.fileno())
    return sink.digest()


class _HashingSink:
    """A file that hashes what is written to it (a retry's ``truncate`` starts the hash over)."""

    def __init__(self, handle: IO[bytes]) -> None:
        import hashlib  # lazy: start-up (OpenSSL loads ~2 ms slower)

        self.handle = handle
        self._new = hashlib.sha256
        self.hasher = hashlib.sha256()

    def write(self, block: Any) -> int:
        self.hasher.update(block)
        return self.handle.write(block)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        if (size or 0) != 0 or self.handle.tell() != 0:
            raise OSError("a hashing sink is only ever emptied")
        self.hasher = self._new()
        return self.handle.truncate(0)

    def digest(self) -> str:
        return "sha256:" + self.hasher.hexdigest()


def _too_big(location: str, limit: int) -> FetchError:
    return FetchError(f"GET {location}: the body is larger than the limit of {limit} bytes")


def _copy_local(location: str, sink: IO[bytes], limit: int) -> None:
    path = local_path(location)
    try:
        with open(path, "rb") as source:
            if os.fstat(source.fileno()).st_size > limit:
                raise _too_big(location, limit)
            copied = 0
            for block in iter(lambda: source.read(1 << 20), b""):
                copied += len(block)
                if copied > limit:  # the file grew after the check
                    raise _too_big(location, limit)
                sink.write(block)
    except OSError as exc:
        raise FetchError(f"{path}: cannot read: {exc.strerror}") from None


def _get(url: str, sink: IO[bytes], label: str, limit: int) -> None:
    import requests  # lazy: start-up

    try:
        with _follow(url) as response:
            _check_status(url, response)
            expected = _content_length(response)
            if expected is not None and expected > limit:
                raise _too_big(url, limit)
            received = _stream(response, sink, expected, label, limit)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(_reason(exc)) from None
    except requests.exceptions.ChunkedEncodingError as exc:
        raise _Retryable(f"connection broken mid-body ({_reason(exc)})") from None
    except requests.exceptions.ContentDecodingError:
        raise FetchError(f"GET {url}: the body does not decode as its Content-Encoding says") from None
    except _request_failures() as exc:
        raise FetchError(f"GET {url}: {_reason(exc)}") from None
    if expected is not None and received != expected:
        raise _Retryable(f"truncated body: received {received} of {expected} bytes")


def _request_failures() -> tuple[type[Exception], ...]:
    """Everything requests and urllib3 raise for a bad URL or answer (not for our own bugs)."""
    import requests  # lazy: start-up
    import urllib3  # lazy: start-up

    return (requests.RequestException, urllib3.exceptions.HTTPError, UnicodeError)


MAX_REDIRECTS = 10


def _follow(url: str) -> Any:
    """GET ``url``, following redirects only to http(s), never from https down to http."""
    seen = [url]
    response = _get_once(url)
    while response.is_redirect:
        response.close()
        target = _redirect_target(seen[-1], response.headers["Location"])
        if target in seen:
            raise FetchError(f"GET {url}: redirect loop: {' -> '.join(seen + [target])}")
        if len(seen) > MAX_REDIRECTS:
            raise FetchError(f"GET {url}: more than {MAX_REDIRECTS} redirects")
        seen.append(target)
        response = _get_once(target)
    return response


def _get_once(url: str) -> Any:
    try:
        return _session().get(url, stream=True, timeout=timeouts(), allow_redirects=False)
    except ValueError:
        # requests parses a redirect's Location even when not following it, and lets
        # urllib's ValueError out for one such as 'http://[::1'.
        raise FetchError(f"GET {url}: the URL, or the Location it redirects to, is not a URL") from None


def _redirect_target(current: str, location: str) -> str:
    from urllib.parse import urljoin, urlsplit  # lazy: start-up

    try:
        target = urljoin(current, location.strip())
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise FetchError(f"GET {current}: the redirect's Location is not a URL: {location[:200]!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"GET {current}: refusing to follow a redirect to {target[:200]!r}: "
                         "only http(s) URLs are followed")
    if current.startswith("https:") and parts.scheme == "http":
        raise FetchError(f"GET {current}: refusing to follow a redirect from https to http ({target[:200]})")
    return target


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return f"timed out ({type(exc).__name__}; timeouts {timeouts()[0]}s connect, {timeouts()[1]}s read)"
    # requests wraps the OS error three levels deep; "[Errno 111] Connection refused" is the news.
    os_error = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    return f"{type(exc).__name__}: {os_error.group(0).strip() if os_error else text[:300]}"


def _check_status(url: str, response: Any) -> None:
    if response.status_code >= 500:
        raise _Retryable(f"HTTP {response.status_code} {response.reason}")
    if response.status_code >= 400:
        raise FetchError(f"GET {url}: HTTP {response.status_code} {response.reason}")


def _content_length(response: Any) -> int | None:
    if response.headers.get("Content-Encoding"):
        return None  # the header counts compressed bytes; requests hands us decoded ones
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _stream(response: Any, sink: IO[bytes], expected: int | None, label: str, limit: int) -> int:
    # Only labelled downloads (components, archives) show a bar; index fetches stay quiet.
    progress = _Progress(label, expected) if label and sys.stderr.isatty() else None
    received = 0
    ends = time.monotonic() + deadline()
    for block in _blocks(response):
        received += len(block)
        if received > limit:
            raise _too_big(response.url, limit)
        if time.monotonic() > ends:
            raise FetchError(f"GET {response.url}: not finished after {deadline():g} s ({received} bytes "
                             "received); the deadline for one download is CREG_HTTP_DEADLINE seconds")
        sink.write(block)
        if progress:
            progress.update(received)
    if progress:
        progress.done()
    return received


def _blocks(response: Any) -> Iterator[bytes]:
    """The body as it arrives: ``read1`` returns whatever came, so a server sending a byte a
    second still lets the deadline be checked every second (``iter_content`` would wait for a
    whole block).  urllib3's errors are turned into the ones requests raises."""
    import requests  # lazy: start-up
    import urllib3  # lazy: start-up

    while True:
        try:
            block = response.raw.read1(16 * 1024, decode_content=True)
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ConnectionError(exc) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError) as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        if not block:
            return
        yield block


class _Progress:
    """A one-line progress bar on stderr (only ever created for a terminal)."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label.rsplit("/", 1)[-1][:40]
        self.total = total
        self.last = 0.0

    def update(self, received: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        if self.total:
            filled = int(30 * received / self.total)
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r{self.label} [{bar}] {received // 1024}/{self.total // 1024} KiB")
        else:
            sys.stderr.write(f"\r{self.label} {received // 1024} KiB")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


# --- JSON APIs (the Argo Server) --------------------------------------------------------------


def request_json(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
                 verify: bool = True) -> Any:
    """One JSON request; the decoded answer, or ``FetchError`` with the server's own message.

    Not retried: a POST that timed out may have been carried out, and sending it again
    would create a second workflow.  Header values (a bearer token) never appear in an
    error, even when requests or the server repeats them.
    """
    headers = headers or {}
    try:
        return _json_answer(method, url, _session().request(
            method, url, json=body, headers=headers, timeout=timeouts(), verify=verify))
    except _request_failures() as exc:
        raise FetchError(redact(f"{method} {url}: {_reason(exc)}", headers.values())) from None
    except HTTPStatusError as exc:
        raise HTTPStatusError(redact(str(exc), headers.values()), exc.status) from None
    except FetchError as exc:
        raise FetchError(redact(str(exc), headers.values())) from None


def _json_answer(method: str, url: str, response: Any) -> Any:
    if response.status_code >= 400:
        raise _status_error(method, url, response)
    try:
        return response.json()
    except ValueError:
        raise FetchError(f"{method} {url}: the answer is not JSON: {response.text[:200]!r}") from None


def _status_error(method: str, url: str, response: Any) -> HTTPStatusError:
    return HTTPStatusError(f"{method} {url}: HTTP {response.status_code} {response.reason}: "
                           f"{_server_message(response)}", response.status_code)


MAX_LINE_BYTES = 16 * 1024 * 1024


class StreamBroken(FetchError):
    """A streamed answer broke off after it began (connection reset, cut chunk): worth asking again."""


def stream_lines(url: str, headers: dict[str, str] | None = None, verify: bool = True,
                 idle_timeout: float | None = None, limit_seconds: float | None = None) -> Iterator[bytes]:
    """GET ``url`` and yield its body a line at a time, as each line arrives (a log stream).

    For long-lived answers such as Argo's ``logOptions.follow=true``: ``idle_timeout`` is how
    long the server may stay silent (default: the read timeout), ``limit_seconds`` the whole
    stream's deadline (default ``CREG_HTTP_DEADLINE``).  Redirects are followed as downloads
    follow them, and the token goes only to the URL's own origin.  Not retried: a caller that
    wants the rest of a broken stream asks again.  Errors are ``FetchError`` with every header
    value (the bearer token) redacted, even when the server echoes it back.
    """
    headers = headers or {}
    try:
        yield from _lines(url, headers, verify, idle_timeout, limit_seconds)
    except _StreamCut as exc:
        raise StreamBroken(redact(f"GET {url}: the stream broke off: {_reason(exc.cause)}", headers.values())) from None
    except _request_failures() as exc:
        raise FetchError(redact(f"GET {url}: {_reason(exc)}", headers.values())) from None
    except HTTPStatusError as exc:
        raise HTTPStatusError(redact(str(exc), headers.values()), exc.status) from None
    except FetchError as exc:
        raise FetchError(redact(str(exc), headers.values())) from None


def _lines(url: str, headers: dict[str, str], verify: bool, idle: float | None,
           limit: float | None) -> Iterator[bytes]:
    ends = time.monotonic() + (deadline() if limit is None else limit)
    response = _open_stream(url, headers, verify, (timeouts()[0], idle or timeouts()[1]))
    with response:
        if response.status_code >= 400:
            raise _status_error("GET", response.url, response)
        pending = b""
        for block in _body_blocks(response):
            if time.monotonic() > ends:
                raise FetchError(f"GET {url}: the stream is still open after {limit or deadline():g} s")
            *complete, pending = (pending + block).split(b"\n")
            if len(pending) > MAX_LINE_BYTES:
                raise FetchError(f"GET {url}: a line longer than {MAX_LINE_BYTES} bytes")
            yield from (line for line in complete if line.strip())
        if pending.strip():
            yield pending


class _StreamCut(Exception):
    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _body_blocks(response: Any) -> Iterator[bytes]:
    """``_blocks``, with a body that breaks off (once the answer began) told apart from a refusal."""
    import requests  # lazy: start-up

    try:
        yield from _blocks(response)
    except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as exc:
        raise _StreamCut(exc) from None


def _open_stream(url: str, headers: dict[str, str], verify: bool, timeout: tuple[float, float]) -> Any:
    """The streaming answer, after redirects under the download rules; headers stay on one origin."""
    from urllib.parse import urlsplit  # lazy: start-up

    seen, sent = [url], dict(headers)
    while True:
        response = _session().get(seen[-1], headers=sent, stream=True, timeout=timeout,
                                  allow_redirects=False, verify=verify)
        if not response.is_redirect:
            return response
        response.close()
        target = _redirect_target(seen[-1], response.headers["Location"])
        if target in seen or len(seen) > MAX_REDIRECTS:
            raise FetchError(f"GET {url}: redirect loop or more than {MAX_REDIRECTS} redirects")
        if urlsplit(target)[:2] != urlsplit(url)[:2]:
            sent = {}  # another origin never sees the token
        seen.append(target)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and its bearer-less and escaped forms) shown as ``***``."""
    for value in secrets:
        for secret in {value, value.split(" ", 1)[-1], value.strip()}:
            for form in {secret, repr(secret)[1:-1], secret.strip()}:
                if len(form) >= 4:
                    text = text.replace(form, "***")
    return text


def _server_message(response: Any) -> str:
    """grpc-gateway errors are ``{"code": N, "message": "..."}``; show the message."""
    try:
        return str(response.json().get("message") or response.text[:300])
    except (ValueError, AttributeError):
        return response.text[:300] or "(no body)"
