"""Turning a user's y into what the kernels take, with a clear error for each bad input.

    hard labels (any sortable values, ≥ 2 classes)  -> classes_ = np.unique(y)
    soft binary y, floats in [0, 1] not all 0/1      -> classes_ = [0, 1], targets y
    soft (N, K) probability matrix, K ≥ 2            -> classes_ = [0, ..., K-1], targets rows

Kernel targets: binary (N,) float64 in [0, 1] (probability of classes_[1]; for hard labels made
from their one-byte codes on each use, which the sparse kernels take as they are:
``Targets.kernel_values``); multinomial (N, K) float64 probability rows (one-hot for hard labels).
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target

ROW_SUM_TOLERANCE = 1e-6


@dataclass
class Targets:
    classes: np.ndarray
    stored: np.ndarray | None       # what the kernels take (see module docstring); None: made from the codes
    labels: np.ndarray | None       # codes in [0, K) for hard labels (unsigned, ``_codes``); None for soft

    @property
    def n_classes(self):
        return len(self.classes)

    @property
    def values(self):
        """What the kernels take (see the module docstring). Binary hard labels' (N,) floats are
        made from their codes on each use, not kept: a sparse fit takes the codes themselves
        (``kernel_values``), and so holds 1 byte a row instead of 9."""
        return self.labels.astype(np.float64) if self.stored is None else self.stored

    @property
    def kernel_values(self):
        """``values``, or where they would be made from binary hard labels the codes (N,) 0/1
        themselves, one byte each (the sparse kernels convert them a block of rows at a time)."""
        return self.labels if self.stored is None else self.stored


def encode_targets(y, weights=None):
    """Targets from y (already checked finite/numeric where sklearn could); raise ValueError.

    weights (N,) ≥ 0: a class is a class of the fit only through rows of positive weight (as
    scikit-learn's weighted class counts): hard labels whose every row has weight 0 are refused,
    so all of a binary y's weight on one class is the single-class error."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected; it was ravelled to shape "
                      f"({y.shape[0]},).", DataConversionWarning, stacklevel=3)
        y = y.ravel()
    if y.ndim == 2:
        return _probability_rows(y, weights)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D labels or an (N, K) probability matrix, got shape {y.shape}")
    if y.dtype == object:
        y, kind = _object_labels(y)
    else:
        kind = _numeric_kind(y) if y.dtype.kind in "biuf" else type_of_target(y)
    if kind == "continuous":
        return _soft_binary(y)
    if kind not in ("binary", "multiclass", "labels"):
        raise ValueError(f"Unknown label type: {kind!r}. y must hold class labels, binary probabilities in [0, 1] "
                         "or an (N, K) probability matrix")
    classes = np.unique(y)
    labels = _codes(y, classes)
    check_class_totals(classes, None if weights is None else class_totals(labels, weights, len(classes)))
    if len(classes) == 2:
        return Targets(classes, None, labels)
    return Targets(classes, np.eye(len(classes))[labels], labels)


#: Up to this many classes, labels are coded by one comparison pass per class, with no (N,)
#: integer array of the full width in between (np.unique's inverse costs four).
CODED_BY_COMPARISON = 16


def _codes(y, classes):
    """Labels' codes in [0, K), (N,), the smallest unsigned integer type that holds K - 1 (uint8
    up to 256 classes: 1/8 of int64's memory, held for the whole fit). Arithmetic on them stays in
    that type and wraps (NumPy 2: uint8 codes times a Python int 300 are uint8): cast to np.intp
    first, as the separation test's flat indices do."""
    dtype = np.min_scalar_type(len(classes) - 1)
    if len(classes) > CODED_BY_COMPARISON:
        return np.searchsorted(classes, y).astype(dtype)
    codes = np.zeros(y.shape[0], dtype=dtype)
    for k in range(1, len(classes)):
        codes[y == classes[k]] = k
    return codes


def class_totals(labels, weights, n_classes, block=1 << 16):
    """(K,) Σ of the weights over each class's rows, from codes ``labels`` (N,) in [0, K): in blocks
    of ``block`` rows (np.bincount converts its whole input to intp and float64: two (N,) arrays
    at once where the labels are a byte each and unit weights a broadcast of 1.0)."""
    totals = np.zeros(n_classes)
    for start in range(0, labels.shape[0], block):
        rows = slice(start, start + block)
        totals += np.bincount(labels[rows], weights[rows], n_classes)
    return totals


def check_class_totals(classes, totals=None):
    """Raise ValueError unless ≥ 2 classes and each has a positive total weight (totals (K,), the
    sum of sample_weight over each class's rows; None: unweighted)."""
    weighted = classes if totals is None else classes[totals > 0]
    missing = np.setdiff1d(classes, weighted).tolist()
    note = f" ({', '.join(map(repr, missing))} only in rows of sample_weight 0)" if missing else ""
    if len(weighted) < 2:
        raise ValueError("y needs samples of at least 2 classes, but the data contain only one class: "
                         f"{np.asarray(weighted[0]).tolist()!r}{note}")
    if missing:
        raise ValueError(f"every class of y needs rows of positive sample_weight{note}; drop those rows or give them "
                         "weight")


def per_class_weights(class_weight, classes, totals):
    """(K,) class weights as scikit-learn defines them: 'balanced' is Σw / (K Σ_{class k} w), the
    classes counted by their sample weights (totals (K,), as scikit-learn >= 1.6); a dict maps
    label -> weight, labels it leaves out weigh 1. Raise ValueError for keys that are no class, and
    for weights that are negative, not finite, or 0 (a class of weight 0 is not a class of the fit)."""
    if isinstance(class_weight, str) and class_weight == "balanced":
        return totals.sum() / (len(classes) * totals)
    if isinstance(class_weight, dict):
        known = set(classes.tolist())
        unknown = [key for key in class_weight if key not in known]
        if unknown:
            raise ValueError(f"class_weight has labels that are not classes of y: {_plain(unknown)!r}; the classes "
                             f"are {classes.tolist()!r}")
        weights = np.array([_class_weight(class_weight, c) for c in classes.tolist()])
        if np.any(weights == 0):
            raise ValueError(f"class_weight gives class(es) {classes[weights == 0].tolist()!r} weight 0; every class of "
                             "y needs positive weight: drop those rows instead")
        return weights
    raise ValueError(f"class_weight must be 'balanced', a dict or None, got {class_weight!r}")


def _class_weight(class_weight, label):
    value = class_weight.get(label, 1.0)
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = np.nan
    if not (np.isfinite(weight) and weight >= 0):
        raise ValueError(f"class_weight[{label!r}] is {_plain(value)!r}; class weights must be finite numbers >= 0")
    return weight


def _plain(value):
    """numpy scalars (and lists of them) as Python values, for messages: 7, not np.int64(7)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _object_labels(y):
    """(y, kind) for an object array: numbers (ints, floats, bools, numpy scalars: labels, or soft
    targets if not all integral) or strings, never the two mixed (they do not sort)."""
    families = {"number" if isinstance(value, numbers.Number) else
                "string" if isinstance(value, str) else type(value).__name__ for value in y.tolist()}
    if len(families) > 1:
        raise ValueError(f"y mixes label types ({', '.join(sorted(families))}); give every label the same type, "
                         "e.g. all strings or all integers")
    if families == {"number"}:
        values = y.astype(np.float64)
        return (values, "continuous") if _numeric_kind(values) == "continuous" else (y, "labels")
    if families == {"string"}:
        return y, "labels"
    raise ValueError(f"y holds values of type {families.pop()}; expected class labels (numbers or strings)")


def _numeric_kind(y):
    """type_of_target's verdict on a 1-D numeric array, "continuous" (floats not all integral) or
    "labels" (its binary and multiclass, told apart by np.unique below). Its generic checks
    (sparse, multilabel, dataframes) cost 0.1 ms, 7% of a breast_cancer fit, for nothing here: y
    has been through validate_data, so it is a finite ndarray."""
    if y.dtype.kind == "f" and np.any(y != np.trunc(y)):
        return "continuous"
    return "labels"


def _soft_binary(y):
    y = y.astype(np.float64)
    if y.min() < 0 or y.max() > 1:
        raise ValueError("a continuous y is read as binary soft targets, which must lie in [0, 1] (the probability "
                         "of class 1); "
                         f"got values in [{y.min():g}, {y.max():g}]")
    return Targets(np.array([0, 1]), y, None)


def _probability_rows(Y, weights):
    if Y.shape[1] < 2:
        raise ValueError(f"a probability matrix y needs K >= 2 columns, got shape {Y.shape}")
    if not np.issubdtype(Y.dtype, np.number):
        raise ValueError(f"a 2-D y must be a numeric (N, K) probability matrix, got dtype {Y.dtype}")
    Y = Y.astype(np.float64)
    if Y.min() < 0:
        row = int(np.argmax(np.any(Y < 0, axis=1)))
        raise ValueError(f"probability rows of y must be nonnegative; row {row} is {Y[row].tolist()}")
    sums = Y.sum(axis=1)
    bad = np.abs(sums - 1) > ROW_SUM_TOLERANCE
    if np.any(bad):
        row = int(np.argmax(bad))
        raise ValueError(f"probability rows of y must sum to 1; row {row} sums to {sums[row]:.6g}")
    classes = np.arange(Y.shape[1])
    empty = np.flatnonzero((Y.sum(axis=0) if weights is None else weights @ Y) <= 0)
    if empty.size:
        raise ValueError(f"column(s) {empty.tolist()} of the probability matrix y have no probability in rows of "
                         "positive sample_weight: the likelihood has no finite optimum (that class's intercept falls "
                         "without bound); drop those columns")
    if Y.shape[1] == 2:
        return Targets(classes, np.ascontiguousarray(Y[:, 1]), None)
    return Targets(classes, Y, None)


def check_sample_weight(sample_weight, n_samples):
    """(N,) float64 weights: finite, ≥ 0, positive sum. Unit weights when None, as a read-only
    broadcast of 1.0 (``np.broadcast_to``: 8 bytes, not N floats; a dense ``Objective`` makes
    them an array, a sparse one never does)."""
    if sample_weight is None:
        return np.broadcast_to(np.float64(1.0), (n_samples,))
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},) to match X, got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"sample_weight must be finite; row {int(np.argmax(~np.isfinite(w)))} is {w[~np.isfinite(w)][0]}")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be nonnegative; row {int(np.argmax(w < 0))} is {w[w < 0][0]}")
    if w.sum() <= 0:
        raise ValueError("sample_weight must not be all zero: the weights must have a positive sum")
    return w
