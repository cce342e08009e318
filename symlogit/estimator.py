"""Estimators in scikit-learn's conventions over the solvers and generated kernels, for every
family of the table (``symlogit.family``):

    GLMClassifier(family="logit" | "probit" | "cloglog")   LogisticRegression's parameters;
                  "logit" on K > 2 classes is the multinomial softmax, as in LogisticRegression
    LogisticRegression                                      GLMClassifier(family="logit")
    GLMRegressor(family="poisson")                          PoissonRegressor's parameters

Objective: classifiers C Σ_i w_i h(u_i, y_i) + r‖coef‖₁ + (1 − r)/2 ‖coef‖², r = ``l1_ratio``
(scikit-learn ≥ 1.8's LogisticRegression: r = 0 is L2, the default; r = 1 is L1; between, the
elastic net; no penalty term with ``penalty=None`` or C = inf); regressors (1/Σw) Σ_i w_i
h(u_i, y_i) + α (r‖coef‖₁ + (1 − r)/2 ‖coef‖²) (scikit-learn's PoissonRegressor for r = 0, its
ElasticNet's mixing otherwise: h is half the unit deviance up to terms free of u). The intercept
is never penalised. An L1 term (r > 0) is minimised by the proximal Newton solver
(``solvers.proximal_newton``), which ``solver="auto"`` then runs. u_i =
x̂_iᵀB + offset_i, w_i = sample_weight_i (· class_weight[y_i] for classifiers).

Layout: ``coef_`` (1, d) for a scalar-score classifier and (K, d) for K > 2 classes,
``intercept_`` (1,) or (K,), as scikit-learn; a regressor's ``coef_`` is (d,) and ``intercept_``
a float. Multinomial coefficients are reported centred over classes (each feature's column of
``coef_`` sums to 0; with a penalty only the intercepts needed centring; with an L1 term the
columns are as the penalty picks them, each feature's K coefficients at a median of their
unpenalised spread), which changes no probability. Internally B is (d+1,) or (d+1, K) with the
intercept in row 0.

X: a numpy array or DataFrame (N, d); a scipy.sparse matrix or array of any format (converted
once to canonical CSR float64 and never made dense: ``symlogit.sparse``; every solver but sgd);
or a dask array whose blocks are numpy arrays or scipy.sparse matrices (``symlogit.distributed``:
the sums over row chunks made on the workers; an L1 term there needs the p×p Hessian of the
free parameters on the client, p ≤ ``distributed.CLIENT_MAX_PARAMS``).

Nothing here imports SymPy: fitting runs only the generated numba kernels.
"""

import warnings
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from . import DEFAULT_TOL
from .family import estimator_family, get_family, kernel_coefficients
from .separation import recession_direction, separating_direction
from .solvers import L1_SOLVERS, NAMES, Objective, choose_solver, make_solver, newton_affordable
from .solvers.objective import SparseObjective
from .solvers.objective import one_blas_thread
from .sparse import as_csr, check_indices, is_sparse, sparse_kernels
from .targets import Targets, check_sample_weight, class_totals, encode_targets, per_class_weights

#: ``penalty``: "auto" (the default) takes the penalty from ``l1_ratio`` and ``C`` alone, as
#: scikit-learn >= 1.8 does with ``penalty`` left unset; the others keep the old parameter working
#: (scikit-learn deprecated it in 1.8): "l2" means l1_ratio = 0, "l1" l1_ratio = 1, "elasticnet"
#: the given l1_ratio, None no penalty (C and l1_ratio ignored).
PENALTIES = ("auto", "l2", "l1", "elasticnet", None)


class SeparationWarning(ConvergenceWarning):
    """The classes are (quasi-)perfectly separated: the unpenalised coefficients are infinite."""


def _is_dask(value):
    """A dask collection, recognised without importing dask (an optional dependency)."""
    return type(value).__module__.partition(".")[0] == "dask"


class _Validated(BaseEstimator):
    """Receives ``n_features_in_``/``feature_names_in_`` from scikit-learn's validation during
    ``fit``, so that a fit that fails leaves the estimator's previous state untouched."""


@lru_cache(maxsize=None)
def _validated_class(name):
    return type(name, (_Validated,), {})


def _validated(name):
    """A ``_Validated`` whose class is called ``name``: scikit-learn's messages name the class."""
    return _validated_class(name)()


def _check_present(y):
    """Raise ValueError naming y's first missing value (None, NaN, pandas' NA): scikit-learn's own
    check meets object labels only after sorting them, where None < "a" is a TypeError."""
    dtype = getattr(y, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuU":
        return
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        missing = np.isnan(np.asarray(y))
    else:
        import pandas

        missing = np.asarray(pandas.isna(np.asarray(y, dtype=object)))
    if missing.any():
        row = np.argwhere(missing)[0][0]
        raise ValueError(f"y has a missing value (None, NaN or NA) at row {row} (rows count from 0); drop those rows "
                         "or fill them in")


def _validate_X(estimator, X, *y, **options):
    """scikit-learn's ``validate_data`` on X (and y, if given): dense X float64/float32,
    C-contiguous; scipy.sparse X (any format), or a DataFrame of sparse columns, as canonical CSR
    float64 (``sparse.as_csr``), its indices checked before scipy converts it."""
    if is_sparse(X) or _sparse_frame(X):
        if is_sparse(X):
            check_indices(X)
        checked = validate_data(estimator, X, *y, accept_sparse="csr", dtype=np.float64, **options)
        return (as_csr(checked[0]), checked[1]) if y else as_csr(checked)
    return validate_data(estimator, X, *y, dtype=[np.float64, np.float32], order="C", **options)


def _sparse_frame(X):
    """A pandas DataFrame whose every column is sparse (scikit-learn turns it into a sparse
    matrix, feature names kept)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "sparse") or len(getattr(X, "columns", ())) == 0:
        return False
    import pandas

    return all(isinstance(dtype, pandas.SparseDtype) for dtype in dtypes)


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _check_offset(offset, n, family):
    """offset (N,) float64, finite, or None."""
    if offset is None:
        return None
    if _is_dask(offset):
        return offset
    if family.is_vector:
        raise ValueError(f"offset is not supported for family {family.name!r} (vector scores); use a binary family "
                         "or no offset")
    o = np.asarray(offset, dtype=np.float64)
    if o.shape != (n,):
        raise ValueError(f"offset must have shape ({n},) to match X, got {o.shape}")
    bad = ~np.isfinite(o)
    if np.any(bad):
        row = int(np.argmax(bad))
        raise ValueError(f"offset must be finite; row {row} is {o[row]}")
    return np.ascontiguousarray(o)


#: Why inference() refuses a fit with an L1 term (issue 18).
L1_INFERENCE = ("inference() of a fit with an L1 term (l1_ratio > 0) is refused: the penalty selected the features, and "
                "Wald z, p-values and intervals after selection are not valid (they ignore the selection and the "
                "shrinkage). Fit the selected features without a penalty, on data not used to select them, for valid "
                "inference.")


class _GLM(BaseEstimator):
    """What every estimator shares: parameter checks, the solve, the fitted attributes, and
    inference. A subclass says which family it fits (``_family``), how y becomes targets
    (``_targets``) and how strong the L2 and L1 penalties are (``_l2``, ``_l1``)."""

    #: Whether the estimator takes classifier families (``family.estimator_family``).
    _classifier = False

    def _check_common(self):
        estimator_family(self._family_param(), self._classifier)
        if self.solver not in NAMES:
            raise ValueError(f"solver must be one of {', '.join(NAMES)}; got {self.solver!r}")
        if not _is_number(self.tol) or not self.tol > 0:
            raise ValueError(f"tol must be a number > 0, got {self.tol!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        options = getattr(self, "solver_options", None)
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"solver_options must be a dict or None, got {options!r}")
        callback = getattr(self, "callback", None)
        if callback is not None and not callable(callback):
            raise ValueError(f"callback must be callable or None, got {callback!r}")

    def _check_l1_ratio(self, warn=False):
        """l1_ratio: a number in [0, 1] (None: 0, scikit-learn < 1.8's default, with its FutureWarning
        where warn)."""
        if self.l1_ratio is None:
            if warn:
                warnings.warn("'l1_ratio=None' was deprecated in scikit-learn 1.8 and will trigger an error in 1.10. "
                              "Use 0<=l1_ratio<=1 instead.", FutureWarning, stacklevel=4)
            return 0.0
        if not _is_number(self.l1_ratio) or not 0 <= self.l1_ratio <= 1:
            raise ValueError(f"l1_ratio must be a number in [0, 1] (0: L2, 1: L1, between: elastic net), got "
                             f"{self.l1_ratio!r}")
        return float(self.l1_ratio)

    def _check_solver_for(self, mixing):
        """An L1 term (mixing > 0) needs a solver that handles it: a ValueError naming them."""
        if mixing and self.solver != "auto" and self.solver not in L1_SOLVERS:
            raise ValueError(f"solver {self.solver!r} cannot minimise an L1 penalty (l1_ratio = {mixing:g} > 0); use "
                             f"solver='auto' or one of {', '.join(L1_SOLVERS)}")

    def _l1(self, total_weight):
        """λ₁ of the objective scaled by 1/W (``solvers.penalty``): the L1 part of the penalty."""
        strength, mixing = self._strength(total_weight)
        return strength * mixing

    def _l2(self, total_weight):
        """λ₂ of the objective scaled by 1/W: the L2 part of the penalty."""
        strength, mixing = self._strength(total_weight)
        return strength * (1.0 - mixing)

    def _family_param(self):
        return self.family

    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit on X (N, d) and y (offset: (N,) added to every score, e.g. log exposure); every
        input is checked before any work, and a failed fit leaves a previously fitted model as
        it was. X may be scipy.sparse (see the module docstring); solver 'sgd' on sparse X is
        a ValueError."""
        self._check_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        family = estimator_family(self._family_param(), self._classifier)
        if not family.is_convex:
            warnings.warn(f"family {family.name!r} is not convex in u (claim K2): the optimum found may be local",
                          UserWarning, stacklevel=2)
        DaskObjective = None
        if _is_dask(X):
            from .distributed import DaskObjective
            X, targets, weights, family = self._dask_inputs(X, y, sample_weight, family)
            shape = SimpleNamespace(n_features_in_=X.shape[1])
            make_objective = DaskObjective
        else:
            shape = _validated(type(self).__name__)
            if len(getattr(X, "shape", ())) == 2 and X.shape[1] == 0:  # an empty DataFrame: numpy finds no dtype
                raise ValueError(f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a minimum of 1 is "
                                 f"required by {type(self).__name__}.")  # scikit-learn's words
            _check_present(y)
            X, y = _validate_X(shape, X, y, ensure_min_samples=1, **self._y_validation)
            weights = check_sample_weight(sample_weight, X.shape[0])
            targets, weights, family = self._targets(y, weights, family)
            make_objective = SparseObjective if is_sparse(X) else Objective
        in_memory = make_objective is not DaskObjective
        offset = _check_offset(offset, X.shape[0], family)
        l2, l1 = self._l2(float(weights.sum())), self._l1(float(weights.sum()))
        null = (lambda: family.null_intercept(targets.kernel_values, weights, offset)) if (
            self.fit_intercept and not family.is_vector and in_memory) else None

        def objective_for(pin_reference):
            values = targets.kernel_values if make_objective is SparseObjective else targets.values
            return make_objective(X, values, weights, family, bool(self.fit_intercept), l2, targets.n_classes,
                                  pin_reference=pin_reference, offset=offset, l1_strength=l1)

        objective = objective_for(True)
        name = self.solver
        if name == "auto" and l1 > 0:
            name = L1_SOLVERS[0]
        elif name == "auto":
            name = choose_solver(X.shape[0], objective.n_params, objective.params_per_row(),
                                 column_spread=objective.column_spread(), vector_family=family.is_vector)
        if name in L1_SOLVERS and not in_memory:
            from .distributed import check_client_hessian
            check_client_hessian(objective.n_params, name)
        if name == "sgd" and not in_memory:
            raise ValueError("solver 'sgd' does not run on dask arrays; use newton, newton-cg, lbfgs or gd")
        if name == "sgd" and make_objective is SparseObjective:
            raise ValueError("solver 'sgd' does not run on sparse X yet; use lbfgs, newton-cg, tron, newton or gd")
        solver = make_solver(name, getattr(self, "solver_options", None), getattr(self, "random_state", None))
        if not solver.pins_reference and family.is_vector:
            objective = objective_for(False)
        start = [self._start(objective, family, targets, null)]  # (handed over below: see minimize)
        self._known_gradient(solver, start[0], (X, targets, weights, offset))

        # Unpenalised: the exact test, before the solve, whatever tol and the columns' scales
        hard = targets.labels if in_memory else targets.values  # (dask: the labels' codes)
        with one_blas_thread():
            separation = _Separation(objective, targets, hard, weights) if not objective.penalises else None
            # θ0 handed over (popped), so that only the solver holds it: p floats less once it moves on
            result = solver.minimize(objective, start.pop(), float(self.tol), int(self.max_iter),
                                     callback=self._report_iteration,
                                     stop=separation.during_fit if separation else None)
            if separation is None or separation.direction is None:
                result, objective, name = self._finish(result, objective, objective_for, name)
            if separation is not None:
                separation.decide(result.theta)
        if separation is not None and separation.direction is not None:
            names = getattr(shape, "feature_names_in_", None)
            warnings.warn(separation.message(result, names), SeparationWarning, stacklevel=2)
            result.converged = False
        elif not result.converged:
            measure = "max|min-norm subgradient|" if l1 > 0 else "max|gradient|"
            warnings.warn(f"{name} did not converge: {result.message}; {measure} = "
                          f"{result.history[-1].grad_max:.3g} > tol = {self.tol:g}. Increase max_iter, "
                          "scale the features" + ("" if name in ("newton", *L1_SOLVERS) else
                                                  ", or use solver='newton'") + ".",
                          ConvergenceWarning, stacklevel=2)
        self._set_fitted(objective, targets, result, name, shape, family)
        self.separation_ = separation.message(result, getattr(shape, "feature_names_in_", None)) if (
            separation is not None and separation.direction is not None) else None
        # for inference() (not pickled, see __getstate__); on dask, references to the (persisted)
        # arrays, whose sums inference() reduces on the cluster
        self._training = (X, targets, weights, offset)
        self._end_gradient = (result.theta, getattr(solver, "gradient_", None))
        return self

    def _known_gradient(self, solver, theta0, training):
        """Hand the solver ∇f at θ0 where it takes one (``start_gradient``: the proximal Newton
        solver's strong rule, which then needs no pass over X) and this fit starts where the last
        one ended, on the same data (the same X object; equal targets, weights and offset): the
        last solve's ``gradient_``, e.g. from one point of a path to the next. (A stale gradient,
        X changed in place, would cost a KKT round, not exactness: see ``proximal_newton``.)"""
        last, previous = getattr(self, "_end_gradient", None), getattr(self, "_training", None)
        if not hasattr(solver, "start_gradient") or last is None or last[1] is None or previous is None:
            return
        X, targets, weights, offset = training
        same = (previous[0] is X and np.array_equal(previous[1].values, targets.values)
                and np.array_equal(previous[2], weights)
                and (offset is None if previous[3] is None else np.array_equal(previous[3], offset)))
        if same and last[0].shape == theta0.shape and np.array_equal(last[0], theta0):
            solver.start_gradient = last[1]

    def _finish(self, result, objective, objective_for, name):
        """auto's L-BFGS can stall above tol where its relative decrease reaches rounding first
        (badly scaled columns, many classes), or use up max_iter: it is then finished from its
        last point (up to max_iter iterations of its own) by Newton where a Newton iteration is
        affordable (``solvers.newton_affordable``), else by Newton-CG, whose Hessian-vector
        products cost two passes over X (d = 500, K = 10, N = 10^4 on badly scaled columns:
        L-BFGS stalls at max|gradient| 9e-7 after 23 iterations, one Newton-CG step gives 1e-9)."""
        if self.solver != "auto" or name != "lbfgs" or result.converged or result.stopped_by is not None:
            return result, objective, name
        pinned = objective_for(True)
        affordable = newton_affordable(objective.X.shape[0], pinned.n_params, pinned.params_per_row())
        finisher = "newton" if affordable else "newton-cg"
        solver = make_solver(finisher, None, getattr(self, "random_state", None))
        later = solver.minimize(pinned, pinned.theta(objective.coef(result.theta)), float(self.tol),
                                int(self.max_iter), callback=self._report_iteration)
        return result.followed_by(later), pinned, f"lbfgs+{finisher}"

    def _start(self, objective, family, targets, null):
        """θ0: the previous fit's coefficients (warm_start, same classes and features), else zero
        slopes with the intercept of the intercept-only fit (``null()``, scalar families, as
        scikit-learn's GLMs start), else zeros."""
        if self.warm_start and hasattr(self, "coef_") and self._same_problem(targets, objective):
            B = self._internal_coef()
            return objective.theta(B if self.fit_intercept else B[1:])
        theta = np.zeros(objective.n_params)
        if null is not None and self.fit_intercept:
            theta[0] = null()
        return theta

    def _set_fitted(self, objective, targets, result, name, shape, family):
        B = objective.coef(result.theta)
        if family.is_vector:
            if not objective.penalises:
                B = B - B.mean(axis=1, keepdims=True)
            elif self.fit_intercept:
                B[0] -= B[0].mean()
        self._set_coef(B, targets)
        self.family_ = family.name
        self.family_definition_ = family.definition  # a user's symlogit.Family; None for the table's
        self.n_iter_ = np.array([result.n_iter])
        self.solver_ = name
        self.converged_ = result.converged
        self.history_ = {key: np.array([getattr(point, key) for point in result.history])
                         for key in ("iteration", "loss", "grad_max", "step", "elapsed")}
        self.n_features_in_ = shape.n_features_in_
        if hasattr(shape, "feature_names_in_"):
            self.feature_names_in_ = shape.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self._inference = {}

    def _report_iteration(self, point):
        callback = getattr(self, "callback", None)
        if callback is not None:
            callback(point)
        if self.verbose:
            print(f"iter {point.iteration:4d}  loss {point.loss:.10g}  max|grad| {point.grad_max:.3e}  "
                  f"step {point.step:.3g}  {point.elapsed:.3f}s")

    # ---- prediction ------------------------------------------------------------------------------
    def _fitted_family(self):
        return get_family(getattr(self, "family_definition_", None) or self.family_)

    def _validated_X(self, X):
        check_is_fitted(self)
        return _validate_X(self, X, reset=False)

    def _on_dask(self, method, X, columns, dtype=np.float64):
        """method applied chunk by chunk to a dask array X: a dask array, computed nowhere yet."""
        check_is_fitted(self)
        from .distributed import map_rows
        return map_rows(method, X, columns, dtype)

    def _internal_coef(self):
        """B (d+1, K) or (d+1,) for the kernels, intercept in row 0."""
        return kernel_coefficients(self.coef_, self.intercept_)

    def _kernel_call(self, name, X, offset):
        """A kernel entry point of the fitted family at the fitted coefficients."""
        family = self._fitted_family()
        extra = {}
        if offset is not None:
            extra["offset"] = _check_offset(offset, X.shape[0], family)
        kernels = sparse_kernels(family) if is_sparse(X) else family.kernels
        return getattr(kernels, name)(X, self._internal_coef(), **extra)

    def linear_predictor(self, X, offset=None):
        """The scores u = x̂ᵀB + offset (the link scale), (N,) or (N, K); a dask X gives a dask
        array. ``decision_function`` for a classifier."""
        if _is_dask(X):
            K = len(getattr(self, "classes_", ()))
            return self._on_dask(self.linear_predictor, X, K if K > 2 else None)
        return self._kernel_call("scores", self._validated_X(X), offset)

    # ---- inference -------------------------------------------------------------------------------
    def inference(self, alpha=0.05, information="observed", cov_type="nonrobust", groups=None):
        """Standard errors, z, p-values and a summary table in statsmodels' layout (see
        ``symlogit.inference``), from the generated Hessian: the observed information by default
        (statsmodels' Logit/Probit, GLM with method="newton"), or the expected information
        (``information="expected"``: the non-robust covariance of statsmodels GLM's IRLS default;
        equal for canonical links). For robust covariances statsmodels' GLM (IRLS too) uses the
        observed information as the bread, R's sandwich::vcovHC on a glm the expected one: match
        them with "observed" and "expected" respectively.
        ``cov_type``: "nonrobust" (the inverse information), or a sandwich around it (see
        ``symlogit.sandwich``): "HC0" (statsmodels' cov_type="HC0"), "HC1", "HC2", "HC3" (with the
        GLM hat values, as R's sandwich::vcovHC), or "cluster" with ``groups``, one label per
        training row ((N,): one-way; (N, 2): two-way). Sample weights count as frequency weights.
        The result also gives ``marginal_effects()``, ``wald_test(R, q)`` and
        ``compare_lr_test(restricted)``. ``alpha``: the level of the intervals that its conf_int(),
        summary() and marginal effects give by default (0.05: 95%). Needs the fit in this session."""
        check_is_fitted(self)
        from .inference import check_alpha

        alpha = check_alpha(alpha)
        if information not in ("observed", "expected"):
            raise ValueError(f"information must be 'observed' or 'expected', got {information!r}")
        if getattr(self, "separation_", None):
            raise ValueError(f"inference() has nothing to report: {self.separation_}")
        if self._l1(1.0) > 0:
            raise ValueError(L1_INFERENCE)
        if getattr(self, "_training", None) is None:
            raise ValueError("inference() needs the training data of this fit: refit the model in this session (a "
                             "model read from a file or unpickled does not keep them)")
        from .inference import Inference
        X, targets, weights, offset = self._training
        if groups is not None:  # not cached: the groups may change between calls
            return Inference.from_model(self, X, targets, weights, offset, information, cov_type, groups).with_alpha(
                alpha)
        key = (information, cov_type)  # alpha changes only the default level of the intervals: a copy
        if key not in self._inference:
            self._inference[key] = Inference.from_model(self, X, targets, weights, offset, information, cov_type)
        return self._inference[key].with_alpha(alpha)

    def _loss_objective(self):
        """(the unpenalised loss (1/W) Σ w h as an ``Objective`` over this fit's training data, θ of
        the fitted coefficients in it): for ``symlogit.path``, which reads the loss's gradient at a
        fit. Needs the fit in this session (its training data, in memory or on dask)."""
        check_is_fitted(self)
        if getattr(self, "_training", None) is None:
            raise ValueError("this needs the training data of the fit: refit the model in this session")
        X, targets, weights, offset = self._training
        if _is_dask(X):
            from .distributed import DaskObjective as make
        else:
            make = SparseObjective if is_sparse(X) else Objective
        objective = make(X, targets.values, weights, self._fitted_family(), bool(self.fit_intercept), 0.0,
                         targets.n_classes,
                         pin_reference=False, offset=offset)
        B = self._internal_coef()
        return objective, objective.theta(B if self.fit_intercept else B[1:])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_training", None)
        state.pop("_end_gradient", None)
        state.pop("_inference", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class GLMClassifier(ClassifierMixin, _GLM):
    """Classification by a Bernoulli family of the table, or the softmax for K > 2 classes.

    ``family``: "logit" (binary logistic; multinomial softmax for K > 2 classes), "probit"
    (p = Φ(u)) or "cloglog" (p = 1 - exp(-e^u)); the last two are binary only. Other
    parameters follow scikit-learn's ``LogisticRegression``: ``C`` (> 0, inverse penalty
    strength; ``np.inf`` means no penalty, as in scikit-learn >= 1.8), ``l1_ratio`` (r in
    [0, 1], default 0: the penalty r‖coef‖₁ + (1 − r)/2 ‖coef‖², scikit-learn >= 1.8's
    parametrisation: 0 is L2, 1 is L1, between is the elastic net), ``penalty`` ("auto", the
    default: from l1_ratio and C alone; the old parameter, which scikit-learn 1.8 deprecated, keeps
    working: "l2" means l1_ratio = 0, "l1" l1_ratio = 1, "elasticnet" the given l1_ratio, None no
    penalty; a penalty that contradicts l1_ratio wins, with scikit-learn's UserWarning),
    ``fit_intercept``, ``solver`` ('auto', 'newton', 'newton-cg', 'tron', 'lbfgs', 'gd', 'sgd',
    'proximal-newton'; an L1 term, l1_ratio > 0, needs 'proximal-newton', which 'auto' then
    picks), ``tol`` (on max|∇f| of the weight-averaged objective; with an L1 term, on the
    largest entry of its minimum-norm subgradient, ``solvers.penalty``), ``max_iter``
    (iterations; epochs for sgd), ``class_weight`` (None, 'balanced' or {label: weight}),
    ``random_state`` (sgd's shuffling, sampled curvature), ``warm_start``, ``verbose`` (print
    each iteration). ``solver_options`` is a dict of the chosen solver's own options (e.g.
    sgd's ``batch_size``, ``learning_rate``, ``eta0``, ``average``). ``callback``, if given, is
    called with each ``solvers.Iteration`` (live displays).

    y: labels; binary soft targets in [0, 1]; or an (N, K) probability matrix (logit).
    ``fit``, ``decision_function``, ``predict*`` take ``offset`` (N,) for the binary families.

    After ``fit``: ``classes_``, ``coef_``, ``intercept_``, ``n_iter_``, ``n_features_in_``,
    ``feature_names_in_`` (DataFrame input), ``family_`` (the family fitted: "softmax" for
    K > 2 classes), ``solver_`` (the solver run), ``converged_``, ``separation_`` (None, or why
    an unpenalised fit has no finite optimum: the exact test of ``symlogit.separation`` runs
    before every unpenalised fit; then ``converged_`` is False and ``inference()``
    refuses), and ``history_``: a dict of arrays over iterations, 'iteration', 'loss' (the
    weight-averaged objective), 'grad_max', 'step' and 'elapsed' (seconds).

    Raises ValueError, before any work, for an unknown family, more than two classes for a
    binary-only family, y outside [0, 1] or not finite, and bad parameters.
    """

    _classifier = True
    #: y may be labels of any type or an (N, K) probability matrix.
    _y_validation = {"multi_output": True, "y_numeric": False}

    def __init__(self, family="logit", penalty="auto", C=1.0, fit_intercept=True, solver="auto", tol=DEFAULT_TOL,
                 max_iter=100, class_weight=None, random_state=None, warm_start=False, verbose=0,
                 solver_options=None, callback=None, l1_ratio=0.0):
        self.family = family
        self.l1_ratio = l1_ratio
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.solver_options = solver_options
        self.callback = callback

    def _check_params(self):
        self._check_common()
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of 'auto', 'l2', 'l1', 'elasticnet' or None, got {self.penalty!r}")
        if not _is_number(self.C) or np.isnan(self.C) or not self.C > 0:
            raise ValueError(f"C must be a number > 0 (np.inf: no penalty), got {self.C!r}")
        self._check_solver_for(self._mixing(warn=True))
        if not (self.class_weight is None or self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}, got {self.class_weight!r}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:  # an unknown name is fit's ValueError, not the tags'
            family = estimator_family(self._family_param(), True)
        except ValueError:
            family = None
        if family is not None:
            tags.classifier_tags.multi_class = family.is_vector or family.multiclass is not None
        return tags

    def _mixing(self, warn=False):
        """The l1_ratio r the fit uses, from ``penalty`` and ``l1_ratio`` (see PENALTIES); 0.0 for
        no penalty. warn: scikit-learn 1.8's UserWarnings where they disagree."""
        ratio, penalty = self._check_l1_ratio(warn), self.penalty
        if penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        if warn and penalty not in ("auto", "elasticnet") and 0 < ratio < 1:
            warnings.warn(f"l1_ratio parameter is only used when penalty is 'elasticnet'. Got (penalty={penalty})",
                          UserWarning, stacklevel=4)
        if warn and ((penalty == "l2" and ratio != 0) or (penalty == "l1" and ratio != 1)):
            warnings.warn(f"Inconsistent values: penalty={penalty} with l1_ratio={ratio}. penalty={penalty!r} wins; "
                          "leave penalty at its default and use l1_ratio only.", UserWarning, stacklevel=4)
        if warn and penalty is None and self.C != 1.0:
            warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters", UserWarning, stacklevel=4)
        if penalty is None or not np.isfinite(self.C):  # C = inf: scikit-learn >= 1.8's "no penalty"
            return 0.0
        return {"l2": 0.0, "l1": 1.0}.get(penalty, ratio)

    def _strength(self, total_weight):
        """(λ, r): the penalty's strength 1/(C W) (0 without a penalty) and its l1_ratio."""
        penalised = self.penalty is not None and np.isfinite(self.C)
        return (1.0 / (self.C * total_weight) if penalised else 0.0), self._mixing()

    def _targets(self, y, weights, family):
        targets = encode_targets(y, weights)
        family = family.for_classes(targets.n_classes)
        if self.class_weight is not None:
            if targets.labels is None:
                raise ValueError("class_weight needs hard class labels; with soft targets use sample_weight")
            per_class = per_class_weights(self.class_weight, targets.classes,
                                          class_totals(targets.labels, weights, targets.n_classes))
            weights = weights * per_class[targets.labels]
            if not (np.all(np.isfinite(weights)) and np.all(class_totals(targets.labels, weights, targets.n_classes) > 0)):
                raise ValueError(f"sample_weight times class_weight overflows or underflows (class weights "
                                 f"{per_class.tolist()}); rescale sample_weight to a smaller range")
        return targets, weights, family

    def _dask_inputs(self, X, y, sample_weight, family):
        from .distributed import prepare_inputs
        X, classes, labels, weights = prepare_inputs(X, y, sample_weight, self.class_weight)
        family = family.for_classes(len(classes))
        values = labels if family.is_vector else labels.astype(np.float64)
        return X, Targets(classes, values, None), weights, family

    def _same_problem(self, targets, objective):
        return np.array_equal(self.classes_, targets.classes) and self.coef_.shape[1] == objective.X.shape[1]

    def _set_coef(self, B, targets):
        self.classes_ = targets.classes
        coef = B[1:] if self.fit_intercept else B
        self.coef_ = np.atleast_2d(coef.T).copy()
        if self.fit_intercept:
            self.intercept_ = np.atleast_1d(B[0]).astype(np.float64)
        else:
            self.intercept_ = np.zeros(targets.n_classes if B.ndim == 2 else 1)

    def decision_function(self, X, offset=None):
        """Two classes: u - u½ (N,), the score of classes_[1] less the family's median score u½
        (the score where p = 1/2: 0 for logit and probit, log log 2 for cloglog), so that it is
        positive exactly where ``predict`` gives classes_[1], as scikit-learn's classifiers are.
        K > 2 classes: the scores u = X̂ B (N, K). ``linear_predictor`` gives u itself. A dask
        array X gives a dask array (the same for every predict method)."""
        scores = self.linear_predictor(X, offset)
        median = self._fitted_family().median_score
        return scores if scores.ndim == 2 or not median else scores - median

    def predict_proba(self, X, offset=None):
        """Class probabilities (N, K), columns in the order of ``classes_``; 1 - p evaluated as
        its own stable form (no cancellation)."""
        if _is_dask(X):
            return self._on_dask(self.predict_proba, X, len(self.classes_))
        return self._kernel_call("probabilities", self._validated_X(X), offset)

    def predict_log_proba(self, X, offset=None):
        """log of ``predict_proba``, computed without forming the probabilities (accurate where
        a probability underflows)."""
        if _is_dask(X):
            return self._on_dask(self.predict_log_proba, X, len(self.classes_))
        return self._kernel_call("log_probabilities", self._validated_X(X), offset)

    def predict(self, X, offset=None):
        """The class of each row: classes_[1] where ``decision_function`` > 0 for two classes
        (p > 1/2), the most probable class for more (``Family.labels``)."""
        if _is_dask(X):
            return self._on_dask(self.predict, X, None, self.classes_.dtype)
        scores = self.linear_predictor(X, offset)  # checks that the model is fitted
        return self._fitted_family().labels(scores, self.classes_)


class LogisticRegression(GLMClassifier):
    """Binary and multinomial logistic regression: ``GLMClassifier(family="logit")``, with
    scikit-learn's ``LogisticRegression`` parameters (see ``GLMClassifier``)."""

    def __init__(self, penalty="auto", C=1.0, fit_intercept=True, solver="auto", tol=DEFAULT_TOL, max_iter=100,
                 class_weight=None, random_state=None, warm_start=False, verbose=0, solver_options=None,
                 callback=None, l1_ratio=0.0):
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.solver_options = solver_options
        self.callback = callback

    def _family_param(self):
        return "logit"


class GLMRegressor(RegressorMixin, _GLM):
    """Regression by a family of the table whose y is not a class: "poisson" (log link, y >= 0:
    counts or non-negative rates, as scikit-learn's PoissonRegressor accepts).

    Parameters follow scikit-learn's ``PoissonRegressor``: ``alpha`` (>= 0, the strength of
    the penalty in (1/Σw) Σ w h + α (r‖coef‖₁ + (1 − r)/2 ‖coef‖²); 0: no penalty) and
    ``l1_ratio`` (r in [0, 1], default 0: PoissonRegressor's L2; 1: L1; between: the elastic net,
    scikit-learn's ElasticNet mixing, which its GLM regressors do not offer; r > 0 needs solver
    'auto' or 'proximal-newton'), ``fit_intercept``, ``solver`` (as
    GLMClassifier's), ``tol``, ``max_iter``, ``warm_start``, ``verbose``; and
    ``solver_options``, ``random_state``, ``callback`` as GLMClassifier's.
    ``fit(X, y, sample_weight=None, offset=None)``: offset (N,) is added to every score (log
    exposure). ``predict`` gives the mean μ = exp(x̂ᵀB + offset); ``score`` is D² (the fraction
    of Poisson deviance explained, as scikit-learn's).

    After ``fit``: ``coef_`` (d,), ``intercept_`` (float), ``n_iter_``, ``family_``,
    ``solver_``, ``converged_``, ``separation_`` (as GLMClassifier), ``history_``, ``n_features_in_``. Raises ValueError for y < 0,
    non-finite y or offsets, an offset of the wrong length, or every count zero (no finite
    optimum), before any work.
    """

    #: y is one numeric column.
    _y_validation = {"multi_output": False, "y_numeric": True}

    def __init__(self, family="poisson", alpha=1.0, fit_intercept=True, solver="auto", tol=DEFAULT_TOL, max_iter=100,
                 warm_start=False, verbose=0, solver_options=None, random_state=None, callback=None, l1_ratio=0.0):
        self.family = family
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose
        self.solver_options = solver_options
        self.random_state = random_state
        self.callback = callback

    def _check_params(self):
        self._check_common()
        if not _is_number(self.alpha) or not np.isfinite(self.alpha) or self.alpha < 0:
            raise ValueError(f"alpha must be a finite number >= 0, got {self.alpha!r}")
        mixing = self._check_l1_ratio(warn=True)
        self._check_solver_for(mixing if self.alpha > 0 else 0.0)

    def _strength(self, total_weight):
        """(α, r): the penalty's strength (already per unit weight) and its l1_ratio."""
        return float(self.alpha), self._check_l1_ratio()

    def _targets(self, y, weights, family):
        values = family.check_targets(y)
        return Targets(np.array([]), values, None), weights, family

    def _dask_inputs(self, X, y, sample_weight, family):
        from .distributed import prepare_regression_inputs
        X, values, weights = prepare_regression_inputs(X, y, sample_weight, family)
        return X, Targets(np.array([]), values, None), weights, family

    def _same_problem(self, targets, objective):
        return self.coef_.shape[0] == objective.X.shape[1]

    def _set_coef(self, B, targets):
        self.coef_ = (B[1:] if self.fit_intercept else B).copy()
        self.intercept_ = float(B[0]) if self.fit_intercept else 0.0

    def predict(self, X, offset=None):
        """The mean μ(x̂ᵀB + offset), (N,)."""
        if _is_dask(X):
            return self._on_dask(self.predict, X, None)
        return self._kernel_call("means", self._validated_X(X), offset)

    def score(self, X, y, sample_weight=None, offset=None):
        """D² = 1 - D(y, μ̂)/D(y, ȳ): the fraction of deviance explained (scikit-learn's
        ``d2`` score of GLM regressors), ȳ the weighted mean of y. Where the y of positive weight
        are all equal (all 0 included), D(y, ȳ) = 0 and D² is undefined: -inf (1.0 where μ̂
        fits them exactly). On dask X, y (and sample_weight) with the same row chunks: computed
        on the cluster, without an offset."""
        if _is_dask(X):
            if offset is not None:
                raise ValueError("score on dask arrays takes no offset; compute X, y and the offset into memory")
            from .distributed import d2_score
            return d2_score(self, X, y, sample_weight)
        X = self._validated_X(X)
        family = self._fitted_family()
        y = family.check_targets(y)
        w = check_sample_weight(sample_weight, X.shape[0])
        k = family.kernels
        saturated = w @ k.target_terms(y)[0]
        deviance = k.loss_from_scores(self._kernel_call("scores", X, offset), y, w) - saturated
        observed = y[w > 0]
        if observed.size and np.all(observed == observed[0]):  # ȳ is every y: D(y, ȳ) = 0 (all 0 included,
            null_deviance = 0.0                                  # whose intercept-only fit has no finite score)
        else:
            null_deviance = k.loss_from_scores(family.null_scores(y, w, None), y, w) - saturated
        return 1.0 - deviance / null_deviance if null_deviance > 0 else (1.0 if deviance <= 0 else -np.inf)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        tags.regressor_tags.poor_score = True
        return tags


class _Separation:
    """Whether an unpenalised fit has a finite optimum, by the exact tests of
    ``symlogit.separation`` (tools/bench_separation.py measures their cost). Scalar families:
    once, before the solve; on separated data the solve stops at iteration 16 (finite,
    arbitrary coefficients). Vector families: after the solve, each pair of classes' LP starting
    from the rows whose fitted scores tell the pair apart least (a 10-class fit on 2x10^5 rows:
    0.45 s with 4 such rows per LP variable, 0.78-0.82 s with 10). The fit is then not called
    converged."""

    STOP_AT = 16
    UNDECIDED = object()

    def __init__(self, objective, targets, labels, weights):
        self.objective, self.labels, self.weights = objective, labels, weights
        self.n_classes, self.family, self.intercept = targets.n_classes, objective.family, objective.fit_intercept
        self.direction = self.UNDECIDED
        self.rows = slice(None)
        if not self.family.is_vector:
            self.direction = recession_direction(objective.X, self.family.edge_signs(targets.values), weights,
                                                 self.intercept)
        elif labels is None:
            # Probability rows: D is a recession direction iff every class of positive share in a
            # row ties at the row's largest score x̂_iᵀD, the hard-label condition for each of them:
            # the row counts once per such class.
            self.rows, self.labels = np.nonzero(targets.values > 0)
            self.weights = weights[self.rows]

    def decide(self, theta):
        """Settle ``direction`` (None: a finite optimum) at the end of the solve, at θ."""
        if self.direction is self.UNDECIDED:
            o = self.objective
            scores = o.scores(theta)[self.rows] if o.rows_in_memory else None
            D = separating_direction(o.X[self.rows], self.labels, self.n_classes, self.weights, self.intercept,
                                     scores=scores)
            self.direction = None if D is None else np.ptp(D, axis=1)  # features whose scores' gaps move

    def during_fit(self, point, theta):
        stop = self.direction is not self.UNDECIDED and self.direction is not None
        return "separation" if stop and point.iteration >= self.STOP_AT else None

    def features(self, names):
        """The features (and the intercept) on which the recession direction moves the scores."""
        d = np.abs(self.direction)
        moved = np.flatnonzero(d > 1e-6 * d.max())
        count = d.size - self.intercept
        names = [str(name) for name in names] if names is not None else [f"x{j + 1}" for j in range(count)]
        named = [("the intercept" if self.intercept and j == 0 else names[j - self.intercept]) for j in moved]
        return named if len(named) <= 8 else named[:8] + [f"{len(named) - 8} more"]

    def message(self, result, names):
        where = (f"stopped at iteration {result.n_iter}" if result.stopped_by == "separation"
                 else f"ended after {result.n_iter} iterations")
        largest = np.max(np.abs(result.theta), initial=0.0)
        what, fix = (("The classes are (quasi-)perfectly separated by a hyperplane in X", "penalty='l2' (a finite C)")
                     if self.family.is_classifier else
                     ("The zero counts are cut off from the positive ones by a hyperplane in X (their fitted means can "
                      "fall to 0 while the others stay)", "alpha > 0"))
        return (f"{what}: the loss keeps falling as the coefficients of {', '.join(self.features(names))} grow without "
                "bound, so the unpenalised maximum-likelihood estimate is infinite and there is no finite optimum to "
                f"converge to. The fit {where} with finite but arbitrary "
                f"coefficients (max |coef| = {largest:.3g}), not converged; standard errors do not exist. Use {fix} "
                "for a unique, finite solution.")
