"""The registry commands as a user runs them: real `creg` processes, a real HTTP server."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import yaml

from helpers_registry import (ROOT, RegistryServer, creg, creg_popen, local_registry, path_entry, sha, tar_gz,
                              tar_tree, wait_for, write_index)
from registry.component.model import digest_of
from registry.sources.store import Store

FAST = {"CREG_HTTP_TIMEOUT": "2", "CREG_HTTP_BACKOFF": "0.01", "CREG_HTTP_RETRIES": "1"}


def archive_registry(root: Path, members: dict[str, bytes], padding: int = 0) -> Path:
    """A registry folder whose components all live in one tar.gz (relative archive path);
    ``padding`` random bytes make the archive big enough to take a while to download."""
    files = {f"bundle/{n}/component.yaml": d for n, d in members.items()}
    archive = tar_gz(root / "archive" / "bundle.tar.gz", {**files, "bundle/blob.bin": os.urandom(padding)})
    source = {"archive": "archive/bundle.tar.gz", "archiveDigest": sha(archive.read_bytes())}
    write_index(root, {name: [{"version": "1.0.0", "digest": digest_of(data),
                               "source": {**source, "member": f"bundle/{name}/component.yaml"}}]
                       for name, data in members.items()})
    return root


def test_versions_search_pull_json(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0", "1.1.0"], "team/mul": ["0.1.0"]})
    out = creg("--registry", str(root), "versions", "add", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [v["version"] for v in json.loads(out.stdout)] == ["1.1.0", "1.0.0"]
    out = creg("--registry", str(root), "search", "mul", "--format", "json")
    assert [(h["name"], h["registry"]) for h in json.loads(out.stdout)] == [("team/mul", str(root))]
    out = creg("--registry", str(root), "pull", "add@~1.0", "team/mul", "--format", "json")
    rows = json.loads(out.stdout)
    assert [(r["name"], r["version"]) for r in rows] == [("add", "1.0.0"), ("team/mul", "0.1.0")]
    assert all(Path(r["cached"]).read_bytes() and r["cached"].endswith(r["digest"][7:]) for r in rows)
    text = creg("--registry", str(root), "pull", "add").stdout.split()
    assert text[0] == "add@1.1.0" and text[1].startswith("sha256:") and Path(text[2]).is_file()


def test_errors_are_clean(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"]})
    out = creg("--registry", str(root), "pull", "ad@1")
    assert out.returncode == 1 and "unknown component 'ad' (did you mean 'add'?)" in out.stderr
    assert "Traceback" not in out.stderr
    out = creg("--registry", str(root), "versions", "add", "--format", "json")
    out = creg("--registry", str(root), "pull", "add@^2")
    assert out.returncode == 1 and "available: 1.0.0" in out.stderr


def test_deprecated_warning_on_stderr(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_index(root, {"add": [path_entry(root, "add", "1.0.0", deprecated={"message": "old", "replacement": "add@^2"})]})
    out = creg("--registry", str(root), "pull", "add@1.0.0")
    assert out.returncode == 0
    assert "warning: add@1.0.0 is deprecated: old; use add@^2 instead" in out.stderr


def test_registry_list_add_remove(tmp_path: Path) -> None:
    reg = local_registry(tmp_path / "reg", {"solo": ["1.0.0"]})
    assert creg("pull", "solo").returncode == 1
    out = creg("registry", "add", str(reg))
    assert out.returncode == 0 and "added" in out.stdout
    assert creg("pull", "solo").returncode == 0
    rows = json.loads(creg("--registry", "http://example.invalid/r/", "registry", "list", "--format", "json").stdout)
    assert [r["root"] for r in rows][:2] == ["http://example.invalid/r", str(reg)]
    assert rows[-1]["origin"] == "built-in"
    assert creg("registry", "remove", str(reg)).returncode == 0
    out = creg("registry", "remove", str(reg))
    assert out.returncode == 1 and "is not configured" in out.stderr


def test_cache_list_verify_clean(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"]})
    pulled = json.loads(creg("--registry", str(root), "pull", "add", "--format", "json").stdout)[0]
    listing = json.loads(creg("cache", "list", "--format", "json").stdout)
    assert [o["digest"] for o in listing["objects"]] == [pulled["digest"]]
    assert creg("cache", "verify").returncode == 0
    Path(pulled["cached"]).write_text("tampered")
    out = creg("cache", "verify")
    assert out.returncode == 1 and "corrupt" in out.stderr
    assert creg("--registry", str(root), "pull", "add").returncode == 1  # never served corrupt bytes
    assert creg("cache", "verify", "--fix").returncode == 0
    assert creg("--registry", str(root), "pull", "add").returncode == 0
    assert creg("cache", "clean").returncode == 0
    assert json.loads(creg("cache", "list", "--format", "json").stdout)["objects"] == []


def test_lock_and_frozen(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"]})
    pipe = tmp_path / "p.yaml"
    pipe.write_text(yaml.safe_dump({"tasks": {"a": {"component": "add@^1", "args": {"a": 1}}}}))
    out = creg("--registry", str(root), "lock", str(pipe), "--frozen")
    assert out.returncode == 1 and "no lock file" in out.stderr
    assert creg("--registry", str(root), "lock", str(pipe)).returncode == 0
    lock = yaml.safe_load((tmp_path / "creg.lock").read_text())
    assert lock["components"][0]["version"] == "1.0.0"
    assert creg("--registry", str(root), "lock", str(pipe), "--frozen").returncode == 0
    local_registry(root, {"add": ["1.0.0", "1.5.0"]})
    out = creg("--registry", str(root), "lock", str(pipe), "--frozen")
    assert out.returncode == 1 and "stale" in out.stderr and "add@1.5.0" in out.stderr


def test_eight_processes_pull_one_ref_download_once(tmp_path: Path) -> None:
    """Eight processes that are all running while the archive downloads get it from one
    download: the cache lock, not luck in the scheduling, keeps the count at one."""
    members = {"a": b"name: a\n", "b": b"name: b\n"}
    root = archive_registry(tmp_path / "www", members, padding=48 * 1024)
    archive = "/archive/bundle.tar.gz"
    with RegistryServer(root) as server:
        # The archive body trickles, and stays in flight until all 8 processes have fetched the
        # index (however slowly a loaded machine starts them); a 90 s cap makes a serial run fail
        # on the ordering below instead of hanging.
        server.faults.always[archive] = "trickle"
        server.faults.trickle_chunk, server.faults.trickle_delay = 1024, 0.01
        server.faults.hold_until, server.faults.hold_timeout = lambda: server.count("index.yaml") >= 8, 90
        procs = [creg_popen("--registry", server.url, "pull", "a", "--format", "json", env=FAST) for _ in range(8)]
        results = [(p.wait(timeout=240), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        assert [r[0] for r in results] == [0] * 8, [r[2] for r in results]
        assert {json.loads(r[1])[0]["digest"] for r in results} == {digest_of(members["a"])}
        events = server.events()
        archive_done = events.index(("end", archive))
        assert events[:archive_done].count(("start", "/index.yaml")) == 8, events  # all 8 overlapped
        assert server.count("archive/bundle.tar.gz") == 1
        assert server.count("index.yaml") == 8
    assert Store().temp_files() == []


def test_killed_pull_leaves_no_partial_file_then_clean_pull(tmp_path: Path) -> None:
    root = tmp_path / "www"
    body = b"name: big\n" + b"# " + b"x" * 78 + b"\n" * 1
    text = body * 800  # ~64 KiB, trickled over a few seconds
    write_index(root, {"big": [path_entry(root, "big", "1.0.0", text=text.decode())]})
    store = Store()
    final = store.path_for(digest_of(text))
    with RegistryServer(root) as server:
        server.faults.queue["/components/big/1.0.0/component.yaml"] = ["trickle"]
        server.faults.trickle_chunk, server.faults.trickle_delay = 512, 0.03
        proc = creg_popen("--registry", server.url, "pull", "big", env=FAST)
        assert wait_for(lambda: any(t.stat().st_size > 0 for t in store.temp_files()), timeout=20)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not final.exists()
        assert len(store.temp_files()) == 1  # a dot-named leftover, never the final name
        out = creg("--registry", server.url, "pull", "big", env=FAST)
        assert out.returncode == 0, out.stderr
        assert final.read_bytes() == text and store.temp_files() == []


def test_offline_pull_names_missing_url_and_digest(tmp_path: Path) -> None:
    members = {"a": b"name: a\n"}
    root = archive_registry(tmp_path / "www", members)
    with RegistryServer(root) as server:
        assert creg("--registry", server.url, "versions", "a", env=FAST).returncode == 0
        out = creg("--registry", server.url, "--offline", "pull", "a", env=FAST)
        assert out.returncode == 1
        assert f"{server.url}/archive/bundle.tar.gz" in out.stderr
        assert sha((root / "archive" / "bundle.tar.gz").read_bytes()) in out.stderr
        out = creg("--registry", server.url, "pull", "a", env={**FAST, "CREG_OFFLINE": "1"})
        assert out.returncode == 1 and "offline" in out.stderr
        assert server.count("archive/bundle.tar.gz") == 0


def test_http_404_component_fails_cleanly(tmp_path: Path) -> None:
    root = tmp_path / "www"
    entry = path_entry(root, "gone", "1.0.0")
    write_index(root, {"gone": [entry]})
    (root / entry["source"]["path"]).unlink()
    with RegistryServer(root) as server:
        out = creg("--registry", server.url, "pull", "gone", env=FAST)
        assert out.returncode == 1 and "HTTP 404" in out.stderr
        assert server.count(entry["source"]["path"]) == 1


def test_corpus_tag_archive_end_to_end(tmp_path: Path, shared_dir: Path) -> None:
    """The chapter's 'wget the 0.2.5 archive, untar, load by path', done by the registry."""
    corpus = shared_dir / "corpus" / "kfp-components" / "0.2.5"
    root = tmp_path / "www"
    archive = tar_tree(root / "archive" / "pipelines-0.2.5.tar.gz", corpus, "pipelines-0.2.5")
    member = "pipelines-0.2.5/components/google-cloud/storage/download/component.yaml"
    raw = (corpus / "components/google-cloud/storage/download/component.yaml").read_bytes()
    source = {"archive": "archive/pipelines-0.2.5.tar.gz", "archiveDigest": sha(archive.read_bytes())}
    write_index(root, {
        "google-cloud/storage/download": [{"version": "0.2.5", "digest": digest_of(raw),
                                           "source": {**source, "member": member}}],
        "google-cloud/storage/download_blob": [{
            "version": "0.2.5", "source": {**source, "member": member.replace("download/", "download_blob/")},
            "digest": digest_of((corpus / "components/google-cloud/storage/download_blob/component.yaml").read_bytes())}]})
    with RegistryServer(root) as server:
        out = creg("--registry", server.url, "pull", "google-cloud/storage/download@0.2.5", env=FAST)
        assert out.returncode == 0, out.stderr
        name_version, digest, cached = out.stdout.split()
        assert (name_version, digest) == ("google-cloud/storage/download@0.2.5", digest_of(raw))
        assert Path(cached).read_bytes() == raw
        assert creg("--registry", server.url, "pull", "google-cloud/storage/download_blob", env=FAST).returncode == 0
        assert server.count("archive/pipelines-0.2.5.tar.gz") == 1
    # the server is gone: offline, everything comes from the cache
    out = creg("--registry", server.url, "--offline", "pull", "--format", "json",
               "google-cloud/storage/download@0.2.5", env=FAST)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["cached"] == cached
    from registry.index.resolve import load_component

    spec = load_component("google-cloud/storage/download@0.2.5", registries=[server.url], offline=True)
    assert spec.name == "Download from GCS" and spec.digest == digest_of(raw)
    assert spec.container["image"].startswith("google/cloud-sdk")


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import pty
    import subprocess

    from helpers_registry import CREG

    root = tmp_path / "www"
    text = ("name: big\n" + "# padding line\n" * 4000)
    write_index(root, {"big": [path_entry(root, "big", "1.0.0", text=text)],
                       "big2": [path_entry(root, "big2", "1.0.0", text=text + "# 2\n")]})
    with RegistryServer(root) as server:
        server.faults.always["/components/big/1.0.0/component.yaml"] = "trickle"
        server.faults.always["/components/big2/1.0.0/component.yaml"] = "trickle"
        server.faults.trickle_chunk, server.faults.trickle_delay = 4096, 0.05
        master, slave = pty.openpty()
        proc = subprocess.Popen([str(CREG), "--registry", server.url, "pull", "big"], stdout=subprocess.PIPE,
                                stderr=slave, env={**os.environ, **FAST})
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=30) == 0
        os.close(master)
        assert b"big@1.0.0 [" in seen and b"KiB" in seen
        assert b"index.yaml" not in seen  # small index fetches stay quiet
        quiet = creg("--registry", server.url, "pull", "big2", env=FAST)
        assert quiet.returncode == 0 and quiet.stderr == ""


def test_registry_add_refuses_a_folder_without_an_index(tmp_path: Path) -> None:
    out = creg("registry", "add", str(tmp_path / "typo"))
    assert out.returncode == 2 and "no index.yaml in this folder" in out.stderr
    assert "Traceback" not in out.stderr
    assert creg("pull", "add@1.0.0").returncode == 0  # nothing broken was configured


def test_lock_says_written_or_up_to_date_and_warns_when_nothing_is_referenced(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"]})
    pipe = tmp_path / "p.yaml"
    pipe.write_text(yaml.safe_dump({"tasks": {"a": {"component": "add@^1"}}}))
    assert "creg.lock: written (1 reference(s))" in creg("--registry", str(root), "lock", str(pipe)).stderr
    assert "creg.lock: up to date" in creg("--registry", str(root), "lock", str(pipe)).stderr
    empty = tmp_path / "empty" / "p.yaml"
    empty.parent.mkdir()
    empty.write_text("name: no-refs\n")
    assert "warning: no component references found" in creg("lock", str(empty)).stderr
    assert creg("cache", "clean", "--older-than", "-1").returncode == 2  # a usage error, not "remove all"


def test_control_characters_from_a_registry_never_reach_the_terminal(tmp_path: Path) -> None:
    from helpers_registry import path_entry, write_index

    root = tmp_path / "reg"
    text = ('name: evil\ndescription: "hi \\e]0;pwned\\a\\e[2J gone"\n'
            'implementation: {container: {image: alpine, command: [echo]}}\n')
    write_index(root, {"evil": [path_entry(root, "evil", "1.0.0", text, description="x \x1b]0;pwned\x07 y",
                                           deprecated={"message": "use \x1b[8mhidden", "replacement": "add"})]})
    for args in (["search", "evil"], ["show", "evil@1.0.0"], ["versions", "evil"]):
        out = creg("--registry", str(root), *args)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout + out.stderr and "\x07" not in out.stdout + out.stderr
        assert "\\x1b" in out.stdout + out.stderr, args


def test_an_index_changed_twenty_times_leaves_one_copy_and_clean_prunes_old_ones(tmp_path: Path) -> None:
    """Every distinct index.yaml used to leave a validated copy nothing listed or pruned."""
    from registry.index.publish import deprecate

    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"]})
    other = local_registry(tmp_path / "other", {"mul": ["1.0.0"]})
    for i in range(20):
        deprecate(root, "add@1.0.0", f"message {i}")
        assert creg("--registry", str(root), "--registry", str(other), "search", "add").returncode == 0
    listing = json.loads(creg("cache", "list", "--format", "json").stdout)
    owners = sorted(c["registry"] for c in listing["indexes"])
    assert owners == sorted([str(root.resolve()), str(other.resolve()), str(ROOT)])  # the newest per registry

    # a copy that no registry names any more (left by an older creg, or a crash) is listed and pruned
    stray = Path(listing["indexes"][0]["path"]).with_name("0" * 64)
    stray.write_bytes(b"old")
    shown = creg("cache", "list")
    assert "(an older index; 'creg cache clean' removes it)" in shown.stdout and "4 index copies" in shown.stderr
    assert creg("cache", "clean", "--older-than", "30").returncode == 0
    after = json.loads(creg("cache", "list", "--format", "json").stdout)["indexes"]
    assert not stray.exists() and sorted(c["registry"] for c in after) == owners
