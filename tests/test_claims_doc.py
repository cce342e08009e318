"""docs/claims.md is the claims document of a real verification run, kept current: the committed
file must equal the one `symlogit verify --write-doc` writes now."""

import difflib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from symlogit.symbolic.claims import CLAIMS, CONTROLS
from symlogit.symbolic.claims_doc import REGENERATE, render
from symlogit.symbolic.verifier import Result

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "claims.md"


def test_committed_claims_doc_is_current(full_verify):
    assert full_verify.exit_code == 0, full_verify.output
    written = full_verify.doc_path.read_text(encoding="utf-8")
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if written != committed:
        diff = "\n".join(list(difflib.unified_diff(committed.splitlines(), written.splitlines(), "docs/claims.md",
                                                   "this run", lineterm=""))[:40])
        pytest.fail(f"docs/claims.md is out of date with the claim registry or its statuses; regenerate it with "
                    f"`{REGENERATE}` at the repository root.\n{diff}")


def test_the_doc_is_render_of_the_runs_results_with_one_row_per_registry_entry(full_verify):
    data = json.loads(full_verify.stdout)
    results = ([Result(**r) for r in data["claims"]], [Result(**r) for r in data["controls"]])
    text = full_verify.doc_path.read_text(encoding="utf-8")
    assert render(results) == text
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert [row.split(" | ")[0] for row in rows] == [f"| **{c.id}**" for c in CLAIMS + CONTROLS]


def _result(**changes):
    base = Result("X1", "proven", "m", 1.234, "|u| <= 700, a*b", "per sample", "doc <b>", "proved: cancel",
                  "agrees (float64 vs mpmath; max rel. error 1.70e-16 (tol 1e-12))")
    return replace(base, **changes)


def test_render_is_deterministic_and_keeps_the_table_intact():
    first = render(([_result()], [_result(id="W9", status="rejected")]))
    # timings and the machine-dependent digits of the measured error do not reach the document
    again = render(([_result(seconds=9.0, numeric="agrees (float64 vs mpmath; max rel. error 2.22e-16 (tol 1e-12))")],
                    [_result(id="W9", status="rejected", seconds=0.1)]))
    assert first == again
    row = next(line for line in first.splitlines() if line.startswith("| **X1**"))
    assert row.count(" | ") == 6  # 7 cells: every | of the text is escaped
    assert "`\\|u\\| <= 700, a*b`" in row and "doc \\<b>" in row and "max rel. error <= 1e-12" in row
    failed = render(([_result(status="failed", numeric="disagrees (x; max rel. error 3.00e-02 (tol 1e-12))")], []))
    assert "max rel. error > 1e-12" in failed and "`failed`" in failed
