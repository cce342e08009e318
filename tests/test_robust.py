"""Robust and clustered covariances, average marginal effects and tests of hypotheses (issue 20):
parity with statsmodels (HC0, one- and two-way clusters, marginal effects, Wald and LR tests),
HC1-HC3 against numpy computations from their definitions, frequency weights as repeated rows,
and bad input."""

import re
import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression
from symlogit.family import get_family
from symlogit.inference import InferenceWarning
from symlogit.sandwich import hat_values, meat

COV_RTOL = 1e-6


def _spector():
    d = sm.datasets.spector.load_pandas().data
    X, y = d[["GPA", "TUCE", "PSI"]].to_numpy(float), d["GRADE"].to_numpy(float)
    return X, y, np.arange(len(y)) % 7, np.arange(len(y)) % 5


def _anes96(target="vote"):
    d = sm.datasets.anes96.load_pandas().data
    if target == "vote":
        X = d[["logpopul", "TVnews", "selfLR", "ClinLR", "DoleLR", "age", "educ", "income"]].to_numpy(float)
        y = d["vote"].to_numpy(float)
    else:  # party identification 0-6 in three classes
        X = d[["logpopul", "selfLR", "age", "educ", "income"]].to_numpy(float)
        y = d["PID"].to_numpy().astype(int) // 3
    return X, y, d["educ"].to_numpy(int), d["income"].to_numpy(int)


def _cpunish():
    d = sm.datasets.cpunish.load_pandas().data
    X = d[["INCOME", "PERPOVERTY", "PERBLACK", "VC100k96", "SOUTH", "DEGREE"]].to_numpy(float)
    X[:, 0] = np.log(X[:, 0])
    return X, d["EXECUTIONS"].to_numpy(float), np.arange(len(X)) % 4, np.arange(len(X)) % 3


def _randhie():
    """Counts with a known exposure (its log the offset), as tests/test_families.py."""
    d = sm.datasets.randhie.load_pandas().data
    X = d[["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]].to_numpy(float)
    return X, d["mdvis"].to_numpy(float), np.log(1.0 + (np.arange(len(d)) % 4) / 2), np.arange(len(d)) % 50


def _cloglog():
    return sm.families.Binomial(link=sm.families.links.CLogLog())


# (name, data, our model, statsmodels' fit given cov_type keywords)
CASES = {
    "logit-spector": (_spector, lambda: LogisticRegression(penalty=None, tol=1e-10),
                      lambda X, y, **kw: sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, **kw)),
    "logit-anes96": (_anes96, lambda: LogisticRegression(penalty=None, tol=1e-10),
                     lambda X, y, **kw: sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, **kw)),
    "probit-spector": (_spector, lambda: GLMClassifier(family="probit", penalty=None, tol=1e-10, solver="newton"),
                       lambda X, y, **kw: sm.Probit(y, X).fit(disp=0, tol=1e-12, **kw)),
    "probit-anes96": (_anes96, lambda: GLMClassifier(family="probit", penalty=None, tol=1e-10, solver="newton"),
                      lambda X, y, **kw: sm.Probit(y, X).fit(disp=0, tol=1e-12, **kw)),
    "cloglog-anes96": (_anes96, lambda: GLMClassifier(family="cloglog", penalty=None, tol=1e-10, solver="newton"),
                       lambda X, y, **kw: sm.GLM(y, X, family=_cloglog()).fit(method="newton", tol=1e-12, maxiter=200,
                                                                               **kw)),
    "poisson-cpunish": (_cpunish, lambda: GLMRegressor(alpha=0, tol=1e-10, solver="newton"),
                        lambda X, y, **kw: sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12, **kw)),
    "mnlogit-anes96": (lambda: _anes96("PID"), lambda: LogisticRegression(penalty=None, tol=1e-10),
                       lambda X, y, **kw: sm.MNLogit(y, X).fit(disp=0, method="newton", tol=1e-12, **kw)),
}


def _fitted(case):
    data, ours, theirs = CASES[case]
    X, y, g1, g2 = data()
    return X, y, g1, g2, ours().fit(X, y), lambda **kw: theirs(sm.add_constant(X), y, **kw)


def _assert_cov(ours, theirs):
    theirs = np.asarray(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=COV_RTOL, atol=COV_RTOL * np.abs(theirs).max())


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("way", ["HC0", "one-way", "two-way"])
def test_hc0_and_clusters_match_statsmodels(case, way):
    """HC0, and one- and two-way clusters with G/(G - 1) (N - 1)/(N - P), equal statsmodels'
    (cov_type="HC0" / "cluster") to 1e-6 relative, for every family."""
    X, y, g1, g2, model, theirs = _fitted(case)
    groups = {"HC0": None, "one-way": g1, "two-way": np.c_[g1, g2]}[way]
    cov_type = "HC0" if groups is None else "cluster"
    reference = theirs(cov_type=cov_type, **({} if groups is None else {"cov_kwds": {"groups": groups}}))
    if np.isnan(np.asarray(reference.bse)).any():  # two-way on 17 rows: negative variances
        with pytest.warns(InferenceWarning, match="negative variances for x3, x6"):
            ours = model.inference(cov_type=cov_type, groups=groups)
    else:
        ours = model.inference(cov_type=cov_type, groups=groups)
    _assert_cov(ours.cov, reference.cov_params())
    np.testing.assert_allclose(ours.bse, reference.bse, rtol=COV_RTOL)  # NaN where a variance is negative
    assert ours.bse.ravel() @ ours.bse.ravel() != pytest.approx(model.inference().bse.ravel() @ model.inference().bse.ravel())


LINKS = {"logit": sm.families.links.Logit, "probit": sm.families.links.Probit, "cloglog": sm.families.links.CLogLog}


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_poisson_with_an_offset_matches_statsmodels(cov_type):
    X, y, offset, groups = _randhie()
    model = GLMRegressor(alpha=0, tol=1e-10, solver="newton").fit(X, y, offset=offset)
    keywords = {"cov_kwds": {"groups": groups}} if cov_type == "cluster" else {}
    reference = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(), offset=offset).fit(
        tol=1e-12, cov_type=cov_type, **keywords)
    ours = model.inference(cov_type=cov_type, groups=groups if cov_type == "cluster" else None)
    _assert_cov(ours.cov, reference.cov_params())


def _reference_hc(X, y, theta, family, cov_type, observed=True):
    """HC1-HC3 from their definitions with the whole N x N hat matrix (small N only), the per-row
    score and curvature from statsmodels' GLM (score_factor, hessian_factor: observed or expected)."""
    Xh = sm.add_constant(X)
    glm = sm.GLM(y, Xh, family=sm.families.Poisson() if family == "poisson" else
                 sm.families.Binomial(link=LINKS[family]()))
    slope, curvature = glm.score_factor(theta), glm.hessian_factor(theta, observed=observed)
    bread = np.linalg.inv(Xh.T @ (Xh * curvature[:, None]))
    root = np.sqrt(curvature)[:, None]
    leverage = np.diag((root * Xh) @ bread @ (root * Xh).T)
    power = {"HC1": 0.0, "HC2": 0.5, "HC3": 1.0}[cov_type]
    S = Xh * (slope / (1 - leverage) ** power)[:, None]
    cov = bread @ (S.T @ S) @ bread
    n, p = Xh.shape
    return cov * n / (n - p) if cov_type == "HC1" else cov


@pytest.mark.parametrize("family", ["logit", "probit", "cloglog"])
@pytest.mark.parametrize("cov_type", ["HC1", "HC2", "HC3"])
def test_hc1_to_hc3_match_their_definitions(family, cov_type):
    X, y, _, _ = _spector()
    model = GLMClassifier(family=family, penalty=None, tol=1e-12, solver="newton").fit(X, y)
    theta = np.r_[model.intercept_, model.coef_.ravel()]
    ours = model.inference(cov_type=cov_type)
    np.testing.assert_allclose(ours.cov, _reference_hc(X, y, theta, family, cov_type), rtol=1e-8)
    # they differ from HC0, and HC3 > HC2 > HC0 on the diagonal (leverages in (0, 1))
    hc0 = np.diag(model.inference(cov_type="HC0").cov)
    if cov_type != "HC1":
        assert np.all(np.diag(ours.cov) > hc0)
    if cov_type == "HC3":
        assert np.all(np.diag(ours.cov) > np.diag(model.inference(cov_type="HC2").cov))


@pytest.mark.parametrize("cov_type", ["HC1", "HC2", "HC3"])
def test_poisson_hc1_to_hc3_match_their_definitions(cov_type):
    X, y, _, _ = _cpunish()
    model = GLMRegressor(alpha=0, tol=1e-12, solver="newton").fit(X, y)
    theta = np.r_[model.intercept_, model.coef_]
    np.testing.assert_allclose(model.inference(cov_type=cov_type).cov,
                               _reference_hc(X, y, theta, "poisson", cov_type), rtol=1e-8)


@pytest.mark.parametrize("cov_type", ["HC0", "HC3"])
def test_expected_information_gives_the_bread_and_hat_values(cov_type):
    """information="expected": bread (X̂ᵀ diag(E[h'']) X̂)⁻¹ and hat values from E[h''] (R's glm),
    different from the observed ones off the canonical link (cloglog)."""
    X, y, _, _ = _spector()
    model = GLMClassifier(family="cloglog", penalty=None, tol=1e-12, solver="newton").fit(X, y)
    theta = np.r_[model.intercept_, model.coef_.ravel()]
    ours = model.inference(information="expected", cov_type=cov_type)
    reference = _reference_hc(X, y, theta, "cloglog", "HC1" if cov_type == "HC0" else cov_type, observed=False)
    if cov_type == "HC0":
        reference *= (len(y) - 4) / len(y)
    np.testing.assert_allclose(ours.cov, reference, rtol=1e-8)
    assert np.max(np.abs(ours.bse / model.inference(cov_type=cov_type).bse - 1)) > 1e-3


def test_hat_values_sum_to_the_number_of_parameters_for_either_information():
    """Σ w h_ii = trace of the hat matrix = P, with the hat values of the bread's information
    (observed or expected: they differ for cloglog), and for softmax with the block leverages."""
    X, y, _, _ = _anes96()
    w = 1.0 + np.arange(len(y)) % 3
    model = GLMClassifier(family="cloglog", penalty=None, tol=1e-10).fit(X, y, sample_weight=w)
    family, theta = get_family("cloglog"), np.r_[model.intercept_, model.coef_.ravel()]
    values = {}
    for information in ("observed", "expected"):
        bread = model.inference(information=information).cov
        values[information] = hat_values(family, X, y, theta, True, None, information == "expected", bread)
        assert w @ values[information] == pytest.approx(X.shape[1] + 1, rel=1e-10)
        assert np.all((values[information] > 0) & (values[information] < 1))
    assert np.max(np.abs(values["observed"] / values["expected"] - 1)) > 1e-3
    Xk, yk, _, _ = _anes96("PID")
    multinomial = LogisticRegression(penalty=None, tol=1e-10).fit(Xk, yk)
    B = multinomial._internal_coef()
    blocks = hat_values(get_family("softmax"), Xk, yk, B - B[:, [0]], True, None, False, multinomial.inference().cov)
    assert blocks.shape == (len(yk), 2, 2)
    assert np.trace(blocks, axis1=1, axis2=2).sum() == pytest.approx(2 * (Xk.shape[1] + 1), rel=1e-10)


@pytest.mark.parametrize("cov_type", ["HC0", "HC2", "HC3"])
def test_softmax_with_two_classes_gives_the_binary_logit_sandwich(cov_type):
    """The multinomial block leverages reduce to the GLM hat values for K = 2: the softmax meat
    in the reference parameterisation equals the binary logit's."""
    X, y, _, _ = _spector()
    X = np.ascontiguousarray(X)
    model = LogisticRegression(penalty=None, tol=1e-12).fit(X, y)
    theta = np.r_[model.intercept_, model.coef_.ravel()]
    bread = model.inference().cov
    binary = meat(get_family("logit"), X, y, theta, np.ones(len(y)), True, None, cov_type, bread)
    onehot = np.c_[1 - y, y]
    vector = meat(get_family("softmax"), X, onehot, np.c_[np.zeros_like(theta), theta], np.ones(len(y)), True, None,
                  cov_type, bread)
    np.testing.assert_allclose(vector, binary, rtol=1e-10)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_multinomial_hc2_hc3_match_a_row_by_row_block_computation(cov_type):
    """HC2/HC3 for softmax from their definitions, row by row: r̃_i = (I - W_i Q_i)^(-1/2 or -1) r_i
    (scipy's principal fractional power) with Q_i = (I ⊗ x̂_i)ᵀ C (I ⊗ x̂_i), by Kronecker products."""
    import scipy.linalg

    Xk, yk, _, _ = _anes96("PID")
    Xk, yk = Xk[:300], yk[:300]
    model = LogisticRegression(penalty=None, tol=1e-12).fit(Xk, yk)
    C = model.inference().cov
    P = model.predict_proba(Xk)
    Xh = sm.add_constant(Xk)
    M = np.zeros_like(C)
    for i in range(len(yk)):
        p = P[i, 1:]
        W = np.diag(p) - np.outer(p, p)
        E = np.kron(np.eye(2), Xh[i][:, None])  # (2p, 2): the row's design in the reference layout
        r = p - (yk[i] == np.arange(1, 3))
        power = scipy.linalg.fractional_matrix_power(np.eye(2) - W @ E.T @ C @ E, -0.5 if cov_type == "HC2" else -1)
        s = E @ np.real(power) @ r
        M += np.outer(s, s)
    np.testing.assert_allclose(model.inference(cov_type=cov_type).cov, C @ M @ C, rtol=1e-8)


@pytest.mark.parametrize("cov_type,clustered", [("HC1", False), ("HC3", False), ("cluster", True)])
def test_sample_weights_are_frequency_weights(cov_type, clustered):
    """Integer sample weights give the covariance of the data with each row repeated (a copy in
    its row's cluster), and the same marginal effects and standard errors."""
    X, y, g1, _ = _anes96()
    w = 1 + np.arange(len(y)) % 3
    repeat = np.repeat(np.arange(len(y)), w)
    groups = g1 if clustered else None
    weighted = LogisticRegression(penalty=None, tol=1e-12).fit(X, y, sample_weight=w.astype(float))
    repeated = LogisticRegression(penalty=None, tol=1e-12).fit(X[repeat], y[repeat])
    ours = weighted.inference(cov_type=cov_type, groups=groups)
    theirs = repeated.inference(cov_type=cov_type, groups=None if groups is None else groups[repeat])
    np.testing.assert_allclose(ours.cov, theirs.cov, rtol=1e-7)
    np.testing.assert_allclose(ours.marginal_effects().bse, theirs.marginal_effects().bse, rtol=1e-7)


@pytest.mark.filterwarnings("ignore:cov_type not fully supported with freq_weights")  # statsmodels' own
def test_weights_match_statsmodels_freq_weights():
    """HC0 with sample weights equals statsmodels' GLM with freq_weights; its cluster covariance
    differs only by statsmodels' counting N as rows, not Σ w, in (N - 1)/(N - P)."""
    X, y, g1, _ = _anes96()
    w = (1 + np.arange(len(y)) % 3).astype(float)
    model = GLMClassifier(family="cloglog", penalty=None, tol=1e-10, solver="newton").fit(X, y, sample_weight=w)
    glm = sm.GLM(y, sm.add_constant(X), family=_cloglog(), freq_weights=w)
    hc0 = glm.fit(method="newton", tol=1e-12, maxiter=200, cov_type="HC0")
    _assert_cov(model.inference(cov_type="HC0").cov, hc0.cov_params())
    clustered = glm.fit(method="newton", tol=1e-12, maxiter=200, cov_type="cluster", cov_kwds={"groups": g1})
    n, N, P = len(y), w.sum(), X.shape[1] + 1
    rows_counted = ((n - 1) / (n - P)) / ((N - 1) / (N - P))
    _assert_cov(model.inference(cov_type="cluster", groups=g1).cov * rows_counted, clustered.cov_params())


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_average_marginal_effects_match_statsmodels(case, cov_type):
    X, y, _, _, model, theirs = _fitted(case)
    if case.startswith("poisson"):  # statsmodels' get_margeff is the discrete Poisson's
        theirs = lambda **kw: sm.Poisson(y, sm.add_constant(X)).fit(disp=0, tol=1e-12, **kw)  # noqa: E731
    effects = model.inference(cov_type=cov_type).marginal_effects()
    reference = theirs(cov_type=cov_type).get_margeff(at="overall", method="dydx")
    np.testing.assert_allclose(effects.effects, reference.margeff, rtol=1e-6)
    np.testing.assert_allclose(effects.bse, reference.margeff_se, rtol=1e-5)
    np.testing.assert_allclose(effects.pvalues, reference.pvalues, rtol=1e-4, atol=1e-12)
    ci, theirs_ci = effects.conf_int(), np.asarray(reference.conf_int())
    assert ci.shape == effects.effects.shape + (2,)
    if theirs_ci.ndim == 3:  # MNLogit's (d, 2, K)
        theirs_ci = theirs_ci.transpose(0, 2, 1)
    np.testing.assert_allclose(ci, theirs_ci, rtol=1e-5)
    text = effects.summary()
    assert "dy/dx" in text and "Marginal Effects" in text and cov_type in text


def test_marginal_effects_of_a_dataframe_fit_are_labelled():
    import pandas as pd

    X, y, _, _ = _spector()
    frame = pd.DataFrame(X, columns=["GPA", "TUCE", "PSI"])
    effects = LogisticRegression(penalty=None, tol=1e-10).fit(frame, y).inference().marginal_effects()
    assert list(effects.effects.index) == ["GPA", "TUCE", "PSI"]
    assert list(effects.conf_int().columns) == [0, 1]


@pytest.mark.parametrize("case", ["logit-anes96", "mnlogit-anes96"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_wald_test_matches_statsmodels(case, cov_type):
    X, y, _, _, model, theirs = _fitted(case)
    reference = theirs(cov_type=cov_type)
    P = np.asarray(reference.params).size
    R = np.zeros((2, P))
    R[0, 1], R[1, 2], R[1, 3] = 1.0, 1.0, -1.0
    q = np.array([0.01, 0.0])
    ours = model.inference(cov_type=cov_type).wald_test(R, q)
    expected = reference.wald_test((R, q), use_f=False, scalar=True)
    assert ours.statistic == pytest.approx(float(expected.statistic), rel=1e-6)
    assert ours.pvalue == pytest.approx(float(expected.pvalue), rel=1e-5, abs=1e-300)
    assert ours.df == 2
    one = model.inference(cov_type=cov_type).wald_test(R[0])
    z = model.inference(cov_type=cov_type).params.T.ravel()[1] / model.inference(cov_type=cov_type).bse.T.ravel()[1]
    assert one.statistic == pytest.approx(z ** 2, rel=1e-10)


def test_likelihood_ratio_test_of_nested_models():
    X, y, _, _ = _anes96()
    full = LogisticRegression(penalty=None, tol=1e-10).fit(X, y).inference()
    restricted = LogisticRegression(penalty=None, tol=1e-10).fit(X[:, :5], y).inference()
    statistic, pvalue, df = full.compare_lr_test(restricted)
    big = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    small = sm.Logit(y, sm.add_constant(X[:, :5])).fit(disp=0, tol=1e-12)
    assert statistic == pytest.approx(2 * (big.llf - small.llf), rel=1e-8)
    assert df == 3 and pvalue == pytest.approx(float(__import__("scipy").stats.chi2.sf(statistic, 3)), rel=1e-12)
    with pytest.raises(ValueError, match="fewer parameters"):
        restricted.compare_lr_test(full)
    other = LogisticRegression(penalty=None, tol=1e-10).fit(X[:500], y[:500]).inference()
    with pytest.raises(ValueError, match="same rows"):
        full.compare_lr_test(other)
    robust = LogisticRegression(penalty=None, tol=1e-10).fit(X, y).inference(cov_type="HC0")
    with pytest.warns(InferenceWarning, match="robust covariance"):
        robust.compare_lr_test(restricted)


def test_summary_header_names_the_covariance():
    X, y, g1, g2, model, _ = _fitted("logit-spector")
    assert re.search(r"Covariance type: +nonrobust", model.inference().summary())
    assert "HC3" in model.inference(cov_type="HC3").summary().splitlines()[3]
    two_way = model.inference(cov_type="cluster", groups=np.c_[g1, g2]).summary()
    assert "cluster 2-way" in two_way and "7 x 5" in two_way


def test_bad_input_is_refused_before_any_work():
    X, y, g1, _, model, _ = _fitted("logit-spector")
    n = len(y)
    for kwargs, message in [
        (dict(cov_type="HC4"), r"cov_type must be one of 'nonrobust', 'HC0'.*got 'HC4'"),
        (dict(cov_type="cluster"), "needs groups"),
        (dict(cov_type="HC0", groups=g1), "groups are used only by cov_type='cluster'"),
        (dict(cov_type="cluster", groups=g1[:-1]), rf"one cluster label per training row: shape \({n},\)"),
        (dict(cov_type="cluster", groups=np.c_[g1, g1, g1]), r"\(32, 2\) for two-way"),
        (dict(cov_type="cluster", groups=np.where(np.arange(n) == 4, np.nan, g1)), "missing label in row 4"),
        (dict(cov_type="cluster", groups=np.zeros(n)), "single cluster"),
        (dict(cov_type="cluster", groups=np.c_[g1, np.ones(n)]), "column 1 has a single cluster"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.inference(**kwargs)
    assert model.inference(cov_type="hc1").cov_type == "HC1"
    R = np.eye(4)
    with pytest.raises(ValueError, match=r"R must have shape \(J, 4\)"):
        model.inference().wald_test(R[:, :3])
    with pytest.raises(ValueError, match=r"q must be a number or have shape \(4,\)"):
        model.inference().wald_test(R, np.zeros(3))


def test_a_robust_covariance_of_a_penalised_fit_warns_what_it_means():
    X, y, _, _ = _spector()
    model = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    with pytest.warns(InferenceWarning, match="HC3 covariance is likewise the sandwich of the unpenalised"):
        model.inference(cov_type="HC3")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)
        LogisticRegression(penalty=None, tol=1e-10).fit(X, y).inference(cov_type="HC3")


# ---- the command line -----------------------------------------------------------------------------
def _invoke(*args):
    from click.testing import CliRunner

    from symlogit.cli import cli

    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False, standalone_mode=True)


@pytest.fixture
def anes_csv(tmp_path):
    X, y, educ, income = _anes96()
    import pandas as pd

    frame = pd.DataFrame(X, columns=["logpopul", "TVnews", "selfLR", "ClinLR", "DoleLR", "age", "educ", "income"])
    frame["region"] = np.where(np.arange(len(y)) % 3 == 0, "north", np.where(np.arange(len(y)) % 3 == 1, "south", "west"))
    frame["vote"] = y
    path = tmp_path / "anes.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _table_bse(output):
    """The std err column of the printed coefficient table, by term."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 7 and cells[0] not in ("coef",):
            try:
                rows[cells[0]] = float(cells[2])
            except ValueError:
                pass
    return rows


@pytest.mark.parametrize("args,cov_type", [(["--cov-type", "HC3"], "HC3"), (["--groups", "region"], "cluster"),
                                           (["--groups", "educ,region"], "cluster 2-way")])
def test_cli_prints_the_table_with_the_covariance_named(anes_csv, args, cov_type):
    path, frame = anes_csv
    drop = [] if "region" in args[-1] else ["--drop", "region"]
    result = _invoke("fit", path, "--target", "vote", "--penalty", "none", "--quiet", *args, *drop)
    assert result.exit_code == 0, result.output
    assert re.search(rf"Covariance type: +{cov_type}\b", result.output), result.output
    groups = [c for c in args[-1].split(",") if c in frame.columns] if "--groups" in args else []
    features = [c for c in frame.columns if c not in ["vote", "region", *groups]]  # the groups are not features
    model = LogisticRegression(penalty=None, tol=1e-10).fit(frame[features], frame["vote"])
    labels = None if not groups else frame[groups].to_numpy() if len(groups) == 2 else frame[groups[0]].to_numpy()
    expected = model.inference(cov_type=cov_type.split()[0], groups=labels).bse
    printed = _table_bse(result.output)
    assert set(printed) == {"const", *features}
    shown = np.array([printed[name] for name in expected.index])
    np.testing.assert_allclose(shown, expected.to_numpy(), rtol=1e-3, atol=5.01e-4)  # printed to 3 decimals
    assert np.max(np.abs(shown - model.inference().bse.to_numpy())) > 2e-3  # not the non-robust table


@pytest.mark.parametrize("args,needles", [
    (["--groups", "region", "--cov-type", "HC1"], ["does not combine with --cov-type HC1"]),
    (["--cov-type", "cluster"], ["--cov-type cluster needs --groups"]),
    (["--groups", "region,educ,income"], ["one column (one-way) or two", "got 3"]),
    (["--groups", "nowhere"], ["no groups column 'nowhere'"]),
    (["--cov-type", "HC7"], ["'HC7' is not one of"]),
    (["--cov-type", "HC3", "--penalty", "l2"], ["add --penalty none"]),
])
def test_cli_bad_covariance_options_are_one_line_exit_2_nothing_written(anes_csv, tmp_path, args, needles):
    path, _ = anes_csv
    out = tmp_path / "model.json"
    arguments = ["fit", path, "--target", "vote", "--quiet", "--out", out, "--drop", "region", *args]
    if "--penalty" not in args:
        arguments += ["--penalty", "none"]
    result = _invoke(*arguments)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not out.exists()


@pytest.mark.parametrize("change,needle", [("empty", "groups column 'region' is empty at row 6"),
                                           ("single", "groups column 'region' has a single cluster")])
def test_cli_bad_group_columns_are_one_line(anes_csv, tmp_path, change, needle):
    _, frame = anes_csv
    frame = frame.copy()
    if change == "empty":
        frame.loc[5, "region"] = None
    else:
        frame["region"] = "north"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = _invoke("fit", path, "--target", "vote", "--penalty", "none", "--groups", "region", "--quiet")
    assert result.exit_code == 2 and result.output.count("\n") == 1 and needle in result.output, result.output


def test_cli_report_names_the_covariance(anes_csv, tmp_path):
    path, _ = anes_csv
    report = tmp_path / "report"
    result = _invoke("fit", path, "--target", "vote", "--groups", "region", "--report", report, "--quiet")
    assert result.exit_code == 0, result.output
    text = (report / "report.md").read_text()
    assert "Standard errors from the cluster covariance (observed information, 3 clusters)" in text
    assert "The cluster covariance is likewise the sandwich of the unpenalised likelihood" in text


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC3", "cluster"])
def test_unidentified_coefficients_leave_the_identified_ones_right(cov_type):
    """A duplicated and an all-zero column: the sandwich around the information's generalised
    inverse gives the identified parameters (and the identified terms' marginal effects) the
    values of the fit without those columns, with P the information's rank in HC1's and the
    clusters' corrections; the others are NaN."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(200, 2))
    X = np.column_stack([base, 2 * base[:, 0], np.zeros(200)])
    y = (rng.random(200) < 1 / (1 + np.exp(-base[:, 0]))).astype(float)
    groups = np.arange(200) % 9 if cov_type == "cluster" else None
    with pytest.warns(InferenceWarning, match="not identified"):
        ours = LogisticRegression(penalty=None, tol=1e-12).fit(X, y).inference(cov_type=cov_type, groups=groups)
    reduced = LogisticRegression(penalty=None, tol=1e-12).fit(base, y).inference(cov_type=cov_type, groups=groups)
    np.testing.assert_allclose(ours.bse[[0, 2]], reduced.bse[[0, 2]], rtol=1e-6)
    assert np.all(np.isnan(ours.bse[[1, 3, 4]]))
    assert ours.wald_test(np.eye(5)[2]).statistic == pytest.approx(reduced.wald_test(np.eye(3)[2]).statistic, rel=1e-6)
    with pytest.raises(ValueError, match=r"R involves parameter\(s\) 1, 4 .* not identified"):
        ours.wald_test(np.eye(5)[[1, 2, 4]])
    effects, expected = ours.marginal_effects(), reduced.marginal_effects()
    np.testing.assert_allclose(effects.bse[1], expected.bse[1], rtol=1e-6)
    assert np.all(np.isnan(effects.bse[[0, 2, 3]]))


# ---- faults found by the new-user trial of issue 20 ---------------------------------------------

def test_inference_alpha_is_the_default_level_of_every_interval():
    """model.inference(alpha=0.10): conf_int(), arrays(), summary() and the marginal effects'
    intervals are 90% ones (statsmodels' conf_int(alpha=0.10)); conf_int(alpha=...) still
    overrides; the cached 95% inference is not changed by asking for another level."""
    X, y, _, _ = _spector()
    model = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    reference = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    ninety = model.inference(alpha=0.10)
    np.testing.assert_allclose(ninety.conf_int(), reference.conf_int(alpha=0.10), rtol=1e-6)
    np.testing.assert_allclose(ninety.arrays()[4], reference.conf_int(alpha=0.10), rtol=1e-6)
    np.testing.assert_allclose(ninety.conf_int(alpha=0.05), reference.conf_int(), rtol=1e-6)
    np.testing.assert_allclose(model.inference().conf_int(), reference.conf_int(), rtol=1e-6)  # cache unchanged
    assert "[0.05" in ninety.summary() and "0.95]" in ninety.summary() and "[0.025" not in ninety.summary()
    assert f"{reference.conf_int(alpha=0.10)[1, 0]:.3f}" in ninety.summary()
    effects = ninety.marginal_effects()
    expected = reference.get_margeff().conf_int(alpha=0.10)
    np.testing.assert_allclose(effects.conf_int(), expected, rtol=1e-4)
    assert "[0.05" in effects.summary()
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        model.inference(alpha=5)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_refuse_rows_of_leverage_one(cov_type):
    """HC2 and HC3 divide by 1 - h_ii: a ValueError naming the rows where h_ii reaches 1 (rather
    than NaN or noise): frequency weights below 1 (one copy's leverage above 1: binary and
    multinomial), and a dummy column for a single row (h = 1 up to rounding). HC0 is still given,
    and a row of zero weight (not in the data) is not a reason to refuse."""
    d = sm.datasets.anes96.load_pandas().data
    X = d[["logpopul", "selfLR", "age", "educ", "income"]].to_numpy(float)
    for y in (d["vote"].to_numpy(float), d["PID"].to_numpy().astype(int) // 3):
        model = LogisticRegression(penalty=None, tol=1e-10).fit(X, y, sample_weight=np.full(len(y), 0.02))
        with pytest.raises(ValueError, match=rf"{cov_type} is undefined: the leverage h_ii of row\(s\) \d+ \(h = 1\.\d+"
                                             r".*Use cov_type='HC0' or 'HC1'"):
            model.inference(cov_type=cov_type)
        assert np.all(np.isfinite(model.inference(cov_type="HC0").bse))
    c = sm.datasets.cpunish.load_pandas().data
    X = np.column_stack([c[["PERPOVERTY", "PERBLACK", "SOUTH"]].to_numpy(float), np.eye(17)[3]])
    model = GLMRegressor(family="poisson", alpha=0, tol=1e-10, solver="newton").fit(X, c["EXECUTIONS"])
    with pytest.raises(ValueError, match=rf"{cov_type} is undefined: the leverage h_ii of row\(s\) 3 \(h = 1\) "
                                         r"\(rows count from 0\).*dummy column for a single row"):
        model.inference(cov_type=cov_type)
    weights = np.ones(17)
    weights[3] = 0  # the dummy's row out of the data: its coefficient is not identified, the others are
    with pytest.warns(InferenceWarning, match="not identified"):
        kept = GLMRegressor(family="poisson", alpha=0, tol=1e-10, solver="newton").fit(
            X, c["EXECUTIONS"], sample_weight=weights).inference(cov_type=cov_type)
    assert np.all(np.isfinite(kept.bse[:4])) and np.isnan(kept.bse[4])


@pytest.mark.filterwarnings("ignore:This fit is penalised")
def test_clusters_of_zero_weight_are_not_counted():
    """Frequency weights: a cluster whose rows all have weight 0 is not in the data, so G (in
    G/(G-1), and n_clusters) counts the clusters of positive weight, each way and the two-way
    intersections: the covariance equals the one of the fit without those rows. A single cluster
    of positive weight is refused as a single cluster is."""
    X, y, _, _ = _spector()
    g, h = np.arange(32) % 8, np.arange(32) % 3
    w = np.where(g == 7, 0.0, 1.0)
    keep = w > 0
    model = LogisticRegression(penalty=None, tol=1e-12).fit(X, y, sample_weight=w)
    reduced = LogisticRegression(penalty=None, tol=1e-12).fit(X[keep], y[keep])
    one_way = model.inference(cov_type="cluster", groups=g)
    assert one_way.n_clusters == (7,)
    np.testing.assert_allclose(one_way.cov, reduced.inference(cov_type="cluster", groups=g[keep]).cov, rtol=1e-8)
    both = np.c_[g, h]
    two_way = model.inference(cov_type="cluster", groups=both)
    assert two_way.n_clusters == (7, 3)
    np.testing.assert_allclose(two_way.cov, reduced.inference(cov_type="cluster", groups=both[keep]).cov, rtol=1e-8)
    w = np.where(g == 0, 1.0, 0.0) + np.where(g == 1, 0.5, 0.0)
    alone = np.where(g == 0, 1.0, 0.0)
    with pytest.raises(ValueError, match="has a single cluster of positive weight"):
        LogisticRegression(tol=1e-8).fit(X, y, sample_weight=alone).inference(cov_type="cluster", groups=g)
    assert LogisticRegression(tol=1e-8).fit(X, y, sample_weight=w).inference(cov_type="cluster",
                                                                              groups=g).n_clusters == (2,)


@pytest.mark.parametrize("cov_type", ["HC1", "cluster"])
def test_small_sample_corrections_need_more_weight_than_parameters(cov_type):
    """HC1's N/(N - P) and the clusters' (N - 1)/(N - P) with N = Σ w <= P (weights normalised to
    sum to 1): a ValueError saying so (frequency weights), not NaN standard errors with a warning
    about two-way clustering."""
    X, y, g, _ = _spector()
    model = LogisticRegression(penalty=None, tol=1e-10).fit(X, y, sample_weight=np.full(32, 1 / 32))
    groups = g if cov_type == "cluster" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing but the error
        with pytest.raises(ValueError, match=rf"cov_type='{cov_type}' multiplies by .*N = the sum of the sample "
                                             r"weights = 1 and P = 4 parameters: it needs N > P\. .*frequency weights"):
            model.inference(cov_type=cov_type, groups=groups)
    assert np.all(np.isfinite(model.inference(cov_type="HC0").bse))


def test_wald_test_with_dependent_restrictions_uses_their_rank():
    """R with a row twice another: df = rank(R C Rᵀ) = 1 with a warning and the statistic of the
    single restriction (statsmodels warns and gives the same); inconsistent restrictions (q not in
    R's range) are a ValueError."""
    X, y, _, _ = _spector()
    result = LogisticRegression(penalty=None, tol=1e-10).fit(X, y).inference()
    R = np.array([[0, 1, 0, 0], [0, 2, 0, 0.0]])
    with pytest.warns(InferenceWarning, match="has rank 1.*df = 1"):
        test = result.wald_test(R, [0, 0])
    single = result.wald_test(R[0])
    assert test.df == 1 and test.statistic == pytest.approx(single.statistic, rel=1e-10)
    assert test.pvalue == pytest.approx(single.pvalue, rel=1e-10)
    reference = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = reference.wald_test((R, np.zeros(2)), use_f=False, scalar=True)
    assert test.statistic == pytest.approx(expected.statistic, rel=1e-6)
    assert test.pvalue == pytest.approx(expected.pvalue, rel=1e-5)  # statsmodels' df is 1 too
    with pytest.raises(ValueError, match="restrictions R θ = q are inconsistent"):
        result.wald_test(R, [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # independent restrictions: no warning, df = J
        assert result.wald_test(np.eye(4)[1:]).df == 3


def test_cli_groups_cov_type_case_and_alpha_zero(anes_csv, tmp_path):
    """--groups "" (an empty column list) is one line, exit 2, nothing written, not silently
    ignored; --cov-type takes any case as the API does; --alpha 0 is an unpenalised regression
    fit, whose table takes --cov-type without --penalty none."""
    path, frame = anes_csv
    out = tmp_path / "model.json"
    for empty in ("", " , "):
        result = _invoke("fit", path, "--target", "vote", "--penalty", "none", "--groups", empty, "--out", out)
        assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
        assert "--groups needs one column name" in result.output and "empty column list" in result.output
        assert not out.exists()
    lower = _invoke("fit", path, "--target", "vote", "--penalty", "none", "--cov-type", "hc3", "--drop", "region", "-q")
    upper = _invoke("fit", path, "--target", "vote", "--penalty", "none", "--cov-type", "HC3", "--drop", "region", "-q")
    assert lower.exit_code == 0, lower.output
    assert "Covariance type:                 HC3" in lower.output
    assert _table_bse(lower.output) == _table_bse(upper.output)
    counts = _invoke("fit", path, "--target", "educ", "--family", "poisson", "--alpha", "0", "--cov-type", "HC2",
                     "--drop", "region", "--quiet")
    assert counts.exit_code == 0, counts.output
    expected = GLMRegressor(family="poisson", alpha=0, tol=1e-10).fit(
        frame.drop(columns=["educ", "region"]), frame["educ"]).inference(cov_type="HC2").bse
    assert "Covariance type:                 HC2" in counts.output
    printed = _table_bse(counts.output)
    assert set(printed) == set(expected.index)
    for term, value in printed.items():  # as printed: 3 decimals, or 3 significant digits when small
        assert value == pytest.approx(expected[term], rel=1e-2, abs=5.01e-4), term


def test_which_information_matches_statsmodels_glm_irls():
    """As the README says: off the canonical link, statsmodels' GLM fitted by IRLS (its default)
    gives the expected information's non-robust covariance but the observed information's HC0
    (its robust bread is the Hessian), so HC0 matches information="observed"; the two informations'
    HC0 differ there by percents."""
    d = sm.datasets.anes96.load_pandas().data
    X = d[["logpopul", "selfLR", "age", "educ", "income"]].to_numpy(float)
    y = d["vote"].to_numpy(float)
    model = GLMClassifier(family="cloglog", penalty=None, tol=1e-12).fit(X, y)
    irls = lambda **kw: sm.GLM(y, sm.add_constant(X), family=_cloglog()).fit(tol=1e-12, **kw)  # noqa: E731
    np.testing.assert_allclose(model.inference(information="expected").bse, irls().bse, rtol=1e-6)
    np.testing.assert_allclose(model.inference(cov_type="HC0").bse, irls(cov_type="HC0").bse, rtol=1e-6)
    expected_hc0 = model.inference(cov_type="HC0", information="expected").bse
    assert np.max(np.abs(expected_hc0 / irls(cov_type="HC0").bse - 1)) > 0.05
