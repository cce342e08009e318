"""``LogisticRegression``: the scikit-learn estimator over the solvers and generated kernels.

Objective (scikit-learn's, so ``C`` means the same):  C Σ_i w_i h(x̂_iᵀB, y_i) + ½‖coef‖²
(no penalty term with ``penalty=None``), w_i = sample_weight_i · class_weight[y_i].

Layout: ``coef_`` (1, d) for two classes and (K, d) for K > 2, ``intercept_`` (1,) or (K,),
as scikit-learn. Multinomial coefficients are reported centred over classes (each feature's
column of ``coef_`` sums to 0; with a penalty only the intercepts needed centring), which
changes no probability. Internally B is (d+1, K) with the intercept in row 0.

Nothing here imports SymPy: fitting runs only the generated numba kernels.
"""

import warnings
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted, validate_data

from . import kernels
from .separation import is_separable, looks_separated
from .solvers import NAMES, Objective, choose_solver, make_solver
from .solvers.objective import one_blas_thread
from .targets import Targets, check_sample_weight, encode_targets

PENALTIES = ("l2", None)


class SeparationWarning(ConvergenceWarning):
    """The classes are (quasi-)perfectly separated: the unpenalised coefficients are infinite."""


def _is_dask(value):
    """A dask collection, recognised without importing dask (an optional dependency)."""
    return type(value).__module__.partition(".")[0] == "dask"


class _Validated(BaseEstimator):
    """Receives ``n_features_in_``/``feature_names_in_`` from scikit-learn's validation during
    ``fit``, so that a fit that fails leaves the estimator's previous state untouched."""


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary and multinomial logistic regression with derived, verified, generated kernels.

    Parameters follow scikit-learn's ``LogisticRegression``: ``penalty`` ('l2' or None),
    ``C`` (> 0, inverse penalty strength; ``np.inf`` means no penalty, as ``penalty=None``
    and as in scikit-learn >= 1.8), ``fit_intercept``, ``solver`` ('auto', 'newton',
    'newton-cg', 'lbfgs', 'gd', 'sgd'), ``tol`` (on max|∇f| of the weight-averaged
    objective), ``max_iter`` (iterations; epochs for sgd), ``class_weight`` (None,
    'balanced' or {label: weight}), ``random_state`` (sgd's shuffling), ``warm_start``,
    ``verbose`` (print each iteration). ``solver_options`` is a dict of the chosen solver's
    own options (e.g. sgd's ``batch_size``, ``learning_rate``, ``eta0``, ``average``).
    ``callback``, if given, is called with each ``solvers.Iteration`` (live displays).

    y: labels; binary soft targets in [0, 1]; or an (N, K) probability matrix.

    After ``fit``: ``classes_``, ``coef_``, ``intercept_``, ``n_iter_``, ``n_features_in_``,
    ``feature_names_in_`` (DataFrame input), ``solver_`` (the solver run), ``converged_``,
    and ``history_``: a dict of arrays over iterations, 'iteration', 'loss' (the
    weight-averaged objective), 'grad_max', 'step' and 'elapsed' (seconds).
    """

    def __init__(self, penalty="l2", C=1.0, fit_intercept=True, solver="auto", tol=1e-4, max_iter=100,
                 class_weight=None, random_state=None, warm_start=False, verbose=0, solver_options=None,
                 callback=None):
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

    # ---- fitting ---------------------------------------------------------------------------------
    def _check_params(self):
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be 'l2' or None, got {self.penalty!r}")
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float, np.number)) or np.isnan(self.C) or \
                not self.C > 0:
            raise ValueError(f"C must be a number > 0 (np.inf: no penalty), got {self.C!r}")
        if self.solver not in NAMES:
            raise ValueError(f"solver must be one of {', '.join(NAMES)}; got {self.solver!r}")
        if isinstance(self.tol, bool) or not isinstance(self.tol, (int, float, np.number)) or not self.tol > 0:
            raise ValueError(f"tol must be a number > 0, got {self.tol!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not (self.class_weight is None or self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}, got {self.class_weight!r}")
        if self.solver_options is not None and not isinstance(self.solver_options, dict):
            raise ValueError(f"solver_options must be a dict or None, got {self.solver_options!r}")
        if self.callback is not None and not callable(self.callback):
            raise ValueError(f"callback must be callable or None, got {self.callback!r}")

    def fit(self, X, y, sample_weight=None):
        """Fit on X (N, d) and y; every input is checked before any work, and a failed fit
        leaves a previously fitted model as it was."""
        self._check_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        if _is_dask(X):
            from .distributed import DaskObjective, prepare_inputs
            X, classes, labels, weights = prepare_inputs(X, y, sample_weight, self.class_weight)
            targets = Targets(classes, labels.astype(np.float64) if len(classes) == 2 else labels, None)
            shape = SimpleNamespace(n_features_in_=X.shape[1])
            make_objective = DaskObjective
        else:
            shape = _Validated()
            X, y = validate_data(shape, X, y, dtype=[np.float64, np.float32], order="C", multi_output=True,
                                 y_numeric=False, ensure_min_samples=1)
            targets = encode_targets(y)
            weights = check_sample_weight(sample_weight, X.shape[0])
            if self.class_weight is not None:
                if targets.labels is None:
                    raise ValueError("class_weight needs hard class labels; with soft targets use sample_weight")
                per_class = compute_class_weight(self.class_weight, classes=targets.classes,
                                                 y=targets.classes[targets.labels])
                weights = weights * per_class[targets.labels]
            make_objective = Objective
        penalised = self.penalty == "l2" and np.isfinite(self.C)  # C = inf: scikit-learn >= 1.8's "no penalty"
        objective = make_objective(X, targets.values, weights, targets.n_classes, bool(self.fit_intercept),
                                   1.0 / (self.C * float(weights.sum())) if penalised else 0.0)
        name = self.solver
        if name == "auto":
            name = choose_solver(X.shape[0], objective.n_params)
        if name == "sgd" and make_objective is not Objective:
            raise ValueError("solver 'sgd' does not run on dask arrays; use newton, newton-cg, lbfgs or gd")
        solver = make_solver(name, self.solver_options, self.random_state)
        if not solver.pins_reference and targets.n_classes > 2:
            objective = make_objective(X, targets.values, weights, targets.n_classes, bool(self.fit_intercept),
                                       objective.l2, pin_reference=False)
        theta0 = self._warm_theta(objective, targets) if self.warm_start else np.zeros(objective.n_params)

        separation = _SeparationCheck(objective, targets, weights) if not penalised and targets.labels is not None else None
        with one_blas_thread():
            result = solver.minimize(objective, theta0, float(self.tol), int(self.max_iter),
                                     callback=self._report_iteration,
                                     stop=separation.during_fit if separation else None)
        if separation is not None and separation.check(result.theta):
            warnings.warn(separation.message(result), SeparationWarning, stacklevel=2)
        elif not result.converged:
            warnings.warn(f"{name} did not converge: {result.message}; max|gradient| = "
                          f"{result.history[-1].grad_max:.3g} > tol = {self.tol:g}. Increase max_iter, "
                          "scale the features, or use solver='newton'.", ConvergenceWarning, stacklevel=2)
        self._set_fitted(objective, targets, result, name, shape)
        # for inference() (not pickled, see __getstate__); on dask, inference is not offered
        self._training = (X, targets, weights) if make_objective is Objective else None
        return self

    def _warm_theta(self, objective, targets):
        """θ from the previous fit when it has the same classes and features, else zeros."""
        if not hasattr(self, "coef_") or not np.array_equal(self.classes_, targets.classes) or \
                self.coef_.shape[1] != objective.X.shape[1]:
            return np.zeros(objective.n_params)
        B = self._internal_coef()
        return objective.theta(B if self.fit_intercept else B[1:])

    def _set_fitted(self, objective, targets, result, name, shape):
        B = objective.coef(result.theta)
        if targets.n_classes > 2:
            if objective.l2 == 0:
                B = B - B.mean(axis=1, keepdims=True)
            elif self.fit_intercept:
                B[0] -= B[0].mean()
        coef = B[1:] if self.fit_intercept else B
        self.classes_ = targets.classes
        self.coef_ = np.atleast_2d(coef.T).copy()
        if self.fit_intercept:
            self.intercept_ = np.atleast_1d(B[0]).astype(np.float64)
        else:
            self.intercept_ = np.zeros(1 if targets.n_classes == 2 else targets.n_classes)
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
        self._inference = None

    def _report_iteration(self, point):
        if self.callback is not None:
            self.callback(point)
        if self.verbose:
            print(f"iter {point.iteration:4d}  loss {point.loss:.10g}  max|grad| {point.grad_max:.3e}  "
              f"step {point.step:.3g}  {point.elapsed:.3f}s")

    # ---- prediction ------------------------------------------------------------------------------
    def _internal_coef(self):
        """B (d+1, K) or (d+1,) for the kernels, intercept in row 0."""
        if len(self.classes_) > 2:
            return np.vstack([self.intercept_[None, :], self.coef_.T])
        return np.concatenate([self.intercept_, self.coef_[0]])

    def _validated_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)

    def _on_dask(self, method, X, columns, dtype=np.float64):
        """method applied chunk by chunk to a dask array X: a dask array, computed nowhere yet."""
        check_is_fitted(self)
        from .distributed import map_rows
        return map_rows(method, X, columns, dtype)

    def decision_function(self, X):
        """Raw scores X̂ B: (N,) for two classes (the log-odds of classes_[1]), else (N, K).
        A dask array X gives a dask array (the same for every predict method)."""
        if _is_dask(X):
            return self._on_dask(self.decision_function, X, None if len(self.classes_) == 2 else len(self.classes_))
        X = self._validated_X(X)
        family = kernels.binary if len(self.classes_) == 2 else kernels.multinomial
        return family.scores(X, self._internal_coef())

    def predict_proba(self, X):
        """Class probabilities (N, K), columns in the order of ``classes_``."""
        if _is_dask(X):
            return self._on_dask(self.predict_proba, X, len(self.classes_))
        X = self._validated_X(X)
        B = self._internal_coef()
        if len(self.classes_) == 2:  # 1 - sigma(u) as sigma(-u): no cancellation
            return np.column_stack([kernels.binary.probabilities(X, -B), kernels.binary.probabilities(X, B)])
        return kernels.multinomial.probabilities(X, B)

    def predict_log_proba(self, X):
        """log of ``predict_proba``, computed without forming the probabilities (accurate where
        a probability underflows)."""
        if _is_dask(X):
            return self._on_dask(self.predict_log_proba, X, len(self.classes_))
        X = self._validated_X(X)
        family = kernels.binary if len(self.classes_) == 2 else kernels.multinomial
        return family.log_probabilities(X, self._internal_coef())

    def predict(self, X):
        if _is_dask(X):
            return self._on_dask(self.predict, X, None, self.classes_.dtype)
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    # ---- inference -------------------------------------------------------------------------------
    def inference(self, alpha=0.05):
        """Standard errors, z, p-values and a summary table from the generated Hessian, in
        statsmodels' layout (see ``symlogit.inference``). Needs the fit in this session."""
        check_is_fitted(self)
        if getattr(self, "_training", None) is None:
            raise ValueError("inference() needs the in-memory training data of this fit: refit the model in this "
                             "session on numpy arrays (fits on dask arrays do not keep them)")
        if self._inference is None:
            from .inference import Inference
            X, targets, weights = self._training
            self._inference = Inference.from_model(self, X, targets, weights)
        return self._inference

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_training", None)
        state.pop("_inference", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class _SeparationCheck:
    """Stops a solve early once the data are shown to be separated: at iterations 16, 32, 64, ...
    the fitted probabilities are looked at (one pass over X), and only if some row is fitted to
    within 1e-8 of its label is the exact linear-programme test run (once)."""

    def __init__(self, objective, targets, weights):
        self.objective, self.targets, self.weights = objective, targets, weights
        self.verdict = None
        self.at_iteration = None

    def check(self, theta):
        if self.verdict is not None:
            return self.verdict
        family = self.objective.kernels
        P = family.probabilities(self.objective.X, self.objective.coef(theta), self.objective.fit_intercept)
        if not looks_separated(P, self.targets.labels, self.weights):
            return False
        self.verdict = is_separable(self.objective.X, self.targets.labels, self.targets.n_classes, self.weights,
                                    self.objective.fit_intercept)
        return self.verdict

    def during_fit(self, point, theta):
        it = point.iteration
        if it >= 16 and it & (it - 1) == 0 and self.check(theta):
            self.at_iteration = it
            return "separation"
        return None

    def message(self, result):
        where = f"stopped at iteration {result.n_iter}" if self.at_iteration else f"ended after {result.n_iter} iterations"
        largest = np.max(np.abs(result.theta), initial=0.0)
        return ("The classes are (quasi-)perfectly separated by a hyperplane in X: the unpenalised maximum-likelihood "
                "coefficients are infinite, so there is no finite optimum to converge to. The fit "
                f"{where} with finite but arbitrary coefficients (max |coef| = {largest:.3g}), and their standard "
                "errors are meaningless. Use penalty='l2' (a finite C) for a unique, finite solution.")
