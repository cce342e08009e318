"""The families as rows of one table: parity of every family with statsmodels (params 1e-6,
bse 1e-5 relative, on two datasets each), observed and expected information, offsets, the null
model, every solver on every family, and bad input."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from symlogit import GLMClassifier, GLMRegressor
from symlogit.family import get_family

PARAMS_RTOL, BSE_RTOL = 1e-6, 1e-5


def _poisson_data(name):
    if name == "cpunish":
        d = sm.datasets.cpunish.load_pandas().data
        X = d[["INCOME", "PERPOVERTY", "PERBLACK", "VC100k96", "SOUTH", "DEGREE"]].to_numpy(float)
        X[:, 0] = np.log(X[:, 0])
        return X, d["EXECUTIONS"].to_numpy(float), None
    d = sm.datasets.randhie.load_pandas().data
    X = d[["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]].to_numpy(float)
    exposure = 1.0 + (np.arange(len(d)) % 4) / 2  # a known exposure, for the offset
    return X, d["mdvis"].to_numpy(float), np.log(exposure)


def _binary_data(name):
    if name == "spector":
        d = sm.datasets.spector.load_pandas().data
        return d[["GPA", "TUCE", "PSI"]].to_numpy(float), d["GRADE"].to_numpy(float)
    d = sm.datasets.anes96.load_pandas().data
    X = d[["logpopul", "TVnews", "selfLR", "ClinLR", "DoleLR", "age", "educ", "income"]].to_numpy(float)
    return X, d["vote"].to_numpy(float)


def _assert_parity(ours, params, bse):
    np.testing.assert_allclose(ours.params, params, rtol=PARAMS_RTOL, atol=1e-9)
    np.testing.assert_allclose(ours.bse, bse, rtol=BSE_RTOL)


@pytest.mark.parametrize("name", ["cpunish", "randhie"])
def test_poisson_matches_statsmodels_glm(name):
    X, y, offset = _poisson_data(name)
    model = GLMRegressor(alpha=0, tol=1e-10, solver="newton").fit(X, y, offset=offset)
    theirs = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(), offset=offset).fit(tol=1e-12)
    ours = model.inference()
    _assert_parity(ours, theirs.params, theirs.bse)
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-9)
    assert ours.deviance == pytest.approx(theirs.deviance, rel=1e-8)
    assert ours.llnull == pytest.approx(theirs.llnull, rel=1e-9)
    # the canonical link: observed and expected information agree
    np.testing.assert_allclose(model.inference(information="expected").bse, ours.bse, rtol=1e-10)


@pytest.mark.parametrize("name", ["spector", "anes96"])
def test_probit_matches_statsmodels_probit(name):
    X, y = _binary_data(name)
    ours = GLMClassifier(family="probit", penalty=None, tol=1e-10, solver="newton").fit(X, y).inference()
    theirs = sm.Probit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    _assert_parity(ours, theirs.params, theirs.bse)
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-9) and ours.llnull == pytest.approx(theirs.llnull, rel=1e-9)


@pytest.mark.parametrize("name", ["spector", "anes96"])
def test_cloglog_matches_statsmodels_glm_observed_and_expected(name):
    X, y = _binary_data(name)
    model = GLMClassifier(family="cloglog", penalty=None, tol=1e-10, solver="newton").fit(X, y)
    family = sm.families.Binomial(link=sm.families.links.CLogLog())
    newton = sm.GLM(y, sm.add_constant(X), family=family).fit(method="newton", tol=1e-12, maxiter=200)
    # IRLS stops on the change of the deviance, 1e-7 away from the optimum on anes96 (its score is
    # 1e-3 there): started at the optimum, it stays, and its bse is the expected information's
    irls = sm.GLM(y, sm.add_constant(X), family=family).fit(start_params=newton.params, tol=1e-12, maxiter=200)
    _assert_parity(model.inference(), newton.params, newton.bse)
    _assert_parity(model.inference(information="expected"), irls.params, irls.bse)


def test_observed_and_expected_information_differ_off_the_canonical_link():
    X, y = _binary_data("anes96")
    model = GLMClassifier(family="cloglog", penalty=None, tol=1e-10).fit(X, y)
    ratio = model.inference(information="expected").bse / model.inference().bse
    assert np.max(np.abs(ratio - 1)) > 0.01


@pytest.mark.parametrize("family", ["logit", "probit", "cloglog", "poisson"])
@pytest.mark.parametrize("solver", ["newton", "newton-cg", "tron", "lbfgs", "gd", "sgd"])
@pytest.mark.slow
def test_every_solver_reaches_the_optimum_of_every_family(family, solver):
    """Slow (gd and sgd take thousands of passes); the parity tests run newton on every family."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 4))
    u = 0.3 + X @ np.array([0.5, -0.4, 0.2, 0.0])
    fam = get_family(family)
    if family == "poisson":
        y = rng.poisson(np.exp(u)).astype(float)
        make = lambda **kw: GLMRegressor(alpha=1e-3, **kw)  # noqa: E731
    else:
        y = (rng.random(3000) < fam.kernels.means_from_scores(u)).astype(float)
        make = lambda **kw: GLMClassifier(family=family, C=10.0, **kw)  # noqa: E731
    reference = make(solver="newton", tol=1e-10).fit(X, y)
    options = {"max_iter": 3000, "tol": 1e-6 if solver in ("gd", "sgd") else 1e-8}
    if solver == "sgd":
        options.update(max_iter=200, solver_options={"batch_size": 256})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make(solver=solver, **options).fit(X, y)
    tolerance = 2e-2 if solver == "sgd" else 1e-4
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=tolerance)
    if solver not in ("sgd", "lbfgs"):
        assert model.converged_


def test_offset_is_log_exposure():
    """A count over exposure t with rate exp(x̂ᵀβ): fitting with offset log t recovers β, and the
    offset moves predictions exactly by the exposure."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(20_000, 2))
    t = rng.uniform(0.5, 5, 20_000)
    y = rng.poisson(t * np.exp(0.2 + X @ np.array([0.3, -0.2])))
    model = GLMRegressor(alpha=0, tol=1e-10).fit(X, y, offset=np.log(t))
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_], [0.2, 0.3, -0.2], atol=0.02)
    np.testing.assert_allclose(model.predict(X[:5], offset=np.log(t[:5])), t[:5] * model.predict(X[:5]), rtol=1e-12)


def test_null_model_is_the_weighted_mean_on_the_link_scale():
    y = np.array([0.0, 1.0, 1.0, 1.0])
    w = np.array([1.0, 1.0, 2.0, 0.0])
    for name in ("logit", "probit", "cloglog", "poisson"):
        u = get_family(name).null_scores(y, w)
        assert get_family(name).kernels.means_from_scores(u[:1])[0] == pytest.approx(0.75, rel=1e-13)


def test_poisson_score_is_d2_as_scikit_learn():
    from sklearn.linear_model import PoissonRegressor
    X, y, _ = _poisson_data("cpunish")
    ours = GLMRegressor(alpha=0.5, tol=1e-10).fit(X, y)
    theirs = PoissonRegressor(alpha=0.5, tol=1e-12, max_iter=10_000, solver="newton-cholesky").fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-9)


@pytest.mark.parametrize("make, X, y, kwargs, message", [
    (lambda: GLMRegressor(), np.ones((3, 1)), [1.0, -1.0, 2.0], {}, "y must be >= 0"),
    (lambda: GLMRegressor(), np.ones((3, 1)), [1.0, np.nan, 2.0], {}, "NaN"),
    (lambda: GLMRegressor(), np.ones((3, 1)), [0.0, 0.0, 0.0], {}, "no finite optimum"),
    (lambda: GLMRegressor(), np.ones((3, 1)), [1.0, 0.0, 2.0], {"offset": [0.0, 1.0]}, "offset must have shape (3,)"),
    (lambda: GLMRegressor(), np.ones((3, 1)), [1.0, 0.0, 2.0], {"offset": [0.0, np.inf, 1.0]}, "offset must be finite"),
    (lambda: GLMClassifier(family="probit"), np.ones((3, 1)), [0, 1, 2], {}, "binary"),
    (lambda: GLMClassifier(family="cloglog"), np.ones((3, 1)), [0.5, 1.5, 0.2], {}, "[0, 1]"),
    (lambda: GLMClassifier(family="gaussian"), np.ones((3, 1)), [0, 1, 1], {}, "family must be one of"),
    (lambda: GLMRegressor(family="logit"), np.ones((3, 1)), [0, 1, 1], {}, "family must be one of"),
    (lambda: GLMClassifier(), np.ones((3, 1)), [0, 1, 2], {"offset": [0.0, 0.0, 0.0]}, "not supported"),
], ids=["negative-count", "nan", "all-zero", "offset-length", "offset-inf", "probit-3-classes", "soft-outside",
        "unknown-family", "classifier-family-as-regressor", "softmax-offset"])
def test_bad_input_is_a_value_error_before_any_work(make, X, y, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        make().fit(X, y, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["logit", "probit", "cloglog", "poisson"])
def test_generated_per_sample_formulas_hold_at_the_extremes(name):
    """What the kernels evaluate (h, h', h'' and E[h''] through ``row_weights``, printed, compiled)
    against mpmath on the raw definition at |u| up to 1e5: 1e-12 relative to the scale of each
    formula's terms, inf only where the exact value overflows float64, never NaN."""
    import sympy as sp

    from symlogit.symbolic.claims.families import POINTS, YS_COUNT, YS_UNIT, _compare, _mp, _scale
    from symlogit.symbolic.families import BY_NAME, U, Y, derive_family

    row, kernel = BY_NAME[name], derive_family(name).kernel
    raw = row.raw_loss(U, Y)
    h2 = sp.diff(raw, U, 2)
    p = row.mean(U)
    expected = h2.subs(Y, p) if row.likelihood == "poisson" else p * h2.subs(Y, 1) + row.complement(U) * h2.subs(Y, 0)
    truths = [_mp([U, Y], e) for e in (raw, sp.diff(raw, U), h2, expected)]
    keys = ("loss", "gradient_weight", "hessian_weight", "expected_weight")
    scales = [[_mp([U, Y], t) for t in sp.Add.make_args(sp.expand(kernel[key]))] for key in keys]
    u = np.array(POINTS)
    k = get_family(name).kernels
    worst = 0.0
    for y in (YS_COUNT if row.domain == "nonnegative" else YS_UNIT):
        got = k.row_weights(u, np.full(u.shape, y))
        assert not np.any(np.isnan(got))
        for j, (truth, terms) in enumerate(zip(truths, scales)):
            for i, v in enumerate(u):
                error = _compare(got[j, i], truth(v, y), _scale(terms, v, y))
                assert error <= 1e-12, (keys[j], v, y, got[j, i], error)
                worst = max(worst, error)


@pytest.mark.parametrize("name", ["logit", "probit", "cloglog"])
def test_median_score_is_where_the_mean_is_one_half_and_predict_follows_the_decision_sign(name):
    """The printed MEDIAN_SCORE equals the table's stated u½, at which the raw mean is exactly
    1/2 (SymPy); and a fitted classifier predicts classes_[1] exactly where decision_function > 0,
    which is where p > 1/2 (cloglog's u½ = log log 2 is not 0: predict by u > 0 would be wrong)."""
    import sympy as sp

    from symlogit.symbolic.families import BY_NAME, ndtr

    row, family = BY_NAME[name], get_family(name)
    mean = row.mean(row.median_score).replace(ndtr, lambda x: sp.erfc(-x / sp.sqrt(2)) / 2)
    assert sp.simplify(mean - sp.Rational(1, 2)) == 0
    assert family.median_score == float(row.median_score)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    y = np.where(rng.random(400) < 0.3 + 0.4 * (X[:, 0] > 0), "yes", "no")
    model = GLMClassifier(family=name).fit(X, y)
    decision, p = model.decision_function(X), model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(decision, model.linear_predictor(X) - family.median_score, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(model.predict(X), np.where(decision > 0, "yes", "no"))
    np.testing.assert_array_equal(decision > 0, p > 0.5)
    assert 0 < np.mean(decision > 0) < 1


@pytest.mark.parametrize("name", ["logit", "probit", "cloglog", "poisson"])
def test_a_constant_offset_is_absorbed_by_the_intercept_at_any_size(name):
    """fit(X, y, offset=o) with a constant o is the fit without offset with intercept less o, for
    o from -1e5 to 1e5 (the null-model start once took 1e17-long Newton steps at o = ±40: NaN)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 3))
    y = (rng.poisson(np.exp(X @ [0.5, -0.3, 0.2])) if name == "poisson" else X[:, 0] > rng.normal(size=2000))
    make = (lambda: GLMRegressor(alpha=0.0, tol=1e-8)) if name == "poisson" else \
        (lambda: GLMClassifier(family=name, penalty=None, tol=1e-8))
    plain = make().fit(X, y.astype(float))
    for o in (-1e4, -200.0, -40.0, 40.0, 200.0, 1e4):
        shifted = make().fit(X, y.astype(float), offset=np.full(2000, o))
        assert shifted.converged_
        np.testing.assert_allclose(shifted.coef_, plain.coef_, rtol=1e-7)
        np.testing.assert_allclose(shifted.intercept_ + o, plain.intercept_, rtol=1e-7, atol=1e-9 * abs(o))


@pytest.mark.parametrize("name", ["cloglog", "poisson"])
def test_offsets_of_plus_and_minus_300_start_from_the_null_model_and_converge(name):
    """Half the rows at offset +300, half at -300: the null intercept's bracket was thrown away and
    Newton crept up by 1 per step from -204 (lbfgs: not converged, max|gradient| 1e12)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2))
    offset = np.where(np.arange(2000) % 2 == 0, 300.0, -300.0)
    if name == "poisson":
        y = rng.poisson(1.0, 2000).astype(float)
        fits = [GLMRegressor(alpha=0.0, solver=s, tol=1e-6).fit(X, y, offset=offset) for s in ("newton", "lbfgs")]
    else:
        y = rng.integers(0, 2, 2000).astype(float)
        fits = [GLMClassifier(family=name, penalty=None, solver=s, tol=1e-6).fit(X, y, offset=offset)
                for s in ("newton", "lbfgs")]
    assert all(f.converged_ for f in fits)
    np.testing.assert_allclose(fits[0].intercept_, fits[1].intercept_, rtol=1e-7)
    null = get_family(name).null_scores(y, np.ones(2000), offset) - offset
    assert np.all(np.isfinite(null)) and np.ptp(null) < 1e-9
