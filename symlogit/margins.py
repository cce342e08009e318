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
"""

import numpy as np
import scipy.stats

from .sandwich import BLOCK, _design
from .solvers.objective import one_blas_thread


class MarginalEffects:
    """effects, bse, z, pvalues (numpy arrays, or pandas objects for a model fitted on a DataFrame):
    (d,) for a scalar family, (d, K) for softmax (one column per class, statsmodels MNLogit's
    ``margeff`` layout); cov (the delta-method covariance of the flattened effects, row-major);
    conf_int(alpha) of shape effects.shape + (2,) (labelled: a DataFrame, columns 0 and 1, or
    "lower" and "upper" indexed by (class, term) for softmax); summary()."""

    def __init__(self, effects, cov, names, classes, title, cov_type, labelled):
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

    def _intervals(self, alpha):
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        q = scipy.stats.norm.ppf(1 - alpha / 2)
        return np.stack([self._effects - q * self._bse, self._effects + q * self._bse], axis=-1)

    def conf_int(self, alpha=0.05):
        """effects ± Φ⁻¹(1 - α/2) bse."""
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
        from .inference import _cell

        lines = [f"{self.title} Marginal Effects (symlogit)".center(78), "=" * 78,
                 f"{'Method:':<22}{'dydx':>14}    {'At:':<22}{'overall':>16}",
                 f"{'Covariance type:':<22}{self.cov_type:>14}", "=" * 78]
        ci = self._intervals(0.05)
        header = f"{'':<18}{'dy/dx':>11}{'std err':>11}{'z':>9}{'P>|z|':>9}{'[0.025':>10}{'0.975]':>10}"
        columns = [(None, slice(None))] if self._effects.ndim == 1 else [
            (f"y={c}", (slice(None), k)) for k, c in enumerate(self.classes)]
        for title, index in columns:
            lines += ([title] if title else []) + [header, "-" * 78]
            for name, e, s, zv, pv, (lo, hi) in zip(self.names, self._effects[index], self._bse[index],
                                                    self._z[index], self._pvalues[index], ci[index]):
                lines.append(f"{str(name)[:17]:<18}" + "".join(
                    _cell(value, width, decimals, small) for value, width, decimals, small in
                    ((e, 11, 4, True), (s, 11, 3, True), (zv, 9, 3, False), (pv, 9, 3, False), (lo, 10, 3, True),
                     (hi, 10, 3, True))))
            lines.append("=" * 78)
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def average_marginal_effects(inference):
    """The MarginalEffects of a fitted model's ``Inference`` (which keeps its training rows)."""
    from .inference import model_title

    rows = inference._rows
    if type(rows.X).__module__.partition(".")[0] == "dask":
        raise ValueError("marginal_effects() needs the rows in memory; it is not computed on dask arrays")
    family = rows.family
    first = 1 if rows.intercept else 0
    if inference._params.shape[0] <= first:
        raise ValueError("marginal_effects() needs at least one feature besides the intercept")
    with one_blas_thread():  # small BLAS calls between kernel passes: see solvers.objective
        effects, jacobian = (_softmax if family.is_vector else _scalar)(inference._params, rows, first)
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
                           inference.labelled)


def _blocks(rows):
    n = rows.X.shape[0]
    for lo in range(0, n, BLOCK):
        yield slice(lo, min(n, lo + BLOCK))


def _scalar(theta, rows, first):
    """(AME (d,), Jacobian (d, P)) for a scalar family (module docstring)."""
    k = rows.family.kernels
    mean_slope, weighted_curvature = 0.0, np.zeros(theta.size)
    for block in _blocks(rows):
        offset = None if rows.offset is None else rows.offset[block]
        slope, curvature = rows.family.mean_slopes(k.scores(rows.X[block], theta, rows.intercept, offset))
        w = rows.weights[block]
        mean_slope += w @ slope
        weighted_curvature += (w * curvature) @ _design(rows.X[block], rows.intercept)
    total = rows.weights.sum()
    mean_slope, weighted_curvature = mean_slope / total, weighted_curvature / total
    slopes = theta[first:]
    jacobian = np.outer(slopes, weighted_curvature)
    jacobian[np.arange(slopes.size), first + np.arange(slopes.size)] += mean_slope
    return mean_slope * slopes, jacobian


def _softmax(theta, rows, first):
    """(AME (d, K), Jacobian (d K, (K-1) p)) for softmax (module docstring), rows of the Jacobian
    in the effects' row-major order, columns class by class as the covariance's."""
    p, K = theta.shape[0], theta.shape[1] + 1
    Theta = np.hstack([np.zeros((p, 1)), theta])
    slopes = Theta[first:]  # (d, K)
    d = slopes.shape[0]
    effects, A = np.zeros((d, K)), np.zeros((d, K, p))
    B, s1, s2 = np.zeros((d, K, K, p)), np.zeros(K), np.zeros((K, K))
    for block in _blocks(rows):
        X = rows.X[block]
        P = rows.family.kernels.probabilities(X, Theta, rows.intercept)
        Xh, w = _design(X, rows.intercept), rows.weights[block]
        D = slopes[None, :, :] - (P @ slopes.T)[:, :, None]  # (n, d, K): Θ_jk - p̄_ij
        wP = w[:, None] * P
        F = (wP[:, None, :] * D).reshape(len(w), d * K)  # w_i p_ik D_ijk, as (n, d K) for GEMMs
        effects += F.sum(axis=0).reshape(d, K)
        A += (F.T @ Xh).reshape(d, K, p)
        B += (F.T @ (P[:, :, None] * Xh[:, None, :]).reshape(len(w), K * p)).reshape(d, K, K, p)
        s1 += wP.sum(axis=0)
        s2 += wP.T @ P
    eye = np.eye(K)
    J = eye[None, :, :, None] * A[:, :, None, :] - B - B.transpose(0, 2, 1, 3)  # (d, K, K, p)
    terms = first + np.arange(d)
    J[np.arange(d), :, :, terms] += eye * s1[:, None] - s2  # the δ_jc terms
    total = rows.weights.sum()
    return effects / total, J[:, :, 1:, :].reshape(d * K, (K - 1) * p) / total
