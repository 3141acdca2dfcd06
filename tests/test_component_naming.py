"""Argo names and KFP container paths made from KFP input and output names."""

from __future__ import annotations

from registry.component.naming import argo_name, input_path, output_path, slug


def test_argo_names_are_lowercase_with_dashes() -> None:
    assert argo_name("GCS path") == "gcs-path" and argo_name("a_b") == "a_b" and argo_name("!!") == "value"


def test_slugs_are_dns_labels() -> None:
    assert slug("My Pipeline!") == "my-pipeline" and slug("x" * 70) == "x" * 63
    assert slug("--", fallback="task") == "task"


def test_container_paths_sanitize_like_kfp() -> None:
    assert input_path("GCS path") == "/tmp/inputs/GCS_path/data"
    assert output_path("model.pkl") == "/tmp/outputs/model.pkl/data"
