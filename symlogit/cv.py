"""Cross-validated estimators: the penalty strength (C or alpha) and l1_ratio chosen on folds,
each fold fitting its whole grid of strengths as ONE warm-started path
(``path.regularization_path``: the strongest penalty first, each fit starting from the previous
optimum, as glmnet does: Friedman, Hastie and Tibshirani 2010, section 2.5).

    LogisticRegressionCV        scikit-learn's LogisticRegressionCV (Cs, l1_ratios, cv, scoring, refit)
    GLMClassifierCV(family=)    the same for every classifier family (logit, probit, cloglog)
    GLMRegressorCV(family=)     scikit-learn's ElasticNetCV conventions (alphas, eps, l1_ratio) for poisson

One implementation (``_CrossValidated``, over ``fold_paths``) serves the three, and the command
line's ``--cv`` with ``--Cs``.

Selection (scikit-learn's): s[f, l, j] is the score (greater is better) of fold f's fit at
l1_ratio r_l and strength g_lj on that fold's held-out rows. refit=True: (l, j) maximises
Σ_f s[f, l, j] (ties: the first in Cs's order, then in l1_ratios' order), then one fit on all rows
at (g_lj, r_l), warm-started from the folds' mean coefficients there. refit=False: each fold's
best (l_f, j_f); the coefficients, strength and l1_ratio are the means over folds of theirs.
A fold with a held-out score that is not finite (NaN, ±inf: D² where the fold's held-out y are
all equal) at some grid point is left out of the choice (both sums and means run over the other
folds), with an ``UndefinedMetricWarning`` naming it; where that would leave no fold, each
non-finite score counts as the worst (-inf), with a warning: ties pick the first grid value.

Fitted attributes keep scikit-learn >= 1.10's layout (LogisticRegressionCV with
``use_legacy_attributes=False``): ``scores_`` and ``n_iter_`` (n_folds, n_l1_ratios, n_strengths),
``coefs_paths_`` (n_folds, n_l1_ratios, n_strengths, n_scores, n_dof) for classifiers (n_scores 1
for a binary family, K for the multinomial) and (n_folds, n_l1_ratios, n_alphas, n_dof) for
regressors, n_dof = n_features + fit_intercept with the intercept last; ``C_``/``alpha_`` and
``l1_ratio_`` floats.
"""

import inspect
import numbers
import warnings

import numpy as np
from sklearn.exceptions import DataConversionWarning, UndefinedMetricWarning
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.metrics import check_scoring, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted

from . import DEFAULT_TOL
from .estimator import (GLMClassifier, GLMRegressor, LogisticRegression, _check_present, _is_dask, _validate_X,
                        _validated)
from .family import estimator_family
from .path import largest_penalty, regularization_path
from .targets import check_sample_weight, class_totals, encode_targets, per_class_weights


def fold_paths(estimator, X, y, folds, grids, l1_ratios, sample_weight=None, offset=None, visit=None):
    """Fit, for each fold (train, test) of ``folds`` and each l1_ratio r_l, ``estimator`` with
    l1_ratio = r_l along grids[l] (strengths: C for a classifier, alpha for a regressor) on the
    fold's training rows, as one warm-started ``regularization_path`` (from the strongest penalty
    to the weakest). ``visit(f, l, j, model, test)`` is called after each fit, j the index of the
    strength in grids[l] as given, ``model`` the fit (the next fit reuses it: copy what you keep).
    Returns (coefs_paths (n_folds, n_l1_ratios, n_strengths, *coef_.shape[:-1], n_dof), with the
    intercept last in n_dof where fitted, and n_iter (n_folds, n_l1_ratios, n_strengths))."""
    grids = np.atleast_2d(np.asarray(grids, dtype=np.float64))
    classifier = is_classifier(estimator)
    coefs, n_iter = None, np.zeros((len(folds), len(l1_ratios), grids.shape[1]), dtype=int)
    for f, (train, test) in enumerate(folds):
        X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
        weights = None if sample_weight is None else np.asarray(sample_weight)[train]
        shift = None if offset is None else np.asarray(offset)[train]
        for l, ratio in enumerate(l1_ratios):
            order = np.argsort(grids[l], kind="stable")  # the order regularization_path fits them in
            order = order if classifier else order[::-1]

            def each(j, model, f=f, l=l, order=order, test=test):
                if visit is not None:
                    visit(f, l, order[j], model, test)

            path = regularization_path(clone(estimator).set_params(l1_ratio=float(ratio)), X_train, y_train,
                                       grids[l][order], weights, shift, each=each)
            flat = (np.concatenate([path.coefs, path.intercepts[..., None]], axis=-1)
                    if estimator.fit_intercept else path.coefs)
            if coefs is None:
                coefs = np.zeros((len(folds), len(l1_ratios), *flat.shape))
            coefs[f, l, order] = flat
            n_iter[f, l, order] = path.n_iter
    return coefs, n_iter


def check_training_folds(family, y, folds, sample_weight=None, advice="shuffle the rows (e.g. cv=KFold(shuffle=True)) "
                         "or use fewer folds (cv)"):
    """Before any fit: a ValueError naming the first fold whose training rows have no
    intercept-only fit (``family.Family.null_scores``: a weighted mean of y at the edge of the
    family's domain, e.g. every count 0 for poisson), which its fit with an intercept would meet
    with the same message but no fold named; ``advice`` says what to do. Where every row has
    none, the whole data's message, unchanged. family: a scalar regression family; y (N,) its
    checked targets; folds: (train, test) index pairs; sample_weight (N,) or None."""
    weights = check_sample_weight(sample_weight, len(y))
    family.null_scores(y, weights)  # the whole data: its own message
    for f, (train, _) in enumerate(folds):
        try:
            family.null_scores(y[train], weights[train])
        except ValueError as error:
            raise ValueError(f"the training rows of fold {f}: {error}; {advice}") from None


def _check_grid(value, name, positive=True):
    """A grid of strengths given as values: a non-empty 1-d list of finite numbers > 0 (>= 0
    where not positive; numbers, not text or booleans, as scikit-learn's); a ValueError naming
    ``name`` otherwise."""
    entries = np.asarray(value, dtype=object)
    if entries.ndim != 1 or entries.size == 0 or not all(
            isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in entries):
        raise ValueError(_grid_message(name, value, positive))
    grid = entries.astype(np.float64)
    if not np.all(np.isfinite(grid)) or not np.all(grid > 0 if positive else grid >= 0):
        raise ValueError(_grid_message(name, value, positive))
    return grid


def _grid_message(name, value, positive):
    """The one message for a bad grid of strengths, a count or values."""
    return (f"{name} must be an integer >= 1 (a count of values) or a non-empty list of finite numbers "
            f"{'> 0' if positive else '>= 0'}, got {value!r}")


def _is_count(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_ratios(value, name):
    """l1_ratios: a number or a non-empty list of numbers in [0, 1]."""
    ratios = np.atleast_1d(np.asarray(value, dtype=object))
    if ratios.ndim != 1 or ratios.size == 0 or not all(
            isinstance(r, numbers.Real) and not isinstance(r, bool) and 0 <= r <= 1 for r in ratios):
        raise ValueError(f"{name} must be a number or a non-empty list of numbers in [0, 1] (0: L2, 1: L1, "
                         f"between: elastic net), got {value!r}")
    return ratios.astype(np.float64)


def _finite_folds(scores):
    """The folds the choice is made on: a boolean mask (n_folds,) of the folds whose held-out
    scores s[f] (n_l1, n_strengths) are finite at every grid point. A score that is NaN or ±inf
    (D² of a fold whose held-out y are all equal, as scikit-learn's ``d2_tweedie_score`` which
    divides by 0 there; a scorer undefined on the fold) says nothing about the grid, so that
    fold is left out of the choice with an ``UndefinedMetricWarning`` naming it (its scores stay
    in ``scores_``). Where no fold is left, every fold is kept, each non-finite score counting
    as the worst (-inf), with a warning that says so: the ties then pick the first grid value
    (the strongest penalty of a default grid)."""
    finite = np.isfinite(scores).reshape(len(scores), -1).all(axis=1)
    bad = np.flatnonzero(~finite).tolist()
    advice = "use other folds (e.g. KFold(shuffle=True)) or another scoring"
    if not finite.any():
        warnings.warn(f"the held-out scores of every fold {bad} are not finite (NaN or ±inf) at some grid point (e.g. "
                      "D² where a fold's held-out y are all equal): the choice counts each as the worst score, so "
                      f"ties pick the first grid value (the strongest penalty of a default grid); {advice}",
                      UndefinedMetricWarning, stacklevel=3)
        return ~finite
    if bad:
        warnings.warn(f"the held-out scores of fold(s) {bad} are not finite (NaN or ±inf) at some grid point (e.g. "
                      "D² where a fold's held-out y are all equal): the choice is made on the other folds "
                      f"{np.flatnonzero(finite).tolist()}; {advice}", UndefinedMetricWarning, stacklevel=3)
    return finite


class _CrossValidated(BaseEstimator):
    """What the cross-validated estimators share. A subclass says: ``_single`` (the estimator it
    selects, from its own parameters), ``_key`` and ``_grid_name`` ("C"/"Cs", "alpha"/"alphas"),
    ``_ratios_name``, ``_grids`` (the strengths per l1_ratio), and ``_set_selection`` (the
    attributes that name the choice)."""

    def _single_params(self):
        """The parameters the selected estimator shares with this one."""
        return dict(fit_intercept=self.fit_intercept, solver=self.solver, tol=self.tol, max_iter=self.max_iter,
                    random_state=self.random_state, verbose=self.verbose, solver_options=self.solver_options)

    def _prepare(self, X, y, sample_weight, offset):
        """Every check before any work: (base estimator, l1_ratios, scorer or None, X, y, weights
        or None, offset or None, folds)."""
        ratios = _check_ratios(getattr(self, self._ratios_name), self._ratios_name)
        # the folds are fitted in memory: a dask array (numpy or scipy.sparse blocks) is computed here
        X, y, sample_weight, offset = (v.compute() if _is_dask(v) else v for v in (X, y, sample_weight, offset))
        if not isinstance(self.refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True or False, got {self.refit!r}")
        grid = getattr(self, self._grid_name)
        if _is_count(grid):
            if grid < 1:
                raise ValueError(_grid_message(self._grid_name, grid, positive=is_classifier(self)))
        else:
            _check_grid(grid, self._grid_name, positive=is_classifier(self))
        base = self._single()
        base.set_params(l1_ratio=float(ratios.max()))._check_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        shape = _validated(type(self).__name__)
        _check_present(y)
        X, y = _validate_X(shape, X, y, ensure_min_samples=1, **base._y_validation)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; it was ravelled to shape "
                          f"({y.shape[0]},).", DataConversionWarning, stacklevel=3)
            y = y.ravel()
        self._shape = shape
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X.shape[0])
        if offset is not None:
            offset = np.asarray(offset, dtype=np.float64)
            if offset.shape != (X.shape[0],):
                raise ValueError(f"offset must have shape ({X.shape[0]},) to match X, got {offset.shape}")
        if self.scoring is not None and offset is not None:
            raise ValueError("a scorer (scoring=...) cannot pass the offset to the model's predictions: leave scoring "
                             "None (the default score, computed with the offset) when fitting with an offset")
        scorer = None if self.scoring is None else check_scoring(base, scoring=self.scoring)
        base = self._for_data(base, y, sample_weight)
        folds = list(check_cv(self.cv, y, classifier=is_classifier(self)).split(X, y))
        self._check_folds(y, folds, sample_weight)
        return base, ratios, scorer, X, y, sample_weight, offset, folds

    def _for_data(self, base, y, sample_weight):
        return base

    def _check_folds(self, y, folds, sample_weight):
        pass

    def _score(self, scorer, model, X, y, weights, offset):
        """The fold's held-out score (greater is better): the scorer's, or the default score
        (computed with the offset)."""
        if scorer is None:
            return self._default_score(model, X, y, weights, offset)
        return scorer(model, X, y, **({} if weights is None else {"sample_weight": weights}))

    def fit(self, X, y, sample_weight=None, offset=None):
        """Cross-validate the grid (see the module docstring), then fit the chosen model. X (N, d)
        dense or scipy.sparse, or a dask array of numpy or scipy.sparse blocks (computed into
        memory: the folds are fitted in memory), y, sample_weight (N,) (also weighting the held-out scores, as
        scikit-learn's), offset (N,) (with the default scoring only). Raises ValueError before
        any work for a bad grid, l1_ratio, scoring or parameter of the estimator. Warns
        (UndefinedMetricWarning) naming the folds left out of the choice for a held-out score
        that is not finite (module docstring)."""
        base, ratios, scorer, X, y, weights, offset, folds = self._prepare(X, y, sample_weight, offset)
        grids = self._grids(base, ratios, X, y, weights, offset)
        scores = np.full((len(folds), len(ratios), grids.shape[1]), np.nan)

        def visit(f, l, j, model, test):
            take = (lambda v: None if v is None else v[test])
            scores[f, l, j] = self._score(scorer, model, _safe_indexing(X, test), y[test], take(weights), take(offset))
            self._family_of = (model.family_, model.family_definition_, model.solver_)

        coefs_paths, n_iter = fold_paths(base, X, y, folds, grids, ratios, weights, offset, visit)
        used = _finite_folds(scores)
        ranked = np.where(np.isfinite(scores), scores, -np.inf)  # (used folds have finite scores, or none has)
        if self.refit:
            total = ranked[used].sum(axis=0)  # (n_l1, n_grid)
            j, l = np.unravel_index(np.argmax(total.T), total.T.shape)  # ties: the first C, then l1_ratio
            strength, ratio = grids[l, j], ratios[l]
            start = coefs_paths[used, l, j].mean(axis=0)
        else:
            best = {f: np.unravel_index(np.argmax(ranked[f].T), ranked[f].T.shape) for f in np.flatnonzero(used)}
            strength = float(np.mean([grids[l, j] for j, l in best.values()]))
            ratio = float(np.mean([ratios[l] for _, l in best.values()]))
            start = np.mean([coefs_paths[f, l, j] for f, (j, l) in best.items()], axis=0)
        model = clone(base).set_params(**{self._key: float(strength)}, l1_ratio=float(ratio), warm_start=True)
        self._set_start(model, start, X.shape[1], y)
        if self.refit:
            model.fit(X, y, sample_weight=weights, offset=offset)
        else:
            model.family_, model.family_definition_, model.solver_ = self._family_of
            model.n_iter_, model.converged_ = np.array([0]), True
        model.n_features_in_ = self._shape.n_features_in_
        if hasattr(self._shape, "feature_names_in_"):
            model.feature_names_in_ = self.feature_names_in_ = self._shape.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        del self._shape, self._family_of
        self.best_estimator_ = model
        self.n_features_in_ = model.n_features_in_
        self.coef_, self.intercept_ = model.coef_, model.intercept_
        self.l1_ratios_ = ratios
        self.l1_ratio_ = float(ratio)
        self.scores_, self.coefs_paths_, self.n_iter_ = scores, coefs_paths, n_iter
        self._set_selection(grids, float(strength))
        return self

    def _set_start(self, model, start, d, y):
        """The chosen coefficients (n_dof layout of coefs_paths_) as ``model``'s coef_ and
        intercept_ (its warm start, or with refit=False its fit)."""
        coef = start[..., :d]
        intercept = start[..., d] if self.fit_intercept else np.zeros(start.shape[:-1])
        if is_classifier(self):
            model.classes_ = self._classes
            model.coef_, model.intercept_ = np.atleast_2d(coef).copy(), np.atleast_1d(intercept).astype(np.float64)
        else:
            model.coef_, model.intercept_ = coef.copy(), float(intercept)

    def score(self, X, y, sample_weight=None, offset=None):
        """The chosen model's score on (X, y), greater is better, as scikit-learn's
        ``LogisticRegressionCV.score``: the ``scoring`` used to choose (``check_scoring``), or
        with ``scoring=None`` the default score (accuracy for a classifier, D² for a regressor,
        computed with ``offset``). X (N, d), y (N,), sample_weight (N,). Raises ValueError for an
        offset with a scorer (a scorer cannot pass it to the predictions)."""
        check_is_fitted(self)
        if self.scoring is None:
            return self._default_score(self.best_estimator_, X, np.asarray(y), sample_weight, offset)
        if offset is not None:
            raise ValueError("a scorer (scoring=...) cannot pass the offset to the model's predictions: score "
                             "without offset, or use scoring=None")
        scorer = check_scoring(self.best_estimator_, scoring=self.scoring)
        return self._score(scorer, self.best_estimator_, X, np.asarray(y), sample_weight, None)

    def linear_predictor(self, X, offset=None):
        """The scores u = x̂ᵀB + offset of the chosen model (``best_estimator_``)."""
        check_is_fitted(self)
        return self.best_estimator_.linear_predictor(X, offset)

    def _tags_of_single(self, tags):
        """``tags`` (the mixin's) with the selected estimator's input, target and task tags."""
        single = self._single().__sklearn_tags__()
        tags.input_tags, tags.target_tags = single.input_tags, single.target_tags
        tags.classifier_tags, tags.regressor_tags = single.classifier_tags, single.regressor_tags
        return tags


class GLMClassifierCV(ClassifierMixin, _CrossValidated):
    """``GLMClassifier(family=...)`` with C and l1_ratio chosen by cross-validation, in
    scikit-learn's ``LogisticRegressionCV`` conventions (module docstring: selection, layout).

    Parameters: ``Cs`` (int or list of C > 0, default 10: an int n is the grid logspace(-4, 4, n),
    scikit-learn's, kept for parity whatever the l1_ratios; with an L1 term the smaller C may all
    give coef_ = 0: ``path.largest_penalty`` is the C below which every coefficient is 0, and
    ``path.regularization_path(estimator, X, y, n)`` fits glmnet's grid from it, C_max to 10^4
    C_max); ``l1_ratios`` (list of numbers in [0, 1], default (0.0,): L2; scikit-learn >= 1.10's
    default); ``cv`` (int, splitter or iterable of (train, test) as ``sklearn.model_selection.check_cv``
    takes; default None: 5 stratified folds, not shuffled); ``scoring`` (a scorer name or callable
    for ``sklearn.metrics.check_scoring``; None, the default: accuracy, scikit-learn 1.9's
    default, which scikit-learn plans to change to 'neg_log_loss' in 1.11; 'neg_log_loss' chooses
    C by held-out log-loss, as the command line does); ``refit`` (True: refit on all rows at the
    chosen C and l1_ratio, warm-started from the folds' mean coefficients; False: the folds'
    averaged coefficients); ``fit_intercept``, ``solver``, ``tol``, ``max_iter``,
    ``class_weight`` ('balanced' is computed once on all rows, as scikit-learn does),
    ``random_state``, ``verbose``, ``solver_options`` as ``GLMClassifier``'s. Not taken:
    scikit-learn's ``dual``, ``intercept_scaling`` (liblinear's), ``n_jobs`` (folds run one after
    another), the deprecated ``penalty`` and ``use_legacy_attributes`` (the new layout is used).

    After ``fit``: ``C_``, ``l1_ratio_`` (floats), ``Cs_`` (n_cs,) and ``l1_ratios_`` (n_l1,) in
    the order given, ``scores_`` (n_folds, n_l1, n_cs), ``coefs_paths_`` (n_folds, n_l1, n_cs,
    1 or K, n_dof), ``n_iter_`` (n_folds, n_l1, n_cs), ``classes_``, ``coef_``, ``intercept_``,
    ``n_features_in_``, ``feature_names_in_``, and ``best_estimator_``: the ``GLMClassifier``
    at the choice, which the predict methods use.

    Raises ValueError, before any work, for an empty, non-positive or non-numeric ``Cs``, an
    l1_ratio outside [0, 1], an unknown scoring, a training fold that lacks a class, and what
    ``GLMClassifier`` refuses.
    """

    _key, _grid_name, _ratios_name = "C", "Cs", "l1_ratios"

    score = _CrossValidated.score  # the scoring's, not the mixin's accuracy / R²

    def __sklearn_tags__(self):
        return self._tags_of_single(super().__sklearn_tags__())

    def __init__(self, family="logit", *, Cs=10, l1_ratios=(0.0,), fit_intercept=True, cv=None, scoring=None,
                 solver="auto", tol=DEFAULT_TOL, max_iter=100, class_weight=None, verbose=0, refit=True,
                 random_state=None, solver_options=None):
        self.family = family
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.verbose = verbose
        self.refit = refit
        self.random_state = random_state
        self.solver_options = solver_options

    def _single_params(self):
        return dict(super()._single_params(), class_weight=self.class_weight)

    def _single(self):
        return GLMClassifier(family=self.family, **self._single_params())

    def _for_data(self, base, y, sample_weight):
        """classes_, and class_weight='balanced' as weights of all rows (scikit-learn's)."""
        targets = encode_targets(y)
        if targets.labels is None:
            raise ValueError(f"{type(self).__name__} needs class labels in y (cross-validation is stratified by "
                             "class); got probabilities")
        self._classes = targets.classes  # classes_ once the fit succeeds
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            totals = class_totals(targets.labels, check_sample_weight(sample_weight, len(y)), targets.n_classes)
            per_class = per_class_weights("balanced", targets.classes, totals)
            base.set_params(class_weight=dict(zip(targets.classes.tolist(), per_class)))
        return base

    def _check_folds(self, y, folds, sample_weight):
        for f, (train, _) in enumerate(folds):
            missing = np.setdiff1d(self._classes, np.unique(y[train]))
            if missing.size:
                raise ValueError(f"the training rows of fold {f} have no row of class(es) {missing.tolist()!r}; every "
                                 "fold must train on every class: use fewer folds (cv) or a stratified splitter")

    def _grids(self, base, ratios, X, y, weights, offset):
        Cs = np.logspace(-4, 4, self.Cs) if _is_count(self.Cs) else _check_grid(self.Cs, "Cs")
        self.Cs_ = Cs
        return np.tile(Cs, (len(ratios), 1))

    def _score(self, scorer, model, X, y, weights, offset):
        if scorer is not None and "labels" in inspect.signature(getattr(scorer, "_score_func", len)).parameters:
            scorer = self._with_labels(scorer)
        return super()._score(scorer, model, X, y, weights, offset)

    def _with_labels(self, scorer):
        """A metric that takes ``labels`` (log-loss, ...) given every class, so that a held-out
        fold without some class is scored as scikit-learn scores it."""
        extra = {"labels": self._classes}
        if len(self._classes) == 2 and "pos_label" in inspect.signature(scorer._score_func).parameters:
            extra["pos_label"] = self._classes[-1]
        return make_scorer(scorer._score_func, greater_is_better=scorer._sign == 1,
                           response_method=scorer._response_method, **extra, **getattr(scorer, "_kwargs", {}))

    @staticmethod
    def _default_score(model, X, y, weights, offset):
        """Accuracy (scikit-learn's default ``score``, weighted), the predictions taking the offset."""
        return float(np.average(model.predict(X, offset) == y, weights=weights))

    def _set_selection(self, grids, strength):
        self.C_, self.classes_ = strength, self._classes

    def decision_function(self, X, offset=None):
        """``GLMClassifier.decision_function`` of the chosen model."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X, offset)

    def predict_proba(self, X, offset=None):
        """``GLMClassifier.predict_proba`` of the chosen model."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X, offset)

    def predict_log_proba(self, X, offset=None):
        """``GLMClassifier.predict_log_proba`` of the chosen model."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X, offset)

    def predict(self, X, offset=None):
        """``GLMClassifier.predict`` of the chosen model."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X, offset)


class LogisticRegressionCV(GLMClassifierCV):
    """Logistic regression (multinomial for K > 2 classes) with C and l1_ratio chosen by
    cross-validation: ``GLMClassifierCV(family="logit")``, scikit-learn's
    ``LogisticRegressionCV`` parameters and attributes (see ``GLMClassifierCV``)."""

    def __init__(self, *, Cs=10, l1_ratios=(0.0,), fit_intercept=True, cv=None, scoring=None, solver="auto",
                 tol=DEFAULT_TOL, max_iter=100, class_weight=None, verbose=0, refit=True, random_state=None,
                 solver_options=None):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.verbose = verbose
        self.refit = refit
        self.random_state = random_state
        self.solver_options = solver_options

    def _single(self):
        return LogisticRegression(**self._single_params())


class GLMRegressorCV(RegressorMixin, _CrossValidated):
    """``GLMRegressor(family=...)`` (poisson) with alpha and l1_ratio chosen by cross-validation,
    in scikit-learn's ``ElasticNetCV`` conventions (module docstring: selection, layout).

    Parameters: ``l1_ratio`` (a number or list in [0, 1], default 0.5, ElasticNetCV's),
    ``alphas`` (int >= 1 or list of alpha >= 0, default 100: an int n is, for each l1_ratio r > 0, n
    values on a log scale from alpha_max(r) = ``path.largest_penalty`` on all rows (the smallest
    alpha that zeros every coefficient) down to ``eps`` alpha_max(r), ElasticNetCV's grid; with
    r = 0 give a list); ``eps`` (default 1e-3); ``cv`` (int, splitter or iterable; default 5
    folds, not shuffled); ``scoring`` (None, the default: D², the fraction of Poisson deviance
    explained on the held-out rows, ``GLMRegressor.score``, computed with the offset; or a scorer
    name or callable, e.g. 'neg_mean_poisson_deviance'); ``refit``; ``fit_intercept``, ``solver``,
    ``tol``, ``max_iter``, ``random_state``, ``verbose``, ``solver_options`` as ``GLMRegressor``'s.

    After ``fit``: ``alpha_``, ``l1_ratio_`` (floats); ``alphas_`` (n_alphas,) for one l1_ratio,
    (n_l1, n_alphas) for a list, decreasing (as ElasticNetCV's); ``l1_ratios_`` (n_l1,);
    ``scores_`` (n_folds, n_l1, n_alphas), the held-out scores (greater is better: ElasticNetCV's
    ``mse_path_`` holds errors, (n_l1, n_alphas, n_folds)); ``coefs_paths_`` (n_folds, n_l1,
    n_alphas, n_dof); ``n_iter_``; ``coef_``, ``intercept_``, ``best_estimator_``.

    Raises ValueError, before any work, for an empty, negative or non-numeric ``alphas`` (or a
    count < 1), an int ``alphas`` with l1_ratio 0, ``eps`` outside (0, 1), an l1_ratio outside
    [0, 1], a fold whose training rows have no intercept-only fit (every count 0: the fold named,
    ``check_training_folds``), and what ``GLMRegressor`` refuses. A held-out fold whose y are all
    equal (all 0 included) has no D² (its null deviance is 0): it is left out of the choice with
    an ``UndefinedMetricWarning`` naming it (module docstring).
    """

    _key, _grid_name, _ratios_name = "alpha", "alphas", "l1_ratio"

    score = _CrossValidated.score  # the scoring's, not the mixin's accuracy / R²

    def __sklearn_tags__(self):
        return self._tags_of_single(super().__sklearn_tags__())

    def __init__(self, family="poisson", *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True, cv=None,
                 scoring=None, solver="auto", tol=DEFAULT_TOL, max_iter=100, verbose=0, refit=True, random_state=None,
                 solver_options=None):
        self.family = family
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.refit = refit
        self.random_state = random_state
        self.solver_options = solver_options

    def _single(self):
        return GLMRegressor(family=self.family, **self._single_params())

    def _for_data(self, base, y, sample_weight):
        if _is_count(self.alphas):
            if not (isinstance(self.eps, numbers.Real) and 0 < self.eps < 1):
                raise ValueError(f"eps must be a number in (0, 1) (the smallest alpha over the largest), got "
                                 f"{self.eps!r}")
            if np.any(_check_ratios(self.l1_ratio, "l1_ratio") == 0):
                raise ValueError("alphas as a count needs every l1_ratio > 0 (with l1_ratio = 0 no alpha zeros every "
                                 "coefficient, so the grid has no top): give alphas as a list")
        return base

    def _check_folds(self, y, folds, sample_weight):
        """Every training fold has an intercept-only fit (``check_training_folds``), where an
        intercept is fitted."""
        if self.fit_intercept:
            family = estimator_family(self.family, classifier=False)
            check_training_folds(family, family.check_targets(y), folds, sample_weight)

    def _grids(self, base, ratios, X, y, weights, offset):
        if not _is_count(self.alphas):
            grid = np.sort(_check_grid(self.alphas, "alphas", positive=False))[::-1]
            return np.tile(grid, (len(ratios), 1))
        rows = []
        for ratio in ratios:
            top = largest_penalty(clone(base).set_params(l1_ratio=float(ratio)), X, y, weights, offset)
            if top == 0:
                raise ValueError("every coefficient is 0 at every alpha (the loss's gradient is 0 at the "
                                 "intercept-only fit): give alphas as a list")
            rows.append(np.geomspace(top, self.eps * top, self.alphas))
        return np.array(rows)

    @staticmethod
    def _default_score(model, X, y, weights, offset):
        """D² on the held-out rows (``GLMRegressor.score``), with the offset."""
        return model.score(X, y, sample_weight=weights, offset=offset)

    def _set_selection(self, grids, strength):
        self.alpha_ = strength
        self.alphas_ = grids if np.ndim(self.l1_ratio) else grids[0]

    def predict(self, X, offset=None):
        """``GLMRegressor.predict`` of the chosen model: the means μ (N,)."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X, offset)

