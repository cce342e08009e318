"""Class probabilities for a scalar-score family with a Bernoulli likelihood (logit, probit,
cloglog): appended to ``scalar.py``'s kernels. p(u) = ``_mean(u)`` is the probability of class 1,
``_complement(u)`` = 1 - p(u) evaluated without cancellation, and the log-probabilities are the
printed loss itself: log p(u) = -h(u, 1), log(1 - p(u)) = -h(u, 0).
"""

# template-only: begin
from symlogit.codegen.loops.common import _u, numba, np
from symlogit.codegen.loops.scalar import _check, _loss, _mean

_NOT_GENERATED = "only generated modules evaluate a family's formulas"
# template-only: end


# printed: complement begin
@numba.njit(cache=True, error_model="numpy", inline="always")
def _complement(u):
    """1 - p(u), the probability of class 0."""
    raise NotImplementedError(_NOT_GENERATED)
# printed: complement end


@numba.njit(cache=True, error_model="numpy")
def _probabilities_kernel(X, o, beta, intercept, has_offset, out, logarithms):
    """[P(y = 0), P(y = 1)] per row, or their logarithms -h(u, 0), -h(u, 1) (accurate where a
    probability underflows). Serial, as the other per-row kernels: prediction is one pass over X."""
    for i in range(X.shape[0]):
        u = _u(X, i, beta, intercept) + (o[i] if has_offset else 0.0)
        if logarithms:
            out[i, 0] = -_loss(u, 0.0)
            out[i, 1] = -_loss(u, 1.0)
        else:
            out[i, 0] = _complement(u)
            out[i, 1] = _mean(u)


def probabilities(X, beta, intercept=True, offset=None):
    """[1 - p(u), p(u)] per row, shape (N, 2), each evaluated without cancellation."""
    _, beta, _, o, has_offset = _check(X, None, beta, None, intercept, offset)
    out = np.empty((X.shape[0], 2))
    _probabilities_kernel(X, o, beta, intercept, has_offset, out, False)
    return out


def log_probabilities(X, beta, intercept=True, offset=None):
    """[log(1 - p(u)), log p(u)] per row, shape (N, 2), accurate where a probability underflows."""
    _, beta, _, o, has_offset = _check(X, None, beta, None, intercept, offset)
    out = np.empty((X.shape[0], 2))
    _probabilities_kernel(X, o, beta, intercept, has_offset, out, True)
    return out
