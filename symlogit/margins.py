"""Average marginal effects dy/dx with delta-method standard errors: statsmodels'
``get_margeff(at="overall", method="dydx")`` for Logit, Probit, Poisson, GLM and MNLogit.

Averages are weighted by the sample weights (frequency weights: as on the data with each row
repeated w times), W = Σ_i w_i; x̂_i = [1, x_i], and the effects are for the terms other than the
intercept.

    scalar family   AME_j = (1/W) Σ_i w_i μ'(u_i) θ_j            (μ = E[y | x], u = x̂ᵀθ + offset)
                    ∂AME_j/∂θ_c = (1/W) Σ_i w_i [μ'(u_i) δ_jc + μ''(u_i) θ_j x̂_ic]
    softmax         AME_jk = (1/W) Σ_i w_i p_ik (Θ_jk - p̄_ij),  p̄_ij = Σ_l p_il Θ_jl,
                    Θ = [0, θ] (p, K) with the reference class's column 0; every class k = 0..K-1
                    ∂AME_jk/∂θ_mc = (1/W) Σ_i w_i [p_ik (δ_km - p_im) x̂_ic D_ijk
                                    - p_ik p_im x̂_ic D_ijm + p_ik (δ_km - p_im) δ_jc],  D_ijk = Θ_jk - p̄_ij

The covariance of the effects is J C Jᵀ (the delta method), C the inference's covariance (robust
where it is), so the standard errors follow its cov_type as statsmodels' do. μ' and μ'' come from
``Family.mean_slopes`` (the generated row weights); statsmodels differentiates numerically.
Where some coefficients are not identified, J is applied to the information's generalised inverse
(right for the identified terms, whose effects are estimable) and the other terms' effects get NaN
standard errors. One pass over the rows, in blocks; on dask, chunk by chunk on the workers.
"""

import numpy as np
import scipy.stats

from .sandwich import BLOCK, design
from .solvers.objective import one_blas_thread


class MarginalEffects:
    """effects, bse, z, pvalues (numpy arrays, or pandas objects for a model fitted on a DataFrame):
    (d,) for a scalar family, (d, K) for softmax (one column per class, statsmodels MNLogit's
    ``margeff`` layout); cov (the delta-method covariance of the flattened effects, row-major);
    conf_int(alpha) of shape effects.shape + (2,) (labelled: a DataFrame, columns 0 and 1, or
    "lower" and "upper" indexed by (class, term) for softmax); summary(). ``alpha``: the intervals'
    level unless conf_int is given another (the inference's)."""

    def __init__(self, effects, cov, names, classes, title, cov_type, labelled, alpha=0.05):
        from .inference import check_alpha

        self.alpha = check_alpha(alpha)
        self._effects, self.cov, self.names, self.classes = effects, cov, names, classes
        self.title, self.cov_type, self.labelled = title, cov_type, labelled
        self._bse = np.sqrt(np.clip(np.diag(cov), 0, None)).reshape(effects.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            self._z = effects / self._bse
        self._pvalues = 2 * scipy.stats.norm.sf(np.abs(self._z))

    effects = property(lambda self: self._labelled(self._effects), doc="The average marginal effects dy/dx.")
    bse = property(lambda self: self._labelled(self._bse), doc="Delta-method standard errors.")
    z = property(lambda self: self._labelled(self._z), doc="effects / bse.")
    pvalues = property(lambda self: self._labelled(self._pvalues), doc="Two-sided p-values 2 Φ(-|z|).")

    def _labelled(self, values):
        if not self.labelled:
            return values
        import pandas as pd

        if values.ndim == 1:
            return pd.Series(values.copy(), index=list(self.names))
        return pd.DataFrame(values.copy(), index=list(self.names), columns=list(self.classes))

    def _intervals(self, alpha=None):
        from .inference import check_alpha

        q = scipy.stats.norm.ppf(1 - check_alpha(self.alpha if alpha is None else alpha) / 2)
        return np.stack([self._effects - q * self._bse, self._effects + q * self._bse], axis=-1)

    def conf_int(self, alpha=None):
        """effects ± Φ⁻¹(1 - α/2) bse, α this object's ``alpha`` unless given."""
        ci = self._intervals(alpha)
        if not self.labelled:
            return ci
        import pandas as pd

        if ci.ndim == 2:
            return pd.DataFrame(ci, index=list(self.names), columns=[0, 1])
        index = pd.MultiIndex.from_product([list(self.classes), list(self.names)], names=["y", None])
        return pd.DataFrame(ci.transpose(1, 0, 2).reshape(-1, 2), index=index, columns=["lower", "upper"])

    def summary(self):
        """A text table in statsmodels' layout (``get_margeff().summary()``)."""
        from .inference import table_header, table_row

        lines = [f"{self.title} Marginal Effects (symlogit)".center(78), "=" * 78,
                 f"{'Method:':<22}{'dydx':>14}    {'At:':<22}{'overall':>16}",
                 f"{'Covariance type:':<22}{self.cov_type:>14}", "=" * 78]
        ci = self._intervals()
        header = table_header("dy/dx", self.alpha)
        columns = [(None, slice(None))] if self._effects.ndim == 1 else [
            (f"y={c}", (slice(None), k)) for k, c in enumerate(self.classes)]
        for title, index in columns:
            lines += ([title] if title else []) + [header, "-" * 78]
            lines += [table_row(*row) for row in zip(self.names, self._effects[index], self._bse[index],
                                                      self._z[index], self._pvalues[index], ci[index])]
            lines.append("=" * 78)
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def average_marginal_effects(inference):
    """The MarginalEffects of a fitted model's ``Inference`` (which keeps its training rows; on
    dask arrays the sums over rows are made on the workers, one pass)."""
    from .inference import model_title

    rows = inference._rows
    family = rows.family
    first = 1 if rows.intercept else 0
    if inference._params.shape[0] <= first:
        raise ValueError("marginal_effects() needs at least one feature besides the intercept")
    if type(rows.X).__module__.partition(".")[0] == "dask":
        if rows.offset is not None:
            raise ValueError("marginal_effects() on dask arrays does not take offsets; fit in memory for it")
        from .distributed import summed_over_chunks as summed
    else:
        summed = summed_over_blocks
    finish = _softmax if family.is_vector else _scalar
    sums_of = _softmax_sums if family.is_vector else _scalar_sums
    coefficients = _with_reference(inference._params) if family.is_vector else inference._params
    with one_blas_thread():  # small BLAS calls between kernel passes: see solvers.objective
        sums = summed(sums_of, rows.X, rows.weights, rows.offset, family, coefficients, rows.intercept, first)
    effects, jacobian = finish(coefficients, sums, float(sums[-1]), first)
    cov = jacobian @ inference._estimable_cov @ jacobian.T  # a generalised inverse's: see Inference
    unidentified = np.isnan(np.diag(inference.cov)).reshape(inference._params.shape[::-1]).T  # (p,) or (p, K-1)
    if unidentified.ndim == 2:  # a term is unidentified in every class's effect if in any equation
        unidentified = np.repeat(unidentified.any(axis=1, keepdims=True), effects.shape[1], axis=1)
    unidentified = unidentified[first:].ravel()
    cov[unidentified, :] = np.nan
    cov[:, unidentified] = np.nan
    title = model_title(family.name)
    classes = None if inference.classes is None or not family.is_vector else list(inference.classes)
    return MarginalEffects(effects, cov, inference.names[first:], classes, title, inference.cov_label,
                           inference.labelled, inference.alpha)


def _with_reference(theta):
    """Θ = [0, θ] (p, K): the reference class's zero column before the others."""
    return np.hstack([np.zeros((theta.shape[0], 1)), theta])


def summed_over_blocks(sums_of, X, weights, offset, *args):
    """Σ over blocks of BLOCK rows of sums_of(X_b, w_b, offset_b, *args), tuples added entry by entry
    (a sparse X: dense blocks of bounded size, ``sparse.row_blocks``)."""
    from .sparse import row_blocks

    total = None
    for rows, X_rows in row_blocks(X, BLOCK):
        part = sums_of(X_rows, weights[rows], None if offset is None else offset[rows], *args)
        total = part if total is None else tuple(a + b for a, b in zip(total, part))
    return total


def _scalar_sums(X, w, offset, family, theta, intercept, first):
    """(Σ w μ'(u), Σ w μ''(u) x̂ (P,), Σ w) over rows X."""
    slope, curvature = family.mean_slopes(family.kernels.scores(X, theta, intercept, offset))
    return w @ slope, (w * curvature) @ design(X, intercept), w.sum()


def _scalar(theta, sums, total, first):
    """(AME (d,), Jacobian (d, P)) for a scalar family (module docstring) from ``_scalar_sums``."""
    mean_slope, weighted_curvature = sums[0] / total, sums[1] / total
    slopes = theta[first:]
    jacobian = np.outer(slopes, weighted_curvature)
    jacobian[np.arange(slopes.size), first + np.arange(slopes.size)] += mean_slope
    return mean_slope * slopes, jacobian


def _softmax_sums(X, w, offset, family, Theta, intercept, first):
    """Over rows X, with F_i[j, k] = w_i p_ik D_ijk: (Σ F (d, K), Σ F ⊗ x̂ (d, K, p),
    Σ F ⊗ p ⊗ x̂ (d, K, K, p), Σ w p (K,), Σ w p pᵀ (K, K), Σ w); matrix products over (n, d K)."""
    p, K = Theta.shape
    slopes = Theta[first:]  # (d, K)
    d, n = slopes.shape[0], X.shape[0]
    P = family.kernels.probabilities(X, Theta, intercept)
    Xh = design(X, intercept)
    D = slopes[None, :, :] - (P @ slopes.T)[:, :, None]  # (n, d, K): Θ_jk - p̄_ij
    wP = w[:, None] * P
    F = (wP[:, None, :] * D).reshape(n, d * K)
    return (F.sum(axis=0).reshape(d, K), (F.T @ Xh).reshape(d, K, p),
            (F.T @ (P[:, :, None] * Xh[:, None, :]).reshape(n, K * p)).reshape(d, K, K, p),
            wP.sum(axis=0), wP.T @ P, w.sum())


def _softmax(Theta, sums, total, first):
    """(AME (d, K), Jacobian (d K, (K-1) p)) for softmax (module docstring) from ``_softmax_sums``,
    rows of the Jacobian in the effects' row-major order, columns class by class as the
    covariance's."""
    effects, A, B, s1, s2, _ = sums
    d, K, p = A.shape
    eye = np.eye(K)
    J = eye[None, :, :, None] * A[:, :, None, :] - B - B.transpose(0, 2, 1, 3)  # (d, K, K, p)
    J[np.arange(d), :, :, first + np.arange(d)] += eye * s1[:, None] - s2  # the δ_jc terms
    return effects / total, J[:, :, 1:, :].reshape(d * K, (K - 1) * p) / total
