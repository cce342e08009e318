"""How a fitted model does on data: the figures the command line prints for the training rows
and for rows the model has not seen (a held-out split or cross-validation folds).

Classifiers: mean log-loss, accuracy, ROC AUC (binary; one-vs-rest macro average for K > 2, as
scikit-learn's ``roc_auc_score(multi_class="ovr")``) and the Brier score (scikit-learn's
``brier_score_loss``: mean (p - y)² for two classes, mean Σ_k (p_k - [y = k])² for more).
Regressors (Poisson): mean deviance 2 Σ w (y log(y/μ) - y + μ) / Σ w and D² = 1 - D(μ) / D(ȳ)
(scikit-learn's ``mean_poisson_deviance`` and ``d2_tweedie_score(power=1)``). Every figure is
weighted by the sample weights when there are some. Soft targets (probabilities) get the log-loss
only: accuracy, AUC and the Brier score need labels.

Rows are split as scikit-learn does it: ``train_test_split`` (stratified by class for
classifiers) and ``StratifiedKFold`` / ``KFold``, shuffled with the given seed.
"""

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


def _defined(metric, *args, **kwargs):
    """metric(...) as a float, or NaN where scikit-learn finds it undefined on these rows."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(metric(*args, **kwargs))
        except ValueError:
            return float("nan")


def held_out_split(y, test_size, seed, stratify):
    """(train, test) row indices: ``test_size`` (0 < f < 1) of the rows held out, by class when
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


def format_figures(figures):
    """'log-loss: 0.071234; accuracy: 0.9737; ...' (a value may be (mean, sd): '0.0712 ± 0.0110')."""
    parts = []
    for key, value in figures.items():
        label, spec = LABELS[key]
        if isinstance(value, tuple):
            parts.append(f"{label}: {value[0]:{spec}} ± {value[1]:{spec}}")
        else:
            parts.append(f"{label}: {value:{spec}}")
    return "; ".join(parts)
