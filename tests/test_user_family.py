"""A user's own family (symlogit.Family): derived, checked, generated into a per-user cache, fitted.

The families are defined here only. Every test shares one cache folder (SYMLOGIT_CACHE_DIR), so
each family's kernels compile once per session.
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symlogit import Family, GLMClassifier, GLMRegressor, LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
u, y = sp.symbols("u y", real=True)


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("symlogit-cache")
    old = os.environ.get("SYMLOGIT_CACHE_DIR")
    os.environ["SYMLOGIT_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        del os.environ["SYMLOGIT_CACHE_DIR"]
    else:
        os.environ["SYMLOGIT_CACHE_DIR"] = old


def loglog_family():
    mean = sp.exp(-sp.exp(-u))  # the log-log link's inverse
    return Family(name="loglog", u=u, y=y, mean=mean,
                  loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean), target="probability")


def cubic_family(allow_nonconvex):
    """A quasi-likelihood with mean u and natural parameter u^3/3 + u: calibrated, h' affine in
    y, but h'' = 3u^2 + 1 - 2uy < 0 at u = 1, y = 1e4 (non-convex)."""
    return Family("cubic", u, y, mean=u, loss=u ** 4 / 4 + u ** 2 / 2 - y * (u ** 3 / 3 + u), target="real",
                  allow_nonconvex=allow_nonconvex)


def binary_data(seed, n, beta, inverse_link):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(beta) - 1))
    p = inverse_link(beta[0] + X @ beta[1:])
    return X, (rng.random(n) < p).astype(int)


def test_user_logit_equals_builtin_logit():
    mean = 1 / (1 + sp.exp(-u))
    mylogit = Family("mylogit", u, y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean))
    assert {c.id: c.status for c in mylogit.claims}["K1"] == "proven"
    X, labels = binary_data(1, 800, np.array([0.3, 1.0, -0.5, 0.2, 0.0]), lambda t: 1 / (1 + np.exp(-t)))
    ours = GLMClassifier(family=mylogit, penalty=None).fit(X, labels)
    builtin = LogisticRegression(penalty=None).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, builtin.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, builtin.intercept_, rtol=1e-10, atol=1e-12)
    assert ours.family_ == "mylogit"
    np.testing.assert_allclose(ours.predict_proba(X), builtin.predict_proba(X), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(ours.predict_log_proba(X), builtin.predict_log_proba(X), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("seed, beta", [(2, [0.2, 0.5, -1.0, 0.3, 0.1]), (3, [-0.4, 1.2, 0.0, -0.6])])
def test_loglog_matches_statsmodels(seed, beta):
    sm = pytest.importorskip("statsmodels.api")
    loglog = loglog_family()
    X, labels = binary_data(seed, 1500, np.array(beta), lambda t: np.exp(-np.exp(-t)))
    model = GLMClassifier(family=loglog, penalty=None).fit(X, labels)
    inference = model.inference()
    reference = sm.GLM(labels, sm.add_constant(X), family=sm.families.Binomial(link=sm.families.links.LogLog())).fit(
        method="newton", tol=1e-12)
    np.testing.assert_allclose(inference.params, reference.params, rtol=1e-6)
    np.testing.assert_allclose(inference.bse, reference.bse, rtol=1e-5)
    assert inference.llf == pytest.approx(reference.llf, rel=1e-9)
    # the expected information: statsmodels GLM's IRLS default
    irls = sm.GLM(labels, sm.add_constant(X), family=sm.families.Binomial(link=sm.families.links.LogLog())).fit(
        tol=1e-12)
    np.testing.assert_allclose(model.inference(information="expected").bse, irls.bse, rtol=1e-5)
    assert "loglog" in str(inference.summary())
    # the predicted class changes where the mean is 1/2: u = -log(log 2)
    u_half = -np.log(np.log(2))
    scores = model.linear_predictor(X)
    assert np.array_equal(model.predict(X), np.where(scores > u_half, 1, 0))
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], np.exp(-np.exp(-scores)), rtol=1e-13)


def test_loglog_claims_and_stable_evaluation():
    claims = {c.id: c for c in loglog_family().claims}
    assert set(claims) == {"U1", "U2", "U3", "K1", "K2", "K3", "S1"}
    assert all(c.status in ("proven", "numeric") for c in claims.values())
    worst = float(claims["S1"].numeric.split("worst relative error ")[1].split()[0])
    assert worst < 1e-12


@pytest.mark.parametrize("name, mean, loss", [
    ("helpers", "sigmoid(u)", "softplus(u) - y*u"),
    pytest.param("plain", "1/(1 + exp(-u))", "log(1 + exp(u)) - y*u", marks=pytest.mark.slow),  # a compile
])
def test_logit_written_with_softplus_equals_builtin_logit(name, mean, loss):
    """h'' = sigmoid(u) (1 - sigmoid(u)) is free of y: its expected weight is printed as
    sigmoid(u) sigmoid(-u) (1 - sigmoid(u) is 0.0 in float64 from u = 37 on; was refused by S1)."""
    from symlogit.userfamily import from_definition, sigmoid, softplus
    names = {"u": u, "y": y, "sigmoid": sigmoid, "softplus": softplus, "exp": sp.exp, "log": sp.log}
    family = Family(f"logit_{name}", u, y, mean=sp.sympify(mean, locals=names), loss=sp.sympify(loss, locals=names))
    assert from_definition(family.definition()) == family
    X, labels = binary_data(1, 800, np.array([0.3, 1.0, -0.5, 0.2, 0.0]), lambda t: 1 / (1 + np.exp(-t)))
    ours = GLMClassifier(family=family, penalty=None).fit(X, labels)
    builtin = LogisticRegression(penalty=None).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, builtin.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, builtin.intercept_, rtol=1e-10, atol=1e-12)


def test_unstable_form_refusal_names_the_stable_key_and_every_helper():
    from symlogit.userfamily import sigmoid, softplus
    message = (r"expected weight is not stable in float64: 0.0 at u = 37.*give a stable form "
               r"stable=\{'expected': ...\} in sigmoid, softplus, ndtr, log_ndtr, log_cloglog")
    with pytest.raises(ValueError, match=message):
        Family("unstable", u, y, mean=sigmoid(u), loss=softplus(u) - y * u,
               stable={"expected": sigmoid(u) * (1 - sigmoid(u))})


def test_nonconvex_refused_then_fitted_with_a_warning():
    with pytest.raises(ValueError, match=r"not convex.*h''\(u, y\) = .* < 0 at u = .*, y = .*allow_nonconvex"):
        cubic_family(False)
    with pytest.warns(UserWarning, match="not convex"):
        cubic = cubic_family(True)
    assert {c.id: c.status for c in cubic.claims}["K2"] == "failed"
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 2))
    target = 0.5 + X @ np.array([0.3, -0.2]) + 0.1 * rng.normal(size=400)
    with pytest.warns(UserWarning, match="optimum found may be local"):
        model = GLMRegressor(family=cubic, alpha=0.0).fit(X, target)
    assert model.converged_
    # a stationary point of the quasi-likelihood: sum_i (mu_i - y_i)(mu_i^2 + 1) x̂_i = 0
    fitted = model.predict(X)
    residual = (fitted - target) * (fitted ** 2 + 1)
    np.testing.assert_allclose(np.c_[np.ones(400), X].T @ residual / 400, 0.0, atol=1e-7)


@pytest.mark.slow  # ~8 s: a compile and statsmodels' fit
def test_nonconvex_cauchy_link_fits_by_newton_like_statsmodels():
    """h'' < 0 on some rows (the Cauchy link with the Bernoulli loss): the Hessian is
    X̂ᵀ diag(w h'') X̂, not Aᵀ A with A = sqrt(w h'') X̂ (NaN there), so Newton converges in a few
    steps and the standard errors are finite."""
    sm = pytest.importorskip("statsmodels.api")
    mean = sp.Rational(1, 2) + sp.atan(u) / sp.pi
    with pytest.warns(UserWarning, match="not convex"):
        cauchy = Family("cauchy", u, y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean),
                        allow_nonconvex=True)
    X, labels = binary_data(1, 3000, np.array([0.1, 0.5, -0.3, 0.2, 0.0]), lambda t: 1 - np.exp(-np.exp(t)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = GLMClassifier(family=cauchy, penalty=None, solver="newton").fit(X, labels)
    inference = model.inference()
    reference = sm.GLM(labels, sm.add_constant(X), family=sm.families.Binomial(link=sm.families.links.Cauchy())).fit(
        method="newton", tol=1e-13, maxiter=500)
    assert model.converged_ and model.n_iter_[0] <= 20
    np.testing.assert_allclose(inference.params, reference.params, rtol=0, atol=1e-6)
    assert np.all(np.isfinite(inference.bse))
    np.testing.assert_allclose(inference.bse, reference.bse, rtol=1e-5)


def test_mismatched_loss_and_mean_refused(cache):
    before = sorted(cache.iterdir())
    with pytest.raises(ValueError, match=r"calibration fails: h'\(u, mean\(u\)\) = .* at u = "):
        Family("wrong", u, y, mean=2 * sp.exp(u), loss=sp.exp(u) - y * u, target="nonnegative")
    with pytest.raises(ValueError, match="calibration fails"):  # a logit loss with the log-log mean
        Family("wrong2", u, y, mean=sp.exp(-sp.exp(-u)), loss=-y * u + sp.log(1 + sp.exp(u)))
    assert sorted(cache.iterdir()) == before  # nothing written


def test_calibration_is_judged_relative_to_the_size_of_its_terms():
    # -e^u at u = -40 is -4.2e-18 (a third of the terms e^u - 2e^u): the message says how large
    with pytest.raises(ValueError, match=r"h'\(u, mean\(u\)\) = -4.24835e-18, not 0, at u = -40 \(0.33333333 of its "
                                         r"terms' size\)"):
        Family("wrong", u, y, mean=2 * sp.exp(u), loss=sp.exp(u) - y * u, target="nonnegative")
    # calibrated: h'(u, e^u) = e^u (1 + e^-u) - e^u e^-u - e^u, rounding noise 5e-38 at u = 100 (80 digits)
    # next to terms of 3e43 (was refused by K1); its printed loss is then refused by S1 (nan at u = -1e5)
    with pytest.raises(ValueError, match="claim S1") as error:
        Family("noise", u, y, mean=sp.exp(u), loss=sp.exp(u) * (1 + sp.exp(-u)) - y * u, target="nonnegative")
    assert "calibration" not in str(error.value)


@pytest.mark.parametrize("mean, values", [(1 / (1 + sp.exp(u)), "1 at u = -40 and 4.24835e-18"),
                                          (sp.Rational(1, 2), "0.5 at u = -40 and 0.5")])
def test_a_mean_that_does_not_increase_is_refused_as_k3(mean, values):
    with pytest.raises(ValueError, match=rf"the mean must increase with u, but it is {values} at u = 40 \(claim K3\)"):
        Family("down", u, y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean))


def test_cached_and_generated_modules_follow_the_umask(tmp_path, monkeypatch):
    """mkstemp's 0600 kept a shared SYMLOGIT_CACHE_DIR's modules from its other users."""
    from symlogit.userfamily import load_module, write_module
    monkeypatch.setenv("SYMLOGIT_CACHE_DIR", str(tmp_path / "shared"))
    old = os.umask(0o022)
    try:
        counts = Family("counts", u, y, mean=sp.exp(u), loss=sp.exp(u) - y * u, target="nonnegative")
        load_module(counts)
        generated = write_module(counts, tmp_path / "out")
    finally:
        os.umask(old)
    assert counts.module_path.parent == tmp_path / "shared"
    assert counts.module_path.stat().st_mode & 0o777 == 0o644
    assert generated.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("kwargs, message", [
    (dict(loss=-y * u + sp.Function("f")(u)), "undefined function"),
    (dict(loss=-y * u + sp.Symbol("z") * u), "only the symbols u, y; it also uses z"),
    (dict(loss=-y * u + sp.exp(u), target="counts"), "target must be one of"),
    (dict(loss=-y * u + sp.I * u), "not real-valued"),
    (dict(loss=-y * u + sp.log(u)), "not real-valued on the domain"),
    # Poisson's deviance per row: y log y is nan at y = 0 (a fit returned zeros with llf nan)
    (dict(loss=sp.exp(u) - y * u + y * sp.log(y) - y),
     r"loss must be finite for every y of the domain \(y >= 0\), but it is nan at u = .*, y = 0 \(the domain's edge\)"
     r".*y\*log\(y\)"),
    (dict(loss="not sympy"), "must be a SymPy expression"),
    (dict(loss=-y * u + sp.exp(u), name="1bad"), "name must be a Python identifier"),
    (dict(loss=-y * u + sp.exp(u), stable={"gradient": u}), "stable takes the keys"),
])
def test_bad_definitions_refused_clearly(cache, kwargs, message):
    before = sorted(cache.iterdir())
    arguments = dict(name="bad", u=u, y=y, mean=sp.exp(u), target="nonnegative") | kwargs
    with pytest.raises(ValueError, match=message):
        Family(**arguments)
    assert sorted(cache.iterdir()) == before


def test_unprintable_expression_refused():
    with pytest.raises(ValueError, match="cannot be printed as numba code: besselj has no numba form"):
        Family("bessel", u, y, mean=sp.exp(u), loss=sp.exp(u) - y * u + sp.besselj(0, y), target="nonnegative")


BERNOULLI_LOGIT = -y * sp.log(1 / (1 + sp.exp(-u))) - (1 - y) * sp.log(1 - 1 / (1 + sp.exp(-u)))


@pytest.mark.parametrize("kwargs, message", [
    # a kink: d²/du² is a DiracDelta (was a NameError from mpmath's printer)
    (dict(mean=u, loss=sp.Abs(y - u), target="real"),
     r"the loss must be twice differentiable in u, but it has Abs\(u - y\) \(it is not smooth: .*DiracDelta"),
    (dict(mean=u, loss=sp.Piecewise(((y - u) ** 2 / 2, sp.Abs(y - u) < 1), (sp.Abs(y - u) - sp.Rational(1, 2), True)),
          target="real"), r"twice differentiable in u, but it has Abs\(u - y\)"),
    # no derivative SymPy knows (was a PrintMethodNotImplementedError of three lines)
    (dict(mean=1 / (1 + sp.exp(-u)), loss=BERNOULLI_LOGIT + sp.floor(u)),
     r"twice differentiable in u, but it has floor\(u\) \(SymPy has no derivative for it\)"),
    (dict(mean=1 / (1 + sp.exp(-u)), loss=BERNOULLI_LOGIT + sp.polygamma(2, u ** 2 + 1)),
     r"cannot be printed as numba code: polygamma has no numba form; .*sigmoid, softplus, ndtr, log_ndtr"),
])
def test_what_sympy_cannot_differentiate_or_print_is_one_line(cache, kwargs, message):
    before = sorted(cache.iterdir())
    with pytest.raises(ValueError, match=message) as error:
        Family("bad", u, y, **kwargs)
    assert "\n" not in str(error.value) and "strict" not in str(error.value)
    assert sorted(cache.iterdir()) == before


def test_cli_family_sympy_cannot_differentiate_is_one_line_exit_2(tmp_path):
    path = tmp_path / "kink.py"
    path.write_text("import sympy as sp\nfrom symlogit import Family\nu, y = sp.symbols('u y', real=True)\n"
                    "kink = Family('kink', u, y, mean=u, loss=sp.Abs(y - u), target='real')\n")
    for args in (["verify", "--family", f"{path}:kink"], ["fit", "--family", f"{path}:kink"]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1 and "Abs(u - y)" in result.output


def test_a_fitted_model_with_a_user_family_pickles():
    import pickle
    loglog = loglog_family()
    X, labels = binary_data(12, 300, np.array([0.1, 0.8]), lambda t: np.exp(-np.exp(-t)))
    model = GLMClassifier(family=loglog, penalty=None).fit(X, labels)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.family == loglog and copy.family_definition_ == loglog
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    from sklearn.base import clone
    assert clone(model).family is loglog


@pytest.mark.parametrize("loss", ["sympify('1')", "Symbol('u').__class__", "open('x')", "Symbol('q')"])
def test_a_definition_that_is_not_sympy_constructors_is_not_run(loss):
    from symlogit.userfamily import from_definition
    definition = loglog_family().definition()
    assert from_definition(definition) == loglog_family()  # srepr round trip
    with pytest.raises(ValueError, match="unexpected|may use only the symbols"):
        from_definition(dict(definition, loss=loss))


def test_not_a_family_refused():
    X, labels = binary_data(5, 50, np.array([0.0, 1.0]), lambda t: 1 / (1 + np.exp(-t)))
    with pytest.raises(ValueError, match="symlogit.Family with target 'probability'"):
        GLMClassifier(family=42).fit(X, labels)
    with pytest.raises(ValueError, match="symlogit.Family with target 'nonnegative' or 'real'"):
        GLMRegressor(family=loglog_family()).fit(X, labels.astype(float))


def test_second_process_reuses_the_cache_without_deriving_or_compiling(cache):
    loglog = loglog_family()
    X, labels = binary_data(6, 300, np.array([0.1, 0.8]), lambda t: np.exp(-np.exp(-t)))
    first = GLMClassifier(family=loglog, penalty=None).fit(X, labels)
    assert loglog.module_path.is_file() and loglog.module_path.parent == cache
    script = textwrap.dedent(f"""
        import numpy as np, sympy as sp
        import symlogit.symbolic.families as table
        def refuse(*args, **kwargs):
            raise AssertionError("derived again")
        table.derive_scalar = refuse
        from symlogit import Family, GLMClassifier
        u, y = sp.symbols("u y", real=True)
        mean = sp.exp(-sp.exp(-u))
        f = Family(name="loglog", u=u, y=y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean))
        rng = np.random.default_rng(6)
        X = rng.normal(size=(300, 1)); labels = np.array({labels.tolist()})
        m = GLMClassifier(family=f, penalty=None).fit(X, labels)
        k = f.runtime().kernels
        stats = [v.stats for v in vars(k).values() if hasattr(v, "stats") and hasattr(v, "py_func")]
        misses = sum(sum(s.cache_misses.values()) for s in stats)
        hits = sum(sum(s.cache_hits.values()) for s in stats)
        assert misses == 0 and hits > 0, (misses, hits)
        print(repr(float(m.coef_[0, 0])))
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SYMLOGIT_CACHE_DIR=str(cache))
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert float(run.stdout.strip()) == pytest.approx(first.coef_[0, 0], rel=1e-12)


# ---- the CLI -------------------------------------------------------------------------------------

FAMILIES_PY = '''
import sympy as sp
from symlogit import Family
u, y = sp.symbols("u y", real=True)
mean = sp.exp(-sp.exp(-u))
loglog = Family(name="loglog", u=u, y=y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean))
number = 3
'''


def invoke(*args):
    from click.testing import CliRunner

    from symlogit.cli import cli
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False, standalone_mode=True)


@pytest.fixture
def families_py(tmp_path):
    path = tmp_path / "families.py"
    path.write_text(FAMILIES_PY)
    return path


def test_cli_fit_saves_a_model_that_predicts_without_the_family_file(tmp_path, families_py):
    import pandas as pd
    X, labels = binary_data(7, 400, np.array([0.1, 0.7, -0.4]), lambda t: np.exp(-np.exp(-t)))
    data = tmp_path / "data.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": labels}).to_csv(data, index=False)
    model_file = tmp_path / "model.json"
    result = invoke("fit", data, "--family", f"{families_py}:loglog", "--penalty", "none", "--out", model_file, "-q")
    assert result.exit_code == 0, result.output
    assert "GLM loglog results" in result.output
    saved = json.loads(model_file.read_text())
    assert saved["family"] == "loglog" and saved["family_definition"]["name"] == "loglog"
    assert "Symbol('u', real=True)" in saved["family_definition"]["loss"]
    assert len(saved["family_kernels_sha256"]) == 64
    reference = GLMClassifier(family=loglog_family(), penalty=None).fit(X, labels)
    np.testing.assert_allclose(saved["coef"][0], reference.coef_[0], rtol=1e-8)
    families_py.unlink()  # predict rebuilds the family from the model file
    result = invoke("predict", model_file, data, "--proba")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(("p_", "0", "1"))]
    proba = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    np.testing.assert_allclose(proba, reference.predict_proba(X), rtol=1e-9)


def _fitted_loglog_model(tmp_path, families_py):
    """(data.csv, model.json) of a log-log fit by the CLI, in tmp_path."""
    import pandas as pd
    X, labels = binary_data(8, 200, np.array([0.1, 0.7]), lambda t: np.exp(-np.exp(-t)))
    data = tmp_path / "data.csv"
    pd.DataFrame({"a": X[:, 0], "label": labels}).to_csv(data, index=False)
    model_file = tmp_path / "model.json"
    assert invoke("fit", data, "--family", f"{families_py}:loglog", "--out", model_file, "-q").exit_code == 0
    return data, model_file


def test_cli_model_whose_family_cannot_be_rebuilt(tmp_path, families_py):
    data, model_file = _fitted_loglog_model(tmp_path, families_py)
    saved = json.loads(model_file.read_text())
    saved["family_definition"]["loss"] = "Symbol('q')"
    model_file.write_text(json.dumps(saved))
    result = invoke("predict", model_file, data)
    assert result.exit_code == 2
    assert "family 'loglog' cannot be rebuilt" in result.output and "uses q" in result.output


@pytest.mark.parametrize("field, payload", [
    ("mean", 'exp("__import__(\'os\').system(\'touch {marker}\')")'),
    ("mean", 'Add(Integer(1), log("__import__(\'os\').system(\'touch {marker}\') or 1"))'),
    ("loss", "Symbol('u', real=__import__('os').system('touch {marker}'))"),
    ("mean", "Float('1; touch {marker}', precision=53)"),
])
def test_a_crafted_model_file_runs_no_code_in_predict(tmp_path, families_py, field, payload):
    """A string reaching a SymPy function is parsed by sympify, which runs it as Python: a
    definition is built from its srepr's syntax tree, with strings only as Symbol names."""
    data, model_file = _fitted_loglog_model(tmp_path, families_py)
    saved = json.loads(model_file.read_text())
    marker = tmp_path / "PWNED"
    saved["family_definition"][field] = payload.format(marker=marker)
    model_file.write_text(json.dumps(saved))
    result = invoke("predict", model_file, data)
    assert not marker.exists()
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "cannot be rebuilt: unexpected" in result.output


def test_cli_verify_and_generate_a_user_family(tmp_path, families_py):
    result = invoke("verify", "--family", f"{families_py}:loglog")
    assert result.exit_code == 0, result.output
    for cid in ("U1", "U2", "U3", "K1", "K2", "K3", "S1"):
        assert f"  {cid} " in result.output
    out = tmp_path / "kernels"
    assert invoke("generate", "--family", f"{families_py}:loglog", "--out", out).exit_code == 0
    first = (out / "loglog.py").read_bytes()
    assert invoke("generate", "--family", f"{families_py}:loglog", "--out", out).exit_code == 0
    assert (out / "loglog.py").read_bytes() == first  # byte-identical on regeneration
    assert invoke("generate", "--family", f"{families_py}:loglog", "--out", out, "--check").exit_code == 0
    assert first.startswith(b"# User family 'loglog'") and b"Do not edit" in first
    imports = {line.split()[1] for line in first.decode().splitlines() if line.startswith(("import ", "from "))}
    assert imports == {"math", "numba", "numpy"}


@pytest.mark.parametrize("command", ["fit", "verify", "generate"])
@pytest.mark.parametrize("spec, message", [("missing.py:loglog", "no such file"), ("{}:nope", "has no name 'nope'"),
                                           ("{}:number", "not a symlogit.Family")])
def test_cli_bad_family_is_one_line_exit_2(tmp_path, families_py, command, spec, message):
    spec = spec.format(families_py)
    args = {"fit": ["fit", "--family", spec], "verify": ["verify", "--family", spec],
            "generate": ["generate", "--family", spec, "--out", tmp_path / "out"]}[command]
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_fit_help_and_bad_family_mention_file_py_name():
    assert "--family [logit|probit|cloglog|poisson|FILE.py:NAME]" in invoke("fit", "--help").output
    result = invoke("fit", "--family", "gamma")
    assert result.exit_code == 2 and "'gamma' is not one of" in result.output and "or FILE.py:NAME" in result.output


@pytest.mark.slow
def test_concurrent_first_uses_do_not_corrupt_the_cache(tmp_path):
    """Two processes create and fit the same new family at once into an empty cache."""
    script = textwrap.dedent("""
        import numpy as np, sympy as sp
        from symlogit import Family, GLMRegressor
        u, y = sp.symbols("u y", real=True)
        f = Family("counts", u, y, mean=sp.exp(u), loss=sp.exp(u) - y * u, target="nonnegative")
        rng = np.random.default_rng(9)
        X = rng.normal(size=(300, 2)); counts = rng.poisson(np.exp(0.2 + X @ [0.3, -0.1]))
        print(repr(GLMRegressor(family=f, alpha=0.0).fit(X, counts).coef_.tolist()))
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SYMLOGIT_CACHE_DIR=str(tmp_path))
    runs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err[-2000:] for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    modules = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert len(modules) == 1 and modules[0].startswith("symlogit_family_counts_") and modules[0].endswith(".py")


@pytest.mark.slow  # ~5 s: a compile
def test_user_poisson_equals_builtin_poisson():
    counts = Family("counts", u, y, mean=sp.exp(u), loss=sp.exp(u) - y * u, target="nonnegative")
    assert {c.id: c.status for c in counts.claims}["K2"] == "proven"
    rng = np.random.default_rng(10)
    X = rng.normal(size=(500, 3))
    target = rng.poisson(np.exp(0.2 + X @ np.array([0.3, -0.1, 0.05])))
    ours = GLMRegressor(family=counts, alpha=0.0).fit(X, target)
    builtin = GLMRegressor(family="poisson", alpha=0.0).fit(X, target)
    np.testing.assert_allclose(ours.coef_, builtin.coef_, rtol=1e-10, atol=1e-12)
    assert ours.score(X, target) == pytest.approx(builtin.score(X, target), rel=1e-10)
    np.testing.assert_allclose(ours.inference().bse, builtin.inference().bse, rtol=1e-8)


@pytest.mark.slow  # ~35 s: two derivations with erf at 320 digits, and a compile
def test_stable_forms_given_by_the_user():
    """A probit written with erf: refused as unstable (S1, naming the point), accepted with stable
    forms in log_ndtr and ndtr, and then equal to the built-in probit."""
    from symlogit.userfamily import log_ndtr, ndtr
    mean = (1 + sp.erf(u / sp.sqrt(2))) / 2
    loss = -y * sp.log(mean) - (1 - y) * sp.log(1 - mean)
    with pytest.raises(ValueError, match=r"not stable in float64: .* at u = .*, y = .*claim S1"):
        Family("myprobit", u, y, mean=mean, loss=loss)
    myprobit = Family("myprobit", u, y, mean=mean, loss=loss, stable={
        "loss": -y * log_ndtr(u) - (1 - y) * log_ndtr(-u), "mean": ndtr(u), "complement": ndtr(-u)})
    assert all(c.status in ("proven", "numeric") for c in myprobit.claims)
    X, labels = binary_data(11, 600, np.array([0.2, 0.8, -0.5]), lambda t: 0.5 * (1 + np.tanh(0.8 * t)))
    ours = GLMClassifier(family=myprobit, penalty=None).fit(X, labels)
    builtin = GLMClassifier(family="probit", penalty=None).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, builtin.coef_, rtol=1e-9)
    np.testing.assert_allclose(ours.inference().bse, builtin.inference().bse, rtol=1e-8)


@pytest.mark.slow
def test_dask_fits_a_user_family_on_worker_processes():
    """Workers import the kernels by name (symlogit._user.<module>, from the same cache folder)."""
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    loglog = loglog_family()
    X, labels = binary_data(13, 2000, np.array([0.2, 0.5, -1.0]), lambda t: np.exp(-np.exp(-t)))
    reference = GLMClassifier(family=loglog, penalty=None).fit(X, labels)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as \
            cluster, distributed.Client(cluster):
        model = GLMClassifier(family=loglog, penalty=None).fit(da.from_array(X, chunks=500),
                                                             da.from_array(labels, chunks=500))
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-7)
        proba = model.predict_proba(da.from_array(X, chunks=500)).compute()
    np.testing.assert_allclose(proba, reference.predict_proba(X), rtol=1e-6, atol=1e-9)  # coef within tol
