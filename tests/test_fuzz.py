"""Fuzz test of the estimators (issue 19, item 6).

Hypothesis draws small problems, often malformed: N in [1, 40] rows, d in [0, 5] columns; X of
float64, float32, int64, int32 or bool, sometimes with extreme magnitudes, NaN or inf; labels as
ints, floats (0., 1., 2.), strings, bools, pandas' nullable Int64 and string dtypes, object and
mixed-type object arrays, or binary soft targets (counts for Poisson), sometimes with missing or
infinite values; sample weights None or drawn with zeros, 1e-300 and 1e300 (sometimes NaN, inf or
negative); C (alpha) from 1e-12 to 1e12, no penalty, every solver, every family.

The property (``check``): each draw ends in EITHER

  * a fit with finite ``coef_`` and ``intercept_`` whose ``predict_proba`` on the training X is
    finite, in [0, 1] and sums to 1 per row, and whose ``predict`` gives labels of ``classes_``
    (regressor: ``predict`` >= 0, finite on the rows with positive weight); and if the fit says
    ``converged_`` without a penalty, a finite optimum must exist (an LP, ``has_finite_optimum``);
  * OR a ValueError whose message names a problem of the data (``diagnose``; a message that
    reports a computed "nan" from input without a NaN names nothing);

never another exception type. Clearly invalid input (NaN in X, a single class, negative weights,
... : ``Problem.must_fail``) must be a ValueError, not a fit; doubtful input (no columns, mixed
label types, all the weight on one class, weights 1e15 apart, ...) may be either. Warnings are
allowed.

tools/fuzz.py imports ``cases``, ``check``, ``signature`` and ``warm_up`` from here and runs the
same property on many more examples, collecting and shrinking every distinct failure.
"""

from __future__ import annotations

import inspect
import re
import signal
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression
from symlogit.solvers import NAMES as SOLVERS

ESTIMATORS = {cls.__name__: cls for cls in (LogisticRegression, GLMClassifier, GLMRegressor)}
#: "logit" draws 2 to 4 classes (multinomial for more than 2); the others are binary or counts.
TASKS = ("logit", "probit", "cloglog", "poisson")
BINARY_ONLY = ("probit", "cloglog")


# ---- the draws ------------------------------------------------------------------------------------
def sometimes(k=1, of=5):
    """True with probability k/of; shrinks to False."""
    return st.sampled_from([False] * (of - k) + [True] * k)


NON_FINITE = (np.nan, np.inf, -np.inf)
X_DTYPES = ("float64", "float32", "int64", "int32", "bool")
_F32 = lambda v: float(np.float32(v))  # noqa: E731  (exactly representable in float32)
X_ELEMENTS = {  # (ordinary values, extreme values)
    "float64": (st.floats(-10, 10) | st.integers(-3, 3).map(float),
                st.sampled_from([1e-300, -1e-300, 1e300, -1e300, 1e-30, 1e30, 5e-324])),
    "float32": (st.floats(-10, 10, width=32) | st.integers(-3, 3).map(float),
                st.sampled_from([_F32(v) for v in (1e-38, -1e-38, 3e38, -3e38, 1e-30, 1e30)])),
    "int64": (st.integers(-5, 5), st.sampled_from([2**62, -2**62, 10**12])),
    "int32": (st.integers(-5, 5), st.sampled_from([2**31 - 1, -2**31])),
    "bool": (st.booleans(), st.booleans()),
}


@st.composite
def features(draw, n, d):
    """X (n, d) as an ndarray or a DataFrame: ordinary or extreme values, NaN/inf sometimes."""
    dtype = draw(st.sampled_from(X_DTYPES))
    ordinary, extreme = X_ELEMENTS[dtype]
    elements = ordinary | extreme if draw(sometimes(1, 4)) else ordinary
    X = draw(hnp.arrays(dtype, (n, d), elements=elements))
    if dtype.startswith("float") and d > 0 and draw(sometimes(1, 8)):
        for _ in range(draw(st.integers(1, 2))):
            X[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = draw(st.sampled_from(NON_FINITE))
    if draw(sometimes(1, 5)):
        return pd.DataFrame(X, columns=[f"x{j}" for j in range(d)])
    return X


def _hyperplane_codes(draw, X, n_classes):
    """Labels 0..K-1 given by the sign (argmax) of X times small integer coefficients: (quasi-)
    separable data, where the unpenalised optimum does not exist."""
    Xf = np.nan_to_num(np.asarray(X, dtype=np.float64), nan=0.0, posinf=1.0, neginf=-1.0)
    Xf = np.hstack([np.ones((Xf.shape[0], 1)), np.clip(Xf, -1e3, 1e3)])
    B = np.array(draw(st.lists(st.integers(-2, 2), min_size=Xf.shape[1] * n_classes,
                               max_size=Xf.shape[1] * n_classes))).reshape(Xf.shape[1], n_classes)
    return (Xf @ B).argmax(axis=1)


#: label kinds, the common ones more often (hypothesis picks uniformly from the tuple)
LABEL_KINDS = ("int", "int", "float", "str", "str", "bool", "Int64", "string", "object", "soft", "soft", "mixed")
STRINGS = ("a", "b", "c", "d", "yes", "no", "")


@st.composite
def class_labels(draw, X, n_classes):
    """y for a classifier: K = n_classes labels of one kind, in one container; sometimes a missing
    or infinite value. Random labels or labels from a hyperplane."""
    n = X.shape[0]
    kinds = [k for k in LABEL_KINDS if n_classes == 2 or k not in ("bool", "soft")]
    kind = draw(st.sampled_from(kinds))
    if kind == "soft":  # binary soft targets: probabilities of class 1, rarely outside [0, 1]
        values = draw(st.lists(st.floats(0, 1) | st.sampled_from([0.0, 1.0]), min_size=n, max_size=n))
        if draw(sometimes(1, 10)):
            values[draw(st.integers(0, n - 1))] = draw(st.floats(-2, 3))
    else:
        if draw(sometimes(1, 3)):
            codes = _hyperplane_codes(draw, X, n_classes)
        else:
            codes = draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n))
        ints = draw(st.lists(st.integers(-3, 9), min_size=n_classes, max_size=n_classes, unique=True))
        strs = draw(st.lists(st.sampled_from(STRINGS), min_size=n_classes, max_size=n_classes, unique=True))
        names = {"int": ints, "Int64": ints, "float": [float(i) for i in ints], "str": strs, "string": strs,
                 "bool": [False, True], "object": draw(st.sampled_from([ints, strs])),
                 "mixed": [strs[k] if k % 2 else ints[k] for k in range(n_classes)]}[kind]
        values = [names[c] for c in codes]
    missing = {"float": NON_FINITE, "soft": NON_FINITE, "Int64": (pd.NA,), "string": (pd.NA,),
               "object": (None, np.nan), "mixed": (None, np.nan)}.get(kind)
    if missing and draw(sometimes(1, 8)):
        values[draw(st.integers(0, n - 1))] = draw(st.sampled_from(missing))
    return _container(draw, values, {"Int64": "Int64", "string": "string", "object": object, "mixed": object,
                                     "str": str, "bool": bool, "int": np.int64}.get(kind, np.float64))


@st.composite
def counts(draw, X):
    """y for Poisson: counts or rates >= 0 (zero where a hyperplane says so, sometimes), as ints,
    floats, bools, Int64 or objects; rarely huge, tiny, negative, missing or infinite."""
    n = X.shape[0]
    kind = draw(st.sampled_from(["int", "float", "Int64", "object", "bool"]))
    element = {"float": st.floats(0, 20) | st.integers(0, 5).map(float),
               "bool": st.booleans()}.get(kind, st.integers(0, 10))
    values = draw(st.lists(element, min_size=n, max_size=n))
    if kind != "bool" and draw(sometimes(1, 2)):
        zero = _hyperplane_codes(draw, X, 2) == 0
        values = [type(v)(0) if z else v for v, z in zip(values, zero)]
    if kind == "float" and draw(sometimes(1, 6)):
        values[draw(st.integers(0, n - 1))] = draw(st.sampled_from([1e300, 1e-300, 1e30]))
    if kind != "bool" and draw(sometimes(1, 10)):
        values[draw(st.integers(0, n - 1))] = draw(st.sampled_from({"int": [-1], "Int64": [-1, pd.NA],
                                                                    "object": [-1, None, np.nan]}.get(
                                                                        kind, [-1.0, *NON_FINITE])))
    return _container(draw, values, {"float": np.float64, "bool": bool, "Int64": "Int64", "object": object}.get(
        kind, np.int64))


def _container(draw, values, dtype):
    """values as a list, an ndarray or a pandas Series of dtype (pandas' own dtypes: a Series)."""
    if isinstance(dtype, str):
        return pd.Series(values, dtype=dtype)
    try:
        array = np.array(values, dtype=dtype)
    except (TypeError, ValueError):  # an int array with a missing value, say: keep the objects
        array = np.array(values, dtype=object)
    container = draw(st.sampled_from(["ndarray", "list", "Series"]))
    return {"ndarray": array, "list": list(values), "Series": pd.Series(array)}[container]


@st.composite
def sample_weights(draw, n):
    """None, or (n,) weights with zeros, 1e-300 and 1e300 among ordinary ones; rarely NaN, inf or
    negative."""
    if not draw(sometimes(2, 5)):
        return None
    w = draw(st.lists(st.floats(0, 10) | st.sampled_from([0.0, 1.0, 1e-300, 1e300]), min_size=n, max_size=n))
    if draw(sometimes(1, 8)):
        w[draw(st.integers(0, n - 1))] = draw(st.sampled_from([*NON_FINITE, -1.0]))
    return np.array(w)


#: log-uniform on [1e-12, 1e12]; shrinks to 1
STRENGTHS = st.floats(-12, 12).map(lambda e: 10.0 ** e)


@st.composite
def common_params(draw):
    return {"solver": draw(st.sampled_from(SOLVERS)), "fit_intercept": draw(st.sampled_from([True, False])),
            "tol": draw(st.sampled_from([1e-4, 1e-8, 1e-2])), "max_iter": draw(st.sampled_from([100, 5, 500])),
            "random_state": 0}  # sgd shuffles and sampled curvature: reproducible


@dataclass
class Case:
    """One draw: ``ESTIMATORS[estimator](**params).fit(X, y, sample_weight=sample_weight)``."""
    estimator: str
    params: dict
    X: object
    y: object
    sample_weight: object

    @property
    def task(self):
        """The family: "logit", "probit", "cloglog" or "poisson"."""
        return self.params.get("family", "logit" if self.is_classifier else "poisson")

    @property
    def is_classifier(self):
        return self.estimator != "GLMRegressor"

    def make(self):
        return ESTIMATORS[self.estimator](**self.params)

    def __repr__(self):
        return reproduction(self)

    def _repr_pretty_(self, printer, cycle):  # what hypothesis prints for a falsifying example
        printer.text("\n" + reproduction(self) + "\n")


@st.composite
def cases(draw):
    """A Case: an estimator of every family and solver, on the data above."""
    task = draw(st.sampled_from(TASKS))
    n = draw(st.integers(1, 40))
    d = 0 if draw(sometimes(1, 12)) else draw(st.integers(1, 5))
    X = draw(features(n, d))
    params = draw(common_params())
    if task == "poisson":
        estimator = "GLMRegressor"
        y = draw(counts(X))
        params["alpha"] = draw(st.sampled_from([1.0, 0.0]) | STRENGTHS)
    else:
        estimator = "GLMClassifier"
        if task == "logit":
            estimator = draw(st.sampled_from(["LogisticRegression", "GLMClassifier"]))
        if estimator == "GLMClassifier":
            params["family"] = task
        y = draw(class_labels(X, draw(st.integers(2, 4)) if task == "logit" else 2))
        params["penalty"] = draw(st.sampled_from(["l2", None]))
        params["C"] = draw(st.just(1.0) | STRENGTHS | st.just(np.inf))
        soft = is_soft(_objects(y)[[not _missing(v) for v in _objects(y)]])
        params["class_weight"] = draw(st.sampled_from([None, "balanced", "dict"])) if not soft or draw(
            sometimes(1, 6)) else None  # soft targets take no class_weight
        if params["class_weight"] == "dict":  # some of the labels (those left out weigh 1)
            present = [v for v in pd.unique(_objects(y)) if not _missing(v)]
            params["class_weight"] = {v: draw(st.sampled_from([1.0, 0.5, 2.0, 1e-3, 1e3, 0.0]))
                                      for v in present if draw(st.booleans())}
    return Case(estimator, params, X, y, draw(sample_weights(n)))


# ---- what is wrong with a draw ----------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """Something wrong with the data; a ValueError names it when its message matches every pattern
    (case-insensitively). must_fail: no fit may accept it; otherwise a fit or that ValueError."""
    name: str
    patterns: tuple
    must_fail: bool = True

    def named_by(self, message):
        return all(re.search(p, message, re.IGNORECASE) for p in self.patterns)


def _missing(v):
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and np.isnan(v))


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _objects(values):
    """Any 1-D container as an object ndarray of the labels the estimator sees: a Series' own
    elements; numpy's reading of a list (it turns [0, "b"] into the strings ["0", "b"], as
    scikit-learn's validation does), except that a missing value stays missing (not "nan")."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    if isinstance(values, list) and any(_missing(v) for v in values):
        raw = np.empty(len(values), dtype=object)
        raw[:] = values
        return raw
    return np.asarray(values).astype(object)


def _weights(case):
    if case.sample_weight is None:
        return np.ones(np.shape(case.X)[0])
    return np.asarray(case.sample_weight, dtype=np.float64)


def effective_weights(case, y):
    """sample_weight times the class weight of each row's label (what the objective weighs)."""
    w = _weights(case)
    class_weight = case.params.get("class_weight")
    if isinstance(class_weight, dict):
        w = w * np.array([class_weight.get(v, 1.0) for v in y])
    return w  # 'balanced' multiplies by positive factors only


def diagnose(case):
    """The Problems of a draw, read from its data (so that they stay right while hypothesis
    shrinks it)."""
    problems = []
    Xf = np.asarray(case.X, dtype=np.float64)
    if np.isnan(Xf).any():
        problems.append(Problem("X has NaN", (r"\bX\b", r"nan|missing|finite")))
    if np.isinf(Xf).any():
        problems.append(Problem("X has inf", (r"\bX\b", r"inf|finite|too large")))
    if Xf.shape[1] == 0:  # scikit-learn refuses it; an intercept-only fit would be fine too
        problems.append(Problem("X has no columns", (r"feature",), must_fail=False))
    y = _objects(case.y)
    missing = np.array([_missing(v) for v in y], dtype=bool)
    infinite = np.array([_is_number(v) and np.isinf(v) for v in y], dtype=bool)
    if missing.any():
        problems.append(Problem("y has a missing value", (r"\by\b", r"nan|missing|\bna\b|none|finite")))
    if infinite.any():
        problems.append(Problem("y has inf", (r"\by\b", r"inf|finite|too large")))
    w = _weights(case)
    if not np.isfinite(w).all():
        problems.append(Problem("sample_weight not finite", (r"sample_weight", r"finite|nan|inf")))
    elif (w < 0).any():
        problems.append(Problem("sample_weight negative", (r"sample_weight", r"negative|>= ?0|positive")))
    elif w.sum() == 0:
        problems.append(Problem("sample_weight all zero", (r"weight", r"zero|positive")))
    ok = ~(missing | infinite)
    weights_ok = np.isfinite(w).all() and (w >= 0).all()
    y_ok = y[ok]
    if case.is_classifier:
        problems += _label_problems(case, y_ok, effective_weights(case, y)[ok] if weights_ok else None)
    else:
        problems += _count_problems(case, y_ok, w[ok] if weights_ok else None)
    if weights_ok and _beyond_double(case, w[ok], y_ok):
        problems.append(Problem("weights beyond double precision", (r"precision|round|overflow",), must_fail=False))
    return problems


def _beyond_double(case, w, y):
    """Positive weights more than 1e15 apart (a weighted mean can round to a class's edge), or
    weighted counts that overflow: an estimator may refuse them, saying so."""
    positive = w[w > 0]
    if not positive.size:
        return False
    if positive.max() / 1e15 > positive.min():
        return True
    if not case.is_classifier and all(_is_number(v) or isinstance(v, (bool, np.bool_)) for v in y):
        with np.errstate(over="ignore"):
            return bool(positive.max() * np.abs(y.astype(np.float64)).max(initial=0.0) > 1e300)
    return False


def _has_nan(case):
    """Whether the draw holds a NaN (or another missing value) anywhere: in X, y or the weights."""
    return bool(np.isnan(np.asarray(case.X, dtype=np.float64)).any() or np.isnan(_weights(case)).any()
                or any(_missing(v) for v in _objects(case.y)))


def is_soft(y):
    """Numbers (not bools) that are not all integers: binary soft targets."""
    return len(y) > 0 and all(_is_number(v) for v in y) and any(float(v) != np.trunc(float(v)) for v in y)


def _label_problems(case, y, w):
    problems = []
    if is_soft(y):
        t = y.astype(np.float64)
        if t.min() < 0 or t.max() > 1:
            problems.append(Problem("soft y outside [0, 1]", (r"\[0, 1\]|probabilit",)))
        if case.params.get("class_weight") is not None:
            problems.append(Problem("class_weight with soft targets", (r"class_weight",)))
        if w is not None and w.sum() > 0 and (set(t[w > 0]) <= {0.0} or set(t[w > 0]) <= {1.0}):
            problems.append(Problem("all weight on one class", (r"class|no finite optimum|edge",), must_fail=False))
        return problems
    if any(isinstance(v, str) for v in y) and any(not isinstance(v, str) for v in y):
        # (a list of mixed labels becomes strings in numpy, so a class_weight dict keyed by the
        # numbers no longer matches: scikit-learn's own "not in class_weight" error)
        return [Problem("labels of mixed types", (r"type|mix|str|sort|compar|class_weight",), must_fail=False)]
    classes = pd.unique(y)
    if len(classes) < 2:
        problems.append(Problem("y has one class", (r"class",)))
    if case.task in BINARY_ONLY and len(classes) > 2:
        problems.append(Problem("more than 2 classes for a binary family", (r"binary|2 classes|two classes",)))
    if w is not None and len(classes) >= 2:
        weighted = [w[y == c].sum() > 0 for c in classes]
        if not any(weighted):
            problems.append(Problem("all effective weights zero", (r"weight",), must_fail=False))
        elif not all(weighted):
            problems.append(Problem("a class has no weight", (r"class|weight|no finite optimum|edge",),
                                    must_fail=False))
    return problems


def _count_problems(case, y, w):
    problems = []
    if np.asarray(case.y).dtype == bool:
        problems.append(Problem("y is boolean", (r"bool|numeric|dtype",), must_fail=False))
    t = y.astype(np.float64)
    if (t < 0).any():
        problems.append(Problem("y negative", (r"\by\b", r">= ?0|negative|nonnegative")))
    elif w is not None and w.sum() > 0 and (t[w > 0] == 0).all():
        problems.append(Problem("every weighted count is zero", (r"zero|no finite optimum|edge",), must_fail=False))
    return problems


# ---- the finite-optimum check ------------------------------------------------------------------------
def has_finite_optimum(X, signs, fit_intercept):
    """Whether the unpenalised loss of a scalar family (binary classifier, Poisson) attains its
    minimum, for the rows of positive weight: X (n, d) and signs (n,) with +1 where y = 1 (the loss
    only falls as the row's score u grows), -1 where y = 0 (it only falls as u sinks), 0 where y is
    strictly inside the domain (a soft target, a positive count: the loss grows either way).

    Moving the coefficients along a direction v = (c, b) moves the scores by z_i = c + x_i·b. The
    loss keeps falling for ever -- no finite optimum -- exactly when some v has s_i z_i >= 0 at
    every edge row, z_i = 0 at every interior row, and s_i z_i > 0 somewhere (a v with every z_i
    = 0 changes nothing: collinear columns leave the optimum finite, just not unique). So we
    maximise sum_i s_i z_i under those constraints with v in the box [-1, 1] (any direction can be
    shrunk into it) and call the optimum finite when the maximum is 0.

    Columns are scaled to max |x| = 1 first (this changes no sign pattern, only the LP's
    conditioning); margins below 1e-6 are taken as 0 (HiGHS's feasibility tolerance is 1e-7)."""
    X = np.asarray(X, dtype=np.float64)
    scale = np.abs(X).max(axis=0, initial=0.0)
    X = X / np.where(scale > 0, scale, 1.0)
    if fit_intercept:
        X = np.hstack([np.ones((X.shape[0], 1)), X])
    edge, inside = signs != 0, signs == 0
    if X.shape[1] == 0 or not edge.any():
        return True  # no direction at all; or every row's loss grows both ways
    A = X[edge] * signs[edge][:, None]  # rows s_i x_i: we need A v >= 0
    result = scipy.optimize.linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(A)),
                                    A_eq=X[inside] if inside.any() else None,
                                    b_eq=np.zeros(inside.sum()) if inside.any() else None,
                                    bounds=[(-1, 1)] * X.shape[1], method="highs")
    if result.status != 0:  # v = 0 is feasible and the box bounded; a numerical failure decides nothing
        return True
    return -result.fun <= 1e-6


def _unpenalised(case):
    if case.is_classifier:
        return case.params.get("penalty", "l2") is None or case.params.get("C", 1.0) == np.inf
    return case.params.get("alpha", 1.0) == 0


def _edge_signs(case, model):
    """signs for has_finite_optimum (None: not a scalar family, or labels it cannot read)."""
    y = _objects(case.y)
    if not case.is_classifier:
        return np.where(y.astype(np.float64) == 0, -1.0, 0.0)
    if len(model.classes_) != 2:
        return None  # multinomial: not a scalar family, not checked here
    t = y.astype(np.float64) if is_soft(y) else np.array([v == model.classes_[1] for v in y], dtype=np.float64)
    return np.where(t == 1, 1.0, np.where(t == 0, -1.0, 0.0))


# ---- the property -------------------------------------------------------------------------------------
class FuzzFailure(AssertionError):
    """The property failed; ``signature`` says which way (the same for the same fault)."""

    def __init__(self, kind, detail="", context=""):
        """kind and detail (an exception's message) make the signature; context only the message."""
        super().__init__(f"{kind}{context}: {detail}" if detail else kind + context)
        self.signature = f"{kind}: {normalize(detail)}" if detail else kind


def normalize(message, limit=160):
    """A message with its numbers and quoted values blanked: the same fault, the same text."""
    message = re.sub(r"'[^']*'", "'…'", str(message).splitlines()[0] if str(message) else "")
    message = re.sub(r"\[[^\]]*\]", "[…]", message)  # lists of classes, ranges
    message = re.sub(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?", "#", message)
    return message[:limit]


def signature(error):
    """Which failure an exception raised by ``check`` is: FuzzFailure's own signature; for any other
    exception its type, the innermost symlogit frame (else the innermost frame) and its message."""
    if isinstance(error, FuzzFailure):
        return error.signature
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "symlogit" in f.filename or "generated" in f.filename] or frames
    where = f" in {Path(ours[-1].filename).name}:{ours[-1].name}" if ours else ""
    return f"{type(error).__name__}{where}: {normalize(error)}"


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError in a call that runs longer than seconds (SIGALRM: main thread, Unix)."""
    if not seconds or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"one example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(case, seconds=60):
    """The property on one draw. Returns "fit" or "ValueError"; raises FuzzFailure when the
    property fails, and lets any exception other than fit's ValueError through (also a failure)."""
    problems = diagnose(case)
    with warnings.catch_warnings(), time_limit(seconds):
        warnings.simplefilter("ignore")  # ConvergenceWarning, SeparationWarning, ...: allowed
        model = case.make()
        try:
            model.fit(case.X, case.y, sample_weight=case.sample_weight)
        except ValueError as error:
            message = str(error)
            if re.search(r"\bnan\b", message) and not _has_nan(case):  # numpy's "nan": a computed value
                raise FuzzFailure("ValueError reports a NaN computed from input without one", message) from error
            if not problems:
                raise FuzzFailure("ValueError on valid input", message) from error
            if not any(p.named_by(message) for p in problems):
                raise FuzzFailure("ValueError names none of the problems", message,
                                  f" ({', '.join(p.name for p in problems)})") from error
            return "ValueError"
        invalid = [p.name for p in problems if p.must_fail]
        if invalid:
            raise FuzzFailure(f"fit accepted invalid input ({', '.join(invalid)})")
        check_fit(case, model)
    return "fit"


def check_fit(case, model):
    """The fitted model's part of the property (see the module docstring)."""
    coef, intercept = np.asarray(model.coef_, dtype=np.float64), np.asarray(model.intercept_, dtype=np.float64)
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise FuzzFailure(f"coef_ or intercept_ not finite (solver {model.solver_})",
                          context=f": coef_ {coef.tolist()}, intercept_ {intercept.tolist()}")
    if case.is_classifier:
        P = np.asarray(model.predict_proba(case.X))
        K = len(model.classes_)
        if P.shape != (np.shape(case.X)[0], K):
            raise FuzzFailure("predict_proba has the wrong shape", context=f": {P.shape}")
        if not np.isfinite(P).all():
            raise FuzzFailure("predict_proba not finite")
        if (P < 0).any() or (P > 1).any():
            raise FuzzFailure("predict_proba outside [0, 1]", context=f": range [{P.min()}, {P.max()}]")
        off = np.abs(P.sum(axis=1) - 1).max()
        if off > 100 * K * np.finfo(P.dtype).eps:
            raise FuzzFailure("predict_proba rows do not sum to 1", context=f": max |sum - 1| {off}")
        labels = np.asarray(model.predict(case.X), dtype=object)
        if not all(label in set(model.classes_.tolist()) for label in labels.tolist()):
            raise FuzzFailure("predict gives labels outside classes_")
    else:
        mu = np.asarray(model.predict(case.X))
        # rows of zero weight do not enter the fit: their means may overflow, but not go negative or NaN
        weighted = effective_weights(case, _objects(case.y)) > 0
        if np.isnan(mu).any() or (mu < 0).any() or not np.isfinite(mu[weighted]).all():
            raise FuzzFailure(f"predict not finite and >= 0 (solver {model.solver_})", context=f": {mu.tolist()}")
    if model.converged_ and _unpenalised(case):
        signs = _edge_signs(case, model)
        if signs is not None:
            y = _objects(case.y)
            rows = effective_weights(case, y) > 0
            if not has_finite_optimum(np.asarray(case.X)[rows], signs[rows], case.params.get("fit_intercept", True)):
                raise FuzzFailure(f"converged_ is True without a penalty but no finite optimum exists ({case.task})")


# ---- reproductions --------------------------------------------------------------------------------
def _literal(v):
    """Python source for one value."""
    if v is pd.NA:
        return "pd.NA"
    if v is None or isinstance(v, str):
        return repr(v)
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    if isinstance(v, (int, np.integer)):
        return repr(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return "np.nan" if np.isnan(v) else ("np.inf" if v > 0 else "-np.inf") if np.isinf(v) else repr(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(_literal, v)) + "]"
    return repr(v)


def _source(values):
    """Python source that rebuilds a list, ndarray, Series or DataFrame."""
    if isinstance(values, pd.DataFrame):
        return (f"pd.DataFrame({_source(values.to_numpy())}, columns={list(values.columns)!r})")
    if isinstance(values, pd.Series):
        return f"pd.Series({_literal(list(values.to_numpy(dtype=object)))}, dtype={str(values.dtype)!r})"
    if isinstance(values, np.ndarray):
        dtype = "object" if values.dtype == object else "str" if values.dtype.kind == "U" else str(values.dtype)
        rows = values.tolist() if values.dtype != object else [list(r) if values.ndim > 1 else r for r in values]
        shape = f".reshape({values.shape})" if values.size == 0 and values.ndim > 1 else ""
        return f"np.array({_literal(rows)}, dtype={dtype if dtype in ('object', 'str') else repr(dtype)}){shape}"
    return _literal(values)


def reproduction(case):
    """A few lines of Python that run the draw."""
    cls = ESTIMATORS[case.estimator]
    defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    params = ", ".join(f"{k}={_literal(v)}" for k, v in case.params.items()
                       if not (k in defaults and type(v) is type(defaults[k]) and v == defaults[k]))
    weight = "" if case.sample_weight is None else f", sample_weight={_source(case.sample_weight)}"
    return (f"import numpy as np, pandas as pd\nfrom symlogit import {case.estimator}\n"
            f"X = {_source(case.X)}\ny = {_source(case.y)}\n"
            f"{case.estimator}({params}).fit(X, y{weight})")


def warm_up():
    """Compile (or load from numba's cache) every kernel the draws can reach, once, before the
    timed examples: float64 and float32 X, every family, every solver."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    y2, y3, counts_ = (X[:, 0] + rng.normal(size=12) > 0).astype(int), np.arange(12) % 3, np.arange(12) % 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for Xd in (X, X.astype(np.float32)):
            for solver in SOLVERS:
                for family in ("logit", "probit", "cloglog"):
                    GLMClassifier(family=family, solver=solver).fit(Xd, y2).predict_proba(Xd)
                LogisticRegression(solver=solver).fit(Xd, y3).predict_proba(Xd)
                GLMRegressor(solver=solver).fit(Xd, counts_).predict(Xd)


# ---- the test -----------------------------------------------------------------------------------
#: 600 draws: ~15 s on 2 cores, plus ~5 s of warm_up, once numba's cache is warm (a cold cache
#: compiles every kernel first: minutes). A failing run stops drawing 10 s after its first failure
#: and shrinks each distinct one, ~30-50 s more. tools/fuzz.py runs many more.
EXAMPLES = 600


@pytest.fixture(scope="module")
def warm_kernels():
    warm_up()


# In the default run: 600 draws take about 12 s on 2 cores; tools/fuzz.py runs many more.
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_every_draw_fits_or_raises_a_named_value_error(warm_kernels, case):
    check(case)
