"""Registry: resolving across registries, loading through the cache, archives, offline, locks."""

from __future__ import annotations

import gzip
import marshal
import warnings
from pathlib import Path

import pytest
import yaml

from helpers_registry import (RegistryServer, component_text, creg, local_registry, path_entry, sha, tar_gz,
                              write_index)
from registry.errors import CregError, CregWarning
from registry.sources.fetch import OfflineError
from registry.index.model import ResolveError
from registry.index.lockfile import Lock, LockError, refs_in_file
from registry.index.pinning import lock_file
from registry.index.resolve import DeprecatedComponentWarning, Registry, RegistryOptions, load_component
from registry.sources.store import DigestMismatch, Store


@pytest.fixture(autouse=True)
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("CREG_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("CREG_HTTP_RETRIES", "1")


def test_local_registry_resolve_and_load(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0", "1.2.0", "2.0.0"]})
    registry = Registry([str(root)])
    resolved = registry.resolve("add@^1")
    assert (resolved.component.ref, resolved.registry) == ("add@1.2.0", str(root))
    spec = registry.load("add@^1")
    assert spec.digest == resolved.component.digest and spec.description == "add component, version 1.2.0"
    assert Store().has(resolved.component.digest)  # cached after the first load


def test_registries_are_searched_in_order(tmp_path: Path) -> None:
    first = local_registry(tmp_path / "first", {"add": ["9.0.0"]})
    second = local_registry(tmp_path / "second", {"add": ["1.0.0"], "mul": ["1.0.0"]})
    registry = Registry([str(first), str(second)])
    assert registry.resolve("add").component.version == "9.0.0"
    assert registry.resolve("mul").registry == str(second)
    assert [s.root for s in registry.searched][-1] == str(Path(__file__).resolve().parent.parent)


def test_unknown_name_and_version_messages(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"google-cloud/storage/download": ["0.2.5"]})
    registry = Registry([str(root)])
    with pytest.raises(ResolveError, match="did you mean 'google-cloud/storage/download'"):
        registry.resolve("google-cloud/storage/downlaod")
    with pytest.raises(ResolveError, match="no version of 'google-cloud/storage/download' matches '\\^1'; available: 0.2.5"):
        registry.resolve("google-cloud/storage/download@^1")


def test_deprecated_version_warns_with_replacement(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    deprecated = {"message": "wrong output type", "replacement": "add@^2"}
    write_index(root, {"add": [path_entry(root, "add", "1.0.0", deprecated=deprecated)]})
    with pytest.warns(DeprecatedComponentWarning, match=r"add@1.0.0 is deprecated: wrong output type; use add@\^2"):
        assert Registry([str(root)]).resolve("add@1.0.0").to_dict()["deprecated"] == deprecated


def test_local_digest_mismatch_caches_nothing(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    entry = path_entry(root, "add", "1.0.0")
    write_index(root, {"add": [entry]})
    (root / entry["source"]["path"]).write_text(component_text("add", "tampered"))
    with pytest.raises(DigestMismatch) as info:
        Registry([str(root)]).load("add")
    assert entry["digest"] in str(info.value) and "sha256:" in str(info.value).split("got ")[1]
    assert Store().entries() == []


def http_registry(tmp_path: Path) -> Path:
    """A folder to serve: one url-source component, two components in one tar.gz archive."""
    root = tmp_path / "www"
    a, b, c = (component_text(n).encode() for n in ("direct", "in-archive-a", "in-archive-b"))
    (root / "files").mkdir(parents=True)
    (root / "files" / "direct.yaml").write_bytes(a)
    archive = tar_gz(root / "files" / "bundle.tar.gz", {"bundle-1.0/a/component.yaml": b,
                                                         "bundle-1.0/b/component.yaml": c})
    arch = {"archive": "files/bundle.tar.gz", "archiveDigest": sha(archive.read_bytes())}
    write_index(root, {
        "direct": [{"version": "1.0.0", "digest": sha(a), "source": {"url": "URL/files/direct.yaml"}}],
        "arch/a": [{"version": "1.0.0", "digest": sha(b), "source": {**arch, "member": "bundle-1.0/a/component.yaml"}}],
        "arch/b": [{"version": "1.0.0", "digest": sha(c), "source": {**arch, "member": "bundle-1.0/b/component.yaml"}}],
    })
    return root


def serve_index(server: RegistryServer, root: Path) -> None:
    index = root / "index.yaml"
    index.write_text(index.read_text().replace("URL/", server.url + "/"))


def test_http_registry_archive_downloaded_once_for_all_members(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    with RegistryServer(root) as server:
        serve_index(server, root)
        registry = Registry([server.url])
        assert registry.load("direct").name == "direct"
        assert registry.load("arch/a").name == "in-archive-a"
        assert registry.load("arch/b@1.0.0").name == "in-archive-b"
        assert server.count("files/bundle.tar.gz") == 1
        assert server.count("files/direct.yaml") == 1
        Registry([server.url]).load("arch/a")  # later loads come from the cache
        assert server.count("files/bundle.tar.gz") == 1 and server.count("index.yaml") == 2


def test_offline_uses_cache_and_names_what_is_missing(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    with RegistryServer(root) as server:
        serve_index(server, root)
        with pytest.raises(OfflineError, match="no cached copy of http://127.0.0.1:\\d+/index.yaml"), \
                pytest.warns(CregWarning, match="skipped: offline"):
            Registry([server.url], offline=True).resolve("direct")
        Registry([server.url]).load("arch/a")
        before = server.count("index.yaml")
        offline = Registry([server.url], offline=True)
        assert offline.load("arch/a").name == "in-archive-a"
        assert offline.load("arch/b").name == "in-archive-b"  # archive already cached
        with pytest.raises(OfflineError) as info:
            offline.load("direct")
        assert f"{server.url}/files/direct.yaml" in str(info.value)
        assert sha((root / "files" / "direct.yaml").read_bytes()) in str(info.value)
        assert server.count("index.yaml") == before


def test_remote_index_outage_falls_back_to_last_good(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    with RegistryServer(root) as server:
        serve_index(server, root)
        Registry([server.url]).resolve("direct")
        server.faults.always["/index.yaml"] = "500"
        with pytest.warns(UserWarning, match="using the last good copy"):
            assert Registry([server.url]).resolve("direct").component.version == "1.0.0"


def test_archive_digest_mismatch_caches_nothing(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    (root / "index.yaml").write_text((root / "index.yaml").read_text().replace(
        sha((root / "files" / "bundle.tar.gz").read_bytes()), sha(b"other")))
    with RegistryServer(root) as server:
        serve_index(server, root)
        with pytest.raises(DigestMismatch) as info:
            Registry([server.url]).load("arch/a")
        assert sha(b"other") in str(info.value)
        assert sha((root / "files" / "bundle.tar.gz").read_bytes()) in str(info.value)
    assert Store().entries() == [] and Store().temp_files() == []


def test_load_component_api_uses_env_registries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = local_registry(tmp_path / "one", {"a": ["1.0.0"]})
    two = local_registry(tmp_path / "two", {"b": ["2.0.0"]})
    monkeypatch.setenv("CREG_REGISTRIES", f"{one}:{two}")
    assert load_component("b@2").digest == Registry([str(two)]).resolve("b").component.digest
    assert load_component("a", registries=[str(one)]).name == "a"


def test_configured_order_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.index.config import add_registry, configured_registries, remove_registry

    cli, env, conf = (local_registry(tmp_path / n, {"x": [v]}) for n, v in
                      (("cli", "3.0.0"), ("env", "2.0.0"), ("conf", "1.0.0")))
    assert add_registry(str(conf)) and not add_registry(str(conf))
    assert configured_registries() == [str(conf)]
    monkeypatch.setenv("CREG_REGISTRIES", str(env))
    assert Registry.configured(RegistryOptions((str(cli),))).resolve("x").component.version == "3.0.0"
    assert Registry.configured().resolve("x").component.version == "2.0.0"
    monkeypatch.delenv("CREG_REGISTRIES")
    assert Registry.configured().resolve("x").component.version == "1.0.0"
    assert Registry.configured(RegistryOptions(offline=True)).offline
    assert remove_registry(str(conf)) and configured_registries() == []


def test_second_load_of_a_big_index_uses_the_validated_copy(tmp_path: Path) -> None:
    from registry.index.model import dump_compact

    root = local_registry(tmp_path / "reg", {"a": ["1.0.0"]})
    Registry([str(root)]).resolve("a")
    markers = list((Store().root / "indexes" / "validated").iterdir())
    assert len(markers) == 1  # the built-in registry was not needed
    data = yaml.safe_load((root / "index.yaml").read_text())
    data["components"]["a"][0]["version"] = "7.0.0"
    markers[0].write_bytes(dump_compact(data))
    assert Registry([str(root)]).resolve("a").component.version == "7.0.0"  # the validated copy was used
    markers[0].write_bytes(b"damaged")
    assert Registry([str(root)]).resolve("a").component.version == "1.0.0"  # validated again
    (root / "index.yaml").write_text((root / "index.yaml").read_text() + "bogus: 1\n")
    with pytest.raises(Exception, match="unknown key 'bogus'"), pytest.warns(CregWarning, match="skipped"):
        Registry([str(root)]).resolve("a")  # changed bytes are validated again


# --- lockfile ----------------------------------------------------------------------------------


def pipeline(tmp_path: Path, refs: list[str]) -> Path:
    path = tmp_path / "pipe" / "pipeline.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    tasks = {f"t{i}": {"component": ref, "args": {"a": i}} for i, ref in enumerate(refs)}
    tasks["local"] = {"component": "./own/component.yaml"}
    final = {"notify": {"component": "notify@^1"}}
    path.write_text(yaml.safe_dump({"name": "p", "tasks": tasks, "finally": final}, sort_keys=False))
    return path


def test_refs_in_file_pipeline_list_and_text(tmp_path: Path) -> None:
    assert refs_in_file(pipeline(tmp_path, ["add@^1", "mul", "add@^1"])) == ["add@^1", "mul", "notify@^1"]
    (tmp_path / "refs.yaml").write_text("- add@1.0.0\n- google-cloud/storage/download@0.2.5\n")
    assert refs_in_file(tmp_path / "refs.yaml") == ["add@1.0.0", "google-cloud/storage/download@0.2.5"]
    (tmp_path / "refs.txt").write_text("# pinned\nadd@^1\n\nmul@2.0.0\n")
    assert refs_in_file(tmp_path / "refs.txt") == ["add@^1", "mul@2.0.0"]


def test_lock_write_verify_and_frozen(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0", "1.1.0"], "mul": ["1.0.0"], "notify": ["1.0.0"]})
    pipe = pipeline(tmp_path, ["add@^1", "mul"])
    with pytest.raises(LockError, match="no lock file"):
        lock_file(pipe, Registry([str(root)]), frozen=True)
    report = lock_file(pipe, Registry([str(root)]))
    lock = Lock.load(report.path)
    assert report.path == pipe.parent / "creg.lock"
    assert lock.get("add@^1").component.version == "1.1.0"
    assert lock.get("mul").component.digest.startswith("sha256:")
    assert lock_file(pipe, Registry([str(root)]), frozen=True).changed == []

    # a newer release appears: a locked load stays on the pinned version, frozen lock is stale
    entries = yaml.safe_load((root / "index.yaml").read_text())["components"]
    entries["add"].append(path_entry(root, "add", "1.2.0"))
    write_index(root, entries)
    assert Registry([str(root)], lock=lock).resolve("add@^1").component.version == "1.1.0"
    assert load_component("add@^1", registries=[str(root)], lockfile=report.path).description.endswith("1.1.0")
    with pytest.raises(LockError, match=r"stale \(frozen\): add@\^1: locked add@1.1.0"):
        lock_file(pipe, Registry([str(root)]), frozen=True)
    with pytest.raises(LockError, match="'other' is not in the lock"):
        Registry([str(root)], lock=lock, frozen=True).resolve("other")


def test_lock_detects_a_republished_digest(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"], "notify": ["1.0.0"]})
    pipe = pipeline(tmp_path, ["add@1.0.0"])
    lock = Lock.load(lock_file(pipe, Registry([str(root)])).path)
    write_index(root, {"add": [path_entry(root, "add", "1.0.0", text=component_text("add", "changed"))]})
    with pytest.raises(LockError, match="locked to add@1.0.0 .* but the index now says sha256:"):
        Registry([str(root)], lock=lock).load("add@1.0.0")


def test_malformed_lock_has_positions(tmp_path: Path) -> None:
    path = tmp_path / "creg.lock"
    path.write_text("apiVersion: creg/v1\nkind: Lock\ncomponents:\n  - ref: a\n    name: a\n")
    with pytest.raises(LockError, match=r"creg.lock:4:5: error: \$.components\[0\]: expected string fields version, digest"):
        Lock.load(path)


def test_warnings_are_python_warnings(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_index(root, {"old": [path_entry(root, "old", "1.0.0", deprecated={"message": "gone"})]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Registry([str(root)]).resolve("old")
    assert [w.category for w in caught] == [DeprecatedComponentWarning]


def test_env_registries_split_on_commas_and_pathsep(monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.index.resolve import env_registries

    monkeypatch.setenv("CREG_REGISTRIES", "http://127.0.0.1:8080/a, /srv/one:/srv/two,file:///srv/three")
    assert env_registries() == ["http://127.0.0.1:8080/a", "/srv/one", "/srv/two", "file:///srv/three"]


def test_file_url_registry_root(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "my reg", {"add": ["1.0.0"]})
    resolved = Registry([root.as_uri()], offline=True).resolve("add")
    assert resolved.registry == str(root) and Path(resolved.location).is_file()
    assert Registry([root.as_uri()], offline=True).load("add").name == "add"


def test_a_cached_index_cannot_read_outside_the_registry(tmp_path: Path) -> None:
    """Even an index validated before sources were checked (its compact copy is cached) cannot
    point outside its registry, and a remote index cannot point at local files."""
    from registry.index.model import Index
    from registry.index.resolve import SearchedRegistry

    secret = tmp_path / "secret.yaml"
    secret.write_text(component_text("secret"))
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"]})
    local = SearchedRegistry(str(root), Store(), offline=False)
    for escaping in ("../secret.yaml", str(secret)):
        with pytest.raises(ResolveError, match="leaves the registry"):
            local.locate(escaping)
    (root / "link.yaml").symlink_to(secret)
    for outside in (secret.as_uri(), "link.yaml"):  # file:// and a symlink reach outside too
        with pytest.raises(ResolveError, match="is outside the registry folder"):
            local.locate(outside)
    inside = root / "components" / "add" / "1.0.0" / "component.yaml"
    assert local.locate(inside.as_uri()) == str(inside)  # file:// inside the folder is its own file
    remote = SearchedRegistry("https://registry.example", Store(), offline=True)
    with pytest.raises(ResolveError, match="may not point at the local file"):
        remote.locate(secret.as_uri())
    assert remote.locate("a/component.yaml") == "https://registry.example/a/component.yaml"
    entry = {"version": "1.0.0", "digest": sha(secret.read_bytes()), "source": {"path": "../secret.yaml"}}
    local._index = Index({"apiVersion": "creg/v1", "components": {"secret": [entry]}}, "index.yaml")
    registry = Registry([str(root)])
    registry.searched[0] = local
    with pytest.raises(ResolveError, match="leaves the registry"):
        registry.load("secret@1.0.0")
    assert Store().entries() == []


def test_a_cloned_registry_cannot_fingerprint_a_local_file(tmp_path: Path) -> None:
    """A symlink or file:// source with a wrong digest used to print the outside file's sha256."""
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN PRIVATE KEY-----\n")
    root = tmp_path / "cloned"
    root.mkdir()
    (root / "key.yaml").symlink_to(secret)
    wrong = "sha256:" + "0" * 64
    write_index(root, {"a": [{"version": "1.0.0", "digest": wrong, "source": {"path": "key.yaml"}}],
                       "b": [{"version": "1.0.0", "digest": wrong, "source": {"url": secret.as_uri()}}]})
    for ref in ("a@1.0.0", "b@1.0.0"):
        out = creg("--registry", str(root), "pull", ref)
        assert out.returncode == 1 and "is outside the registry folder" in out.stderr, out.stderr
        assert sha(secret.read_bytes()).removeprefix("sha256:")[:12] not in out.stderr


def test_config_typos_are_errors_with_positions_and_remove_writes_nothing(tmp_path: Path) -> None:
    from registry.index.config import config_path, configured_registries, remove_registry
    from registry.errors import CregError

    assert not remove_registry("/nowhere") and not config_path().parent.exists()
    config_path().parent.mkdir(parents=True)
    config_path().write_text("registrie:\n- /srv/reg\n")
    with pytest.raises(CregError) as info:
        configured_registries()
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.path) == (1, 1, "$.registrie")
    assert "did you mean 'registries'" in problem.message


def test_lock_reports_every_bad_reference_at_its_place(tmp_path: Path) -> None:
    root = local_registry(tmp_path / "reg", {"add": ["1.0.0"], "notify": ["1.0.0"]})
    path = pipeline(tmp_path, ["ad@^1", "add@^7"])
    with pytest.raises(LockError) as info:
        lock_file(path, Registry([str(root)]))
    first, second = info.value.problems
    lines = path.read_text().splitlines()
    assert first.path == "$.tasks.t0.component" and "ad@^1" in lines[first.line - 1]
    assert "did you mean 'add'" in first.message
    assert second.path == "$.tasks.t1.component" and "available: 1.0.0" in second.message
    assert not (path.parent / "creg.lock").exists()
    (tmp_path / "refs.txt").write_text("add@1.0.0\nnope@1\n")
    with pytest.raises(LockError) as info:
        lock_file(tmp_path / "refs.txt", Registry([str(root)]))
    assert [(p.line, p.column) for p in info.value.problems] == [(2, 1)]


def test_a_damaged_cached_archive_is_blamed_on_the_cache(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    archive_digest = sha((root / "files" / "bundle.tar.gz").read_bytes())
    with RegistryServer(root) as server:
        serve_index(server, root)
        Registry([server.url]).load("arch/a")
        Store().path_for(archive_digest).write_bytes(b"damaged")
        with pytest.raises(DigestMismatch, match=r"cached object is corrupt .* run 'creg cache verify --fix'"):
            Registry([server.url]).load("arch/b")
        Store().verify(fix=True)
        assert Registry([server.url]).load("arch/b").name == "in-archive-b"
        assert server.count("files/bundle.tar.gz") == 2


def test_an_archive_member_with_a_bang_in_its_name_loads(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    text = component_text("bang").encode()
    member = "top/a!b/component.yaml"  # the display source is ARCHIVE!MEMBER: the '!' must not split it
    archive = tar_gz(root / "files!" / "a.tar.gz", {member: text})
    write_index(root, {"bang": [{"version": "1.0.0", "digest": sha(text), "source": {
        "archive": "files!/a.tar.gz", "archiveDigest": sha(archive.read_bytes()), "member": member}}]})
    registry = Registry([str(root)])
    assert registry.resolve("bang").location == f"{archive}!{member}"
    assert registry.load("bang").name == "bang"


def test_an_unreadable_registry_does_not_block_the_others(tmp_path: Path) -> None:
    local = local_registry(tmp_path / "local", {"mine": ["1.0.0"]})
    broken = tmp_path / "broken"
    write_index(broken, {})
    (broken / "index.yaml").write_text("apiVersion: creg/v1\ncomponents: [oops\n")
    registry = Registry([str(broken), str(local)])
    with pytest.warns(UserWarning, match=f"registry {broken} skipped: .*index.yaml:3:1: error: invalid YAML") as caught:
        assert registry.resolve("mine").registry == str(local) and registry.load("mine").name == "mine"
        assert registry.resolve("add").registry == str(Path(__file__).resolve().parent.parent)  # built-in
    assert len([w for w in caught if "skipped" in str(w.message)]) == 1  # warned once per run
    with pytest.raises(CregError, match="index.yaml:3:1"):  # nobody has it: the broken registry's own error
        registry.resolve("nobody-has-this")


def test_offline_without_a_copy_still_resolves_what_others_have(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    with RegistryServer(root) as server:
        serve_index(server, root)
        registry = Registry([server.url], offline=True)
        with pytest.warns(UserWarning, match="offline: no cached copy"):
            assert registry.resolve("add").registry != server.url
            with pytest.raises(OfflineError, match="no cached copy"):
                registry.resolve("direct")
        assert server.count("index.yaml") == 0


def test_an_unreachable_registry_is_asked_once_per_run(tmp_path: Path) -> None:
    root = http_registry(tmp_path)
    with RegistryServer(root) as server:
        server.faults.always["/index.yaml"] = "500"
        local = local_registry(tmp_path / "local", {"mine": ["1.0.0"], "yours": ["1.0.0"]})
        registry = Registry([server.url, str(local)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert {registry.resolve(n).registry for n in ("mine", "yours", "add")} - {str(local)}
        asked = server.count("index.yaml")
        with pytest.raises(CregError):
            registry.resolve("direct")
        assert server.count("index.yaml") == asked and asked >= 1
        assert len([w for w in caught if "skipped" in str(w.message)]) == 1


def test_a_mirror_cannot_serve_an_archive_that_only_matches_once_normalised(tmp_path: Path) -> None:
    """The archive indexed is LF-only; the mirror's has CRLF where it had LF.  Its normalised bytes
    hash to the indexed digest, its real ones do not: refused, nothing cached."""
    root = tmp_path / "www"
    spec = component_text("x").encode()
    honest = tar_gz(tmp_path / "honest.tar", {"x/component.yaml": spec}).read_bytes()
    plain = gzip.decompress(honest) if honest[:2] == b"\x1f\x8b" else honest
    tampered = plain.replace(b"\n", b"\r\n")  # a different byte string, same normalised text
    (root / "files").mkdir(parents=True)
    (root / "files" / "x.tar").write_bytes(tampered)
    digest = sha(tampered.replace(b"\r\n", b"\n"))
    assert digest == sha(plain) and sha(tampered) != digest
    write_index(root, {"x": [{"version": "1.0.0", "digest": sha(spec), "source": {
        "archive": "files/x.tar", "archiveDigest": digest, "member": "x/component.yaml"}}]})
    with RegistryServer(root) as server:
        with pytest.raises(DigestMismatch, match=sha(tampered)):
            Registry([server.url]).load("x")
    assert Store().entries() == [] and Store().temp_files() == []


def test_a_crlf_component_url_loads_and_verifies_under_the_text_rule(tmp_path: Path) -> None:
    root = tmp_path / "www"
    crlf = component_text("crlf").replace("\n", "\r\n").encode()
    (root / "files").mkdir(parents=True)
    (root / "files" / "c.yaml").write_bytes(crlf)
    write_index(root, {"crlf": [{"version": "1.0.0", "digest": sha(crlf.replace(b"\r\n", b"\n")),
                                 "source": {"url": "URL/files/c.yaml"}}]})
    with RegistryServer(root) as server:
        serve_index(server, root)
        assert Registry([server.url]).load("crlf").name == "crlf"
    assert [e.rule for e in Store().entries()] == ["component-text"]
    assert creg("cache", "verify").returncode == 0


def test_a_component_url_is_fetched_with_the_spec_size_limit(tmp_path: Path) -> None:
    """A url: source may not make creg download (and keep) more than a spec can be."""
    root = tmp_path / "www"
    (root / "files").mkdir(parents=True)
    (root / "files" / "big.yaml").write_bytes(b"#" * (5 * 1024 * 1024))
    write_index(root, {"big": [{"version": "1.0.0", "digest": sha(b"x"), "source": {"url": "URL/files/big.yaml"}}]})
    with RegistryServer(root) as server:
        serve_index(server, root)
        with pytest.raises(CregError, match=f"larger than the limit of {4 * 1024 * 1024} bytes"):
            Registry([server.url]).load("big")
    assert Store().entries() == [] and Store().temp_files() == []


GRAPH = """\
name: pair
inputs: [{name: a, type: Integer}]
implementation:
  graph:
    tasks:
      first:
        componentRef: {name: add, tag: ^1}
        arguments: {a: {graphInput: {inputName: a}}}
      nested:
        componentRef:
          spec:
            name: inner
            inputs: [{name: a, type: Integer}]
            implementation:
              graph:
                tasks:
                  deep:
                    componentRef: {name: mul, tag: ~1.0}
                    arguments: {a: {graphInput: {inputName: a}}}
        arguments: {a: {graphInput: {inputName: a}}}
"""


def test_lock_pins_the_inner_references_of_graph_components_at_any_depth(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    entries = {"add": [path_entry(root, "add", "1.0.0")], "mul": [path_entry(root, "mul", "1.0.0")],
               "pair": [path_entry(root, "pair", "1.0.0", text=GRAPH)]}
    write_index(root, entries)
    pipe = tmp_path / "pipe" / "pipeline.yaml"
    pipe.parent.mkdir()
    (pipe.parent / "graph.yaml").write_text(GRAPH.replace("^1", "1.0.0").replace("~1.0", "^1"))
    pipe.write_text("name: p\ntasks:\n  a: {component: pair@1.0.0, args: {a: 1}}\n"
                    "  b: {component: ./graph.yaml, args: {a: 2}}\n")
    report = lock_file(pipe, Registry([str(root)]))
    assert sorted(e.ref for e in report.entries) == ["add@1.0.0", "add@^1", "mul@^1", "mul@~1.0", "pair@1.0.0"]

    # a newer add appears: the frozen lock is stale because of the inner reference alone
    entries["add"].append(path_entry(root, "add", "1.1.0"))
    write_index(root, entries)
    with pytest.raises(LockError, match=r"stale \(frozen\): add@\^1: locked add@1.0.0"):
        lock_file(pipe, Registry([str(root)]), frozen=True)
    assert Registry([str(root)], lock=Lock.load(report.path)).resolve("add@^1").component.version == "1.0.0"


def test_a_broken_inner_reference_names_the_graph_that_uses_it(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_index(root, {"add": [path_entry(root, "add", "1.0.0")],
                       "pair": [path_entry(root, "pair", "1.0.0", text=GRAPH)]})
    pipe = tmp_path / "refs.yaml"
    pipe.write_text("- pair@1.0.0\n")
    with pytest.raises(LockError, match=r"refs.yaml:1:3: .*mul@~1.0 \(used by pair@1.0.0\): .*unknown component 'mul'"):
        lock_file(pipe, Registry([str(root)]))


PULL_LOOP = """
import sys
from registry.index.resolve import Registry
for i in range(int(sys.argv[2])):
    Registry([sys.argv[1]]).fetch("arch/a")
"""
CLEAN_LOOP = """
import sys, time
from registry.sources.store import Store
ends = time.monotonic() + float(sys.argv[1])
while time.monotonic() < ends:
    Store().clean()
"""


def test_cache_clean_during_pulls_never_fails_a_pull(tmp_path: Path) -> None:
    """Two real processes: one cleans the cache in a loop, one pulls an archive member in a loop
    (each pull after a clean downloads the archive and reads it).  The reader holds the archive
    shared, so the cleaner waits instead of removing it between the two steps."""
    import subprocess
    import sys

    root = http_registry(tmp_path)  # used as a folder registry: the archive is read from the cache
    (root / "index.yaml").write_text((root / "index.yaml").read_text().replace("URL/", "http://127.0.0.1:9/"))
    cleaner = subprocess.Popen([sys.executable, "-c", CLEAN_LOOP, "6"], stderr=subprocess.PIPE, text=True)
    try:
        puller = subprocess.run([sys.executable, "-c", PULL_LOOP, str(root), "150"], capture_output=True,
                                text=True, timeout=120)
    finally:
        cleaner.wait(timeout=60)
    assert puller.returncode == 0, puller.stderr[-2000:]
    assert cleaner.returncode == 0, cleaner.stderr[-2000:]


def test_an_invalid_index_is_remembered_and_fails_the_same_way_without_being_parsed_again(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    root.mkdir()
    bad = "apiVersion: creg/v1\ncomponents:\n" + "".join(f"  c{i}: [{{version: '1', digest: x}}]\n" for i in range(300))
    (root / "index.yaml").write_text(bad)
    with pytest.raises(CregError) as first:
        Registry([str(root)]).searched[0].index()
    assert "stopped after 200 problems" in str(first.value)
    (note,) = (Store().root / "indexes" / "invalid").iterdir()
    assert note.name == sha(bad.encode()).removeprefix("sha256:")

    # The note is what answers now: a changed note shows up in the next error.
    note.write_bytes(marshal.dumps([(2, 1, "$.components", "remembered", "error")]))
    with pytest.raises(CregError, match=r"index.yaml:2:1: error: \$.components: remembered"):
        Registry([str(root)]).searched[0].index()
    assert creg("cache", "clean", "--older-than", "1").returncode == 0 and not note.exists()
