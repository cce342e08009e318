"""Run claims and controls and turn each check into a status.

claim:   "proven"   symbolic proof and numeric agreement
         "numeric"  numeric agreement, SymPy could not decide
         "failed"   a numeric disagreement or a decisive symbolic one (or an exception)
control: "rejected" either half shows the wrong formula wrong
         "accepted" neither does: the checker failed to catch it, and verify fails
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass

import numpy as np

from .checking import Claim, Numeric, Symbolic


@dataclass(frozen=True)
class Result:
    id: str
    status: str
    method: str
    seconds: float
    statement: str
    convention: str
    source: str
    symbolic: str
    numeric: str

    def as_dict(self):
        return asdict(self)


def _rng_for(claim_id: str) -> np.random.Generator:
    # A fixed seed per ID: a run is reproducible, and adding a claim does not move the others.
    return np.random.default_rng(zlib.crc32(claim_id.encode()))


def check(claim: Claim) -> Result:
    start = time.perf_counter()
    try:
        sym = claim.symbolic()
    except Exception as exc:  # a crash of a proof attempt is an undecided proof, not a verdict
        sym = Symbolic(None, f"symbolic check raised {type(exc).__name__}: {exc}")
    try:
        num = claim.numeric(_rng_for(claim.id))
    except Exception as exc:
        num = Numeric(False, float("inf"), 0, f"numeric check raised {type(exc).__name__}: {exc}")
    wrong = num.ok is False or sym.holds is False
    if claim.control:
        status = "rejected" if wrong else "accepted"
    else:
        status = "failed" if wrong else ("proven" if sym.holds else "numeric")
    sym_text = {True: "proved", False: "disproved", None: "undecided"}[sym.holds]
    num_text = ("agrees" if num.ok else "disagrees") + f" ({num.detail})"
    return Result(claim.id, status, sym.method, round(time.perf_counter() - start, 3), claim.statement,
                  claim.convention, claim.source, f"{sym_text}: {sym.method}", num_text)


def run(claims, controls) -> tuple[list[Result], list[Result]]:
    return [check(c) for c in claims], [check(c) for c in controls]


def passed(claim_results, control_results) -> bool:
    return all(r.status in ("proven", "numeric") for r in claim_results) and \
        all(r.status == "rejected" for r in control_results)
