"""Rollback and freeze protection for remote indexes (TUF's two ideas, in creg's terms).

*Rollback*: a mirror or an attacker serves an ``index.yaml`` older than one creg has seen, so
a deprecation ("CVE: use 1.1.0") disappears and ``hello@^1`` resolves back to the vulnerable
version.  Every write of an index raises its ``serial``; the cache remembers the highest serial
accepted per registry (``registry.index.records``) and an older one is refused, unless the user
accepts it (``--allow-rollback`` / ``$CREG_ALLOW_ROLLBACK``), with a warning.

*Freeze*: a registry that keeps serving the same old index hides every later fix without any
serial going back.  With a maximum age configured (``$CREG_INDEX_MAX_AGE`` or the config file's
``indexMaxAge``, in days), an index whose ``generated`` time is older than that gets a warning.
"""

from __future__ import annotations

import datetime
import os
import warnings

from registry.errors import CregWarning, mention
from registry.index.model import Index, ResolveError


class RollbackError(ResolveError):
    """A registry served an index older than one this cache has accepted from it."""


class RollbackWarning(CregWarning):
    """An older index was accepted because the user allowed it."""


class FrozenIndexWarning(CregWarning):
    """An index is older than the configured maximum age."""


def check_serial(index: Index, location: str, highest: int, allow: bool) -> None:
    """Refuse (or, when ``allow``, warn about) an index whose serial is below ``highest``."""
    if index.serial >= highest:
        return
    stated = f"serial {index.serial}" if index.serial else "no serial"
    what = (f"{location} has {stated}, but serial {highest} was seen before: an older index "
            "(a rollback) could bring back versions deprecated or fixed since")
    if not allow:
        raise RollbackError(f"{what}; refusing it (pass {mention('allow_rollback')} to accept it)",
                            arguments=["allow_rollback"])
    warnings.warn(RollbackWarning(f"{what}; accepted because {mention('allow_rollback')} was given",
                                  arguments=["allow_rollback"]), stacklevel=3)


def max_age_days() -> float | None:
    """``$CREG_INDEX_MAX_AGE`` (days), else the config file's ``indexMaxAge``; None: no limit."""
    raw = os.environ.get("CREG_INDEX_MAX_AGE", "").strip()
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise ResolveError(f"CREG_INDEX_MAX_AGE={raw[:40]!r}: expected a number of days") from None
    from registry.index.config import configured_max_age  # lazy: start-up (reads the config file)

    return configured_max_age()


def check_age(index: Index, location: str, now: datetime.datetime | None = None) -> None:
    """Warn when the index is older than the maximum age (or states no time while one is set)."""
    limit = max_age_days()
    if limit is None:
        return
    if not index.generated:
        warnings.warn(FrozenIndexWarning(f"{location} states no 'generated' time, so its age cannot be "
                                         f"checked against the maximum of {limit:g} days"), stacklevel=3)
        return
    generated = datetime.datetime.strptime(index.generated, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    age = ((now or datetime.datetime.now(datetime.timezone.utc)) - generated).total_seconds() / 86400
    if age > limit:
        warnings.warn(FrozenIndexWarning(
            f"{location} was generated {age:.0f} days ago ({index.generated}), more than the maximum "
            f"age of {limit:g} days: the registry may be frozen, hiding newer versions and "
            "deprecations"), stacklevel=3)
