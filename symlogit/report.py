"""The fit report: what was run (version, date, command, data and its SHA-256), the figures, a
convergence plot, for classifiers a ROC curve and a reliability (calibration) diagram of held-out
(or else training) predictions, the coefficient table with confidence intervals, and the
derivation, gathered in report.md (plots as PNG, matplotlib).

The report is built in a temporary directory beside DIR and moved into place file by file
(each an atomic rename), so a failure leaves no partial report and an older report intact.
"""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .inference import INTERCEPT_NAME

PLOT = "convergence.png"
EVALUATION_PLOT = "roc_calibration.png"
PATH_PLOT = "path.png"
CV_PLOT = "cv_curve.png"
#: Coefficients named in the path plot's legend, at most (the largest at the weakest penalty).
LEGEND_LINES = 12
REPORT = "report.md"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def convergence_plot(history, path, title, tol=None):
    """Objective gap f_k - min f and max|∇f| against iteration, both on log scales; the
    tolerance as a dashed line on the gradient."""
    plt = _pyplot()

    loss, grad = history["loss"], history["grad_max"]
    gap = loss - loss.min()
    floor = np.finfo(float).eps * max(abs(loss.min()), 1.0)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.semilogy(history["iteration"], np.maximum(gap, floor), marker="o")
    left.set(xlabel="iteration", ylabel="objective gap  f_k - min f", title="objective gap")
    right.semilogy(history["iteration"], np.maximum(grad, np.finfo(float).tiny), marker="o", color="C1")
    right.set(xlabel="iteration", ylabel="max |gradient|", title="max |gradient|")
    if tol is not None:
        right.axhline(tol, color="k", linestyle="--", linewidth=1, label=f"tol = {tol:g}")
        right.legend()
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def roc_calibration_plot(curves, path, what):
    """ROC curves (left) and reliability diagrams (right: mean predicted probability against the
    observed frequency) of ``evaluation.Curve``s; ``what`` names the rows in the title."""
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    for curve in curves:
        left.plot(curve.fpr, curve.tpr, label=f"{curve.label}, AUC {curve.auc:.3f}")
        right.plot(curve.predicted, curve.observed, marker="o", label=curve.label)
    left.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    left.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    right.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="perfectly calibrated")
    right.set(xlabel="mean predicted probability", ylabel="observed frequency", title="reliability diagram")
    for axis in (left, right):
        axis.legend(fontsize="small")
        axis.grid(True, alpha=0.3)
    figure.suptitle(f"{what}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _line_styles(n):
    """n distinct (colour, line style) pairs, one per line of a plot: matplotlib's ten tab10
    colours with a solid, dashed, dotted and dash-dot line each (40 lines); beyond that n
    distinct colours of the turbo colormap, the styles still cycling."""
    import matplotlib

    styles = ["-", "--", ":", "-."]
    if n <= 10 * len(styles):
        colors = matplotlib.colormaps["tab10"].colors
        return [(colors[i % 10], styles[i // 10]) for i in range(n)]
    turbo = matplotlib.colormaps["turbo"]
    return [(tuple(turbo(i / (n - 1))), styles[i % len(styles)]) for i in range(n)]


def path_plot(path, chosen, names, classes, file):
    """Each coefficient against C (log scale) along a fitted ``path.Path`` (all rows), the chosen
    C as a vertical line; a multinomial fit draws a line per (class, feature). The legend names
    the LEGEND_LINES coefficients largest in size at the weakest penalty."""
    plt = _pyplot()
    coefs = path.coefs.reshape(len(path.strengths), -1, path.coefs.shape[-1])  # (n, rows of coef_, d)
    labels = [f"{name}" if coefs.shape[1] == 1 else f"{name} [{classes[k]}]"
              for k in range(coefs.shape[1]) for name in names]
    lines = coefs.reshape(len(path.strengths), -1)
    named = set(np.argsort(-np.abs(lines[-1]))[:LEGEND_LINES].tolist())
    figure, axis = plt.subplots(figsize=(8, 5))
    for i, (color, style) in enumerate(_line_styles(lines.shape[1])):
        axis.plot(path.strengths, lines[:, i], label=labels[i] if i in named else None, linewidth=1, color=color,
                  linestyle=style)
    axis.axvline(chosen, color="k", linestyle="--", linewidth=1, label=f"chosen C = {chosen:.4g}")
    axis.set_xscale("log")
    axis.set(xlabel="C (inverse penalty strength)", ylabel="coefficient",
             title="regularisation path (all rows, warm-started)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize="small", loc="upper left")
    figure.tight_layout()
    figure.savefig(file, dpi=100)
    plt.close(figure)


def cv_curve_plot(selection, file, what="held-out log-loss"):
    """The mean held-out score ± one sd over the folds against C (log scale), the chosen C
    marked."""
    plt = _pyplot()
    grid, mean, sd = (np.asarray(v, dtype=np.float64) for v in (selection.grid, selection.mean, selection.sd))
    figure, axis = plt.subplots(figsize=(8, 5))
    axis.plot(grid, mean, marker="o", label=f"mean {what}")
    axis.fill_between(grid, mean - sd, mean + sd, alpha=0.25, label="± 1 sd over the folds")
    axis.axvline(selection.chosen, color="k", linestyle="--", linewidth=1, label=f"chosen C = {selection.chosen:.4g}")
    axis.set_xscale("log")
    axis.set(xlabel="C (inverse penalty strength)", ylabel=what, title="cross-validation curve")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(file, dpi=100)
    plt.close(figure)


def coefficient_table(result, names, classes):
    """Markdown table of coefficients, standard errors, z, p and intervals (at the inference's
    alpha). Every number in significant digits or scientific notation, never a nonzero rounded to 0 (a standard error of
    5.6e-06 is not 0.000)."""
    from .inference import interval_heads

    params, bse, zs, pvalues, ci = result.arrays()  # numpy, also for a model fitted on a DataFrame
    heads = interval_heads(getattr(result, "alpha", 0.05))
    lines = []
    blocks = [(None, slice(None))] if params.ndim == 1 else [
        (f"class {classes[k + 1]} against reference class {classes[0]}", (slice(None), k))
        for k in range(params.shape[1])]
    for title, index in blocks:
        if title:
            lines += ["", f"**{title}**", ""]
        lines += ["| term | coef | std err | z | P>\\|z\\| | {} | {} |".format(*heads),
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for name, b, s, z, p, (lo, hi) in zip(names, params[index], bse[index], zs[index], pvalues[index], ci[index]):
            z = f"{z:.2e}" if z != 0 and abs(z) < 5e-4 else f"{z:.3f}"  # not 0.000 for a nonzero
            lines.append(f"| {name} | {b:.6g} | {s:.4g} | {z} | {p:.3g} | {lo:.4g} | {hi:.4g} |")
    return "\n".join(lines)


def nonzero_coefficients(coef, intercept, names, classes=None):
    """(rows, zeros, total) of a sparse (L1 or elastic-net) fit, for a listing without standard
    errors: rows (term, value) of the intercept(s) (None: no intercept) and the nonzero
    coefficients, in the model's order; zeros, how many of the ``total`` coefficients
    (intercepts aside) are exactly 0. coef: (p,), (1, p) or (K, p) (a row per class of
    ``classes``, each term then named ``name [class c]``)."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = None if intercept is None else np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    per_class = coef.shape[0] > 1
    rows = []
    for k in range(coef.shape[0]):
        tag = f" [class {classes[k]}]" if per_class else ""
        if intercept is not None:
            rows.append((f"{INTERCEPT_NAME}{tag}", float(intercept[k])))
        rows += [(f"{name}{tag}", float(b)) for name, b in zip(names, coef[k]) if b != 0]
    return rows, int((coef == 0).sum()), int(coef.size)


def nonzero_coefficient_lines(coef, intercept, names, classes=None, markdown=False):
    """``nonzero_coefficients`` as text lines (a markdown table with ``markdown``): a line counting
    the zeros, then term and value of each row."""
    rows, zeros, total = nonzero_coefficients(coef, intercept, names, classes)
    head = f"{total - zeros} nonzero of {total} coefficients ({zeros} exactly 0, not listed); no standard errors:"
    if markdown:
        return [head, "", "| term | coef |", "|---|---:|", *[f"| {term} | {b:.6g} |" for term, b in rows]]
    width = max((len(term) for term, _ in rows), default=4)
    return [head, *[f"  {term:<{width}}  {b: .6g}" for term, b in rows]]


def write_report(directory, *, summary_lines, history, inference, inference_note, classes, derivation,
                 provenance=(), title="symlogit fit: convergence", tol=None, evaluation=None, selection=None,
                 feature_names=None, sparse=None):
    """Write report.md and its plots into directory (created if needed). provenance: lines saying
    what was run; evaluation: (``evaluation.Curve``s, what rows they are of) for the ROC and
    reliability plot of a classifier; selection: how cross-validation chose C (``cli.Selection``:
    grid, mean and sd of the held-out log-loss, the chosen C, the path on all rows) for the path
    plot and the CV curve, the coefficients named by feature_names; inference None (no finite
    estimate) leaves out the coefficient table, inference_note says why; sparse: (coef, intercept or
    None) of an L1 or elastic-net fit, whose nonzero coefficients are listed there instead
    (``nonzero_coefficient_lines``, named by feature_names)."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        convergence_plot(history, staging / PLOT, title, tol)
        written = [PLOT, REPORT]
        text = ["# symlogit fit report", ""]
        if provenance:
            text += ["## What was run", "", *[f"- {line}" for line in provenance], ""]
        text += ["## Result", "", *[f"- {line}" for line in summary_lines], "",
                 "## Convergence", "", f"![objective gap and max|gradient| per iteration]({PLOT})", ""]
        if evaluation is not None:
            curves, what = evaluation
            roc_calibration_plot(curves, staging / EVALUATION_PLOT, what)
            written.append(EVALUATION_PLOT)
            text += ["## ROC curve and calibration", "", f"![ROC curve and reliability diagram, {what}]"
                     f"({EVALUATION_PLOT})", ""]
        if selection is not None:
            written += [PATH_PLOT, CV_PLOT]
            path_plot(selection.path, selection.chosen, feature_names, classes, staging / PATH_PLOT)
            cv_curve_plot(selection, staging / CV_PLOT)
            text += ["## Choice of C", "", f"C = {selection.chosen:.6g}, of the {len(selection.grid)} values from "
                     f"{min(selection.grid):.4g} to {max(selection.grid):.4g}, has the best mean held-out log-loss "
                     "over the folds.", "", f"![mean held-out log-loss ± sd against C]({CV_PLOT})", "",
                     f"![coefficients against C, fitted on all rows]({PATH_PLOT})", ""]
        text += ["## Coefficients", ""]
        if inference_note:
            text += [f"> {inference_note}", ""]
        if inference is None and sparse is not None:
            text += [*nonzero_coefficient_lines(*sparse, feature_names, classes, markdown=True), ""]
        if inference is not None:
            clusters = f", {' x '.join(map(str, inference.n_clusters))} clusters" if inference.n_clusters else ""
            text += [f"Standard errors from the {inference.cov_label} covariance ({inference.information} "
                     f"information{clusters}).", "", coefficient_table(inference, inference.names, classes), ""]
        text += ["## Derivation", "", derivation]
        (staging / REPORT).write_text("\n".join(text) + "\n", encoding="utf-8")
        directory.mkdir(exist_ok=True)
        for name in written:
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory / REPORT
