"""Robust covariances of a fitted model: the sandwich C M C around the bread C = I(θ)⁻¹ (the
non-robust covariance of ``symlogit.inference``, observed or expected information).

Each row's score is s_i = r_i ⊗ x̂_i (``Family.row_terms``: h'(u_i, y_i) x̂_i for a scalar family;
(p_i - y_i)[1:] ⊗ x̂_i for softmax in the reference parameterisation), w_i its sample weight.

    HC0      M = Σ_i w_i s_i s_iᵀ                        (White 1980; statsmodels cov_type="HC0")
    HC1      HC0 · N/(N - P)                            (Stata's "robust"; MacKinnon & White 1985)
    HC2      M = Σ_i w_i s̃_i s̃_iᵀ, s̃_i = (1 - h_ii)^(-1/2) s_i
    HC3      M = Σ_i w_i s̃_i s̃_iᵀ, s̃_i = (1 - h_ii)^(-1) s_i   (≈ the jackknife)
    cluster  M = Σ_g S_g S_gᵀ, S_g = Σ_{i in g} w_i s_i, times G/(G - 1) · (N - 1)/(N - P)
             (Stata's and statsmodels' default correction); two-way (Cameron, Gelbach & Miller
             2011, statsmodels' cov_cluster_2groups): V_1 + V_2 - V_12, each with its own G, V_12
             clustered on the intersections of the two groupings.

The hat values are the GLM's (R's ``hatvalues.glm``, used by ``sandwich::vcovHC``): the diagonal of
W^½ X̂ (X̂ᵀ W X̂)⁻¹ X̂ᵀ W^½, h_ii = W_i x̂_iᵀ C x̂_i with W_i the row's curvature (h'' observed or
E[h''] expected, the same information as the bread, so that Σ_i w_i h_ii = P; R's glm uses the
expected one, equal for the canonical links logit and Poisson). For softmax, a row's leverage is a
(K-1) × (K-1) block H_i = W_i^½ Q_i W_i^½, Q_i = (I ⊗ x̂_i)ᵀ C (I ⊗ x̂_i), W_i = (diag p - p pᵀ)[1:, 1:],
and the residual is rescaled by the matrix powers: r̃_i = (I - W_i Q_i)^(-1) r_i for HC3 (the
one-step leave-one-row-out change of θ, by Woodbury, as the scalar HC3) and
r̃_i = W_i^½ (I - H_i)^(-1/2) W_i^(-½) r_i (the principal root of (I - W_i Q_i)⁻¹) for HC2; with two
classes both are the binary formulas. (A choice of symlogit's: statsmodels and R offer no HC2/HC3
for multinomial models.)
HC2 and HC3 are undefined where a row's leverage reaches 1 (its block's largest eigenvalue for
softmax): the fit then passes through the row (a dummy column for a single row), or, with frequency
weights below 1, one copy's h_ii exceeds 1. Rather than NaN or noise, they raise a ValueError naming
the rows of positive weight with h_ii >= 1 - LEVERAGE_GAP (1e-8); HC0 and HC1 are defined there.

Sample weights are frequency weights (statsmodels' ``freq_weights``): a row of weight w counts as
w identical rows, so every covariance here equals the one computed on the data with each row
repeated w times: N = Σ_i w_i in HC1's and the clusters' corrections, h_ii is the leverage of one
copy (R's glm with prior weights would use w_i h_ii instead), a row's copies are in its cluster, and
G counts the clusters of positive weight (a cluster of rows of weight 0 is not in the data).
HC0 then equals statsmodels' GLM with freq_weights; its cluster covariance counts N as the rows
in (N - 1)/(N - P), so it differs from this one (and from the repeated rows') by that factor.

One pass over the rows in blocks of BLOCK: the P × P meat (or the G × P cluster sums) accumulate;
no N × N matrix is formed.
"""

import numpy as np
import scipy.sparse

from .solvers.objective import one_blas_thread

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")
BLOCK = 8192


def check_cov_type(cov_type, groups):
    """cov_type in its canonical spelling (HC names in any case); a ValueError naming the choices
    for another, for "cluster" without groups, or for groups with another cov_type."""
    canonical = {name.lower(): name for name in COV_TYPES}
    name = canonical.get(cov_type.lower()) if isinstance(cov_type, str) else None
    if name is None:
        raise ValueError(f"cov_type must be one of {', '.join(map(repr, COV_TYPES))}; got {cov_type!r}")
    if name == "cluster" and groups is None:
        raise ValueError("cov_type='cluster' needs groups: one cluster label per training row (N,), or (N, 2) for "
                         "two-way clustering")
    if name != "cluster" and groups is not None:
        raise ValueError(f"groups are used only by cov_type='cluster'; got cov_type={cov_type!r}")
    return name


def cluster_ways(groups, n, weights=None):
    """[(codes (N,) int, G, sign)] from groups (N,), (N, 1) or (N, 2) (numpy, pandas, lists; any
    labels): one way, or two ways and their intersection (sign -1). G counts the clusters of
    positive total weight (``weights`` (N,), frequency weights; all rows without): a cluster whose
    rows all have weight 0 is not in the data, so its rows are coded as cluster 0, where they add
    nothing. A ValueError for the wrong shape, a missing label (NaN, None) or a grouping with a
    single cluster (of positive weight)."""
    import pandas as pd

    values = groups.to_numpy() if hasattr(groups, "to_numpy") else np.asarray(groups)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != n or values.shape[1] not in (1, 2):
        raise ValueError(f"groups must have one cluster label per training row: shape ({n},) for one-way or ({n}, 2) "
                         f"for two-way clustering, got {np.shape(groups)}")
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    frame = pd.DataFrame(values)
    ways = []
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        missing = column.isna().to_numpy()
        if missing.any():
            raise ValueError(f"groups has a missing label in row {int(np.argmax(missing))} (rows count from 0)"
                             + (f", column {j}" if frame.shape[1] > 1 else "") + "; every row needs a cluster")
        codes, G = _weighted_clusters(pd.factorize(column)[0], weights)
        if G < 2:
            raise ValueError("groups" + (f" column {j}" if frame.shape[1] > 1 else "") + " has a single cluster"
                             + ("" if G == len(pd.unique(column)) else " of positive weight (the others' rows all "
                                "have weight 0)") + ": a cluster-robust covariance needs at least 2 clusters")
        ways.append((codes, G, 1.0))
    if len(ways) == 2:
        ways.append((*_weighted_clusters(pd.factorize(ways[0][0] * ways[1][1] + ways[1][0])[0], weights), -1.0))
    return ways


def _weighted_clusters(codes, weights):
    """(codes, G): the clusters of positive total weight coded 0..G-1 in their order; the rows of
    the others (every row of weight 0) coded 0."""
    positive = np.bincount(codes, weights=weights) > 0
    recoded = np.cumsum(positive) - 1
    return np.where(positive[codes], recoded[codes], 0).astype(np.intp), int(positive.sum())


def design(X, intercept):
    """X̂ = [1, X] (or X) as float64."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([np.ones((X.shape[0], 1)), X]) if intercept else X


def _roots(W):
    """(W^½, W^(+½)) of symmetric positive semi-definite W (n, m, m), the second the pseudo-inverse
    root (0 on W's null space)."""
    mu, U = np.linalg.eigh(W)
    mu = np.clip(mu, 0, None)
    with np.errstate(divide="ignore"):
        inverse = np.where(mu > 0, 1 / np.sqrt(mu), 0.0)
    return ((U * np.sqrt(mu)[:, None, :]) @ U.transpose(0, 2, 1),
            (U * inverse[:, None, :]) @ U.transpose(0, 2, 1))


def _leverage_factor(r, W, Q, cov_type):
    """(r̃ (n, m), the largest leverage eigenvalue of each row (n,)): r̃ = f(W Q) r with
    f(A) = (I - A)^(-1/2) (HC2) or (I - A)^(-1) (HC3), through the symmetric H = W^½ Q W^½:
    f(W Q) = I + W^½ V g(Λ) Vᵀ W^(+½), g(λ) = f(λ) - 1 (the null space of W contributes g(0) = 0,
    so a row of zero curvature keeps its residual)."""
    root, inverse_root = _roots(W)
    lam, V = np.linalg.eigh(root @ Q @ root)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (1 - lam) ** (-0.5 if cov_type == "HC2" else -1.0) - 1
    inner = (V * g[:, None, :]) @ V.transpose(0, 2, 1)
    return r + (root @ inner @ inverse_root @ r[:, :, None])[:, :, 0], lam[:, -1]


#: HC2 and HC3 divide by 1 - h_ii: refused where a row's leverage (its block's largest eigenvalue)
#: is at least 1 - LEVERAGE_GAP
LEVERAGE_GAP = 1e-8


def check_leverage(rows, leverages, cov_type):
    """A ValueError naming the rows (numbers counted from 0) whose leverage reaches 1 - LEVERAGE_GAP,
    where HC2 and HC3 are undefined; nothing if there are none. rows, leverages: (n,)."""
    if len(rows) == 0:
        return
    shown = ", ".join(f"{row} (h = {h:.6g})" for row, h in zip(rows[:5], leverages[:5]))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    raise ValueError(f"{cov_type} is undefined: the leverage h_ii of row(s) {shown}{more} (rows count from 0) is at "
                     f"least 1 - {LEVERAGE_GAP:g}, and {cov_type} divides by 1 - h_ii (for softmax: the largest "
                     "eigenvalue of the row's leverage block). The fit passes through such a row: a dummy column "
                     "for a single row, or frequency weights below 1 (h_ii is the leverage of one copy of the row, "
                     "above 1 when the weights sum to little). Use cov_type='HC0' or 'HC1', or drop that row or "
                     "dummy, or use weights that count rows")


def hat_values(family, X, y, B, intercept, offset, expected, bread):
    """The GLM hat values of one copy of each row, (N,) for a scalar family, (N, m, m) blocks for a
    vector family: W_i^½ Q_i W_i^½ with Q_i = (I ⊗ x̂_i)ᵀ C (I ⊗ x̂_i), C = bread (P, P), the inverse
    information (or a generalised inverse of a singular one)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    r, W = family.row_terms(X, y, B, intercept, offset, expected)
    Q = _quadratic_forms(design(X, intercept), bread, W.shape[1])
    root = _roots(W)[0]
    H = root @ Q @ root
    return H[:, 0, 0] if H.shape[1] == 1 else H


def _quadratic_forms(Xh, C, m):
    """Q (n, m, m), Q_i[k, l] = x̂_iᵀ C_kl x̂_i with C_kl the (k, l) block of C (P = m p)."""
    p = Xh.shape[1]
    Q = np.empty((Xh.shape[0], m, m))
    for k in range(m):
        for l in range(k, m):
            Q[:, k, l] = Q[:, l, k] = np.einsum("ia,ia->i", Xh @ C[k * p:(k + 1) * p, l * p:(l + 1) * p], Xh)
    return Q


def meat(family, X, y, B, weights, intercept, offset, cov_type, bread=None, ways=None, expected=False, first_row=0):
    """The meat of ``cov_type`` over rows X (one pass, in blocks of BLOCK rows): (P, P) for HC0-HC3
    (HC1's factor is applied by ``sandwich``), or for "cluster" a list of (G, P) score sums
    S_g = Σ_{i in g} w_i s_i, one per way of ``ways`` (``cluster_ways``). ``bread`` (P, P), the
    non-robust covariance (a generalised inverse of a singular information), is needed by HC2 and
    HC3's hat values; a ValueError (``check_leverage``) where a row of positive weight has leverage
    1 (numbered from ``first_row``: X's first row's number among all rows)."""
    with one_blas_thread():  # small BLAS calls between kernel passes: see solvers.objective
        return _meat(family, X, y, B, weights, intercept, offset, cov_type, bread, ways, expected, first_row)


def _meat(family, X, y, B, weights, intercept, offset, cov_type, bread, ways, expected, first_row):
    from .sparse import row_blocks  # a sparse X: dense blocks of bounded size

    sums, flagged = None, ([], [])  # the rows whose leverage reaches 1, and their leverages
    for rows, X_rows in row_blocks(X, BLOCK):
        m = X_rows.shape[0]
        r, W = family.row_terms(X_rows, y[rows], B, intercept, None if offset is None else offset[rows], expected)
        Xh = design(X_rows, intercept)
        w = weights[rows]
        if cov_type in ("HC2", "HC3"):
            r, leverage = _leverage_factor(r, W, _quadratic_forms(Xh, bread, r.shape[1]), cov_type)
            bad = np.flatnonzero((w > 0) & ~(leverage < 1 - LEVERAGE_GAP))  # NaN too
            flagged[0].extend((first_row + rows.start + bad).tolist())
            flagged[1].extend(leverage[bad].tolist())
        S = (r[:, :, None] * Xh[:, None, :]).reshape(m, -1)
        if cov_type == "cluster":
            parts = [scipy.sparse.csr_matrix((w, (codes[rows], np.arange(m))), shape=(G, m)) @ S
                     for codes, G, _ in ways]
        else:
            A = S * np.sqrt(w)[:, None]
            parts = A.T @ A  # numpy hands Aᵀ A to BLAS SYRK (a GEMM of Sᵀ and wS is many times slower)
        sums = parts if sums is None else (
            [a + b for a, b in zip(sums, parts)] if cov_type == "cluster" else sums + parts)
    check_leverage(*flagged, cov_type)
    return sums


def _dense(M):
    return M.toarray() if scipy.sparse.issparse(M) else M


def check_correction(cov_type, nobs, n_params):
    """A ValueError where HC1's or the clusters' small-sample correction is undefined: N = Σ w
    (frequency weights: the rows they stand for) must exceed P = n_params."""
    if cov_type in ("HC1", "cluster") and not nobs > n_params:
        factor = "N/(N - P)" if cov_type == "HC1" else "G/(G - 1) (N - 1)/(N - P)"
        raise ValueError(f"cov_type={cov_type!r} multiplies by {factor} with N = the sum of the sample weights = "
                         f"{nobs:g} and P = {n_params} parameters: it needs N > P. Sample weights are frequency "
                         "weights (a row of weight w counts as w rows), so weights normalised to sum to 1 make N = 1; "
                         "use weights that count rows (e.g. scaled to sum to the number of rows)"
                         + (", or cov_type='HC0'" if cov_type == "HC1" else ""))


def sandwich(bread, meat_sums, cov_type, nobs, ways=None, n_params=None):
    """C M C with the small-sample factor of ``cov_type``: N/(N - P) for HC1; per way of a cluster
    covariance G/(G - 1) · (N - 1)/(N - P), signed (two-way: V_1 + V_2 - V_12). nobs = N = Σ w.
    bread C: the inverse information, or a generalised inverse of a singular one (the sandwich is
    then right for the identified parameters: the scores lie in the information's range), when
    P = n_params is the information's rank (default: C's size)."""
    P = bread.shape[0] if n_params is None else n_params
    check_correction(cov_type, nobs, P)
    C = bread
    if cov_type == "cluster":  # S: dense, or sparse from dask's chunks
        cov = sum(sign * G / (G - 1) * (nobs - 1) / (nobs - P) * (C @ _dense(S.T @ S) @ C)
                  for (_, G, sign), S in zip(ways, meat_sums))
    else:
        cov = C @ meat_sums @ C * (nobs / (nobs - P) if cov_type == "HC1" else 1.0)
    return (cov + cov.T) / 2
