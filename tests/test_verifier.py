"""The claim registry and the verifier: every claim holds, every control is rejected, and the
checker demonstrably fails on wrong formulas."""

import numpy as np
import pytest

from symlogit.symbolic.checking import Claim, Numeric, Symbolic
from symlogit.symbolic.claims import CLAIMS, CONTROLS
from symlogit.symbolic.claims.binary import gradient_forms
from symlogit.symbolic.claims.common import binary_numeric_case, matrix_numeric, matrix_symbolic, truth_gradient
from symlogit.symbolic.cases import binary_case
from symlogit.symbolic.verifier import check, passed

REFERENCE_IDS = [f"B{i}" for i in range(1, 7)] + [f"M{i}" for i in range(1, 17)] + [f"C{i}" for i in range(1, 5)]


def test_registry_covers_every_reference_id_once():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    assert set(REFERENCE_IDS) <= set(ids)
    for c in CLAIMS:
        assert c.statement and c.convention and c.source


def test_controls_cover_every_wrong_formula_of_references():
    # W1-W5 and W10-W12 are REFERENCES.md's wrong formulas (documents; other families); W6 is an exp
    # polynomial too short for float64, W7-W9 evaluations of the probit and cloglog functions that
    # lose accuracy
    assert sorted(c.id for c in CONTROLS) == sorted(f"W{i}" for i in range(1, 13))
    assert all(c.control for c in CONTROLS)


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_each_control_is_rejected(control):
    result = check(control)
    assert result.status == "rejected", result
    # Both halves of the checker catch it on their own, not only one of them.
    assert result.symbolic.startswith("disproved")
    assert result.numeric.startswith("disagrees")


@pytest.mark.parametrize("cid", ["B1", "B3", "M8", "M13", "C1", "C4", "F4", "F5"])
def test_selected_claims_are_proven(cid):
    claim = next(c for c in CLAIMS if c.id == cid)
    assert check(claim).status == "proven"


def test_a_planted_wrong_gradient_fails_both_ways():
    """A claim whose formula is off by a factor 2 must come out 'failed'."""
    def doubled(case):
        return [2 * f for f in gradient_forms(case)]
    wrong = Claim("X1", "2x the gradient", "average", "test",
                  lambda: matrix_symbolic([binary_case(1, 2)], doubled, truth_gradient(True), "planted"),
                  lambda rng: matrix_numeric(binary_numeric_case(), doubled, 1, True))
    result = check(wrong)
    assert result.status == "failed"
    assert "disproved" in result.symbolic and "disagrees" in result.numeric


def test_status_logic():
    def make(holds, ok, control=False):
        return Claim("T", "s", "c", "src", lambda: Symbolic(holds, "m"),
                     lambda rng: Numeric(ok, 0.0 if ok else 1.0, 1, "d"), control=control)
    assert check(make(True, True)).status == "proven"
    assert check(make(None, True)).status == "numeric"
    assert check(make(True, False)).status == "failed"
    assert check(make(False, True)).status == "failed"
    assert check(make(None, True, control=True)).status == "accepted"
    assert check(make(None, False, control=True)).status == "rejected"
    proven, accepted = check(make(True, True)), check(make(None, True, control=True))
    assert passed([proven], []) and not passed([proven], [accepted])


def test_an_exception_in_a_check_is_a_failure_not_a_crash():
    def boom(rng):
        raise RuntimeError("boom")
    result = check(Claim("T", "s", "c", "src", lambda: Symbolic(True, "m"), boom))
    assert result.status == "failed" and "boom" in result.numeric


def test_numeric_check_sees_extremes():
    """The numeric points reach |u| = 700 and the relative error is measured there."""
    from symlogit.symbolic.reference import scalar_points
    pts = scalar_points(np.random.default_rng(0))
    assert pts.min() == -700.0 and pts.max() == 700.0
