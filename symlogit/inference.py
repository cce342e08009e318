"""Wald inference for a fitted model of any family, in statsmodels' layout (Logit, Probit,
MNLogit, GLM).

Parameters are in the reference parameterisation: a scalar family's θ = [intercept, coef]
(d+1,); softmax θ = B[:, k] - B[:, 0] for k = 1..K-1, an array (d+1, K-1) with ``classes_[0]``
the reference class (statsmodels' MNLogit). The covariance is the inverse of the information
from the generated ``grad_hess`` kernel:
    observed   I(θ) = Σ_i w_i h''(u_i, y_i) x̂_i x̂_iᵀ   (the Hessian of Σ w h: statsmodels'
               Logit, Probit, and GLM fitted with method="newton"; B6, P3, G3, Q2)
    expected   I(θ) = Σ_i w_i E[h''](u_i) x̂_i x̂_iᵀ     (Fisher scoring: the non-robust covariance of
               statsmodels GLM's IRLS default; P4, G4; equal to the observed one for the
               canonical links)
    softmax    the (k, l ≥ 1) blocks of Σ_i w_i (diag p_i - p_i p_iᵀ) ⊗ x̂_i x̂_iᵀ   (M16)
Without an intercept there is no row 0.

With ``cov_type`` other than "nonrobust", cov is a sandwich around that inverse (HC0-HC3, or
one- or two-way clusters: ``symlogit.sandwich``). Off the canonical link (probit, cloglog) the
bread matters: statsmodels' GLM makes its robust covariances around the observed information
(IRLS too, although its non-robust covariance is then the expected one), so they match
information="observed"; R's sandwich::vcovHC/vcovCL on a glm use the IRLS (expected) information
for the bread and the hat values, and match information="expected". ``marginal_effects()`` gives average marginal
effects with delta-method standard errors (``symlogit.margins``); ``wald_test`` and
``compare_lr_test`` the Wald test of R θ = q and the likelihood-ratio test of nested models.

Then bse = sqrt(diag cov), z = θ / bse, p = 2 Φ(-|z|), intervals θ ± Φ⁻¹(1 - α/2) bse,
llf = Σ w (log measure - h) (the full log-likelihood: -log y! for Poisson), llnull the same
for the intercept-only model (the family's null model, offsets kept), deviance = 2 Σ w (h -
h_saturated), McFadden's pseudo R² = 1 - llf/llnull, AIC = -2 llf + 2k, BIC = -2 llf +
k log(nobs), with k = θ.size and nobs = Σ w (= N without weights, as statsmodels' frequency
weights).
"""

import copy
import warnings
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.stats

from .sandwich import check_correction, check_cov_type, cluster_ways, meat, sandwich


#: The intercept's name in every coefficient table the estimators and the command line print
#: (statsmodels' name; R's is "(Intercept)").
INTERCEPT_NAME = "const"


class InferenceWarning(UserWarning):
    """The standard errors are not what they would be for an unpenalised, regular fit."""


class SingularInformationWarning(InferenceWarning):
    """The information matrix is singular: some coefficients are not identified by the likelihood
    (their standard errors are NaN)."""


class TestResult(NamedTuple):
    """A test's statistic, p-value and degrees of freedom (χ²); unpacks as statsmodels'
    ``compare_lr_test`` tuple (lr_stat, p_value, df_diff)."""
    statistic: float
    pvalue: float
    df: int


class Inference:
    """params, bse, z, pvalues, cov, llf, llnull, deviance (scalar families), pseudo_r2, aic, bic;
    conf_int(); summary(); marginal_effects(); wald_test(R, q); compare_lr_test(restricted).
    ``family`` and ``information`` ("observed" or "expected") say what the covariance is of,
    ``cov_type`` which covariance it is ("nonrobust", "HC0"-"HC3", "cluster"; ``cov_label`` adds
    "2-way"), ``n_clusters`` the number of clusters of each way (None unless clustered).

    With ``labelled`` (a model fitted on a pandas DataFrame) params, bse, z and pvalues are, as
    statsmodels gives them for pandas input, pandas Series indexed by the term names
    (``INTERCEPT_NAME``, "const", and the feature names) for a scalar family, and for softmax
    DataFrames with the terms as rows and the non-reference classes as columns; conf_int() is a
    DataFrame with columns 0 (lower) and 1 (upper), and for softmax rows indexed by (class, term)
    and columns "lower", "upper" (statsmodels' MNLogit). Otherwise they are numpy arrays.
    ``arrays()`` gives the numpy arrays in either case.

    ``alpha`` (default 0.05) is the level of the intervals that conf_int(), arrays(), summary() and
    marginal_effects() give unless told another (``model.inference(alpha=0.10)``: 90% intervals;
    ``conf_int(alpha=...)`` overrides it for one call)."""

    def __init__(self, params, cov, llf, llnull, nobs, names, classes, penalised, converged, family="logit",
                 information="observed", deviance=None, labelled=False, cov_type="nonrobust", n_clusters=None,
                 alpha=0.05):
        params = np.asarray(params, dtype=float)
        self.alpha = check_alpha(alpha)
        self.family, self.information, self.deviance = family, information, deviance
        self.cov_type, self.n_clusters = cov_type, n_clusters
        self._rows = None  # the training rows, for marginal_effects() (set by from_model)
        self._params, self.cov = params, cov
        self.llf, self.llnull, self.nobs = llf, llnull, nobs
        self.names, self.classes = names, classes
        self.penalised, self.converged, self.labelled = penalised, converged, labelled
        variances = np.diag(cov).reshape(params.shape[::-1]).T if params.ndim == 2 else np.diag(cov)
        # a sandwich (two-way clusters) can have negative variances: NaN, as statsmodels'
        self._bse = np.sqrt(np.clip(variances, 0, None) if cov_type == "nonrobust" else
                            np.where(variances >= 0, variances, np.nan))
        with np.errstate(divide="ignore", invalid="ignore"):
            self._z = params / self._bse
        self._pvalues = 2 * scipy.stats.norm.sf(np.abs(self._z))
        k = params.size
        self.pseudo_r2 = 1 - llf / llnull if llnull != 0 else np.nan
        self.aic = -2 * llf + 2 * k
        self.bic = -2 * llf + k * np.log(nobs)

    params = property(lambda self: self._labelled(self._params), doc="The coefficients θ.")
    bse = property(lambda self: self._labelled(self._bse), doc="Standard errors sqrt(diag cov).")
    z = property(lambda self: self._labelled(self._z), doc="Wald statistics θ / bse.")
    pvalues = property(lambda self: self._labelled(self._pvalues), doc="Two-sided p-values 2 Φ(-|z|).")

    def _columns(self):
        return list(self.classes[1:]) if self.classes is not None else list(range(self._params.shape[1]))

    def _labelled(self, values):
        if not self.labelled:
            return values
        import pandas as pd

        if values.ndim == 1:
            return pd.Series(values.copy(), index=list(self.names))
        return pd.DataFrame(values.copy(), index=list(self.names), columns=self._columns())

    def _intervals(self, alpha=None):
        q = scipy.stats.norm.ppf(1 - check_alpha(self.alpha if alpha is None else alpha) / 2)
        return np.stack([self._params - q * self._bse, self._params + q * self._bse], axis=-1)

    def with_alpha(self, alpha):
        """This inference with intervals at level ``alpha`` by default (a shallow copy; self if the
        same)."""
        alpha = check_alpha(alpha)
        if alpha == self.alpha:
            return self
        other = copy.copy(self)
        other.alpha = alpha
        return other

    def conf_int(self, alpha=None):
        """Wald intervals θ ± Φ⁻¹(1 - α/2) bse, α this inference's ``alpha`` unless given. numpy:
        shape params.shape + (2,), [..., 0] lower, [..., 1] upper. Labelled: a DataFrame, columns 0
        and 1 (lower, upper) indexed by term; for softmax indexed by (class, term), columns "lower"
        and "upper", as statsmodels' MNLogit."""
        ci = self._intervals(alpha)
        if not self.labelled:
            return ci
        import pandas as pd

        if ci.ndim == 2:
            return pd.DataFrame(ci, index=list(self.names), columns=[0, 1])
        index = pd.MultiIndex.from_product([self._columns(), list(self.names)], names=["y", None])
        return pd.DataFrame(ci.transpose(1, 0, 2).reshape(-1, 2), index=index, columns=["lower", "upper"])

    def arrays(self, alpha=None):
        """(params, bse, z, pvalues, conf_int) as numpy arrays whatever the model was fitted on;
        conf_int of shape params.shape + (2,), at level ``alpha`` (default: this inference's)."""
        return self._params, self._bse, self._z, self._pvalues, self._intervals(alpha)

    @classmethod
    def from_model(cls, model, X, targets, weights, offset=None, information="observed", cov_type="nonrobust",
                   groups=None):
        """The inference of a fitted model on its training data (numpy arrays, or dask arrays
        with the same row chunks: sums reduced on the cluster, without offsets). ``cov_type`` and
        ``groups``: see ``symlogit.sandwich`` (checked before any pass over the rows)."""
        cov_type = check_cov_type(cov_type, groups)
        on_dask = type(X).__module__.partition(".")[0] == "dask"
        if on_dask:
            from .distributed import check_groups as cluster_ways_of
        else:
            cluster_ways_of = cluster_ways
        ways = None if groups is None else cluster_ways_of(groups, X.shape[0], weights)
        family = model._fitted_family()
        B = model._internal_coef()
        intercept = bool(model.fit_intercept)
        if not intercept:
            B = B[1:]
        if family.is_vector:
            B = B - B[:, [0]]
        if on_dask:
            from .distributed import inference_statistics as statistics
            from .distributed import meat as meat_of
        else:
            statistics, meat_of = _statistics, meat
        sums = statistics(family, X, targets.values, B, weights, intercept, offset, information == "expected")
        H, params = sums.H, B
        if family.is_vector:
            p = B.shape[0]
            H, params = H[p:, p:], B[:, 1:]  # drop the reference class's blocks
        cov, identified, generalised = _inverse(H)
        if cov_type != "nonrobust":  # around a generalised inverse: right for every identified parameter
            rank = np.trace(generalised @ H)  # H⁺H projects onto H's range: the parameters' effective number
            rank = round(rank) if np.isfinite(rank) else H.shape[0]
            check_correction(cov_type, sums.total_weight, rank)  # before the pass over the rows
            sums_of_scores = meat_of(family, X, targets.values, B, weights, intercept, offset, cov_type, generalised,
                                     ways, information == "expected")
            generalised = sandwich(generalised, sums_of_scores, cov_type, sums.total_weight, ways, rank)
            cov = _masked(generalised, identified)
        llnull = sums.measure - sums.null_loss
        deviance = None if family.is_vector else 2 * (sums.loss - sums.saturated)
        names = ([INTERCEPT_NAME] if intercept else []) + list(
            getattr(model, "feature_names_in_", [f"x{j + 1}" for j in range(X.shape[1])]))
        penalised = model._l2(1.0) > 0 or model._l1(1.0) > 0
        labels = names if params.ndim == 1 else [f"{name} (y={model.classes_[k + 1]})"
                                                 for k in range(params.shape[1]) for name in names]
        if not identified.all():
            warnings.warn(f"The {information} information is singular: the coefficient(s) of "
                          f"{', '.join(str(labels[i]) for i in np.flatnonzero(~identified))} are not identified "
                          "(collinear, duplicated or constant features); their standard errors, z, p-values and "
                          "intervals are NaN. Drop or combine those features.", SingularInformationWarning,
                          stacklevel=3)
        negative = np.diag(cov) < 0
        if negative.any():
            warnings.warn(f"The {cov_type} covariance has negative variances for "
                          f"{', '.join(str(labels[i]) for i in np.flatnonzero(negative))} (two-way clustering subtracts "
                          "the intersections' term; too few clusters): their standard errors are NaN.",
                          InferenceWarning, stacklevel=3)
        if penalised:
            robust = "" if cov_type == "nonrobust" else (
                f" The {cov_type} covariance is likewise the sandwich of the unpenalised likelihood's scores and "
                "curvature at the penalised estimate, not the covariance of the penalised estimator.")
            warnings.warn("This fit is penalised (L2): its coefficients are shrunk towards 0, so the Wald z, p-values "
                          "and intervals below (from the likelihood's curvature at the penalised estimate) do not "
                          f"test the unpenalised model.{robust} Fit without a penalty for valid inference.",
                          InferenceWarning, stacklevel=3)
        result = cls(params, cov, sums.measure - sums.loss, llnull, sums.total_weight, names,
                     getattr(model, "classes_", None), penalised, bool(model.converged_), family.name, information,
                     deviance, labelled=hasattr(model, "feature_names_in_"), cov_type=cov_type,
                     n_clusters=None if ways is None else tuple(G for _, G, sign in ways if sign > 0))
        result._estimable_cov = generalised  # no NaN: for functions of the identified parameters
        result._rows = SimpleNamespace(family=family, X=X, y=targets.values, B=B, weights=weights,
                                       intercept=intercept, offset=offset)
        return result

    @property
    def cov_label(self):
        """The covariance's name in the summary: "nonrobust", "HC0"-"HC3", "cluster" or "cluster 2-way"."""
        return "cluster 2-way" if self.n_clusters is not None and len(self.n_clusters) == 2 else self.cov_type

    def marginal_effects(self):
        """Average marginal effects dy/dx with delta-method standard errors from this inference's
        covariance (robust where it is): ``symlogit.margins.MarginalEffects``, whose intervals are
        at this inference's ``alpha`` by default."""
        from .margins import average_marginal_effects

        if self._rows is None:
            raise ValueError("marginal_effects() needs the training rows: use model.inference() (or "
                             "Inference.from_model), not an Inference built by hand")
        return average_marginal_effects(self)

    def wald_test(self, R, q=None):
        """The Wald test of the linear hypothesis R θ = q (statsmodels' ``wald_test`` with
        use_f=False): W = (Rθ - q)ᵀ (R C Rᵀ)⁺ (Rθ - q), C this inference's covariance (robust
        where it is), χ² with df = the numerical rank of R C Rᵀ (the number of rows of R unless some
        are linear combinations of others: then an InferenceWarning, as statsmodels warns), (R C Rᵀ)⁺
        the pseudo-inverse. Inconsistent restrictions (no θ with R θ = q) raise a ValueError.
        R: (J, P) or (P,) for one restriction, P = params.size with θ flattened class by class for
        softmax (statsmodels MNLogit's order: all of class 1's terms, then class 2's); q: (J,) or a
        number, 0 by default. Returns TestResult(statistic, pvalue, df)."""
        theta = self._params.T.ravel()
        R = np.atleast_2d(np.asarray(R, dtype=float))
        if R.ndim != 2 or R.shape[1] != theta.size:
            raise ValueError(f"R must have shape (J, {theta.size}): one row per restriction, one column per parameter "
                             f"(params flattened class by class), got {np.shape(R)}")
        q = np.zeros(R.shape[0]) if q is None else np.asarray(q, dtype=float)
        if q.ndim == 0:
            q = np.full(R.shape[0], float(q))
        if q.shape != (R.shape[0],):
            raise ValueError(f"q must be a number or have shape ({R.shape[0]},), one value per row of R, got {q.shape}")
        if not (np.all(np.isfinite(R)) and np.all(np.isfinite(q))):
            raise ValueError("R and q must be finite")
        keep = ~np.isnan(np.diag(self.cov))  # the identified parameters
        involved = ~keep & np.any(R != 0, axis=0)
        if involved.any():
            raise ValueError(f"R involves parameter(s) {', '.join(map(str, np.flatnonzero(involved)))} (flattened), which "
                             "are not identified (NaN standard errors); test the identified parameters only")
        solution = np.linalg.lstsq(R, q, rcond=None)[0]
        residual = np.linalg.norm(R @ solution - q)
        if residual > 1e-8 * (np.linalg.norm(R, 2) * np.linalg.norm(solution) + np.linalg.norm(q)):
            raise ValueError(f"the restrictions R θ = q are inconsistent: no θ satisfies them (q is not in the range "
                             f"of R; least-squares residual {residual:.3g}); rows of R that are combinations of "
                             "others need the same combination of q")
        difference = R @ theta - q
        R, cov = R[:, keep], self.cov[np.ix_(keep, keep)]
        restricted = R @ cov @ R.T
        df = int(np.linalg.matrix_rank(restricted))
        if df < R.shape[0]:
            warnings.warn(f"The covariance of the {R.shape[0]} restrictions R θ has rank {df}: some rows of R are "
                          f"linear combinations of others, so the test has df = {df} (its statistic uses the "
                          "pseudo-inverse), as statsmodels' wald_test.", InferenceWarning, stacklevel=2)
        statistic = float(difference @ np.linalg.pinv(restricted) @ difference)
        return TestResult(statistic, float(scipy.stats.chi2.sf(statistic, df)), df)

    def compare_lr_test(self, restricted):
        """The likelihood-ratio test of the nested ``restricted`` model (an Inference of the same
        family on the same rows, with fewer parameters) against this one (statsmodels'
        ``compare_lr_test``): LR = -2 (llf_restricted - llf), χ² with df = the difference in the
        number of parameters. Warns (InferenceWarning) where a covariance is robust or a fit
        penalised: the χ² distribution assumes a correctly specified, unpenalised likelihood.
        Nesting itself (the restricted model's terms among this one's) is the caller's to ensure.
        Returns TestResult(statistic, pvalue, df)."""
        if not isinstance(restricted, Inference):
            raise ValueError(f"restricted must be an Inference (model.inference()), got {type(restricted).__name__}")
        if restricted.family != self.family or restricted.nobs != self.nobs:
            raise ValueError(f"restricted must be fitted by the same family on the same rows: family "
                             f"{restricted.family!r} with {restricted.nobs:g} observations against {self.family!r} "
                             f"with {self.nobs:g}")
        df = self._params.size - restricted._params.size
        if df <= 0:
            raise ValueError(f"restricted must have fewer parameters than this model: {restricted._params.size} >= "
                             f"{self._params.size}; call compare_lr_test on the larger model")
        if {self.cov_type, restricted.cov_type} != {"nonrobust"} or self.penalised or restricted.penalised:
            warnings.warn("The likelihood-ratio test assumes an unpenalised, correctly specified likelihood; with a "
                          "robust covariance or a penalised fit its chi-squared p-value may be invalid (use wald_test "
                          "with the robust covariance instead).", InferenceWarning, stacklevel=2)
        statistic = -2 * (restricted.llf - self.llf)
        return TestResult(statistic, float(scipy.stats.chi2.sf(statistic, df)), df)

    def summary(self):
        """A statsmodels-like text table."""
        kind = model_title(self.family)
        lines = [
            f"{kind} results (symlogit)".center(78), "=" * 78,
            f"{'Family:':<22}{self.family:>14}    {'Information:':<22}{self.information:>16}",
            f"{'Covariance type:':<22}{self.cov_label:>14}"
            + (f"    {'Clusters:':<22}{' x '.join(map(str, self.n_clusters)):>16}" if self.n_clusters else ""),
            f"{'No. observations:':<22}{self.nobs:>14g}    {'Log-likelihood:':<22}{self.llf:>16.6g}",
            f"{'Parameters:':<22}{self._params.size:>14d}    {'LL-null:':<22}{self.llnull:>16.6g}",
            f"{'Converged:':<22}{str(self.converged):>14}    {'Pseudo R-squ.:':<22}{self.pseudo_r2:>16.4g}",
            f"{'Penalised:':<22}{str(self.penalised):>14}    {'AIC / BIC:':<22}{self.aic:>8.5g} / {self.bic:<.5g}",
        ]
        params, bse, z, pvalues, ci = self.arrays()
        header = table_header("coef", self.alpha)
        columns = [(None, slice(None))] if params.ndim == 1 else [
            (f"y={self.classes[k + 1]} (vs {self.classes[0]})", (slice(None), k)) for k in range(params.shape[1])]
        for title, index in columns:
            lines += ["=" * 78] + ([title] if title else []) + [header, "-" * 78]
            lines += [table_row(*row) for row in zip(self.names, params[index], bse[index], z[index], pvalues[index],
                                                      ci[index])]
        lines.append("=" * 78)
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


#: (width, decimals, small) of the estimate, std err, z, P>|z| and interval columns (see _cell)
_COLUMNS = ((11, 4, True), (11, 3, True), (9, 3, False), (9, 3, False), (10, 3, True), (10, 3, True))


def check_alpha(alpha):
    """alpha as a float in (0, 1), else a ValueError."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), a number (0.05 for 95% intervals), got {alpha!r}")
    return float(alpha)


def interval_heads(alpha):
    """The heads of the interval columns at level ``alpha``, as statsmodels': ("[0.025", "0.975]")."""
    return f"[{alpha / 2:.4g}", f"{1 - alpha / 2:.4g}]"


def table_header(estimate, alpha=0.05):
    """The column heads of a summary table whose estimates are called ``estimate``, intervals at
    level ``alpha``."""
    lower, upper = interval_heads(alpha)
    return f"{'':<18}{estimate:>11}{'std err':>11}{'z':>9}{'P>|z|':>9}{lower:>10}{upper:>10}"


def table_row(name, estimate, se, z, p, interval):
    """One term's row of a summary table: name, estimate, std err, z, p and interval (lower, upper).
    A name longer than 17 characters (a formula's term, a long level) has a line of its own, whole."""
    values = (estimate, se, z, p, *interval)
    cells = "".join(_cell(v, *column) for v, column in zip(values, _COLUMNS))
    name = str(name)
    return f"{name:<18}{cells}" if len(name) <= 17 else f"{name}\n{'':<18}{cells}"


def model_title(family):
    """statsmodels' name for the model of family ``family`` (a name), for table titles."""
    return {"logit": "Logit", "softmax": "MNLogit", "probit": "Probit"}.get(family, f"GLM {family}")


def _statistics(family, X, y, B, weights, intercept, offset, expected):
    """The sums inference needs, from one pass over X: loss Σ w h, the Hessian H (observed, or
    ``expected`` information; scalar families), Σ w h_saturated, Σ w log-measure, the null
    model's loss and the total weight. A scipy.sparse X goes through ``sparse.sparse_kernels``."""
    from .sparse import is_sparse, sparse_kernels

    k = sparse_kernels(family) if is_sparse(X) else family.kernels
    if family.is_vector:
        loss, _, H = k.loss_grad_hess(X, y, B, weights, intercept)
        saturated = measure = 0.0
    else:
        extra = {} if offset is None else {"offset": offset}
        loss, _, H = k.loss_grad_hess(X, y, B, weights, intercept, expected=expected, **extra)
        saturated, measure = (weights @ k.target_terms(y).T).tolist()
    null_loss = k.loss_from_scores(family.null_scores(y, weights, offset), y, weights)
    return SimpleNamespace(loss=loss, H=H, saturated=saturated, measure=measure, null_loss=null_loss,
                           total_weight=float(weights.sum()))


def _cell(value, width, decimals, small=True):
    """value right-aligned in width characters, at least one of them a leading space: fixed-point
    with ``decimals``, or scientific notation when that does not fit (-12410.948 in a column of
    10 would run into its neighbour), when a nonzero value would print as zero (a p-value of
    1e-87 as 0.000) or, with ``small``, when it would show fewer than two significant digits
    (-6.05e-05 as -0.0001, a standard error of 5.6e-06 as 0.000)."""
    text = f"{value:.{decimals}f}"
    if value != 0 and (float(text) == 0 or small and abs(value) < 10.0 ** (1 - decimals)):
        text = f"{value:.{max(decimals - 1, 1)}e}"
    for digits in range(decimals, -1, -1):
        if len(text) < width:
            break
        text = f"{value:.{digits}e}"
    return text.rjust(width)


def _masked(cov, identified):
    """cov with NaN in the rows and columns of the parameters that are not identified."""
    cov = cov.copy()
    cov[~identified, :] = np.nan
    cov[:, ~identified] = np.nan
    return cov


def _inverse(H):
    """(cov, identified, generalised): H⁻¹ through the eigendecomposition of the equilibrated D^-1/2 H D^-1/2,
    D = diag(H), whose conditioning is that of the columns' correlations, not of their scales (a
    column of mean 1e4 and spread 1 next to the intercept is ill-scaled, not singular).

    A parameter is not identified when its unit vector is not orthogonal to H's null space (the
    eigenvalues below 1e-12 of the largest, and the zero rows of H: all-zero columns): a copy of a
    duplicated column, a constant column next to the intercept. Such parameters get NaN rows and
    columns in cov (identified (P,) bool marks the others); for the identified ones the
    pseudo-inverse's entries are the covariance (they are estimable: any generalised inverse of H
    gives them). ``generalised`` is that pseudo-inverse without the NaNs (0 for all-zero rows of
    H), a generalised inverse for sandwiches and the delta method of identified functions."""
    n = H.shape[0]
    cov = np.full((n, n), np.nan)
    if not np.all(np.isfinite(H)):
        return cov, np.zeros(n, dtype=bool), cov
    d = np.sqrt(np.clip(np.diag(H), 0, None))
    live = np.flatnonzero(d > 0)
    identified = np.zeros(n, dtype=bool)
    if live.size:
        scale = d[live]
        values, vectors = np.linalg.eigh(H[np.ix_(live, live)] / np.outer(scale, scale))
        null = values <= 1e-12 * max(values[-1], 0.0)
        identified[live] = np.linalg.norm(vectors[:, null], axis=1) < 1e-6
        kept = vectors[:, ~null]
        inverse = (kept / values[~null]) @ kept.T / np.outer(scale, scale)
        cov[np.ix_(live, live)] = inverse
    generalised = np.nan_to_num(cov)
    return _masked(cov, identified), identified, generalised
