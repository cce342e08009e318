"""Generated kernels against plain numpy evaluations of the closed forms B4, B6, M9, M16,
finite differences, the Hessian-vector product, and mpmath at extreme scores."""

import mpmath
import numpy as np
import pytest

from symlogit.kernels import logit as binary, softmax as multinomial

CHUNK = binary.CHUNK


def _augment(X):
    return np.hstack([np.ones((X.shape[0], 1)), X.astype(np.float64)])


def _sigmoid(u):
    return np.where(u >= 0, 1 / (1 + np.exp(-np.abs(u))), np.exp(-np.abs(u)) / (1 + np.exp(-np.abs(u))))


def _softmax(U):
    E = np.exp(U - U.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


@pytest.fixture(params=[1, 7, CHUNK + 3], ids=lambda n: f"N={n}")
def n_rows(request):
    return request.param


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("intercept", [True, False])
# the Hessian takes a GEMM path up to GEMM_MAX_P coefficients and a SYRK path beyond
@pytest.mark.parametrize("d", [4, binary.GEMM_MAX_P + 5], ids=["narrow", "wide"])
def test_binary_kernels_match_closed_forms(n_rows, dtype, weighted, intercept, d):
    rng = np.random.default_rng(n_rows)
    X = rng.normal(size=(n_rows, d)).astype(dtype)
    y = rng.random(n_rows)
    w = rng.random(n_rows) * 2 if weighted else None
    ww = w if weighted else np.ones(n_rows)
    Xh = _augment(X) if intercept else X.astype(np.float64)
    beta = rng.normal(size=Xh.shape[1])
    u = Xh @ beta
    s = _sigmoid(u)
    loss_ref = np.sum(ww * (np.logaddexp(0, u) - y * u))
    grad_ref = Xh.T @ (ww * (s - y))                      # B4 (times N: kernels return sums)
    hess_ref = (Xh.T * (ww * (s - s ** 2))) @ Xh          # B6
    loss, grad = binary.loss_grad(X, y, beta, w, intercept)
    assert loss == pytest.approx(loss_ref, rel=1e-12)
    assert binary.loss(X, y, beta, w, intercept) == pytest.approx(loss_ref, rel=1e-12)
    assert binary.loss_from_scores(u, y, w) == pytest.approx(loss_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-10)
    loss3, g2, H = binary.loss_grad_hess(X, y, beta, w, intercept)
    assert loss3 == pytest.approx(loss_ref, rel=1e-12)
    np.testing.assert_allclose(g2, grad_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(binary.grad_hess(X, y, beta, w, intercept)[1], H)
    np.testing.assert_allclose(H, hess_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(H, H.T)
    v = rng.normal(size=beta.shape)
    np.testing.assert_allclose(binary.hessp(X, y, beta, v, w, intercept), H @ v, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(binary.scores(X, beta, intercept), u, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(binary.probabilities(X, beta, intercept)[:, 1], s, rtol=1e-12)


@pytest.mark.parametrize("K", [2, 3, 5, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_kernels_match_closed_forms(n_rows, K, dtype, weighted):
    rng = np.random.default_rng(K * 100 + n_rows)
    X = rng.normal(size=(n_rows, 3)).astype(dtype)
    Xh = _augment(X)
    labels = rng.integers(0, K, n_rows)
    soft = rng.dirichlet(np.ones(K), n_rows)
    w = rng.random(n_rows) * 2 if weighted else None
    ww = w if weighted else np.ones(n_rows)
    B = rng.normal(size=(Xh.shape[1], K))
    U = Xh @ B
    P = _softmax(U)
    for Y_in, Y in ((labels, np.eye(K)[labels]), (soft, soft)):
        lse = np.log(np.exp(U - U.max(1, keepdims=True)).sum(1)) + U.max(1)
        loss_ref = np.sum(ww * (lse - (Y * U).sum(1)))
        grad_ref = sum(ww[i] * np.kron(P[i] - Y[i], Xh[i]) for i in range(n_rows)) if n_rows < 100 else \
            (Xh.T @ (ww[:, None] * (P - Y))).T.ravel()           # M9 (vec order), times N
        loss, grad = multinomial.loss_grad(X, Y_in, B, w)
        assert loss == pytest.approx(loss_ref, rel=1e-12)
        loss3, grad3, _ = multinomial.loss_grad_hess(X, Y_in, B, w)
        assert loss3 == pytest.approx(loss_ref, rel=1e-12)
        np.testing.assert_allclose(grad3, grad, rtol=1e-12, atol=1e-12)
        assert multinomial.loss_from_scores(U, Y_in, w) == pytest.approx(loss_ref, rel=1e-12)
        np.testing.assert_allclose(grad.T.ravel(), grad_ref, rtol=1e-10, atol=1e-10)
    if n_rows > 100:
        return  # the O(N K^2 d^2) numpy reference below is for small N only
    hess_ref = sum(ww[i] * np.kron(np.diag(P[i]) - np.outer(P[i], P[i]), np.outer(Xh[i], Xh[i]))
                   for i in range(n_rows))                       # M16, times N
    _, H = multinomial.grad_hess(X, soft, B, w)
    np.testing.assert_allclose(H, hess_ref, rtol=1e-10, atol=1e-10)
    V = rng.normal(size=B.shape)
    np.testing.assert_allclose(multinomial.hessp(X, None, B, V, w).T.ravel(), H @ V.T.ravel(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(multinomial.probabilities(X, B), P, rtol=1e-12)
    np.testing.assert_allclose(multinomial.scores(X, B), U, rtol=1e-12, atol=1e-12)


def test_gradients_match_finite_differences_of_the_loss():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = rng.random(50)
    beta = rng.normal(size=4)
    _, grad = binary.loss_grad(X, y, beta)
    h = 1e-6
    fd = [(binary.loss(X, y, beta + h * e) - binary.loss(X, y, beta - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-7)
    B = rng.normal(size=(4, 3))
    labels = rng.integers(0, 3, 50)
    _, G = multinomial.loss_grad(X, labels, B)
    for j, k in np.ndindex(B.shape):
        E = np.zeros_like(B)
        E[j, k] = h
        fd = (multinomial.loss(X, labels, B + E) - multinomial.loss(X, labels, B - E)) / (2 * h)
        assert G[j, k] == pytest.approx(fd, rel=1e-7, abs=1e-7)


def test_results_do_not_depend_on_the_thread_count():
    import numba
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3 * CHUNK + 5, 6))
    y = rng.random(X.shape[0])
    beta = rng.normal(size=7)
    numba.set_num_threads(1)
    one = binary.loss_grad(X, y, beta)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    many = binary.loss_grad(X, y, beta)
    assert one[0] == many[0] and np.array_equal(one[1], many[1])


@pytest.mark.parametrize("u", [-1e5, -1000.0, -30.0, 30.0, 1000.0, 1e5])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_binary_extremes_against_mpmath(u, y):
    """Loss, gradient weight and Hessian weight to 1e-12 relative at huge |u| (one row, x = 0)."""
    X = np.zeros((1, 1))
    beta = np.array([u, 0.0])
    with mpmath.workdps(60):
        uu = mpmath.mpf(u)
        sig = 1 / (1 + mpmath.exp(-uu))
        sig_neg = 1 / (1 + mpmath.exp(uu))
        loss_ref = (1 - y) * mpmath.log1p(mpmath.exp(uu)) + y * mpmath.log1p(mpmath.exp(-uu))
        grad_ref = (1 - y) * sig - y * sig_neg
        hess_ref = sig * sig_neg
    loss, grad = binary.loss_grad(X, np.array([y]), beta)
    _, H = binary.grad_hess(X, np.array([y]), beta)
    for got, ref in ((loss, loss_ref), (grad[0], grad_ref), (H[0, 0], hess_ref)):
        assert np.isfinite(got)
        assert got == pytest.approx(float(ref), rel=1e-12, abs=1e-300)


def test_multinomial_extremes_are_finite_and_accurate():
    X = np.zeros((1, 1))
    B = np.array([[1e5, -1e5, 0.0], [0.0, 0.0, 0.0]])
    loss, G = multinomial.loss_grad(X, np.array([1]), B)
    assert loss == pytest.approx(2e5, rel=1e-15)
    assert np.all(np.isfinite(G)) and G[0, 0] == pytest.approx(1.0) and G[0, 1] == pytest.approx(-1.0)
    _, H = multinomial.grad_hess(X, np.array([0]), B)
    assert np.all(np.isfinite(H))


@pytest.mark.parametrize("call,message", [
    (lambda: binary.loss(np.ones(3), np.ones(3), np.ones(2)), "2-D"),
    (lambda: binary.loss(np.ones((3, 2), dtype=np.int64), np.ones(3), np.ones(3)), "float64 or float32"),
    (lambda: binary.loss(np.ones((3, 4))[:, ::2], np.ones(3), np.ones(3)), "C-contiguous"),
    (lambda: binary.loss(np.ones((3, 2)), np.ones(4), np.ones(3)), "y must have shape (3,)"),
    (lambda: binary.loss(np.ones((3, 2)), np.ones(3), np.ones(2)), "beta must have shape (3,)"),
    (lambda: binary.loss(np.ones((3, 2)), np.ones(3), np.ones(3), np.ones(2)), "sample_weight"),
    (lambda: multinomial.loss(np.ones((3, 2)), np.array([0, 1, 5]), np.ones((3, 3))), "labels must lie in [0, 3)"),
    (lambda: multinomial.loss(np.ones((3, 2)), np.ones((3, 2)), np.ones((3, 3))), "Y must have shape (3, 3)"),
    (lambda: multinomial.loss(np.ones((3, 2)), np.array([0, 1, 1]), np.ones((2, 3))), "B must have shape (3, K)"),
    # the Hessians are sums of (sqrt(w h'') x̂)(sqrt(w h'') x̂)ᵀ: a negative weight has no root
    (lambda: binary.grad_hess(np.ones((3, 2)), np.ones(3), np.ones(3), -np.ones(3)), "non-negative"),
    (lambda: multinomial.grad_hess(np.ones((3, 2)), np.array([0, 1, 1]), np.ones((3, 2)), -np.ones(3)), "non-negative"),
])
def test_wrong_shapes_and_dtypes_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert message in str(info.value)


def test_polynomial_exp_and_log1p_are_the_verified_scheme_bit_for_bit():
    """The kernels' _exp and _log1p_unit compute exactly what claims F4 and F5 check against
    mpmath (the numpy arithmetic of symbolic/elementary.py), so the verifier's bound holds for
    the code that runs; and they agree with mpmath themselves at the extremes."""
    from symlogit.symbolic.elementary import exp_float64, log1p_unit_float64
    rng = np.random.default_rng(5)
    x = np.concatenate([[0.0, -1e-300, -0.34657359027997264, -708.4, -709.0, -745.13, -745.14, -746.0,
                         -1000.0, -1e5, -1e300, -np.inf, 1e-300, 1.0, 700.0, 709.78, 709.79, 1e5, np.inf],
                        -rng.uniform(0, 746, 2000), -10.0 ** rng.uniform(-300, 3, 1000), rng.uniform(0, 709.7, 1000)])
    e = np.concatenate([[0.0, 5e-324, 1e-310, 0.41421356237309503, 0.4142135623730951, 1.0], rng.random(2000),
                        10.0 ** rng.uniform(-320, 0, 1000)])
    for module in (binary, multinomial):
        assert np.array_equal([module._exp(v) for v in x], exp_float64(x))
        assert np.array_equal([module._log1p_unit(v) for v in e], log1p_unit_float64(e))
    with mpmath.workdps(50):
        for v in (-1e-300, -0.34657359027997264, -30.0, -708.4, -745.0, 1e-300, 30.0, 709.78):
            assert binary._exp(v) == pytest.approx(float(mpmath.exp(v)), rel=2 ** -51, abs=5e-324)
        for v in (5e-324, 1e-20, 0.41421356237309503, 0.9):
            assert binary._log1p_unit(v) == pytest.approx(float(mpmath.log1p(v)), rel=2 ** -51)
    assert binary._exp(-np.inf) == 0.0 and binary._exp(-1e300) == 0.0
    assert binary._exp(np.inf) == np.inf and binary._exp(1e300) == np.inf
    assert np.isnan(binary._exp(np.nan)) and np.isnan(binary._log1p_unit(np.nan))


def test_a_nan_score_gives_a_nan_loss_not_a_plausible_number():
    """The polynomial exp clamps its argument; nan must still come through (a diverged solver
    has to see it)."""
    X = np.ones((3, 2))
    loss, grad = binary.loss_grad(X, np.ones(3), np.array([np.nan, 0.0, 0.0]))
    assert np.isnan(loss) and np.all(np.isnan(grad))
    loss, grad = multinomial.loss_grad(X, np.array([0, 1, 1]), np.array([[np.nan, 0.0], [0.0, 0.0], [0.0, 0.0]]))
    assert np.isnan(loss)
