"""The derivations start from the raw cross-entropy and end in the kernel formulas."""

import sympy as sp

from symlogit.symbolic.derivation import derive_binary, derive_multinomial
from symlogit.symbolic.functions import logsumexp, sigmoid, softplus


def test_binary_derivation_reaches_the_documented_forms():
    d = derive_binary()
    u, y = d.symbols["u"], d.symbols["y"]
    by_claim = {s.claim: s.rhs for s in d.steps if s.claim}
    assert sp.expand(by_claim["B2"] - (-y * u + softplus(u))) == 0
    assert sp.expand(by_claim["B3"] - (sigmoid(u) - y)) == 0
    assert sp.expand(by_claim["B5"] - sigmoid(u) * (1 - sigmoid(u))) == 0
    k = d.kernel
    assert k["hessian_weight"] == sigmoid(u) * sigmoid(-u)
    assert sp.expand(k["gradient_weight"] - ((1 - y) * sigmoid(u) - y * sigmoid(-u))) == 0
    assert sp.expand(k["loss"] - ((1 - y) * softplus(u) + y * softplus(-u))) == 0


def test_multinomial_derivation_for_several_class_counts():
    for n_classes in (2, 3, 4):
        d = derive_multinomial(n_classes)
        us, ys = d.symbols["u"], d.symbols["y"]
        h = next(s.rhs for s in d.steps if s.claim == "M7")
        assert sp.expand(h - (logsumexp(*us) - sum(a * b for a, b in zip(ys, us)))) == 0
        assert str(d.kernel["gradient_weight"]) == "p_k - y_k"
        assert str(d.kernel["hessian_weight"]) == "p_k*(delta_kl - p_l)"
