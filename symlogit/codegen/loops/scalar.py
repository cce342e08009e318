"""Kernels of a family with a scalar score u = x̂ᵀβ + offset (logit, probit, cloglog, Poisson).

Objective (a sum over rows, weighted):
    L(beta) = sum_i w_i h(u_i, y_i)
    gradient = sum_i w_i h'(u_i, y_i) x̂_i
    Hessian  = sum_i w_i h''(u_i, y_i) x̂_i x̂_iᵀ     (observed information)
             = sum_i w_i E[h''](u_i) x̂_i x̂_iᵀ       (expected information, ``expected=True``)
Shapes: X (N, d); y (N,); beta (d+1,) with the intercept first (or (d,) without); offset (N,)
or None, added to every score (log exposure for counts).
"""

# template-only: begin
from symlogit.codegen.loops.common import (CHUNK, GRAM_BLOCK, TILE, _add_scaled_row, _check_vector, _check_X,
                                           _n_chunks, _on_threads, _u, _weights, math, numba, np)
# template-only: end

GEMM_MAX_P = 40  # widest X̂ whose Hessian blocks go to GEMM, not SYRK (see _loss_grad_hess_narrow)

# ---- per-sample formulas, printed from the family's verified derivation ---------------------
# printed: per-sample begin
_NOT_GENERATED = "only generated modules evaluate a family's formulas (run `symlogit generate`)"


@numba.njit(cache=True, error_model="numpy", inline="always")
def _loss(u, y):
    """h(u, y)."""
    raise NotImplementedError(_NOT_GENERATED)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _loss_and_gradient_weight(u, y):
    """(h(u, y), h'(u, y))."""
    raise NotImplementedError(_NOT_GENERATED)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _hessian_weight(u, y):
    """h''(u, y), the observed information of one row."""
    raise NotImplementedError(_NOT_GENERATED)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _expected_weight(u):
    """E[h''(u, Y)] with Y from the family at u, the expected information of one row."""
    raise NotImplementedError(_NOT_GENERATED)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _mean(u):
    """The inverse link: the mean of y at score u."""
    raise NotImplementedError(_NOT_GENERATED)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _saturated_loss(y):
    """min over u of h(u, y): the saturated model's loss, so deviance = 2 (h - this)."""
    raise NotImplementedError(_NOT_GENERATED)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _log_measure(y):
    """The log-likelihood's terms free of u, which h drops (-log y! for Poisson)."""
    raise NotImplementedError(_NOT_GENERATED)
# printed: per-sample end


# ---- loops --------------------------------------------------------------------------------

@numba.njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def _tile_scores(X, o, beta, intercept, has_offset, t, rows, s):
    """s[r] = x̂ᵀbeta (+ offset) for the rows t .. t + rows of a tile (``_u`` inlined here, with
    its reassociation: see common's ``_u``)."""
    for r in range(rows):
        s[r] = _u(X, t + r, beta, intercept)
    if has_offset:
        for r in range(rows):
            s[r] += o[t + r]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _scores_kernel(X, o, beta, intercept, has_offset, out, means):
    n = X.shape[0]
    for c in numba.prange(_n_chunks(n)):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            u = _u(X, i, beta, intercept) + (o[i] if has_offset else 0.0)
            out[i] = _mean(u) if means else u


# ---- the per-sample formulas over a tile of rows ----------------------------------------------
# Compiled once per module (float64 tiles whatever X's dtype), called once per tile by the kernels
# below. The special functions (probit, cloglog) are inlined into these functions only (see
# common's ``_inline_into_tiles``), so their loops vectorise without their code being compiled
# again into every kernel and dtype (inlined everywhere, probit took 170 s to compile cold).

@numba.njit(cache=True, error_model="numpy")
def _tile_losses(s, y, w, t, rows, q, with_gradient):
    """q[r] = w h(s[r], y) for the rows t .. t + rows; with_gradient: also s[r] = w h'(s[r], y)."""
    if with_gradient:
        for r in range(rows):
            loss_i, g_i = _loss_and_gradient_weight(s[r], y[t + r])
            q[r] = w[t + r] * loss_i
            s[r] = w[t + r] * g_i
    else:
        for r in range(rows):
            q[r] = w[t + r] * _loss(s[r], y[t + r])


@numba.njit(cache=True, error_model="numpy")
def _tile_curvatures(s, y, w, t, rows, out):
    """out[r] = w h''(s[r], y) (observed information), rows t .. t + rows."""
    for r in range(rows):
        out[r] = w[t + r] * _hessian_weight(s[r], y[t + r])


@numba.njit(cache=True, error_model="numpy")
def _tile_losses_and_curvatures(s, y, w, t, rows, q, out, expected):
    """``_tile_losses`` with the gradient, and out[r] = w h''(s[r], y) (or w E[h''](s[r]) when
    ``expected``), in one loop: the formulas share their exponentials."""
    for r in range(rows):
        loss_i, g_i = _loss_and_gradient_weight(s[r], y[t + r])
        curvature = _expected_weight(s[r]) if expected else _hessian_weight(s[r], y[t + r])
        q[r] = w[t + r] * loss_i
        out[r] = w[t + r] * curvature
        s[r] = w[t + r] * g_i


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _loss_grad_kernel(X, y, w, o, beta, intercept, has_offset, with_gradient):
    n, d = X.shape
    off = 1 if intercept else 0
    m = _n_chunks(n)
    losses = np.zeros(m)
    grads = np.zeros((m, d + off))
    for c in numba.prange(m):
        acc = 0.0
        g = np.zeros(d + off)  # private to the chunk: no shared-array races, stays in cache
        s, q = np.empty(TILE), np.empty(TILE)
        hi = min(n, (c + 1) * CHUNK)
        # Each tile of rows goes through four loops: dot products; the per-sample formulas,
        # vectorised (see common's docstring); the loss sum; gradient updates. The tile stays in
        # cache for the second read of X. Measured for logit at N = 1e6, d = 100: 40-44 ms,
        # against 50-55 ms with libm's exp and log1p, and 35-40 ms for one X @ b.
        for t in range(c * CHUNK, hi, TILE):
            rows = min(TILE, hi - t)
            _tile_scores(X, o, beta, intercept, has_offset, t, rows, s)
            _tile_losses(s, y, w, t, rows, q, with_gradient)
            for r in range(rows):
                acc += q[r]
            if with_gradient:
                for r in range(rows):
                    _add_scaled_row(g, s[r], X, t + r, intercept)
        losses[c] = acc
        grads[c, :] = g
    loss = 0.0
    grad = np.zeros(d + off)
    for c in range(m):  # in chunk order: deterministic
        loss += losses[c]
        grad += grads[c]
    return loss, grad


@numba.njit(cache=True, error_model="numpy")
def _gradient_and_root_rows(X, y, w, o, beta, intercept, has_offset, expected, lo, hi, A, g):
    """For rows lo..hi: g += sum_i w_i h'(u_i, y_i) x̂_i, and A[i - lo] = sqrt(w_i h''_i) x̂_i (h''
    observed, or expected), so that Aᵀ A is those rows' Hessian; returns sum_i w_i h(u_i, y_i).
    Needs h'' >= 0 (claim K2 for every shipped family). Serial on purpose: the caller's BLAS call
    uses the cores next, and a numba thread pool spinning beside BLAS threads slowed it up to 10x."""
    off = 1 if intercept else 0
    loss = 0.0
    s, q, roots = np.empty(TILE), np.empty(TILE), np.empty(TILE)
    for t in range(lo, hi, TILE):  # tiled as in _loss_grad_kernel, so the formulas vectorise
        rows = min(TILE, hi - t)
        _tile_scores(X, o, beta, intercept, has_offset, t, rows, s)
        _tile_losses_and_curvatures(s, y, w, t, rows, q, roots, expected)
        for r in range(rows):
            roots[r] = math.sqrt(roots[r])
        for r in range(rows):
            loss += q[r]
        for r in range(rows):
            i = t + r
            _add_scaled_row(g, s[r], X, i, intercept)
            a = A[i - lo]
            if intercept:
                a[0] = roots[r]
            for j in range(X.shape[1]):
                a[j + off] = roots[r] * X[i, j]
    return loss


@numba.njit(cache=True, error_model="numpy")
def _loss_grad_hess_narrow(X, y, w, o, beta, intercept, has_offset, expected):
    """loss_grad_hess for narrow X̂ (p <= GEMM_MAX_P), compiled whole: H += AᵀA by DGEMM (numba's
    np.dot). Below p ~ 40, OpenBLAS's GEMM beats its SYRK (569 x 31: 28 against 41 µs), and one
    compiled call saves the Python loop: breast_cancer's Hessian takes 43 µs instead of 80."""
    n, d = X.shape
    p = d + (1 if intercept else 0)
    g, H = np.zeros(p), np.zeros((p, p))
    A = np.empty((min(n, GRAM_BLOCK), p))
    loss = 0.0
    for lo in range(0, n, GRAM_BLOCK):
        hi = min(n, lo + GRAM_BLOCK)
        a = A[:hi - lo]
        loss += _gradient_and_root_rows(X, y, w, o, beta, intercept, has_offset, expected, lo, hi, a, g)
        H += np.dot(a.T, a)
    return loss, g, H


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _hessp_kernel(X, y, w, o, beta, intercept, has_offset, v):
    n, d = X.shape
    off = 1 if intercept else 0
    m = _n_chunks(n)
    parts = np.zeros((m, d + off))
    for c in numba.prange(m):
        s, z = np.empty(TILE), np.empty(TILE)
        hi = min(n, (c + 1) * CHUNK)
        for t in range(c * CHUNK, hi, TILE):  # tiled as in _loss_grad_kernel
            rows = min(TILE, hi - t)
            _tile_scores(X, o, beta, intercept, has_offset, t, rows, s)
            _tile_scores(X, o, v, intercept, False, t, rows, z)
            _tile_curvatures(s, y, w, t, rows, s)
            for r in range(rows):
                s[r] *= z[r]
            for r in range(rows):
                _add_scaled_row(parts[c], s[r], X, t + r, intercept)
    out = np.zeros(d + off)
    for c in range(m):
        out += parts[c]
    return out


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _scores_loss_kernel(u, y, w):
    n = u.shape[0]
    m = _n_chunks(n)
    losses = np.zeros(m)
    for c in numba.prange(m):
        acc = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            acc += w[i] * _loss(u[i], y[i])
        losses[c] = acc
    return losses.sum()


# The per-row kernels below are serial: they cost O(N), never sit in a solver's loop, and a
# parallel (parfor) compile of a family's inlined special functions takes minutes (probit).
@numba.njit(cache=True, error_model="numpy")
def _means_kernel(u, out):
    for i in range(u.shape[0]):
        out[i] = _mean(u[i])


@numba.njit(cache=True, error_model="numpy")
def _target_terms_kernel(y, out):
    for i in range(y.shape[0]):
        out[0, i] = _saturated_loss(y[i])
        out[1, i] = _log_measure(y[i])


@numba.njit(cache=True, error_model="numpy")
def _row_weights_kernel(u, y, out):
    for i in range(u.shape[0]):
        loss_i, g_i = _loss_and_gradient_weight(u[i], y[i])
        out[0, i] = loss_i
        out[1, i] = g_i
        out[2, i] = _hessian_weight(u[i], y[i])
        out[3, i] = _expected_weight(u[i])


# ---- public, validated entry points ---------------------------------------------------------

def _offset(offset, n):
    """(offset array, has_offset): a 1-element dummy when there is none (no pass over N)."""
    if offset is None:
        return np.zeros(1), False
    return _check_vector("offset", offset, n), True


def _check(X, y, beta, sample_weight, intercept, offset):
    n, d = _check_X(X)
    beta = _check_vector("beta", beta, d + (1 if intercept else 0))
    y = _check_vector("y", y, n) if y is not None else np.zeros(n)
    o, has_offset = _offset(offset, n)
    return y, beta, _weights(sample_weight, n), o, has_offset


def loss(X, y, beta, sample_weight=None, intercept=True, offset=None):
    """sum_i w_i h(u_i, y_i)."""
    y, beta, w, o, has_offset = _check(X, y, beta, sample_weight, intercept, offset)
    return _on_threads(X.shape[0], _loss_grad_kernel, X, y, w, o, beta, intercept, has_offset, False)[0]


def loss_grad(X, y, beta, sample_weight=None, intercept=True, offset=None):
    """(loss, gradient) in one pass over X."""
    y, beta, w, o, has_offset = _check(X, y, beta, sample_weight, intercept, offset)
    return _on_threads(X.shape[0], _loss_grad_kernel, X, y, w, o, beta, intercept, has_offset, True)


def grad_hess(X, y, beta, sample_weight=None, intercept=True, offset=None, expected=False):
    """(gradient, full symmetric Hessian): ``loss_grad_hess`` without the loss."""
    return loss_grad_hess(X, y, beta, sample_weight, intercept, offset, expected)[1:]


def loss_grad_hess(X, y, beta, sample_weight=None, intercept=True, offset=None, expected=False):
    """(loss, gradient, full symmetric Hessian) in one pass over X; ``expected=True`` gives the
    expected information sum_i w_i E[h''](u_i) x̂_i x̂_iᵀ instead of the observed one. The Hessian
    is a sum over blocks of Aᵀ A with A = diag(sqrt(w h'')) X̂_block: numpy hands Aᵀ A to BLAS
    SYRK, half the flops of GEMM. Blocks of GRAM_BLOCK rows keep A in L2 between the numba fill
    and SYRK."""
    y, beta, w, o, has_offset = _check(X, y, beta, sample_weight, intercept, offset)
    if np.any(w < 0):
        raise ValueError("sample_weight must be non-negative")
    n, d = X.shape
    p = d + (1 if intercept else 0)
    if p <= GEMM_MAX_P:
        return _loss_grad_hess_narrow(X, y, w, o, beta, intercept, has_offset, expected)
    g = np.zeros(p)
    H = np.zeros((p, p))
    A = np.empty((min(n, GRAM_BLOCK), p))
    loss = 0.0
    for lo in range(0, n, GRAM_BLOCK):
        hi = min(n, lo + GRAM_BLOCK)
        a = A[:hi - lo]
        loss += _gradient_and_root_rows(X, y, w, o, beta, intercept, has_offset, expected, lo, hi, a, g)
        H += a.T @ a
    return loss, g, H


def hessp(X, y, beta, v, sample_weight=None, intercept=True, offset=None):
    """Hessian-vector product H v (observed information: h'' may depend on y)."""
    y, beta, w, o, has_offset = _check(X, y, beta, sample_weight, intercept, offset)
    v = _check_vector("v", v, beta.shape[0])
    return _on_threads(X.shape[0], _hessp_kernel, X, y, w, o, beta, intercept, has_offset, v)


def scores(X, beta, intercept=True, offset=None):
    """Raw scores u = X̂ beta (+ offset), shape (N,)."""
    _, beta, _, o, has_offset = _check(X, None, beta, None, intercept, offset)
    out = np.empty(X.shape[0])
    _on_threads(X.shape[0], _scores_kernel, X, o, beta, intercept, has_offset, out, False)
    return out


def means(X, beta, intercept=True, offset=None):
    """The inverse link at every row's score, shape (N,): E[y | x]."""
    _, beta, _, o, has_offset = _check(X, None, beta, None, intercept, offset)
    out = np.empty(X.shape[0])
    _on_threads(X.shape[0], _scores_kernel, X, o, beta, intercept, has_offset, out, True)
    return out


def loss_from_scores(u, y, sample_weight=None):
    """sum_i w_i h(u_i, y_i) from raw scores u (N,), without a pass over X: a line search
    along beta + t d evaluates u + t X̂d, with X̂d computed once."""
    u = _check_scores(u)
    n = u.shape[0]
    return _on_threads(u.shape[0], _scores_loss_kernel, u, _check_vector("y", y, n), _weights(sample_weight, n))


def _check_scores(u):
    u = np.ascontiguousarray(u, dtype=np.float64)
    if u.ndim != 1:
        raise ValueError(f"u must have shape (N,), got {u.shape}")
    return u


def means_from_scores(u):
    """The inverse link at raw scores u (N,)."""
    u = _check_scores(u)
    out = np.empty(u.shape[0])
    _means_kernel(u, out)
    return out


def target_terms(y):
    """Per row, from targets y (N,): an array (2, N) of the saturated loss min_u h(u, y) and the
    log-likelihood's terms free of u: deviance = 2 sum w (h - saturated), and the full
    log-likelihood = sum w (log measure - h)."""
    y = _check_scores(y)
    out = np.empty((2, y.shape[0]))
    _target_terms_kernel(y, out)
    return out


def row_weights(u, y):
    """Per row, from raw scores u (N,): an array (4, N) of h(u, y), h'(u, y), h''(u, y) and
    E[h''](u): what a solver on sparse X, the null model or an expected-information sandwich
    needs, with X left to the caller's linear algebra."""
    u = _check_scores(u)
    out = np.empty((4, u.shape[0]))
    _row_weights_kernel(u, _check_vector("y", y, u.shape[0]), out)
    return out
