"""The probit and cloglog special functions (symbolic/special.py, codegen/special.py; claims
F6-F16, controls W7-W9): the numba source against its numpy mirror bit for bit, against mpmath at
the extremes, nan and inf behaviour, the derivative identities, and the controls."""

import importlib
import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

from symlogit.codegen.special import KERNEL_NAMES, NJIT, special_source
from symlogit.symbolic import special as S
from symlogit.symbolic.claims import special as claims

EXTREMES = (0.0, 1e-300, 1.0, 5.0, 8.0, 10.0, 20.0, 37.0, 38.5, 40.0, 700.0, 745.0, 1e3, 1e5)


def _helpers_module():
    """A generated family module with F4/F5's _exp_nonpositive and _log1p_unit."""
    from symlogit._generated import FAMILIES
    for name in FAMILIES:
        mod = importlib.import_module(f"symlogit._generated.{name}")
        if hasattr(mod, "_exp_nonpositive") and hasattr(mod, "_log1p_unit"):
            return mod
    pytest.skip("no generated module defines _exp_nonpositive and _log1p_unit")


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    """special_source(all six) pasted into a module whose namespace is math, numba, np and the
    two F4/F5 helpers, as a generated module would hold it."""
    helpers = _helpers_module()
    path = tmp_path_factory.mktemp("special") / "special_kernels.py"
    path.write_text("import math\n\nimport numba\nimport numpy as np\n\n"
                    f"from {helpers.__name__} import _exp_nonpositive, _inline_into_tiles, _log1p_unit\n\n\n"
                    + special_source(list(KERNEL_NAMES)))
    spec = importlib.util.spec_from_file_location("special_kernels", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call(kernels, name, u):
    f = getattr(kernels, S.BY_KERNEL_NAME[f"_{name}"].kernel_name)
    return np.array([f(float(v)) for v in np.atleast_1d(u)])


def test_source_is_deterministic_and_complete():
    names = list(KERNEL_NAMES)
    text = special_source(names)
    assert text == special_source(names) == special_source(names[::-1])
    assert special_source(["log_ndtr"]) == special_source(["_log_ndtr"])
    assert "def _cloglog_q" not in special_source(["_log_ndtr"]) and "def _special_mills" in text
    for name in KERNEL_NAMES:
        assert f"def {name}(u):" in text
    decorator = NJIT  # inlined into the tile functions only, called from every other kernel
    assert text.count(decorator) == len(text.split("\ndef ")) - 1 - 2  # all but the two bit-cast intrinsics
    assert "math.exp" not in text and "math.log" not in text and "math.erfc" not in text  # call-free
    with pytest.raises(ValueError, match="no special kernel"):
        special_source(["_special_mills"])


def test_kernels_are_the_mirrors_bit_for_bit(kernels):
    rng = np.random.default_rng(11)
    edges = [0.0, -0.0, 4.0, -4.0, np.nextafter(4.0, 0.0), -np.nextafter(4.0, 0.0), 1.75, -1.75, 6.57, 7.0, 64.0,
             38.6, -38.6, 745.0, -745.0, 1e154, -1e154, 2e154, -2e154, 1e300, -1e300, np.inf, -np.inf, np.nan]
    u = np.concatenate([edges, rng.uniform(-45, 45, 1500), rng.uniform(-4, 8, 1000),
                        10.0 ** rng.uniform(-300, 300, 250), -10.0 ** rng.uniform(-300, 300, 250)])
    for name, mirror in S.MIRRORS.items():
        got, want = _call(kernels, name, u), mirror(u)
        assert np.array_equal(got.view(np.int64), want.view(np.int64)) or \
            np.array_equal(got, want, equal_nan=True), name


@pytest.mark.parametrize("name", list(S.MIRRORS))
def test_kernels_against_mpmath_at_the_extremes(kernels, name):
    u = np.array([v for e in EXTREMES for v in (e, -e)])
    for v, g in zip(u, _call(kernels, name, u)):
        assert claims._error(float(g), claims._reference(name, v)) <= 1e-13, (name, v, g)


@pytest.mark.parametrize("name", list(S.MIRRORS))
def test_nan_in_nan_out_and_finite_in_finite_out(kernels, name):
    assert np.isnan(_call(kernels, name, np.nan)[0])
    rng = np.random.default_rng(3)
    most = 1.8e154 if name == "log_ndtr" else 1.7976931348623157e308  # log_ndtr: -u^2/2 overflows beyond
    u = np.concatenate([[most, -most, 5e-324, -5e-324, 1e154, -1e154], rng.uniform(-1e3, 1e3, 300),
                        10.0 ** rng.uniform(-320, 308, 200), -10.0 ** rng.uniform(-320, np.log10(most), 200)])
    got = _call(kernels, name, u)
    assert np.all(np.isfinite(got)), u[~np.isfinite(got)]
    low, high = _call(kernels, name, [-np.inf, np.inf])
    assert (low, high) == claims.LIMITS[name]


def test_log_ndtr_is_minus_inf_only_where_minus_u_squared_over_2_overflows(kernels):
    assert np.isfinite(_call(kernels, "log_ndtr", -1.8e154)[0])
    assert _call(kernels, "log_ndtr", -1.9e154)[0] == -np.inf == _call(kernels, "log_ndtr", -1e300)[0]


@pytest.mark.parametrize("function", S.FUNCTIONS, ids=lambda f: f.__name__)
def test_derivative_identities(kernels, function):
    """mpmath's derivative of the raw definition equals the raw fdiff (to 1e-30), and the
    kernels' values of the fdiff form (1e-13)."""
    u = sp.Symbol("u", real=True)
    raw = sp.lambdify(u, S.raw(function(u)), "mpmath")
    derivative = sp.lambdify(u, S.raw(function(u).diff(u)), "mpmath")
    with mpmath.workdps(250):  # the raw forms cancel: 1 - erfc(14)/2, 1 - exp(-e^6)
        for v in (-20.0, -3.0, -0.5, 0.3, 2.0, 6.0):
            numeric = mpmath.diff(raw, mpmath.mpf(v))
            assert abs(numeric - derivative(mpmath.mpf(v))) <= mpmath.mpf(10) ** -30 * abs(numeric), (function, v)
            closed = function(u).diff(u)
            if isinstance(closed, S.FUNCTIONS) or isinstance(-closed, S.FUNCTIONS):
                sign, g = (1, closed) if isinstance(closed, S.FUNCTIONS) else (-1, -closed)
                assert sign * _call(kernels, g.func.__name__, v)[0] == pytest.approx(float(numeric), rel=1e-13)


def test_sympy_derivatives_of_the_losses_stay_in_these_functions():
    u, y = sp.symbols("u y", real=True)
    probit = -y * S.log_ndtr(u) - (1 - y) * S.log_ndtr(-u)
    assert sp.expand(sp.diff(probit, u) - (-y * S.inv_mills(u) + (1 - y) * S.inv_mills(-u))) == 0
    assert sp.expand(sp.diff(probit, u, 2) - (y * S.mills_curvature(u) + (1 - y) * S.mills_curvature(-u))) == 0
    cloglog = -y * S.log_cloglog(u) + (1 - y) * sp.exp(u)
    assert sp.expand(sp.diff(cloglog, u) - (-y * S.cloglog_q(u) + (1 - y) * sp.exp(u))) == 0
    assert sp.expand(sp.diff(cloglog, u, 2) - (y * S.cloglog_curvature(u) + (1 - y) * sp.exp(u))) == 0
    assert S.log_ndtr(0) == -sp.log(2) and S.inv_mills(u).is_real and S.log_ndtr(u).is_negative
    assert S.raw(S.log_ndtr(u)) == S.log_ndtr(u).rewrite(sp.exp) == sp.log(sp.erfc(-sp.sqrt(2) * u / 2) / 2)


@pytest.mark.parametrize("control", claims.CONTROLS, ids=lambda c: c.id)
def test_controls_are_rejected(control):
    from symlogit.symbolic.verifier import check
    result = check(control)
    assert result.status == "rejected", result
    assert result.symbolic.startswith("disproved") and result.numeric.startswith("disagrees")  # both halves
