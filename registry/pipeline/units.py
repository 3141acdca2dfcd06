"""Kubernetes quantities and pipeline durations, as the pipeline file writes them."""

from __future__ import annotations

import re

_QUANTITY = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[mkMGTPE])?\Z")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: int | float | str) -> int:
    """``90`` / ``'90s'`` / ``'5m'`` / ``'2h'`` / ``'1d'`` -> seconds.

    (JSON Schema's ``integer`` also admits ``90.0``; it means 90.)
    """
    if isinstance(duration, (int, float)):
        return int(duration)
    return int(duration[:-1]) * _SECONDS[duration[-1]]


def is_quantity(value: object) -> bool:
    """Whether Kubernetes accepts ``value`` as a quantity (``500m``, ``2``, ``1.5``, ``1Gi``)."""
    return _QUANTITY.match(str(value)) is not None
