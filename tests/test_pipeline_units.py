"""Durations and Kubernetes quantities as a pipeline file writes them."""

from __future__ import annotations

import pytest

from registry.pipeline.units import is_quantity, seconds


def test_durations() -> None:
    assert [seconds(90), seconds("90s"), seconds("5m"), seconds("2h"), seconds("1d")] == [90, 90, 300, 7200, 86400]


@pytest.mark.parametrize("value, ok", [("500m", True), (2, True), (1.5, True), ("1Gi", True), ("1G", True),
                                       ("1e3", True), ("12 GB", False), ("bad", False), ("1Gb", False)])
def test_kubernetes_quantities(value: object, ok: bool) -> None:
    assert is_quantity(value) is ok
