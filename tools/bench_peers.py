"""Time to solution: symlogit's solvers against scikit-learn, statsmodels and glum, side by side.

Every solver fits the same objective from zero coefficients, with its own tightest sensible
tolerance and a generous iteration limit. Each (case, solver) runs --repeats times, each time in
a fresh process (so one library's threads or caches cannot slow another's), which loads the data
and warms up (imports, numba's cache) untimed, then fits once (fits of a few milliseconds until
they add up to a second: the process's median). The repeats go in rounds of every solver, and we
report each solver's median over its processes: on this shared VM a process can run 1.6x slower
than the next one of the same code for its whole life (breast_cancer, symlogit newton: 2.1 ms
in one process, 1.3 ms in another), so repeats inside one process would repeat its luck.
A fit still running after --timeout seconds is stopped and counts as not reached. The gap of
a fit is (f - f*) / |f*|, f evaluated by ``objective`` below for every library alike, f* the
lowest f any fit reached; a fit "reached" when its gap is <= 1e-8.

Cases (the issue's table). B1, B2, M1 are unpenalised; so are the other families' cases, P1
(probit), G1 (cloglog) and Q1 (Poisson, log link), N = 10^6, d = 50 each, Gaussian features,
targets drawn from the family at scores of standard deviation ~1. R1 and R2 are linearly separable
(symlogit.separation.separating_direction finds a direction), so their unpenalised optimum is at infinity; they
use scikit-learn's default L2 penalty instead, C = 1:  C Σ_i h_i + ½‖coef‖², intercept free.

How each peer's options map to that objective:
  scikit-learn  LogisticRegression(C=inf, or 1 for R*; solver; tol=1e-10; max_iter=10000)
  statsmodels   Logit / MNLogit(y, [1, X]).fit(method="newton", tol=1e-10, maxiter=100): the
                summed log-likelihood, same minimiser; unpenalised only, so not run on R1, R2
  glum          GeneralizedLinearRegressor(family="binomial", alpha=0, or 1/(C N) for R1, since
                glum minimises mean deviance/2 + alpha/2 ‖coef‖²; gradient_tol=1e-10), binary only
  symlogit      LogisticRegression(penalty=None or "l2", C=1; solver; tol=1e-10; max_iter=500), and
                for P1, G1, Q1 GLMClassifier(family=...) / GLMRegressor(alpha=0) alike
  P1, G1, Q1    statsmodels Probit(...).fit(method="newton") for P1, GLM(Binomial(CLogLog)) and
                GLM(Poisson) with IRLS (its default) for G1 and Q1; glum with family binomial /
                link cloglog, and family poisson; scikit-learn PoissonRegressor(alpha=0, solver
                lbfgs or newton-cholesky) for Q1

    python tools/bench_peers.py [--cases B1 B2 M1 R1 R2 P1 G1 Q1] [--repeats 3] [--timeout 120]
                                [--scale 1.0] [--plot peers.png] [--json]

--scale multiplies N of the synthetic cases (for a quick look; the README's table uses 1).

Sparse X and L1 (issues 17 and 18; ``SPARSE_CASES``, ``make_sparse_case``):

    text              text-like CSR X, N = 2x10^5, d = 10^5, ~100 entries a row (Zipf vocabulary,
                      tf-idf, unit rows), L2 with C = 1 and an intercept
    text-nointercept  the same without the intercept
    onehot            N = 10^6: 10 numeric columns and 10 categorical of 5 to 10^4 levels, L2, C = 1
    l1-dense          dense X, N = 10^5, d = 10^3, AR(1) columns of correlation 0.9; L1 at
                      C = 10 C_max (C_max = symlogit.path.largest_penalty)
    l1-text           the text X, L1 at C = 10 C_max
    l1-path-dense, l1-path-text   50 values of C from C_max to 10 C_max, warm-started
    groups: issue17 (text, text-nointercept, onehot), issue18 (the four L1 cases), l1-path

    python tools/bench_peers.py --case issue17 issue18 [--quick] [--repeats 3] [--json]

Peers: scikit-learn's liblinear, lbfgs, newton-cg, newton-cholesky and saga, and glum (L2);
scikit-learn's saga and liblinear, glum and skglm (L1); against symlogit's auto. Each fit runs in
its own process, which reports the fit's time and its peak resident memory above what the process
held before the fit (``PeakMemory``). f* is the lowest objective of symlogit at tol 1e-12 (the
"reference" row) and of every fit; a path's gap is the largest of its 50 points'. Fits of 10 s
or more are not repeated; each solver is stopped after 300 s (--quick: 15 s) and reported as
"did not reach 1e-8 in ... s". --budget (default 23 min at full size) shares the run's time out:
a solver's limit shrinks to its share of what is left where earlier ones ran long, so the full
set ends within about 25 minutes, generating the data included. --quick divides N and d by 20
(one-hot: its largest column's levels) and prints a rough estimate of the full run's time.
Each tool runs at its own tol (``SPARSE_TOL``), the loosest that reached the gap on the quick
text cases with a factor 100 to spare.

Requires the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import scipy.sparse
from scipy.special import log_ndtr, logsumexp

REACHED = 1e-8
TOL = 1e-10
# Fits of a few milliseconds vary by ±30% from one to the next on a shared VM: they are
# repeated until they add up to a second (at most 100 fits), so their median means something.
SHORT_FITS_SECONDS = 1.0
SHORT_FITS_REPEATS = 100


# ---- the cases -------------------------------------------------------------------------------------

def _labels(scores, rng):
    """Binary labels drawn from sigmoid(scores), or multinomial from softmax(scores) (Gumbel)."""
    if scores.ndim == 1:
        return (rng.random(scores.shape[0]) < 1 / (1 + np.exp(-scores))).astype(np.int64)
    return np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)


#: The family of each case (the logistic cases: "logit").
FAMILY = {"P1": "probit", "G1": "cloglog", "Q1": "poisson"}


def make_case(name, scale=1.0, seed=0):
    """(X (N, d) float64 C-contiguous, y integer labels (counts for Q1), C or None for
    unpenalised)."""
    from sklearn.datasets import load_breast_cancer, load_digits

    rng = np.random.default_rng(seed)
    if name == "B1":  # well-conditioned Gaussian features
        n, d = int(1e6 * scale), 100
        X = rng.normal(size=(n, d))
        return X, _labels(X @ rng.normal(size=d) * 2 / np.sqrt(d), rng), None
    if name == "B2":  # correlated (one shared factor) and scaled from 1e-2 to 1e3
        n, d = int(3e5 * scale), 60
        Z = 0.8 * rng.normal(size=(n, 1)) + 0.6 * rng.normal(size=(n, d))
        y = _labels(Z @ rng.normal(size=d) * 2 / np.sqrt(d), rng)
        return np.ascontiguousarray(Z * np.logspace(-2, 3, d)), y, None
    if name == "M1":
        n, d, k = int(2e5 * scale), 50, 10
        X = rng.normal(size=(n, d))
        return X, _labels(X @ rng.normal(size=(d, k)) * 2 / np.sqrt(d), rng), None
    if name in FAMILY:
        n, d = int(1e6 * scale), 50
        X = rng.normal(size=(n, d))
        u = 0.2 + X @ rng.normal(size=d) / np.sqrt(d)
        if name == "Q1":
            return X, rng.poisson(np.exp(u)).astype(np.int64), None
        p = np.exp(log_ndtr(u)) if name == "P1" else -np.expm1(-np.exp(u))
        return X, (rng.random(n) < p).astype(np.int64), None
    if name in ("R1", "R2"):
        X, y = (load_breast_cancer if name == "R1" else load_digits)(return_X_y=True)
        return np.ascontiguousarray(X, dtype=np.float64), y, 1.0
    raise ValueError(f"unknown case {name!r}; expected B1, B2, M1, R1, R2, P1, G1 or Q1")


# ---- the sparse and L1 cases of issues 17 and 18: data ------------------------------------------------

def make_text(n, d, per_row=100, seed=0):
    """Text-like CSR X (n, d): each row a bag of words drawn from a Zipf vocabulary (term of rank
    r with probability ∝ 1/r, ranks shuffled over the columns), as many tokens as give about
    ``per_row`` distinct terms, tf-idf scaled and each row of unit norm (scikit-learn's
    TfidfTransformer defaults); y from sigmoid(x·w - median), w ~ N(0, 3²) per term."""
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(seed)
    cdf = np.cumsum(1.0 / np.arange(1, d + 1))
    cdf /= cdf[-1]
    pilot = np.searchsorted(cdf, rng.random((200, 2 * per_row)))  # distinct terms of 2 per_row tokens
    tokens = int(2 * per_row * per_row / np.mean([len(np.unique(row)) for row in pilot]))
    columns = rng.permutation(d)
    blocks = []
    for start in range(0, n, 20_000):  # in blocks: n x tokens indices at once would be large
        rows = min(20_000, n - start)
        terms = columns[np.searchsorted(cdf, rng.random((rows, tokens)))]
        counts = scipy.sparse.csr_matrix((np.ones(terms.size), terms.ravel(), np.arange(0, terms.size + 1, tokens)),
                                         shape=(rows, d))
        counts.sum_duplicates()
        blocks.append(counts)
    X = TfidfTransformer().fit_transform(scipy.sparse.vstack(blocks, format="csr"))
    X = scipy.sparse.csr_matrix(X, dtype=np.float64)
    X.sort_indices()
    u = X @ (3.0 * rng.normal(size=d))
    return X, _labels(u - np.median(u), rng)


def make_onehot(n, levels, numeric=10, seed=0):
    """One-hot CSR X: ``numeric`` standard normal columns, then one block of indicator columns for
    each categorical column of levels[j] levels (drawn Zipf-like, level r with probability ∝
    1/(r+1)); every row stores numeric + len(levels) entries. y from a logistic model with
    N(0, 0.5²) level effects and N(0, 0.5²) slopes."""
    import scipy.sparse

    rng = np.random.default_rng(seed)
    levels = np.asarray(levels, dtype=np.int64)
    offsets = numeric + np.concatenate([[0], np.cumsum(levels)[:-1]])
    Z = rng.normal(size=(n, numeric))
    codes = np.empty((n, len(levels)), dtype=np.int64)
    scores = Z @ rng.normal(scale=0.5, size=numeric)
    for j, m in enumerate(levels):
        cdf = np.cumsum(1.0 / np.arange(2, m + 2))
        codes[:, j] = np.searchsorted(cdf / cdf[-1], rng.random(n))
        scores += rng.normal(scale=0.5, size=m)[codes[:, j]]
    width = numeric + len(levels)
    indices = np.hstack([np.broadcast_to(np.arange(numeric), (n, numeric)), codes + offsets]).ravel()
    values = np.hstack([Z, np.ones((n, len(levels)))]).ravel()
    X = scipy.sparse.csr_matrix((values, indices, np.arange(0, n * width + 1, width)),
                                shape=(n, int(numeric + levels.sum())))
    return X, _labels(scores - np.median(scores), rng)


def make_correlated(n, d, rho=0.9, active=20, seed=0):
    """Dense X (n, d), each row an AR(1) sequence over its columns (corr(x_j, x_k) = rho^|j-k|);
    y from sigmoid(X w) with ``active`` nonzero w_j = ±1 spread over the columns."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, d))
    X[:, 0] = rng.normal(size=n)
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho * rho) * rng.normal(size=n)
    w = np.zeros(d)
    w[np.linspace(0, d - 1, active).astype(int)] = rng.choice([-1.0, 1.0], size=active)
    return X, _labels(X @ w, rng)


def objective(X, y, intercept, coef, C, family="logit", l1=False):
    """Mean negative log-likelihood (1/N) Σ -log p(y_i | x_i) (less terms free of the
    coefficients: y! for Poisson), plus ½‖coef‖² / (C N) when C is given (‖coef‖₁ / (C N) with
    l1; X dense or scipy.sparse). intercept (K',), coef
    (K', d) with K' = 1 for two classes (scikit-learn's layout). Evaluated with SciPy's special
    functions, independently of symlogit's kernels."""
    U = X @ np.atleast_2d(coef).T + intercept
    if family != "logit":
        u = U[:, 0]
        if family == "probit":
            return float(-np.mean(y * log_ndtr(u) + (1 - y) * log_ndtr(-u)))
        if family == "cloglog":
            return float(np.mean(-y * np.log(-np.expm1(-np.exp(u))) + (1 - y) * np.exp(u)))
        return float(np.mean(np.exp(u) - y * u))
    if U.shape[1] == 1:
        u = U[:, 0]
        loss = np.mean(np.logaddexp(0.0, u) - (y == 1) * u)
    else:
        loss = np.mean(logsumexp(U, axis=1) - U[np.arange(len(y)), y])
    penalty = np.sum(np.abs(coef)) if l1 else 0.5 * np.sum(coef ** 2)
    return float(loss + (penalty / (C * len(y)) if C is not None else 0.0))


# ---- the solvers: name -> (applies to the case?, fit returning (intercept, coef, iterations)) --------

def _symlogit(solver):
    def fit(X, y, C, family="logit"):
        from symlogit import GLMClassifier, GLMRegressor

        if family == "poisson":
            model = GLMRegressor(alpha=0.0, solver=solver, tol=TOL, max_iter=500).fit(X, y)
            return np.atleast_1d(model.intercept_), np.atleast_2d(model.coef_), int(model.n_iter_[0])
        model = GLMClassifier(family=family, penalty=None if C is None else "l2", C=C or 1.0, solver=solver, tol=TOL,
                              max_iter=500).fit(X, y)
        return model.intercept_, model.coef_, int(model.n_iter_[0])
    return fit


def _sklearn(solver):
    def fit(X, y, C, family="logit"):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=np.inf if C is None else C, solver=solver, tol=TOL, max_iter=10000).fit(X, y)
        return model.intercept_, model.coef_, int(np.max(model.n_iter_))
    return fit


def _sklearn_poisson(solver):
    def fit(X, y, C, family):
        from sklearn.linear_model import PoissonRegressor

        model = PoissonRegressor(alpha=0.0, solver=solver, tol=TOL, max_iter=10000).fit(X, y)
        return np.atleast_1d(model.intercept_), np.atleast_2d(model.coef_), int(model.n_iter_)
    return fit


def _statsmodels(X, y, C, family="logit"):
    import statsmodels.api as sm

    if family != "logit":
        Xc = sm.add_constant(X, has_constant="add")
        if family == "probit":
            result = sm.Probit(y, Xc).fit(method="newton", tol=TOL, maxiter=100, disp=0)
            n_iter = int(result.mle_retvals["iterations"])
        else:
            dist = sm.families.Poisson() if family == "poisson" else \
                sm.families.Binomial(link=sm.families.links.CLogLog())
            result = sm.GLM(y, Xc, family=dist).fit(tol=TOL, maxiter=100)
            n_iter = int(result.fit_history["iteration"])
        params = np.asarray(result.params)
        return params[:1], params[None, 1:], n_iter
    model = (sm.Logit if len(np.unique(y)) == 2 else sm.MNLogit)(y, sm.add_constant(X, has_constant="add"))
    result = model.fit(method="newton", tol=TOL, maxiter=100, disp=0)
    params = np.asarray(result.params).reshape(X.shape[1] + 1, -1)  # MNLogit: (d+1, K-1), class 0 at 0
    if params.shape[1] > 1:
        params = np.column_stack([np.zeros(X.shape[1] + 1), params])
    return params[0], params[1:].T, int(result.mle_retvals["iterations"])


def _glum(X, y, C, family="logit"):
    from glum import GeneralizedLinearRegressor

    alpha = 0.0 if C is None else 1.0 / (C * len(y))
    options = {"poisson": {"family": "poisson"}, "cloglog": {"family": "binomial", "link": "cloglog"}}.get(
        family, {"family": "binomial"})
    model = GeneralizedLinearRegressor(alpha=alpha, gradient_tol=TOL, max_iter=1000, fit_intercept=True,
                                       **options).fit(X, y)
    return np.atleast_1d(model.intercept_), np.atleast_2d(model.coef_), int(model.n_iter_)


def _logistic(k, C, family):
    return family == "logit"


#: name -> (applies to (K, C, family)?, fit(X, y, C, family) -> (intercept, coef, iterations))
SOLVERS = {
    "symlogit newton": (lambda k, C, f: True, _symlogit("newton")),
    "symlogit newton-cg": (lambda k, C, f: True, _symlogit("newton-cg")),
    "symlogit lbfgs": (lambda k, C, f: True, _symlogit("lbfgs")),
    "symlogit auto": (lambda k, C, f: True, _symlogit("auto")),
    "sklearn lbfgs": (_logistic, _sklearn("lbfgs")),
    "sklearn newton-cholesky": (_logistic, _sklearn("newton-cholesky")),
    "sklearn newton-cg": (_logistic, _sklearn("newton-cg")),
    "sklearn sag": (_logistic, _sklearn("sag")),
    "sklearn PoissonRegressor lbfgs": (lambda k, C, f: f == "poisson", _sklearn_poisson("lbfgs")),
    "sklearn PoissonRegressor newton-cholesky": (lambda k, C, f: f == "poisson", _sklearn_poisson("newton-cholesky")),
    "statsmodels": (lambda k, C, f: C is None, _statsmodels),
    "glum": (lambda k, C, f: k == 2 and f != "probit", _glum),
}
SYMLOGIT = [name for name in SOLVERS if name.startswith("symlogit") and name != "symlogit auto"]
PEERS = [name for name in SOLVERS if not name.startswith("symlogit")]


# ---- the cases of issues 17 (sparse X, L2) and 18 (L1, single fits and paths) -------------------------
#
# A case's spec: C (one fit) or Cs (a path: fitted from the smallest C, the strongest penalty, up,
# each fit warm-started from the previous one where the tool supports it), l1 (the penalty
# ‖coef‖₁ instead of ½‖coef‖², scikit-learn's C Σ h + penalty) and fit_intercept. Every fit
# returns (intercepts (m, 1), coefs (m, 1, d), iterations) for its m = 1 or len(Cs) fits.
#
# How each tool's options map to that objective (N rows; tol: SPARSE_TOL):
#   symlogit      LogisticRegression(C, l1_ratio = 1 or 0, fit_intercept, solver="auto");
#                 paths: symlogit.path.regularization_path (warm-started)
#   scikit-learn  LogisticRegression(C, l1_ratio, solver, fit_intercept, max_iter=10000);
#                 warm_start=True along a path (liblinear ignores warm_start: cold fits);
#                 liblinear penalises its intercept, so it runs with intercept_scaling s = 100 (L2:
#                 the intercept's penalty (b/s)²/2 is below 1e-8 of f here) or 1000 (L1: |b|/s;
#                 on the quick l1-dense case s = 100 left a gap of 2.6e-7, 1000 2.6e-9, and 10^4
#                 took 89 s instead of 0.8 on l1-text)
#   glum          GeneralizedLinearRegressor(family="binomial", alpha=1/(C N), l1_ratio,
#                 gradient_tol=1e-10); a path: alpha_search=True over those alphas (warm-started).
#                 Its IRLS solvers (the default; the only ones with L1) form the dense p x p
#                 Hessian: beyond DENSE_HESSIAN_MAX_BYTES it runs solver="lbfgs" (L2) or is
#                 reported as skipped (L1)
#   skglm         SparseLogisticRegression(alpha=1/(C N), tol=1e-10, max_iter=1000,
#                 fit_intercept), warm_start=True along a path; L1 only
#   reference     symlogit at tol 1e-12 (tron, or proximal-newton with L1): f* is the lowest of
#                 its objective and every tool's

#: scikit-learn's newton-cholesky (and glum's IRLS) form the dense p x p Hessian: above this many
#: bytes (8 p²) it is reported as skipped rather than run (text: p = 10^5, 80 GB; one-hot: p ≈ 17,600, 2.5 GB and
#: p³/3 = 1.8e12 multiply-adds a Cholesky).
DENSE_HESSIAN_MAX_BYTES = 2e9
#: The path's weakest penalty: C from C_max (every coefficient 0) up to C_max / PATH_RATIO, the
#: single L1 fits' C. glmnet goes to 1e-4; the weak end is the slow end of every tool: with 1e-2,
#: --quick's text path stopped every tool, symlogit's reference too, at 15 s (full size: 300 s).
PATH_RATIO = 0.1
PATH_POINTS = 50
#: The single L1 fits: C = L1_C_FACTOR C_max (a few percent of the coefficients nonzero).
L1_C_FACTOR = 10.0


def _stack(fits):
    """(intercepts (m, 1), coefs (m, 1, d)) of fitted binary models."""
    return (np.array([np.atleast_1d(m.intercept_).astype(float) for m in fits]),
            np.array([np.atleast_2d(m.coef_).astype(float) for m in fits]))


def _strengths(spec):
    return spec["Cs"] if spec.get("Cs") else [spec["C"]]


#: The sparse cases' tol of each (tool, penalty): 1/100 of the loosest of 1e-4, 1e-6, 1e-8 whose fit
#: reached a gap <= 1e-8 on the --quick text cases ("text", "l1-text"; 2026-11-29, one fit each;
#: on "onehot" and "l1-dense" too, except scikit-learn's lbfgs, which needed 1e-8 on one-hot, 1e-6
#: leaving 3e-8, so its margin there is 1, and liblinear's L1 on l1-dense, held at 2.6e-7 by its
#: intercept's penalty before intercept_scaling was raised to 1000),
#: at least 1e-10 (TOL, also for a tool not listed), so that no tool is timed on work far past the
#: optimum its own tol asks for (liblinear's L1 at tol 1e-10 ran 391 s to max_iter, at 1e-4
#: 0.9 s to the same gap) while the factor 100 keeps a margin for the full size. Measured: symlogit
#: auto L2 1e-6 (1e-4: gap 2.9e-5), L1 1e-4; liblinear L2 1e-6 (1e-4: 2.1e-8), L1 1e-4 (its
#: penalised intercept holds it at 1.5e-9); scikit-learn lbfgs 1e-6 (1e-4: 9.6e-5), newton-cg
#: 1e-6, saga L2 and L1 1e-6; glum L2 and L1 1e-4; skglm L1 1e-6 (1e-4: 3e-4).
SPARSE_TOL = {("symlogit auto", "l2"): 1e-8, ("symlogit auto", "l1"): 1e-6,
              ("sklearn liblinear", "l2"): 1e-8, ("sklearn liblinear", "l1"): 1e-6,
              ("sklearn lbfgs", "l2"): 1e-8, ("sklearn newton-cg", "l2"): 1e-8,
              ("sklearn saga", "l2"): 1e-8, ("sklearn saga", "l1"): 1e-8,
              ("glum", "l2"): 1e-6, ("glum", "l1"): 1e-6, ("skglm", "l1"): 1e-8}


def _tol(name, spec):
    return SPARSE_TOL.get((name, "l1" if spec["l1"] else "l2"), TOL)


def _symlogit_sparse(solver, tol=None):
    def fit(X, y, spec):
        from symlogit import LogisticRegression
        from symlogit.path import regularization_path

        model = LogisticRegression(C=spec["C"] or 1.0, l1_ratio=1.0 if spec["l1"] else 0.0, solver=solver,
                                   tol=tol or _tol(f"symlogit {solver}", spec), max_iter=2000 if tol else 500,
                                   fit_intercept=spec["fit_intercept"])
        if spec.get("Cs"):
            path = regularization_path(model, X, y, strengths=spec["Cs"])
            return path.intercepts.reshape(len(path.strengths), 1), path.coefs, int(path.n_iter.sum())
        model.fit(X, y)
        return (*_stack([model]), int(model.n_iter_[0]))
    return fit


def _sklearn_sparse(solver):
    def fit(X, y, spec):
        from sklearn.linear_model import LogisticRegression

        extra = {"intercept_scaling": 1000.0 if spec["l1"] else 100.0} if (
            solver == "liblinear" and spec["fit_intercept"]) else {}
        model = LogisticRegression(l1_ratio=1.0 if spec["l1"] else 0.0, solver=solver,
                                   tol=_tol(f"sklearn {solver}", spec), max_iter=10000,
                                   fit_intercept=spec["fit_intercept"], warm_start=True, **extra)
        fits, n_iter = [], 0
        for C in _strengths(spec):
            model.set_params(C=C).fit(X, y)
            fits.append(SimpleNamespace(intercept_=np.atleast_1d(model.intercept_).copy(), coef_=model.coef_.copy()))
            n_iter += int(np.max(model.n_iter_))
        return (*_stack(fits), n_iter)
    return fit


def _glum_sparse(X, y, spec):
    from glum import GeneralizedLinearRegressor

    alphas = [1.0 / (C * len(y)) for C in _strengths(spec)]
    options = {"alpha_search": True, "alphas": alphas} if spec.get("Cs") else {"alpha": alphas[0]}
    if not spec["l1"] and _too_big_for_dense_hessian(X, spec):
        options["solver"] = "lbfgs"  # its default, IRLS, forms the dense p x p Hessian
    model = GeneralizedLinearRegressor(family="binomial", l1_ratio=1.0 if spec["l1"] else 0.0,
                                       gradient_tol=_tol("glum", spec),
                                       max_iter=1000, fit_intercept=spec["fit_intercept"], **options).fit(X, y)
    if spec.get("Cs"):
        intercepts = np.broadcast_to(np.asarray(model.intercept_path_, float), (len(alphas),)).reshape(-1, 1)
        return intercepts, np.asarray(model.coef_path_, float)[:, None, :], int(model.n_iter_)
    return (np.atleast_1d(float(model.intercept_)).reshape(1, 1), np.asarray(model.coef_, float).reshape(1, 1, -1),
            int(model.n_iter_))


def _skglm(X, y, spec):
    from skglm import SparseLogisticRegression

    model = SparseLogisticRegression(tol=_tol("skglm", spec), max_iter=1000, max_epochs=100_000,
                                     fit_intercept=spec["fit_intercept"],
                                     warm_start=True)
    fits = []
    for C in _strengths(spec):
        model.set_params(alpha=1.0 / (C * len(y))).fit(X, y)
        fits.append(SimpleNamespace(intercept_=np.atleast_1d(model.intercept_).copy(), coef_=model.coef_.copy()))
    return (*_stack(fits), 0)


def _reference(X, y, spec):
    """symlogit at tol 1e-12 (not timed against): the candidate f*."""
    return _symlogit_sparse("proximal-newton" if spec["l1"] else "tron", tol=1e-12)(X, y, spec)


def _too_big_for_dense_hessian(X, spec):
    p = X.shape[1] + spec["fit_intercept"]
    too_big = 8 * p * p > DENSE_HESSIAN_MAX_BYTES
    return f"skipped: its dense {p} x {p} Hessian, {8 * p * p / 1e9:.1f} GB" if too_big else None


#: name -> (why it does not run on (X, spec), or None; fit(X, y, spec))
SPARSE_SOLVERS = {
    "symlogit auto": (lambda X, spec: None, _symlogit_sparse("auto")),
    "sklearn liblinear": (lambda X, spec: None, _sklearn_sparse("liblinear")),
    "sklearn lbfgs": (lambda X, spec: None, _sklearn_sparse("lbfgs")),
    "sklearn newton-cg": (lambda X, spec: None, _sklearn_sparse("newton-cg")),
    "sklearn newton-cholesky": (_too_big_for_dense_hessian, _sklearn_sparse("newton-cholesky")),
    "sklearn saga": (lambda X, spec: None, _sklearn_sparse("saga")),
    "glum": (lambda X, spec: _too_big_for_dense_hessian(X, spec) if spec["l1"] else None, _glum_sparse),
    "skglm": (lambda X, spec: None, _skglm),
    "reference": (lambda X, spec: None, _reference),
}
# (in the order they run: symlogit first, then the peers from the likely fastest, whose times
# limit the later ones': RELATIVE_LIMIT)
L2_TOOLS = ["symlogit auto", "sklearn liblinear", "sklearn newton-cg", "sklearn lbfgs", "glum", "sklearn newton-cholesky",
            "sklearn saga"]
L1_TOOLS = ["symlogit auto", "sklearn liblinear", "glum", "skglm", "sklearn saga"]
#: In the sparse cases a peer is stopped once it has run RELATIVE_LIMIT times the fastest peer that
#: finished before it (it can then no longer be the fastest peer, the one the targets compare
#: with), and the reference RELATIVE_LIMIT times symlogit's fit; never below MIN_LIMIT (--quick:
#: / QUICK_FACTOR) nor above --timeout. This, not the 300 s limit, is what keeps the full set within
#: 25 minutes (saga alone would otherwise take 300 s in most cases).
RELATIVE_LIMIT = 3.0
MIN_LIMIT = 20.0
#: case -> (data, penalty "l2" or "l1", fit_intercept, path?)
SPARSE_CASES = {
    "text": ("text", "l2", True, False),
    "text-nointercept": ("text", "l2", False, False),
    "onehot": ("onehot", "l2", True, False),
    "l1-dense": ("dense", "l1", True, False),
    "l1-text": ("text", "l1", True, False),
    "l1-path-dense": ("dense", "l1", True, True),
    "l1-path-text": ("text", "l1", True, True),
}
#: names that stand for several cases on the command line
CASE_GROUPS = {"l1-path": ["l1-path-dense", "l1-path-text"], "issue17": ["text", "text-nointercept", "onehot"],
               "issue18": ["l1-dense", "l1-text", "l1-path-dense", "l1-path-text"]}
#: full-size shapes (--quick divides N and d by QUICK_FACTOR; one-hot: its largest column's levels)
QUICK_FACTOR = 20
#: How many times more stored entries the full-size X has than --quick's (text and one-hot keep
#: their entries a row; dense X shrinks both ways)
GROWTH = {"text": QUICK_FACTOR, "onehot": QUICK_FACTOR, "dense": QUICK_FACTOR ** 2}


def make_sparse_case(name, quick=False, seed=0):
    """(X, y, spec) of a SPARSE_CASES case: text N = 2x10^5, d = 10^5, ~100 entries a row; one-hot
    N = 10^6, 10 columns of 5 to 10^4 levels (geometric) and 10 numeric; dense N = 10^5, d = 10^3,
    AR(1) columns of correlation 0.9. --quick: N and d (levels) / QUICK_FACTOR."""
    from symlogit import LogisticRegression
    from symlogit.path import largest_penalty

    data, penalty, fit_intercept, path = SPARSE_CASES[name]
    f = QUICK_FACTOR if quick else 1
    if data == "text":
        X, y = make_text(200_000 // f, 100_000 // f, 100, seed)
    elif data == "onehot":
        X, y = make_onehot(1_000_000 // f, np.geomspace(5, 10_000 // f, 10).astype(int), seed=seed)
    else:
        X, y = make_correlated(100_000 // f, 1000 // f, seed=seed)
    spec = {"C": 1.0, "l1": penalty == "l1", "fit_intercept": fit_intercept, "Cs": None, "family": "logit",
            "sparse_case": True}
    if penalty == "l1":
        top = largest_penalty(LogisticRegression(l1_ratio=1.0, fit_intercept=fit_intercept), X, y)
        spec["C"] = L1_C_FACTOR * top
        if path:
            spec["C"], spec["Cs"] = None, list(np.geomspace(top, top / PATH_RATIO, PATH_POINTS))
    return X, y, spec


# ---- one solver in its own process ----------------------------------------------------------------

def save_case(path, X, y, spec):
    """X (dense, or CSR as its three arrays), y and the spec (JSON) in one .npz."""
    arrays = ({"X_data": X.data, "X_indices": X.indices, "X_indptr": X.indptr, "X_shape": np.array(X.shape)}
              if scipy.sparse.issparse(X) else {"X": X})
    np.savez(path, y=y, spec=np.array(json.dumps(spec)), **arrays)


def load_case(path):
    with np.load(path) as data:
        spec = json.loads(str(data["spec"]))
        if "X_indptr" in data:
            X = scipy.sparse.csr_matrix((data["X_data"], data["X_indices"], data["X_indptr"]),
                                        shape=tuple(data["X_shape"]))
        else:
            X = np.ascontiguousarray(data["X"])
        return X, data["y"], spec


def _memory(pid="self"):
    """A process's resident set and its peak since the last reset, bytes (Linux /proc)."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line[:5]] = int(line.split()[1]) * 1024
    return values.get("VmRSS"), values.get("VmHWM")


class PeakMemory:
    """The peak resident set of this process during a ``with`` block, above its size at entry
    (``increase``, bytes): Linux's high-water mark reset at entry (writing 5 to
    /proc/self/clear_refs), read at exit; where that reset is refused, a thread sampling the
    resident set every 5 ms (which can miss a spike shorter than that)."""

    def __enter__(self):
        import ctypes
        import gc
        import threading

        gc.collect()
        try:  # hand freed heap back first, so that the fit's peak is not hidden in memory held over
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
        self._thread, self.reset = None, True
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            self.reset = False
            self._peak, self._done = 0, threading.Event()

            def sample():
                while not self._done.wait(0.005):
                    self._peak = max(self._peak, _memory()[0])
            self._thread = threading.Thread(target=sample, daemon=True)
        self.before = _memory()[0]
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        rss, peak = _memory()
        if self._thread is not None:
            self._done.set()
            self._thread.join()
            peak = max(self._peak, rss)
        self.increase = max(peak - self.before, 0)
        return False


def _fit_function(name, spec):
    """fit(X, y) -> (intercept, coef, iterations) of the solver ``name`` on the case's spec (a
    path's warm-up: its first two points)."""
    if not spec.get("sparse_case"):
        return lambda X, y: SOLVERS[name][1](X, y, spec["C"], spec["family"])
    return lambda X, y: SPARSE_SOLVERS[name][1](X, y, spec)


def _child(connection, data_path, name, repeats):
    """Load the case, warm up on its first rows (untimed), then send one (seconds, intercept,
    coef, iterations, peak memory increase in bytes) per timed fit."""
    X, y, spec = load_case(data_path)
    fit = _fit_function(name, spec)
    warm_up = _fit_function(name, dict(spec, Cs=spec["Cs"][:2]) if spec.get("Cs") else spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        head = np.concatenate([np.flatnonzero(y == label)[:50] for label in np.unique(y)[:20]])
        try:  # (sparse X: its first 50 columns, or a solver of dense p x p Hessians could take minutes)
            warm_up(X[head][:, :50] if scipy.sparse.issparse(X) else np.ascontiguousarray(X[head]), y[head])
        except Exception:  # a warm-up on a few rows may fail where the full fit does not
            pass
        count, spent = 0, 0.0
        while count < repeats or (spent < SHORT_FITS_SECONDS and count < SHORT_FITS_REPEATS):
            try:
                with PeakMemory() as memory:
                    # the parent's clock for the time limit starts here; with the resident set
                    # before the fit, where the peak was reset, it can read a stopped fit's peak
                    connection.send(("start", memory.before if memory.reset else None))
                    start = time.perf_counter()
                    intercept, coef, n_iter = fit(X, y)
            except Exception as error:  # reported as not reached, with the reason
                connection.send(("error", f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"))
                return
            seconds = time.perf_counter() - start
            connection.send((seconds, np.asarray(intercept, float), np.asarray(coef, float), n_iter, memory.increase))
            count, spent = count + 1, spent + seconds
    connection.send(("done",))


def run_solver(data_path, name, repeats, timeout):
    """The timed fits of one solver: a list of dicts (seconds, intercept, coef, n_iter), or a
    dict with 'failed' (timeout or error) for the fit that did not finish."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, str(data_path), name, repeats), daemon=True)
    process.start()
    runs = []

    def receive(seconds):
        deadline = time.perf_counter() + seconds
        while not parent.poll(0.05) and process.is_alive() and time.perf_counter() < deadline:
            pass
        return parent.recv() if parent.poll() else None

    while True:
        started = receive(600.0)  # loading the case and the untimed warm-up come first
        if started is not None and started[0] == "done":
            break
        message = receive(timeout) if started else None
        if message is None:
            alive = process.is_alive()
            peak = None
            if alive and started[1] is not None:
                try:  # the stopped fit's peak so far: a lower bound of its peak
                    peak = max(_memory(process.pid)[1] - started[1], 0)
                except (OSError, TypeError):
                    pass
            runs.append({"failed": f"stopped after {timeout:.0f} s" if alive else "the process died",
                         "peak_at_stop": peak})
            break
        if message[0] == "error":
            runs.append({"failed": message[1]})
            break
        seconds, intercept, coef, n_iter, peak = message
        runs.append({"seconds": seconds, "intercept": intercept, "coef": coef, "n_iter": n_iter, "peak": peak})
    process.kill()
    process.join()
    return runs


# ---- the benchmark --------------------------------------------------------------------------------

#: A fit at least this long is not repeated: one process's time is its figure.
REPEAT_BELOW_SECONDS = 10.0


class Budget:
    """The time left for the whole run (--budget seconds, None: unlimited): each solver's limit
    is the smaller of --timeout and an equal share of what is left over the solvers still to run
    (at least MIN_SHARE), so that the full set ends within the budget even where early fits run to
    their limits; repeats are run only while the budget lasts."""

    MIN_SHARE = 20.0

    def __init__(self, seconds, timeout, runs):
        self.end = None if seconds is None else time.perf_counter() + seconds
        self.timeout, self.runs_left = timeout, runs
        self.overheads = [5.0]  # each process's untimed part (start, load, warm-up): a first guess

    def record(self, wall, timed):
        """A finished process: its wall time and the time of its timed fits."""
        self.overheads.append(max(wall - timed, 0.0))

    def _left(self):
        return self.end - time.perf_counter() - statistics.mean(self.overheads[-10:]) * self.runs_left

    def limit(self):
        """The time limit of the next first run (which it counts off)."""
        self.runs_left = max(self.runs_left - 1, 0)
        if self.end is None:
            return self.timeout
        return min(self.timeout, max(self._left() / (self.runs_left + 1), self.MIN_SHARE))

    def allows_repeat(self, seconds):
        return self.end is None or self._left() - seconds > self.MIN_SHARE * self.runs_left


def case_solvers(case, X, y, spec):
    """[(name, reason it is skipped or None)] of the solvers that fit ``case``."""
    if case not in SPARSE_CASES:
        k = len(np.unique(y)) if spec["family"] != "poisson" else 0
        return [(name, None) for name, (applies, _) in SOLVERS.items() if applies(k, spec["C"], spec["family"])]
    tools = L1_TOOLS if spec["l1"] else L2_TOOLS
    tools = [tools[0], "reference", *tools[1:]]
    return [(name, SPARSE_SOLVERS[name][0](X, spec)) for name in tools]


def make_any_case(case, args):
    if case in SPARSE_CASES:
        return make_sparse_case(case, args.quick)
    X, y, C = make_case(case, args.scale)
    return X, y, {"C": C, "family": FAMILY.get(case, "logit"), "l1": False, "fit_intercept": True, "Cs": None}


def objectives(X, y, spec, intercepts, coefs):
    """The objective of each of a fit's m = len(Cs) (or 1) points."""
    if spec.get("Cs"):
        return [objective(X, y, b, B, C, spec["family"], spec["l1"]) for b, B, C in zip(intercepts, coefs, spec["Cs"])]
    if np.ndim(coefs) == 3:  # the sparse cases' one fit
        intercepts, coefs = intercepts[0], coefs[0]
    return [objective(X, y, intercepts, coefs, spec["C"], spec["family"], spec["l1"])]


def bench_case(case, args, directory, budget):
    started = time.perf_counter()
    X, y, spec = make_any_case(case, args)
    data_path = Path(directory) / f"{case}.npz"
    save_case(data_path, X, y, spec)
    k = len(np.unique(y)) if spec["family"] != "poisson" else 0
    solvers = case_solvers(case, X, y, spec)
    names = [name for name, skipped in solvers if skipped is None]
    runs, times = {name: [] for name in names}, {name: [] for name in names}
    limits, walls = {}, {name: 0.0 for name in names}
    # Rounds: every solver once per round, so that a slow stretch of the VM falls on several
    # solvers' processes rather than on all of one solver's. A fit of REPEAT_BELOW_SECONDS or more
    # (or the reference) is not repeated.
    for round_ in range(args.repeats):
        for name in names:
            if any("failed" in r for r in runs[name]) or (round_ > 0 and (
                    name == "reference" or times[name][0] >= REPEAT_BELOW_SECONDS
                    or not budget.allows_repeat(times[name][0]))):
                continue
            if round_ == 0:
                limits[name] = budget.limit()
                base = (times["symlogit auto"] if name == "reference" else [] if name == "symlogit auto" else
                        [t[0] for peer, t in times.items() if t and peer not in ("symlogit auto", "reference")])
                if case in SPARSE_CASES and base:
                    floor = MIN_LIMIT / (QUICK_FACTOR if args.quick else 1)
                    limits[name] = min(limits[name], max(floor, RELATIVE_LIMIT * min(base)))
            # a repeat may take RELATIVE_LIMIT times its own first fit: one slow process must not
            # turn a fit that finished into one that was stopped
            limit = limits[name] if round_ == 0 else max(limits[name], RELATIVE_LIMIT * times[name][0])
            wall = time.perf_counter()
            process_runs = run_solver(data_path, name, 1, limit)
            walls[name] += time.perf_counter() - wall
            budget.record(time.perf_counter() - wall, sum(r.get("seconds", limit) for r in process_runs))
            runs[name] += process_runs
            if not any("failed" in r for r in process_runs):
                times[name].append(statistics.median(r["seconds"] for r in process_runs))
            print(f"{case} round {round_ + 1} {name:26s} "
                  f"{times[name][-1] if times[name] else float('nan'):8.4f} s", file=sys.stderr, flush=True)
    rows = []
    for name, skipped in solvers:
        done = [r for r in runs.get(name, []) if "seconds" in r]
        failed = skipped or next((r["failed"] for r in runs.get(name, []) if "failed" in r), None)
        rows.append({"case": case, "solver": name, "N": X.shape[0], "d": X.shape[1], "K": k,
                     "nnz": int(X.nnz) if scipy.sparse.issparse(X) else None, "times": times.get(name, []),
                     "seconds": statistics.median(times[name]) if times.get(name) else None,
                     "n_iter": done[-1]["n_iter"] if done else None,
                     "peak_mb": max(r["peak"] for r in done) / 2**20 if done else None,
                     "peak_mb_at_stop": next((r["peak_at_stop"] / 2**20 for r in runs.get(name, [])
                                              if r.get("peak_at_stop") is not None), None),
                     "limit_s": limits.get(name), "wall_s": walls.get(name, 0.0),
                     "objectives": objectives(X, y, spec, done[-1]["intercept"], done[-1]["coef"]) if done else None,
                     "failed": failed})
    points = [[row["objectives"][i] for row in rows if row["objectives"] is not None]
              for i in range(len(spec.get("Cs") or [0]))]
    best = [min(values) if values else None for values in points]  # (None: no fit finished)
    for row in rows:
        # a fit that was stopped or failed in any repeat is not counted as reaching the optimum;
        # along a path, the largest gap of its points
        row["objective"] = row["objectives"][0] if row["objectives"] and len(best) == 1 else None
        row["gap"] = None if row["objectives"] is None else max(
            (f - b) / abs(b) for f, b in zip(row["objectives"], best))
        row["reached"] = row["gap"] is not None and row["gap"] <= REACHED and row["failed"] is None
    print(f"{case}: {time.perf_counter() - started:.0f} s in all", file=sys.stderr, flush=True)
    return rows


def summarise(rows):
    """Per case: symlogit's best reached time (the sparse cases: auto's), the fastest peer's, their
    ratio, and auto's; the sparse cases also auto's peak memory over the lowest of the peers whose
    fits finished."""
    summary = {}
    for case in dict.fromkeys(r["case"] for r in rows):
        mine = [r for r in rows if r["case"] == case]
        reached = {r["solver"]: r["seconds"] for r in mine if r["reached"]}
        sparse = case in SPARSE_CASES
        ours = reached.get("symlogit auto") if sparse else min((reached[s] for s in SYMLOGIT if s in reached),
                                                               default=None)
        peers = [r for r in mine if not r["solver"].startswith("symlogit") and r["solver"] != "reference"]
        peer = min((r["seconds"] for r in peers if r["reached"]), default=None)
        auto = reached.get("symlogit auto")
        summary[case] = {"symlogit_best": ours, "peer_best": peer,
                         "ratio": ours / peer if ours and peer else None, "auto": auto,
                         "auto_over_best": auto / ours if auto and ours else None}
        if sparse:
            # a stopped peer's peak so far counts (a lower bound of its peak: against symlogit)
            memory = {r["solver"]: r["peak_mb"] if r["peak_mb"] is not None else r.get("peak_mb_at_stop")
                      for r in mine}
            memory = {solver: mb for solver, mb in memory.items() if mb is not None}
            lowest = min((memory[r["solver"]] for r in peers if r["solver"] in memory), default=None)
            summary[case].update(
                fastest_peer=next((r["solver"] for r in peers if r["reached"] and r["seconds"] == peer), None),
                auto_peak_mb=memory.get("symlogit auto"), peer_lowest_peak_mb=lowest,
                memory_ratio=memory["symlogit auto"] / lowest if lowest and memory.get("symlogit auto") else None,
                time_target_met=bool(ours and peer and ours <= 0.5 * peer),
                memory_target_met=bool(lowest and memory.get("symlogit auto") is not None
                                       and memory["symlogit auto"] <= lowest))
    return summary


def markdown(rows, summary):
    cases = list(summary)
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    cell = {(r["case"], r["solver"]): r for r in rows}

    def shown(row):
        if row is None:
            return "n/a"
        memory = f", {row['peak_mb']:.0f} MB" if row.get("peak_mb") is not None and row["case"] in SPARSE_CASES else ""
        if row["reached"]:
            return f"{row['seconds']:.3g} s{memory}"
        if row["seconds"] is None:
            failed = row["failed"] or ""
            if failed.startswith("stopped after"):
                at_stop = row.get("peak_mb_at_stop")
                return f"did not reach 1e-8 in {row['limit_s']:.3g} s" + (
                    f", ≥ {at_stop:.0f} MB" if at_stop is not None else "")
            return f"not reached ({failed})"
        return f"not reached: {row['seconds']:.3g} s, gap {row['gap']:.1e}{memory}"

    lines = ["| solver | " + " | ".join(cases) + " |", "|---" * (len(cases) + 1) + "|"]
    lines += [f"| {s} | " + " | ".join(shown(cell.get((c, s))) for c in cases) + " |" for s in solvers]
    lines.append("| **symlogit best / fastest peer** | " + " | ".join(
        f"**{summary[c]['ratio']:.2f}**" if summary[c]["ratio"] else "–" for c in cases) + " |")
    lines.append("| **auto / symlogit best** | " + " | ".join(
        f"{summary[c]['auto_over_best']:.2f}" if summary[c]["auto_over_best"] else "–" for c in cases) + " |")
    if any(c in SPARSE_CASES for c in cases):
        lines.append("| **fastest peer** | " + " | ".join(summary[c].get("fastest_peer") or "–" for c in cases) + " |")
        lines.append("| **auto peak memory / lowest peer's** | " + " | ".join(
            f"**{summary[c]['memory_ratio']:.2f}**" if summary[c].get("memory_ratio") else "–" for c in cases) + " |")
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import NullFormatter

    cases = list(dict.fromkeys(r["case"] for r in rows))
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    cell = {(r["case"], r["solver"]): r for r in rows}
    fig, axes = plt.subplots(1, len(cases), figsize=(3.2 * len(cases), 4.5), sharey=True)
    for ax, case in zip(np.atleast_1d(axes), cases):
        mine = [cell.get((case, s)) for s in solvers]  # None: the solver does not apply
        seconds = [r["seconds"] if r and r["seconds"] is not None else np.nan for r in mine]
        colours = ["tab:blue" if s.startswith("symlogit") else "tab:gray" for s in solvers]
        bars = ax.barh(range(len(solvers)), seconds, color=colours)
        for bar, row in zip(bars, mine):
            if row and not row["reached"]:
                bar.set_hatch("//")
                bar.set_alpha(0.4)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(case)
        ax.set_xlabel("seconds (hatched: gap > 1e-8)")
    first = np.atleast_1d(axes)[0]
    first.set_yticks(range(len(solvers)), solvers)
    first.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


#: --budget's default where the run includes a sparse case (full size): the issues' 25 minutes,
#: less two for generating the data and for the untimed start of each process past the budget.
DEFAULT_BUDGET = 23 * 60.0
#: The per-solver limit of the sparse cases at full size (--quick: / QUICK_FACTOR).
SPARSE_TIMEOUT = 300.0


def expand_cases(names):
    """The command line's case names with CASE_GROUPS expanded; ValueError for an unknown one."""
    known = ["B1", "B2", "M1", "R1", "R2", "P1", "G1", "Q1", *SPARSE_CASES]
    cases = [case for name in names for case in CASE_GROUPS.get(name, [name])]
    unknown = [case for case in cases if case not in known]
    if unknown:
        raise ValueError(f"unknown case(s) {', '.join(unknown)}; expected some of {', '.join(known)} or a group: "
                         f"{', '.join(CASE_GROUPS)}")
    return list(dict.fromkeys(cases))


def estimate_full(rows):
    """A rough time (seconds) for the sparse cases at full size, from a --quick run's rows, without
    the budget: each process's untimed part (start, load, warm-up) twice over, and each timed fit
    GROWTH times longer (the growth of X's stored entries: a lower bound for every solver here,
    whose iterations do not get fewer) up to the full-size limit, which also counts for a fit
    that was stopped (its --quick limit grown alike: RELATIVE_LIMIT keeps limits in proportion)."""
    total = 0.0
    for row in rows:
        if row["case"] not in SPARSE_CASES or (row["failed"] or "").startswith("skipped"):
            continue
        stopped = (row["failed"] or "").startswith("stopped")
        timed = sum(row["times"]) + (row["limit_s"] if stopped else 0.0)
        growth = GROWTH[SPARSE_CASES[row["case"]][0]]
        full = [min(growth * t, SPARSE_TIMEOUT) for t in row["times"]]
        full = full[:1] if full and full[0] >= REPEAT_BELOW_SECONDS else full  # not repeated at full size
        total += 2 * max(row["wall_s"] - timed, 0.0) + sum(full)
        total += min(growth * row["limit_s"], SPARSE_TIMEOUT) if stopped else 0.0  # its limit, grown alike
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", "--case", nargs="+", default=["B1", "B2", "M1", "R1", "R2", "P1", "G1", "Q1"],
                        help=f"cases, or groups of them: {', '.join(CASE_GROUPS)}")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=None,
                        help=f"per-solver limit, seconds (default 120; the sparse cases {SPARSE_TIMEOUT:.0f}, --quick / "
                             f"{QUICK_FACTOR})")
    parser.add_argument("--budget", type=float, default=None,
                        help=f"seconds for the whole run, shared out as the solvers' limits (default {DEFAULT_BUDGET:.0f} "
                             "with a sparse case at full size, else none)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true",
                        help=f"the sparse cases' N and d / {QUICK_FACTOR} (the classic cases: use --scale)")
    parser.add_argument("--plot", default="peers.png", help="where to write the bar chart (PNG)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        cases = expand_cases(args.cases)
    except ValueError as error:
        parser.error(str(error))
    sparse = any(case in SPARSE_CASES for case in cases)
    if args.timeout is None:
        args.timeout = SPARSE_TIMEOUT / (QUICK_FACTOR if args.quick else 1) if sparse else 120.0
    if args.budget is None and sparse and not args.quick:
        args.budget = DEFAULT_BUDGET
    processes = sum(1 + len(L1_TOOLS if SPARSE_CASES[c][1] == "l1" else L2_TOOLS) if c in SPARSE_CASES
                    else len(SOLVERS) for c in cases)
    print(f"{len(cases)} case(s), about {processes} solver processes (+ repeats of fits under "
          f"{REPEAT_BELOW_SECONDS:.0f} s), each limited to {args.timeout:.0f} s"
          + (f"; the budget of {args.budget:.0f} s bounds the whole run: limits shrink to a share of what is left "
             f"(at least {Budget.MIN_SHARE:.0f} s) where earlier fits ran long, and repeats stop" if args.budget
             else "; no overall budget"), file=sys.stderr, flush=True)
    budget = Budget(args.budget, args.timeout, processes)
    started, rows = time.perf_counter(), []
    with tempfile.TemporaryDirectory(prefix="symlogit-peers-") as directory:
        for case in cases:
            try:
                rows += bench_case(case, args, directory, budget)
            except Exception as error:  # one case's fault must not lose the others' figures
                print(f"{case}: FAILED, {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    summary = summarise(rows)
    plot(rows, args.plot)
    note = f"ran in {elapsed:.0f} s" + (
        f"; rough estimate of the same cases at full size without a budget: {estimate_full(rows) / 60:.0f} min "
        f"(with the default budget: at most {DEFAULT_BUDGET / 60:.0f} min plus generating the data, a minute or "
        f"two; fits stopped by a share of the budget are reported as not reached)" if args.quick and sparse else "")
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary, "elapsed_s": elapsed, "quick": args.quick,
                          "budget_s": args.budget, "note": note}, indent=1))
        print(markdown(rows, summary), file=sys.stderr)  # the table too, so one run gives both
    else:
        print(markdown(rows, summary))
        print(f"chart: {args.plot}")
        print(note)


if __name__ == "__main__":
    main()
