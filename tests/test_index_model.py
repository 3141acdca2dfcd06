"""The index model: semver parsing, ordering, reference matching, validation with positions."""

from __future__ import annotations

import copy
import hashlib

import pytest
import yaml

from registry.errors import CregError
from registry.component.version import parse_semver
from registry.index.model import ArchiveSource, Deprecation, Index, ResolveError, load_index, select, split_ref

DIGEST = "sha256:" + "a" * 64


def entry(version: str, digest: str = DIGEST, **extra: object) -> dict[str, object]:
    return {"version": version, "digest": digest, "source": {"path": f"c/{version}/component.yaml"}, **extra}


def make_index(versions: list[str], **extra_by_version: dict[str, object]) -> Index:
    items = [entry(v, "sha256:" + hashlib.sha256(v.encode()).hexdigest(), **extra_by_version.get(v, {})) for i, v in enumerate(versions)]
    # Two copies: one shared list would make safe_dump write an anchor and an alias, which indexes refuse.
    data = {"apiVersion": "creg/v1",
            "components": {"comp": items, "google-cloud/storage/download": copy.deepcopy(items)}}
    return load_index(yaml.safe_dump(data), "index.yaml")


VERSIONS = ["1.0.0", "1.2.0", "1.2.7", "1.10.0", "2.0.0-rc.1", "2.0.0", "0.2.5", "0.3.1", "v1.2",
            "nightly", "1.11.0-beta"]


def test_parse_semver_orders_like_semver() -> None:
    assert parse_semver("1.2.3")[:3] == (1, 2, 3)
    assert parse_semver("v1.2.3") == parse_semver("1.2.3")
    assert parse_semver("1.2.3+build.5") == parse_semver("1.2.3")
    for text in ("v1.2", "nightly", "1.2", "01.2.3", "1.2.3.4", "", "1.2.3-", "1.2.3-a..b", "1.2.3+", "\uff11.2.3"):
        assert parse_semver(text) is None, text
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
    parsed = [parse_semver(v) for v in chain]
    assert parsed == sorted(parsed)


def test_versions_newest_first_then_tags_in_index_order() -> None:
    index = make_index(VERSIONS)
    got = [e.component.version for e in index.versions("comp")]
    assert got == ["2.0.0", "2.0.0-rc.1", "1.11.0-beta", "1.10.0", "1.2.7", "1.2.0", "1.0.0", "0.3.1",
                   "0.2.5", "v1.2", "nightly"]


@pytest.mark.parametrize("spec, expected", [
    (None, "2.0.0"), ("latest", "2.0.0"), ("1.2.7", "1.2.7"), ("v1.2.7", "1.2.7"), ("0.2.5", "0.2.5"),
    ("^1.2", "1.10.0"), ("^1", "1.10.0"), ("~1.2", "1.2.7"), ("~1", "1.10.0"), (">=1,<2", "1.10.0"),
    (">=1.2.1 <1.3", "1.2.7"), ("^0.2", "0.2.5"), ("^0.3.0", "0.3.1"), ("1.2", "1.2.7"), ("<1", "0.3.1"),
    ("v1.2", "v1.2"), ("nightly", "nightly"), ("2.0.0-rc.1", "2.0.0-rc.1"), (">1.10.0 <2", None),
    ("^3", None), ("stable", None), ("=1.2.0", "1.2.0"), ("<=1.2.0", "1.2.0"), (">2", None),
])
def test_select(spec: str | None, expected: str | None) -> None:
    found = select(make_index(VERSIONS).versions("comp"), spec)
    assert (found.component.version if found else None) == expected


def test_prereleases_never_match_ranges() -> None:
    index = make_index(["1.0.0", "1.1.0-rc.1"])
    assert index.match("comp", "^1").component.version == "1.0.0"
    assert index.match("comp", None).component.version == "1.0.0"


def test_bare_name_skips_deprecated_but_exact_version_still_resolves() -> None:
    index = make_index(["1.0.0", "2.0.0"], **{"2.0.0": {"deprecated": {"message": "broken", "replacement": "comp@^3"}}})
    assert index.match("comp", None).component.version == "1.0.0"
    assert index.match("comp", "2.0.0").deprecated == Deprecation("broken", "comp@^3")


def test_only_tags_bare_name_takes_first_listed() -> None:
    assert make_index(["nightly", "stable"]).match("comp", None).component.version == "nightly"


def test_match_by_digest_full_and_prefix() -> None:
    index = make_index(["1.0.0", "1.1.0"])
    digest = index.versions("comp")[1].component.digest
    assert index.match("comp", digest).component.version == "1.0.0"
    assert index.match("comp", digest[:20]).component.version == "1.0.0"
    with pytest.raises(ResolveError, match="not a digest"):
        index.match("comp", "sha256:XYZ")


def test_unknown_name_suggests_and_unknown_version_lists_what_exists() -> None:
    index = make_index(["1.0.0", "0.2.5"])
    with pytest.raises(ResolveError, match="did you mean 'comp'"):
        index.match("cmop", None)
    with pytest.raises(ResolveError, match=r"available: 1\.0\.0, 0\.2\.5"):
        index.match("comp", "^2")


def test_split_ref() -> None:
    assert split_ref("google-cloud/storage/download@0.2.5") == ("google-cloud/storage/download", "0.2.5")
    assert split_ref("add") == ("add", None)
    assert split_ref("add@>=1, <2") == ("add", ">=1, <2")
    with pytest.raises(ResolveError, match="nothing after '@'"):
        split_ref("add@")


def test_load_index_reports_every_problem_with_position() -> None:
    text = """apiVersion: creg/v1
components:
  add:
    - version: 1.0.0
      digest: sha256:abc
      sourc: {path: x.yaml}
  bad name:
    - version: 1.0.0
      digest: sha256:%s
      source: {path: x.yaml, url: http://x}
""" % ("b" * 64)
    with pytest.raises(CregError) as info:
        load_index(text, "reg/index.yaml")
    message = str(info.value)
    assert "reg/index.yaml:6:7: error: $.components.add[0].sourc: unknown key 'sourc' (did you mean 'source'?)" in message
    assert "reg/index.yaml:5:15: error: $.components.add[0].digest:" in message
    assert "reg/index.yaml:7:3: error: $.components['bad name']: 'bad name' is not a valid component name" in message
    assert "reg/index.yaml:10:15:" in message and "exactly one of" in message


def test_duplicate_versions_are_an_error() -> None:
    data = {"apiVersion": "creg/v1", "components": {"a": [entry("1.0.0"), entry("1.0.0")]}}
    with pytest.raises(CregError, match=r"index.yaml:\d+:\d+: error: \$.components.a\[1\].version: duplicate version"):
        load_index(yaml.safe_dump(data), "index.yaml")


def test_archive_source_and_names_with_slashes_load() -> None:
    data = {"apiVersion": "creg/v1", "components": {"google-cloud/storage/download": [{
        "version": "0.2.5", "digest": DIGEST,
        "source": {"archive": "https://github.com/kubeflow/pipelines/archive/0.2.5.tar.gz",
                   "archiveDigest": DIGEST, "member": "pipelines-0.2.5/components/x/component.yaml"}}]}}
    index = load_index(yaml.safe_dump(data).encode(), "index.yaml")
    assert index.names() == ["google-cloud/storage/download"]
    source = index.versions("google-cloud/storage/download")[0].source
    assert isinstance(source, ArchiveSource) and source.member.endswith("component.yaml")


@pytest.mark.parametrize("key,value", [("path", "../../etc/passwd"), ("path", "/etc/passwd"),
                                       ("path", "components/../../x"), ("archive", "/srv/a.tar.gz"),
                                       ("member", "../outside/component.yaml")])
def test_sources_that_leave_the_registry_are_refused_with_positions(key: str, value: str) -> None:
    source = {"path": "c/component.yaml"} if key == "path" else \
        {"archive": "a.tar.gz", "archiveDigest": DIGEST, "member": "a/component.yaml"}
    source[key] = value
    data = {"apiVersion": "creg/v1", "components": {"comp": [{"version": "1.0.0", "digest": DIGEST, "source": source}]}}
    with pytest.raises(CregError) as info:
        load_index(yaml.safe_dump(data), "index.yaml")
    problem = info.value.problems[0]
    assert problem.path == f"$.components.comp[0].source.{key}" and problem.line > 0
    assert f"'{value}' leaves the {'archive' if key == 'member' else 'registry'}" in problem.message


def test_archive_urls_are_not_paths() -> None:
    source = {"archive": "https://host/a/../b.tar.gz", "archiveDigest": DIGEST, "member": "b/component.yaml"}
    data = {"apiVersion": "creg/v1", "components": {"comp": [{"version": "1.0.0", "digest": DIGEST, "source": source}]}}
    assert load_index(yaml.safe_dump(data), "index.yaml").versions("comp")[0].source.index_item() == source


def test_name_and_version_patterns_are_the_schemas() -> None:
    from registry.component.version import NAME_PATTERN, VERSION_PATTERN
    from registry.resources import load_schema

    defs = load_schema("index.schema.json")["$defs"]
    assert NAME_PATTERN.pattern == defs["componentName"]["pattern"]
    assert VERSION_PATTERN.pattern == defs["version"]["properties"]["version"]["pattern"]


def test_a_malformed_range_is_named_as_such() -> None:
    index = make_index(["1.0.0"])
    with pytest.raises(ResolveError, match=r"'\^x' is not a version range; expected e.g. \^1.2"):
        index.match("comp", "^x")
    with pytest.raises(ResolveError, match="available: 1.0.0"):
        index.match("comp", "^7")


def test_aliases_are_refused_in_an_index_at_their_position() -> None:
    text = ("apiVersion: creg/v1\ncomponents:\n  comp:\n"
            f"  - {{version: 1.0.0, digest: '{DIGEST}', source: &src {{path: c/component.yaml}}}}\n"
            f"  - {{version: 1.0.1, digest: '{DIGEST}', source: *src}}\n")
    assert yaml.safe_load(text)["components"]["comp"][1]["source"] == {"path": "c/component.yaml"}
    with pytest.raises(CregError) as caught:
        load_index(text, "index.yaml")
    problem = caught.value.problems[0]
    line = text.splitlines()[4]
    assert (problem.file, problem.line, problem.column) == ("index.yaml", 5, line.index("*src") + 1)
    assert "aliases ('*src') are not allowed" in problem.message


def test_a_small_alias_bomb_index_is_refused_at_the_first_alias() -> None:
    lines = ["apiVersion: creg/v1", "components: {}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    text = "\n".join(lines) + "\n"
    assert len(text) < 1024
    with pytest.raises(CregError, match=r"index.yaml:4:\d+: error: YAML aliases \('\*a0'\) are not allowed"):
        load_index(text.encode(), "index.yaml")


def test_other_files_still_accept_aliases() -> None:
    from registry.yamlio import load_mapping

    text = "a: &x [1, 2]\nb: *x\n"
    assert load_mapping(text, "f.yaml").data == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(CregError, match=r"f.yaml:2:4: error: YAML aliases \('\*x'\) are not allowed"):
        load_mapping(text, "f.yaml", aliases=False)


def test_one_record_one_ordering() -> None:
    """Index entries, lock pins and bare versions sort by the same key (component.version)."""
    from registry.component.version import ComponentVersion, newest_first

    versions = [ComponentVersion("comp", v, DIGEST) for v in VERSIONS]
    listed = [e.component.version for e in make_index(VERSIONS).versions("comp")]
    assert [v.version for v in newest_first(versions, lambda v: v.version)] == listed
    assert ComponentVersion("a", "1.0.0", DIGEST).ref == "a@1.0.0"


@pytest.mark.parametrize("source", [{"path": "a/1.0.0/component.yaml"}, {"url": "https://host/component.yaml"},
                                    {"archive": "a.tar.gz", "archiveDigest": DIGEST, "member": "a/component.yaml"}])
def test_an_index_item_reads_into_its_record_and_back(source: dict[str, str]) -> None:
    from registry.index.model import entry_from_item

    item = {"version": "1.0.0", "digest": DIGEST, "description": "Adds.", "created": "2026-01-01",
            "deprecated": {"message": "old", "replacement": "a@^2"}, "allowBreaking": True, "source": source}
    entry = entry_from_item("a", item)
    assert entry.index_item() == item and list(entry.index_item()) == list(item)  # same keys, same order
    assert entry.deprecated == Deprecation("old", "a@^2") and entry.component.ref == "a@1.0.0"
