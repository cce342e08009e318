"""How a fitted model does on data: the figures the command line prints for the training rows
and for rows the model has not seen (a held-out split or cross-validation folds).

Classifiers: mean log-loss, accuracy, ROC AUC (binary; one-vs-rest macro average for K > 2, as
scikit-learn's ``roc_auc_score(multi_class="ovr")``) and the Brier score (scikit-learn's
``brier_score_loss``: mean (p - y)² for two classes, mean Σ_k (p_k - [y = k])² for more).
Regressors (Poisson): mean deviance 2 Σ w (y log(y/μ) - y + μ) / Σ w and D² = 1 - D(μ) / D(ȳ)
(scikit-learn's ``mean_poisson_deviance`` and ``d2_tweedie_score(power=1)``). Every figure is
weighted by the sample weights when there are some. Soft targets (probabilities) get the log-loss
only: accuracy, AUC and the Brier score need labels.

The report's ROC curves and reliability diagrams are ``Curve``s: from the rows themselves
(``curves_from_rows``), or on Dask from per-class histograms of the predicted log-odds summed on
the cluster (``curves_from_histograms``), where the ROC AUC is that of the scores rounded to
their bin (ties counted half, as ``roc_auc_score`` counts them), within Σ_b P_b N_b / (2 P N) of
the exact one (P_b, N_b the positives' and negatives' weight in bin b).

Rows are split as scikit-learn does it: ``train_test_split`` (stratified by class for
classifiers) and ``StratifiedKFold`` / ``KFold``, shuffled with the given seed.
"""

from typing import NamedTuple

import numpy as np

#: figure key -> (label, format), in the order printed
LABELS = {"log_loss": ("log-loss", ".6f"), "accuracy": ("accuracy", ".4f"), "roc_auc": ("ROC AUC", ".4f"),
          "brier": ("Brier score", ".6f"), "mean_deviance": ("mean deviance", ".6g"), "d2": ("D²", ".4f")}


def figures(model, X, y, weights=None, offset=None):
    """The figures of ``model`` on (X, y): a dict key -> float (keys of LABELS). A figure that is
    not defined on these rows (AUC with a class absent) is NaN."""
    if hasattr(model, "classes_"):
        return _classifier_figures(model, X, y, weights, offset)
    from sklearn.metrics import d2_tweedie_score, mean_poisson_deviance

    mu = model.predict(X, offset=offset)
    y = np.asarray(y, dtype=np.float64)
    return {"mean_deviance": _defined(mean_poisson_deviance, y, mu, sample_weight=weights),
            "d2": _defined(d2_tweedie_score, y, mu, sample_weight=weights, power=1)}


def _classifier_figures(model, X, y, weights, offset):
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from .targets import encode_targets

    targets = encode_targets(np.asarray(y))
    log_p = model.predict_log_proba(X, offset)
    observed = targets.values if targets.values.ndim == 2 else np.column_stack([1 - targets.values, targets.values])
    w = np.ones(len(log_p)) if weights is None else np.asarray(weights, dtype=np.float64)
    result = {"log_loss": -float(w @ np.sum(observed * log_p, axis=1, where=observed > 0) / w.sum())}
    if targets.labels is None:  # soft targets
        return result
    labels, classes = np.asarray(y), model.classes_
    proba = np.exp(log_p)
    result["accuracy"] = float(w @ (classes[log_p.argmax(axis=1)] == labels) / w.sum())
    if len(classes) == 2:
        positive = labels == classes[1]
        result["roc_auc"] = _defined(roc_auc_score, positive, proba[:, 1], sample_weight=weights)
        result["brier"] = _defined(brier_score_loss, positive, proba[:, 1], sample_weight=weights)
    else:
        result["roc_auc"] = _defined(roc_auc_score, labels, proba, sample_weight=weights, multi_class="ovr",
                                     labels=classes)
        result["brier"] = _defined(brier_score_loss, labels, proba, sample_weight=weights, labels=classes)
    return result


#: One-vs-rest curves drawn for K > 2 (the first classes); K = 2 draws the positive class only.
MAX_CURVES = 10
#: Log-odds bins of the Dask histograms: width LOG_ODDS_BIN over [-40, 40] (p from 4e-18 to
#: 1 - 4e-18), the outermost bins open-ended.
LOG_ODDS_BIN = 0.005
LOG_ODDS_EDGES = np.arange(-8000, 8001) * LOG_ODDS_BIN
RELIABILITY_BINS = 10


class Curve(NamedTuple):
    """One class's ROC curve (fpr, tpr, its AUC) and reliability diagram (mean predicted
    probability and observed frequency per bin of about equal weight)."""
    label: str
    fpr: np.ndarray
    tpr: np.ndarray
    auc: float
    predicted: np.ndarray
    observed: np.ndarray


def shown_classes(classes):
    """The class indices whose curves are drawn: [1] for two classes, else the first MAX_CURVES."""
    return [1] if len(classes) == 2 else list(range(min(len(classes), MAX_CURVES)))


def _label(classes, k):
    return f"class {classes[k]}" if len(classes) > 2 else f"class {classes[k]} (positive)"


def curves_from_rows(y, proba, classes, weights=None):
    """The ``Curve`` of each shown class from labels y (N,) and probabilities proba (N, K):
    scikit-learn's ``roc_curve`` and ``roc_auc_score``, and RELIABILITY_BINS quantile bins of p
    (``calibration_curve(strategy="quantile")``), weighted by the sample weights. A class absent
    from the rows, or present in all of them, has no curve."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y, curves = np.asarray(y), []
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    for k in shown_classes(classes):
        positive, p = y == classes[k], proba[:, k]
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = roc_curve(positive, p, sample_weight=weights)
        edges = np.quantile(p, np.linspace(0, 1, RELIABILITY_BINS + 1))
        index = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, RELIABILITY_BINS - 1)
        total = np.bincount(index, w, RELIABILITY_BINS)
        kept = total > 0
        curves.append(Curve(_label(classes, k), fpr, tpr, float(roc_auc_score(positive, p, sample_weight=weights)),
                            np.bincount(index, w * p, RELIABILITY_BINS)[kept] / total[kept],
                            np.bincount(index, w * positive, RELIABILITY_BINS)[kept] / total[kept]))
    return curves


def log_odds_histogram(log_p, codes, weights, shown):
    """Per shown class k, the weight of the positives (code k) and of the negatives, and Σ w p_k,
    in each bin of LOG_ODDS_EDGES of log p_k - log(1 - p_k): an array (len(shown), 3, bins) from
    log-probabilities log_p (n, K), class codes (n,) and weights (n,) or None. Histograms of
    row blocks add up to the histogram of their union."""
    bins = len(LOG_ODDS_EDGES) - 1
    w = np.ones(len(codes)) if weights is None else np.asarray(weights, dtype=np.float64)
    out = np.zeros((len(shown), 3, bins))
    for j, k in enumerate(shown):
        with np.errstate(divide="ignore"):
            odds = log_p[:, k] - np.log1p(-np.exp(log_p[:, k]))
        index = np.clip(np.searchsorted(LOG_ODDS_EDGES, odds, side="right") - 1, 0, bins - 1)
        positive = codes == k
        out[j, 0] = np.bincount(index, w * positive, bins)
        out[j, 1] = np.bincount(index, w * ~positive, bins)
        out[j, 2] = np.bincount(index, w * np.exp(log_p[:, k]), bins)
    return out


def binned_auc(positives, negatives):
    """(AUC, bound) of scores known by bin (positives' and negatives' weight per bin, in
    increasing order of score): Σ_b N_<b P_b + ½ N_b P_b over P N, and the largest possible gap
    to the AUC of the unrounded scores, Σ_b P_b N_b / (2 P N). NaN where a side has no weight."""
    P, N = positives.sum(), negatives.sum()
    if P <= 0 or N <= 0:
        return float("nan"), float("nan")
    below = np.concatenate([[0.0], np.cumsum(negatives)[:-1]])
    same = float(positives @ negatives)
    return float((positives @ below + 0.5 * same) / (P * N)), 0.5 * same / (P * N)


def curves_from_histograms(histogram, classes):
    """The ``Curve`` of each shown class from ``log_odds_histogram``'s sums: the ROC curve through
    the bin edges (thresholds from the highest score down), ``binned_auc``, and RELIABILITY_BINS
    groups of consecutive bins of about equal weight."""
    curves = []
    for k, (positives, negatives, mass) in zip(shown_classes(classes), histogram):
        auc, _ = binned_auc(positives, negatives)
        if not np.isfinite(auc):
            continue
        total = positives + negatives
        points = np.concatenate([[True], total[::-1] > 0])  # one point per bin with rows
        tpr = np.concatenate([[0.0], np.cumsum(positives[::-1]) / positives.sum()])[points]
        fpr = np.concatenate([[0.0], np.cumsum(negatives[::-1]) / negatives.sum()])[points]
        share = np.cumsum(total) / total.sum()
        group = np.minimum((share * RELIABILITY_BINS - 1e-9).astype(int), RELIABILITY_BINS - 1)
        weight = np.bincount(group, total, RELIABILITY_BINS)
        kept = weight > 0
        curves.append(Curve(_label(classes, k), fpr, tpr, auc,
                            np.bincount(group, mass, RELIABILITY_BINS)[kept] / weight[kept],
                            np.bincount(group, positives, RELIABILITY_BINS)[kept] / weight[kept]))
    return curves


def _defined(metric, *args, **kwargs):
    """metric(...) as a float, or NaN where scikit-learn finds it undefined on these rows (a
    ValueError, or ``d2_tweedie_score``'s ZeroDivisionError where the y are all equal)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(metric(*args, **kwargs))
        except (ValueError, ZeroDivisionError):
            return float("nan")


def held_out_split(y, test_size, seed, stratify):
    """(train, test) row indices: ``test_size`` (0 < f < 1, or an int: that many rows) held out, by class when
    ``stratify``. Raise ValueError (scikit-learn's, e.g. a class with one row) when impossible."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    return train_test_split(rows, test_size=test_size, random_state=seed, shuffle=True,
                            stratify=np.asarray(y) if stratify else None)


def folds(y, k, seed, stratify):
    """The k (train, test) index pairs of shuffled (stratified) k-fold cross-validation."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (StratifiedKFold if stratify else KFold)(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), np.asarray(y) if stratify else None))


def summarise(per_fold):
    """{key: (mean, standard deviation)} over a list of figure dicts (NaN folds left out)."""
    summary = {}
    for key in per_fold[0]:
        values = np.array([figures[key] for figures in per_fold])
        values = values[np.isfinite(values)]
        summary[key] = (float(values.mean()), float(values.std())) if values.size else (np.nan, np.nan)
    return summary


def undefined_folds(per_fold):
    """{key: [fold numbers, from 0 as scikit-learn's split0]} of the figures that are NaN or
    infinite on some folds (left out of ``summarise``'s mean)."""
    undefined = {}
    for key in per_fold[0]:
        folds = [f for f, figures in enumerate(per_fold) if not np.isfinite(figures[key])]
        if folds:
            undefined[key] = folds
    return undefined


def format_figures(figures, binned=False):
    """'log-loss: 0.071234; accuracy: 0.9737; ...' (a value may be (mean, sd): '0.0712 ± 0.0110').
    ``binned``: the ROC AUC is ``binned_auc``'s, from log-odds in bins of LOG_ODDS_BIN (the dask
    engine's), labelled so."""
    parts = []
    for key, value in figures.items():
        label, spec = LABELS[key]
        if binned and key == "roc_auc":
            label = f"ROC AUC (binned, log-odds bins of {LOG_ODDS_BIN:g})"
        if isinstance(value, tuple):
            parts.append(f"{label}: {value[0]:{spec}} ± {value[1]:{spec}}")
        else:
            parts.append(f"{label}: {value:{spec}}")
    return "; ".join(parts)
