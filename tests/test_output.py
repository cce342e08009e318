"""Output people read (issue 21, item 7): the markdown derivation renders on GitHub, small numbers
never print as 0, inference results carry the feature names, and verify's table fits in 100
columns."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.preprocessing import StandardScaler

from symlogit import LogisticRegression
from symlogit.cli import _print_table, cli
from symlogit.inference import Inference
from symlogit.report import coefficient_table, write_report
from symlogit.symbolic.families import NAMES, derive_family
from symlogit.symbolic.printing import latex, render


# ---- derive --format markdown -------------------------------------------------------------------

def _items(text):
    """(marker width, the item's lines up to the next item or the end) for each numbered item."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"\d+\. ", line)]
    return [(len(re.match(r"\d+\. ", lines[i]).group()), lines[i + 1:end])
            for i, end in zip(starts, starts[1:] + [len(lines)])]


@pytest.mark.parametrize("family", NAMES)
def test_markdown_list_items_keep_their_formulas(family):
    """Each formula is a ```math block indented to its item's content column (4 for items 10 and
    up, where 3 spaces ended the item on GitHub), and the output ends in exactly one newline."""
    out = CliRunner().invoke(cli, ["derive", family, "--format", "markdown"]).output
    assert out.endswith("\n") and not out.endswith("\n\n")
    items = _items(out)
    assert len(items) == len(derive_family(family).steps)
    for width, body in items:
        content = [line for line in body if line.strip()]
        assert content and all(line.startswith(" " * width) and not line.startswith(" " * (width + 1))
                               for line in content), body
        assert [line.strip() for line in content][0] == "```math" and content[-1].strip() == "```"
    assert "$" not in out  # no inline math for GitHub's markdown to mangle
    if family == "softmax":
        assert len(items) >= 10 and items[9][0] == 4


def test_markdown_names_and_subscripts_render():
    out = "".join(CliRunner().invoke(cli, ["derive", family, "--format", "markdown"]).output for family in NAMES)
    for broken in ("gradient_{weight}", "saturated_{loss}", r"\operatorname{scaled}_", r"\operatorname{expm}_",
                   "sum_k", "y_k", "u_i"):
        assert broken not in out, broken
    for rendered in (r"\mathrm{gradient\_weight}", r"\mathrm{lse}", r"\operatorname{scaled\_exp}",
                     r"\operatorname{expm1}", "Σ<sub>k</sub> y<sub>k</sub>", "x̂<sub>i</sub>ᵀβ", "σ<sup>2</sup>"):
        assert rendered in out, rendered
    # sympy's own rendering kept for Greek letters, modifiers and one-letter names
    import sympy as sp

    assert latex(sp.Symbol("delta_kl")) == r"\delta_{kl}" and latex(sp.Symbol("xhat")) == r"\hat{x}"
    assert latex(sp.Symbol("G_jk")) == "G_{jk}" and latex(sp.Symbol("u1")) == "u_{1}"


def test_markdown_heading_only_when_standalone(tmp_path):
    """derive prints a top-level heading; the fit report embeds the derivation under its own
    "## Derivation" with no second heading."""
    standalone = CliRunner().invoke(cli, ["derive", "logit", "--format", "markdown"]).output
    assert standalone.splitlines()[0] == "# Derivation: family logit"
    embedded = render(derive_family("logit"), "markdown")
    assert not any(line.startswith("#") for line in embedded.splitlines())
    history = {"iteration": np.arange(3), "loss": np.array([3.0, 2.0, 1.0]), "grad_max": np.array([1.0, 0.1, 0.01])}
    path = write_report(tmp_path / "report", summary_lines=["x"], history=history, inference=None,
                        inference_note=None, classes=None, derivation=embedded)
    headings = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert sum("Derivation" in line for line in headings) == 1 and "## Derivation" in headings


# ---- small numbers ------------------------------------------------------------------------------

def _cells(table, term):
    row = next(line for line in table.splitlines() if line.startswith(f"| {term} |"))
    return [cell.strip() for cell in row.strip("|").split("|")][1:]


def test_report_table_prints_tiny_numbers_in_scientific_notation():
    """A coefficient of 3e-8 with a standard error of 2e-6 (z = 0.015) and one of 1e-7 with 10
    (z = 1e-8): no nonzero prints as 0, 0.000 or -0.000."""
    params = np.array([0.5, 3e-8, 1e-7])
    result = Inference(params, np.diag([0.01, 4e-12, 100.0]), -1.0, -2.0, 10, ["const", "tiny", "flat"], None,
                       False, True)
    table = coefficient_table(result, result.names, None)
    for term in ("tiny", "flat"):
        cells = _cells(table, term)
        assert len(cells) == 6
        for cell in cells:
            assert float(cell) != 0, (term, cell)
    assert _cells(table, "tiny")[1] == "2e-06" and "e-" in _cells(table, "flat")[2]
    assert "e-" in result.summary().splitlines()[-3]  # summary(): the tiny coefficient's row


def test_summary_prints_a_vanishing_p_value_in_scientific_notation():
    """z = 20 has p = 5.5e-89: the console table prints it as such, not as 0.000, while p = 0.005
    keeps statsmodels' fixed-point 0.005."""
    result = Inference(np.array([20.0, 2.81]), np.eye(2), -1.0, -2.0, 10, ["big", "small"], None, False, True)
    rows = {line.split()[0]: line.split() for line in result.summary().splitlines() if line.startswith(("big", "small"))}
    assert float(rows["big"][4]) == pytest.approx(5.5e-89, rel=0.01) and "e-89" in rows["big"][4]
    assert rows["small"][4] == "0.005"


# ---- feature names ------------------------------------------------------------------------------

def _binary():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X[:, [0, 1, 4, 8]])
    return pd.DataFrame(X, columns=["radius", "texture", "smoothness", "symmetry"]), y


def _multinomial():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X[:, [0, 1, 2]])
    return pd.DataFrame(X, columns=["alcohol", "malic_acid", "ash"]), np.array(["barolo", "grignolino", "barbera"])[y]


def test_scalar_inference_on_a_dataframe_is_labelled_like_statsmodels():
    frame, y = _binary()
    ours = LogisticRegression(penalty=None, tol=1e-10).fit(frame, y).inference()
    plain = LogisticRegression(penalty=None, tol=1e-10).fit(frame.to_numpy(), y).inference()
    theirs = sm.Logit(y, sm.add_constant(frame)).fit(disp=0, method="newton", tol=1e-12)
    names = ["const", *frame.columns]
    for attribute in ("params", "bse", "z", "pvalues"):
        labelled, array = getattr(ours, attribute), getattr(plain, attribute)
        assert isinstance(labelled, pd.Series) and list(labelled.index) == names, attribute
        assert isinstance(array, np.ndarray)
        np.testing.assert_allclose(labelled.to_numpy(), array, rtol=1e-12)
        expected = getattr(theirs, "tvalues" if attribute == "z" else attribute)
        assert list(expected.index) == names
    ci = ours.conf_int()
    assert isinstance(ci, pd.DataFrame) and list(ci.index) == names
    assert list(ci.columns) == list(theirs.conf_int().columns) == [0, 1]
    np.testing.assert_allclose(ci.to_numpy(), plain.conf_int(), rtol=1e-12)
    np.testing.assert_allclose(ci.to_numpy(), theirs.conf_int().to_numpy(), rtol=1e-5)
    assert isinstance(plain.conf_int(), np.ndarray) and plain.conf_int().shape == (5, 2)
    assert "smoothness" in ours.summary() and "x3" in plain.summary()
    for result in (ours, plain):  # the report table works for both
        table = coefficient_table(result, result.names, None)
        assert len(table.splitlines()) == 2 + len(names)


def test_multinomial_inference_on_a_dataframe_is_labelled_like_mnlogit():
    frame, y = _multinomial()
    model = LogisticRegression(penalty=None, tol=1e-10).fit(frame, y)
    ours = model.inference()
    plain = LogisticRegression(penalty=None, tol=1e-10).fit(frame.to_numpy(), y).inference()
    names, classes = ["const", *frame.columns], list(model.classes_[1:])
    for attribute in ("params", "bse", "z", "pvalues"):
        labelled = getattr(ours, attribute)
        assert isinstance(labelled, pd.DataFrame), attribute
        assert list(labelled.index) == names and list(labelled.columns) == classes
        np.testing.assert_allclose(labelled.to_numpy(), getattr(plain, attribute), rtol=1e-12)
        assert isinstance(getattr(plain, attribute), np.ndarray)
    ci = ours.conf_int()
    codes = np.searchsorted(model.classes_, y)
    theirs = sm.MNLogit(codes, sm.add_constant(frame)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    reference = theirs.conf_int()  # rows (class, term), columns lower and upper
    assert list(ci.columns) == list(reference.columns) == ["lower", "upper"]
    assert list(ci.index.get_level_values(1)) == list(reference.index.get_level_values(1))
    assert list(ci.index) == [(c, name) for c in classes for name in names]
    np.testing.assert_allclose(ci.to_numpy(), reference.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(ci.loc[classes[1]].to_numpy(), plain.conf_int()[:, 1, :], rtol=1e-12)
    assert plain.conf_int().shape == (4, 2, 2)
    text = ours.summary()
    assert "malic_acid" in text and f"y={classes[0]} (vs {model.classes_[0]})" in text
    table = coefficient_table(ours, ours.names, model.classes_)
    assert table.count("| malic_acid |") == 2


# ---- verify's table -----------------------------------------------------------------------------

def test_verify_table_fits_in_100_columns(full_verify, capsys):
    from symlogit.symbolic.verifier import Result

    data = json.loads(full_verify.stdout)
    claims = [Result(**row) for row in data["claims"]]
    controls = [Result(**row) for row in data["controls"]]
    _print_table(claims, controls, True)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    words = " ".join(out.split())
    for r in claims + controls:  # nothing lost in the wrapping
        for text in (r.statement, r.symbolic, r.numeric):
            assert " ".join(text.split()) in words, text


def test_verify_table_through_the_cli():
    result = CliRunner().invoke(cli, ["verify", "--only", "F4,F5,B4,W1"])
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 100 for line in result.output.splitlines())
    assert re.search(r"^  F4 +proven +\d+\.\d\ds  exp\(x\)", result.output, re.M)


# ---- ROC and reliability from histograms (the Dask report) -------------------------------------

def test_binned_auc_is_within_its_bound_and_histograms_of_blocks_add_up():
    """The AUC of log-odds rounded to bins is within its stated bound of scikit-learn's on the
    rows, for every one-vs-rest class of a weighted 3-class sample; blocks' histograms add up to
    the whole's; the curves end at (1, 1) and have one reliability point per non-empty group."""
    from sklearn.metrics import roc_auc_score

    from symlogit import evaluation

    rng = np.random.default_rng(3)
    U = rng.normal(size=(3000, 3)) * 3
    P = np.exp(U) / np.exp(U).sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.uniform(size=(3000, 1))).argmax(axis=1)
    w = rng.uniform(0.2, 3.0, 3000)
    whole = evaluation.log_odds_histogram(np.log(P), y, w, range(3))
    halves = sum(evaluation.log_odds_histogram(np.log(P[part]), y[part], w[part], range(3))
                 for part in (slice(0, 1700), slice(1700, None)))
    np.testing.assert_allclose(halves, whole, rtol=1e-12, atol=1e-12)
    for k, (positives, negatives, _) in enumerate(whole):
        auc, bound = evaluation.binned_auc(positives, negatives)
        assert 0 < bound < 1e-3
        assert abs(auc - roc_auc_score(y == k, P[:, k], sample_weight=w)) <= bound
    curves = evaluation.curves_from_histograms(whole, np.array(["a", "b", "c"]))
    assert [c.label for c in curves] == ["class a", "class b", "class c"]
    for curve in curves:
        assert curve.fpr[-1] == pytest.approx(1) and curve.tpr[-1] == pytest.approx(1)
        assert len(curve.predicted) == evaluation.RELIABILITY_BINS
        assert np.all(np.diff(curve.predicted) > 0)


@pytest.mark.parametrize("n_lines", [25, 60])
def test_the_path_plot_draws_every_coefficient_in_its_own_colour_and_style(tmp_path, monkeypatch, n_lines):
    """More lines than matplotlib's 10 default colours: no two lines share colour and style."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    from symlogit import report

    shown = []
    monkeypatch.setattr(plt, "close", shown.append)
    strengths = np.logspace(-2, 1, 5)
    path = SimpleNamespace(strengths=strengths, coefs=np.outer(strengths, np.arange(1, n_lines + 1))[:, None, :])
    report.path_plot(path, 1.0, [f"x{i}" for i in range(n_lines)], [0, 1], tmp_path / "path.png")
    lines = shown[0].axes[0].get_lines()[:n_lines]  # the coefficients' lines, drawn before the chosen C's
    assert all(np.array_equal(line.get_xdata(), strengths) for line in lines)
    drawn = {(tuple(np.round(plt.matplotlib.colors.to_rgba(line.get_color()), 6)), line.get_linestyle())
             for line in lines}
    assert len(drawn) == n_lines
