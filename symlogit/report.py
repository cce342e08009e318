"""The fit report: a convergence plot (PNG, matplotlib), the coefficient table with
confidence intervals, and the derivation, gathered in report.md.

The report is built in a temporary directory beside DIR and moved into place file by file
(each an atomic rename), so a failure leaves no partial report and an older report intact.
"""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

PLOT = "convergence.png"
REPORT = "report.md"


def convergence_plot(history, path, title):
    """Objective gap f_k - min f and max|∇f| against iteration, both on log scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loss, grad = history["loss"], history["grad_max"]
    gap = loss - loss.min()
    floor = np.finfo(float).eps * max(abs(loss.min()), 1.0)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.semilogy(history["iteration"], np.maximum(gap, floor), marker="o")
    left.set(xlabel="iteration", ylabel="objective gap  f_k - min f", title="objective gap")
    right.semilogy(history["iteration"], np.maximum(grad, np.finfo(float).tiny), marker="o", color="C1")
    right.set(xlabel="iteration", ylabel="max |gradient|", title="max |gradient|")
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def coefficient_table(result, names, classes):
    """Markdown table of coefficients, standard errors, z, p and 95% intervals."""
    ci = result.conf_int()
    lines = []
    blocks = [(None, slice(None))] if result.params.ndim == 1 else [
        (f"class {classes[k + 1]} against reference class {classes[0]}", (slice(None), k))
        for k in range(result.params.shape[1])]
    for title, index in blocks:
        if title:
            lines += ["", f"**{title}**", ""]
        lines += ["| term | coef | std err | z | P>\\|z\\| | [0.025 | 0.975] |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, b, s, z, p, (lo, hi) in zip(names, result.params[index], result.bse[index], result.z[index],
                                              result.pvalues[index], ci[index]):
            lines.append(f"| {name} | {b:.6g} | {s:.4g} | {z:.3f} | {p:.3g} | {lo:.4g} | {hi:.4g} |")
    return "\n".join(lines)


def write_report(directory, *, summary_lines, history, inference, inference_note, classes, derivation):
    """Write convergence.png and report.md into directory (created if needed); inference None (no
    finite estimate) leaves out the coefficient table, inference_note says why."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        convergence_plot(history, staging / PLOT, "symlogit fit: convergence")
        text = ["# symlogit fit report", "", *[f"- {line}" for line in summary_lines], "",
                "## Convergence", "", f"![objective gap and max|gradient| per iteration]({PLOT})", "",
                "## Coefficients", ""]
        if inference_note:
            text += [f"> {inference_note}", ""]
        if inference is not None:
            text += [coefficient_table(inference, inference.names, classes), ""]
        text += ["## Derivation", "", derivation]
        (staging / REPORT).write_text("\n".join(text) + "\n", encoding="utf-8")
        directory.mkdir(exist_ok=True)
        for name in (PLOT, REPORT):
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory / REPORT
