"""The pipeline schema's verdict, as positioned problems with readable messages.

A fast yes/no checker answers for valid files; jsonschema runs only to explain a failure,
through the shared reporter (``registry.schemareport``).  What is the pipeline format's own
is the wording of its patterns.
"""

from __future__ import annotations

from typing import Callable

from registry.errors import Problem
from registry.resources import checker, validator
from registry.schemareport import Rules, report
from registry.yamlio import Document

SCHEMA = "pipeline.schema.json"

# What each of the schema's patterns asks for, in the words of someone writing a pipeline.
PATTERNS = {
    "^[0-9]+(s|m|h|d)$": "is not a duration: use seconds (an integer) or e.g. 30s, 5m, 2h, 1d",
    "^/": "is not an absolute path: mount paths start with '/' (e.g. /data)",
    "^[A-Za-z_][A-Za-z0-9_.-]*$": "is not a valid environment variable name: use letters, digits, '_', "
                                  "'.' and '-', not starting with a digit",
    "^[A-Za-z_][A-Za-z0-9_-]*$": "is not a valid param name: use letters, digits, '_' and '-', "
                                 "not starting with a digit",
    "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$": "is not a storage size: use e.g. 5Gi, 500Mi or 1T",
}
RULES = Rules(patterns=PATTERNS)


def schema_problems(doc: Document, located: Callable[[], Document] | None = None) -> list[Problem]:
    """Problems the JSON Schema finds, each located in the file, unknown keys with did-you-mean.

    ``located`` gives the document with positions when ``doc`` was loaded without them.
    """
    if checker(SCHEMA).is_valid(doc.data):
        return []
    if located is not None:
        doc = located()
    # inlined: jsonschema would resolve a $ref per task and field of a large pipeline
    return report(doc, validator(SCHEMA, inline=True).iter_errors(doc.data), RULES)
