"""Every operation of the OpenAPI description, fuzzed in-process (schemathesis over ASGI).

The app serves a real SQLite instance with the small ORBS files. For each operation
schemathesis generates requests from the description (valid and invalid parameters and
bodies) and checks that no answer is a server error and that every answer is one the
description documents: its status code, its content type and its body's schema.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import load_files, small_orbs_paths
from seawitness.api.limits import RateLimiter
from seawitness.app import create_app
from seawitness.instance import Instance

#: Examples per operation: enough to hit every parameter's edges, bounded for CI.
EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Cases run per operation, for the summary at the end of the module.
RUN: Counter[str] = Counter()


# Loaded at import: the schema must exist when pytest collects the operations (a lazy
# schema from a fixture does not work with this pytest). The data comes in a fixture.
_ROOT = Path(tempfile.mkdtemp(prefix="seawitness-schemathesis-"))
_INST = Instance.create(_ROOT / "inst", db_url=str(_ROOT / "db.sqlite"), origin="test.local/sw")
_APP = create_app(_INST, warm=False)
# The write budgets answer 429 (documented) long before the examples run out; give the
# fuzzer room so that it reaches the entry checks behind them.
_APP.state.limits.requests = RateLimiter(10**9, 10**9)
# Submission bodies are NDJSON text: sent as the generated string, as text/plain is.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _data() -> Iterator[None]:
    load_files(_INST, small_orbs_paths())
    yield
    summary = ", ".join(f"{op} {n}" for op, n in sorted(RUN.items()))
    ops = len(list(schema.get_all_operations()))
    print(f"\nschemathesis: {ops} operations, {sum(RUN.values())} cases: {summary}")
    _INST.store.close()
    shutil.rmtree(_ROOT, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms(case: Any) -> None:
    RUN[case.operation.label] += 1
    case.call_and_validate(checks=CHECKS)
