"""scipy.sparse X (symlogit.sparse): the same fits, predictions and inference as dense X, for
every family and solver; every format and dtype; X never made dense; bad input refused."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression
from symlogit.estimator import SeparationWarning
from symlogit.family import get_family
from symlogit.solvers import choose_solver, newton_affordable
from symlogit.sparse import as_csr, sparse_kernels

N, D = 300, 12
FAMILIES = ("logit", "probit", "cloglog", "softmax", "poisson")


def _data(seed=0, n=N, d=D, density=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * (rng.random((n, d)) < density)
    return X, rng


def _problem(family, seed=0, n=N, d=D):
    """(dense X, y, sample weights, a model factory) for a family."""
    X, rng = _data(seed, n, d)
    b = rng.normal(size=d)
    w = rng.random(n) + 0.5
    if family == "poisson":
        return X, rng.poisson(np.exp(0.2 * X @ b)), w, lambda **kw: GLMRegressor(**{"alpha": 0.01, **kw})
    if family == "softmax":
        y = np.digitize(X @ b + rng.normal(size=n), [-0.7, 0.7])
        return X, y, w, lambda **kw: LogisticRegression(**kw)
    y = (X @ b + rng.normal(size=n) > 0).astype(int)
    return X, y, w, lambda **kw: GLMClassifier(family=family, **kw)


def _relative(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300)


def _random_rows(rng, n, d, per_row):
    """CSR (n, d) with ``per_row`` entries a row in uniform random columns (duplicates summed), values in [0, 1)."""
    return as_csr(sp.csr_matrix((rng.random(n * per_row), (np.repeat(np.arange(n), per_row),
                                                         rng.integers(0, d, n * per_row))), shape=(n, d)))


def _traced_peak(fit):
    """(fit(), the peak of the memory traced while it ran, bytes); ConvergenceWarnings ignored."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = fit()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _fit(make, X, y, **kw):
    weights = kw.pop("sample_weight", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make(**kw).fit(X, y, sample_weight=weights)


# ---- the kernels -----------------------------------------------------------------------------

@pytest.fixture(params=["whole", "blocks"])
def small_blocks(request, monkeypatch):
    """Per-row weights and Hessians added up over X whole, or over many small row blocks."""
    import symlogit.sparse

    if request.param == "blocks":
        monkeypatch.setattr(symlogit.sparse, "PASS_BLOCK_ENTRIES", 37)
        monkeypatch.setattr(symlogit.sparse, "GRAM_BLOCK_ENTRIES", 50)


@pytest.mark.parametrize("family", ["logit", "probit", "cloglog", "poisson"])
@pytest.mark.parametrize("intercept", [True, False])
def test_scalar_kernels_equal_the_dense_kernels(family, intercept, small_blocks):
    X, rng = _data(1)
    f = get_family(family)
    dense, sparse = f.kernels, sparse_kernels(f)
    Xs = as_csr(sp.csr_matrix(X))
    y = rng.poisson(1.0, N).astype(float) if family == "poisson" else (rng.random(N) < 0.4).astype(float)
    w, offset = rng.random(N) + 0.1, 0.1 * rng.normal(size=N)
    beta, v = 0.3 * rng.normal(size=D + intercept), rng.normal(size=D + intercept)
    for o in (None, offset):
        for expected in (False, True):
            a = dense.loss_grad_hess(X, y, beta, w, intercept, offset=o, expected=expected)
            b = sparse.loss_grad_hess(Xs, y, beta, w, intercept, offset=o, expected=expected)
            assert b[2].shape == (D + intercept,) * 2
            for x, z in zip(a, b):
                assert _relative(x, z) < 1e-13
        assert _relative(dense.hessp(X, y, beta, v, w, intercept, offset=o),
                         sparse.hessp(Xs, y, beta, v, w, intercept, offset=o)) < 1e-12
        assert _relative(dense.loss_grad(X, y, beta, w, intercept, offset=o)[1],
                         sparse.loss_grad(Xs, y, beta, w, intercept, offset=o)[1]) < 1e-13
        assert _relative(dense.means(X, beta, intercept, offset=o), sparse.means(Xs, beta, intercept, offset=o)) < 1e-14


@pytest.mark.parametrize("family", ["logit", "probit", "cloglog"])
def test_scalar_kernels_take_label_codes_and_broadcast_unit_weights(family, small_blocks):
    """A sparse fit hands the kernels binary labels as their one-byte codes and unit weights as a
    broadcast of 1.0 (never N floats): the same loss, gradient, curvature and Hessian as float
    labels and an array of ones, bit for bit."""
    from symlogit.targets import check_sample_weight, encode_targets

    X, rng = _data(4)
    f = sparse_kernels(get_family(family))
    Xs = as_csr(sp.csr_matrix(X))
    targets = encode_targets(np.where(rng.random(N) < 0.4, "yes", "no"))
    codes, unit = targets.kernel_values, check_sample_weight(None, N)
    assert codes.dtype == np.uint8 and unit.strides == (0,) and targets.values.dtype == np.float64
    beta = 0.3 * rng.normal(size=D + 1)
    a = f.loss_grad_hess(Xs, targets.values, beta, np.ones(N))
    b = f.loss_grad_hess(Xs, codes, beta, unit)
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x, z)
    np.testing.assert_array_equal(f.curvature(Xs, targets.values, beta, np.ones(N)), f.curvature(Xs, codes, beta, unit))
    assert f.loss(Xs, codes, beta, np.full(N, 2.0)) == pytest.approx(2 * f.loss(Xs, codes, beta, unit), rel=1e-14)


@pytest.mark.parametrize("intercept", [True, False])
def test_hessian_vector_product_over_two_halves_of_the_rows(intercept, monkeypatch):
    """On large X, H v runs over two halves of the rows at once (the second on a thread of its
    own) and adds them: the dense product to rounding, the same bits on every call."""
    import symlogit.sparse

    X, rng = _data(5)
    f = get_family("logit")
    Xs = as_csr(sp.csr_matrix(X))
    beta, v, w = 0.3 * rng.normal(size=D + intercept), rng.normal(size=D + intercept), rng.random(N) + 0.1
    y = (rng.random(N) < 0.4).astype(float)
    monkeypatch.setattr(symlogit.sparse, "HESSP_HALVES_ENTRIES", 0)
    kernels = sparse_kernels(f)
    first = kernels.hessp(Xs, y, beta, v, w, intercept)
    assert _relative(f.kernels.hessp(X, y, beta, v, w, intercept), first) < 1e-13
    for _ in range(3):
        np.testing.assert_array_equal(kernels.hessp(Xs, y, beta, v, w, intercept), first)


@pytest.mark.parametrize("intercept", [True, False])
def test_softmax_kernels_equal_the_dense_kernels(intercept, small_blocks):
    X, rng = _data(2)
    f = get_family("softmax")
    dense, sparse = f.kernels, sparse_kernels(f)
    Xs = as_csr(sp.csr_matrix(X))
    K = 4
    Y, w = np.eye(K)[rng.integers(0, K, N)], rng.random(N) + 0.1
    B, V = 0.3 * rng.normal(size=(D + intercept, K)), rng.normal(size=(D + intercept, K))
    a, b = dense.loss_grad_hess(X, Y, B, w, intercept), sparse.loss_grad_hess(Xs, Y, B, w, intercept)
    for x, z in zip(a, b):
        assert _relative(x, z) < 1e-13
    assert _relative(dense.hessp(X, Y, B, V, w, intercept), sparse.hessp(Xs, Y, B, V, w, intercept)) < 1e-12
    for name in ("probabilities", "log_probabilities", "scores"):
        assert _relative(getattr(dense, name)(X, B, intercept), getattr(sparse, name)(Xs, B, intercept)) < 1e-13


@pytest.mark.parametrize("family,classes,l2,intercept", [("logit", None, 1e-2, True), ("poisson", None, 0.0, False),
                                                          ("softmax", 3, 1e-2, True), ("softmax", 3, 0.0, True),
                                                          ("softmax", 3, 1e-2, False)])
def test_hessian_on_columns_of_sparse_X_equals_the_dense_objectives(family, classes, l2, intercept, small_blocks):
    """The working-set Hessian of proximal Newton: on CSR X added up over row blocks with the
    columns taken from each block, the same rows and columns (pins, penalty) as the dense
    objective's Hessian over a copy of those columns."""
    from symlogit.solvers.objective import Objective, SparseObjective

    X, rng = _data(3)
    f = get_family(family).for_classes(classes or 2)
    y = (rng.poisson(1.0, N).astype(float) if family == "poisson" else
         np.eye(3)[rng.integers(0, 3, N)] if classes else (rng.random(N) < 0.4).astype(float))
    w = rng.random(N) + 0.1
    dense = Objective(X, y, w, f, intercept, l2, classes)
    sparse = SparseObjective(as_csr(sp.csr_matrix(X)), y, w, f, intercept, l2, classes)
    columns = np.array([1, 4, 5, 9])
    theta = np.where(dense.on_columns_entries(columns), 0.2 * rng.normal(size=dense.n_params), 0.0)
    expected = dense.hessian_on_columns(theta, columns)
    assert expected.shape == (dense.on_columns_entries(columns).sum(),) * 2
    assert _relative(sparse.hessian_on_columns(theta, columns), expected) < 1e-13


# ---- fits equal dense fits -------------------------------------------------------------------

@pytest.mark.parametrize("solver", ["lbfgs", "newton", "newton-cg", "auto"])
@pytest.mark.parametrize("family", FAMILIES)
def test_sparse_fit_equals_dense_fit(family, solver):
    X, y, w, make = _problem(family)
    dense = _fit(make, X, y, solver=solver, sample_weight=w)
    sparse = _fit(make, sp.csr_matrix(X), y, solver=solver, sample_weight=w)
    assert sparse.solver_ == dense.solver_
    assert _relative(dense.coef_, sparse.coef_) < 1e-8
    assert _relative(dense.intercept_, sparse.intercept_) < 1e-8
    assert sparse.converged_ == dense.converged_


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
@pytest.mark.parametrize("family", ["logit", "softmax", "poisson"])
def test_sparse_fit_without_intercept_equals_dense(family, solver):
    X, y, w, make = _problem(family, seed=21)
    dense = _fit(make, X, y, solver=solver, fit_intercept=False, sample_weight=w)
    sparse = _fit(make, sp.csc_array(X), y, solver=solver, fit_intercept=False, sample_weight=w)
    assert _relative(dense.coef_, sparse.coef_) < 1e-8
    assert np.all(np.asarray(sparse.intercept_) == 0)


def test_sparse_fits_are_reproducible_to_the_bit():
    X, y, w, make = _problem("softmax", seed=22)
    first, second = (_fit(make, sp.csr_matrix(X), y, solver="lbfgs", sample_weight=w) for _ in range(2))
    np.testing.assert_array_equal(first.coef_, second.coef_)


@pytest.mark.parametrize("family", FAMILIES)
def test_predictions_equal_dense(family):
    X, y, w, make = _problem(family, seed=3)
    model = _fit(make, sp.csr_matrix(X), y, sample_weight=w)
    Xs = sp.csc_matrix(X[:50])
    assert _relative(model.predict(X[:50]), model.predict(Xs)) == 0 or family == "poisson"
    if family == "poisson":
        assert _relative(model.predict(X[:50]), model.predict(Xs)) < 1e-14
        assert abs(model.score(X, y, sample_weight=w) - model.score(sp.coo_array(X), y, sample_weight=w)) < 1e-12
        return
    assert _relative(model.predict_proba(X[:50]), model.predict_proba(Xs)) < 1e-14
    assert _relative(model.predict_log_proba(X[:50]), model.predict_log_proba(Xs)) < 1e-13
    assert _relative(model.decision_function(X[:50]), model.decision_function(Xs)) < 1e-13
    assert model.score(X, y, sample_weight=w) == model.score(sp.coo_array(X), y, sample_weight=w)


@pytest.mark.parametrize("family", ["logit", "cloglog", "poisson"])
def test_offset_on_sparse_equals_dense(family):
    X, y, w, make = _problem(family, seed=4)
    offset = 0.2 * np.random.default_rng(4).normal(size=N)
    dense = make(solver="newton").fit(X, y, sample_weight=w, offset=offset)
    sparse = make(solver="newton").fit(sp.csr_array(X), y, sample_weight=w, offset=offset)
    assert _relative(dense.coef_, sparse.coef_) < 1e-8
    assert _relative(dense.linear_predictor(X, offset), sparse.linear_predictor(sp.csr_array(X), offset)) < 1e-12


def test_gd_runs_on_sparse_and_sgd_is_refused():
    X, y, w, make = _problem("logit", seed=5)
    dense = _fit(make, X, y, solver="gd", max_iter=30)
    sparse = _fit(make, sp.csr_matrix(X), y, solver="gd", max_iter=30)
    assert _relative(dense.coef_, sparse.coef_) < 1e-8
    with pytest.raises(ValueError, match="'sgd' does not run on sparse X"):
        make(solver="sgd").fit(sp.csr_matrix(X), y)


def test_soft_targets_and_class_weight_on_sparse():
    X, y, w, make = _problem("softmax", seed=6)
    P = np.random.default_rng(6).dirichlet(np.ones(3), size=N)
    for target, options in ((P, {}), (y, {"class_weight": "balanced"})):
        dense = LogisticRegression(**options).fit(X, target)
        sparse = LogisticRegression(**options).fit(sp.csr_matrix(X), target)
        assert _relative(dense.coef_, sparse.coef_) < 1e-8


def test_warm_start_on_sparse_continues_from_the_last_fit():
    X, y, w, make = _problem("logit", seed=7)
    model = make(warm_start=True, solver="newton").fit(sp.csr_matrix(X), y)
    again = model.fit(sp.csr_matrix(X), y)
    assert again.n_iter_[0] <= 1


# ---- formats, dtypes, index dtypes, duplicates -----------------------------------------------

FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array, sp.coo_array, sp.lil_matrix,
           sp.dok_array, sp.bsr_matrix]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_every_format_dtype_and_index_dtype_gives_the_same_fit(dtype, index_dtype):
    X, y, w, make = _problem("logit", seed=8)
    X = X.astype(dtype)
    reference = make(solver="newton").fit(X.astype(np.float64), y, sample_weight=w)
    for fmt in FORMATS:
        Xs = fmt(X)
        if hasattr(Xs, "indices"):
            Xs.indices, Xs.indptr = Xs.indices.astype(index_dtype), Xs.indptr.astype(index_dtype)
        elif hasattr(Xs, "coords"):
            Xs.coords = tuple(c.astype(index_dtype) for c in Xs.coords)
        model = make(solver="newton").fit(Xs, y, sample_weight=w)
        assert _relative(reference.coef_, model.coef_) < 1e-8, fmt.__name__
        assert _relative(reference.predict_proba(X), model.predict_proba(fmt(X))) < 1e-12, fmt.__name__


def test_a_dataframe_of_sparse_columns_fits_as_sparse_with_its_feature_names():
    import pandas as pd

    X, y, w, make = _problem("logit", seed=20)
    names = [f"f{j}" for j in range(D)]
    frame = pd.DataFrame.sparse.from_spmatrix(sp.csr_matrix(X), columns=names)
    model = make(solver="newton").fit(frame, y)
    assert list(model.feature_names_in_) == names
    assert _relative(make(solver="newton").fit(X, y).coef_, model.coef_) < 1e-8
    assert _relative(model.predict_proba(frame), model.predict_proba(pd.DataFrame(X, columns=names))) < 1e-13


def test_integer_values_are_accepted():
    X, y, w, make = _problem("logit", seed=9)
    counts = np.round(np.abs(X) * 3).astype(np.int64)
    assert _relative(make().fit(counts, y).coef_, make().fit(sp.csr_matrix(counts), y).coef_) < 1e-8


def test_duplicate_entries_are_summed_and_the_input_is_left_alone():
    X, y, w, make = _problem("logit", seed=10)
    coo = sp.coo_matrix(X)
    half = coo.data / 2  # every entry stored twice, as two halves
    doubled = sp.coo_matrix((np.concatenate([half, coo.data - half]), (np.tile(coo.row, 2), np.tile(coo.col, 2))),
                            shape=X.shape)
    csr = sp.csr_matrix((doubled.data, (doubled.row, doubled.col)), shape=X.shape)  # summed by scipy
    reference = make(solver="newton").fit(X, y)
    assert _relative(reference.coef_, make(solver="newton").fit(doubled, y).coef_) < 1e-8
    assert _relative(reference.coef_, make(solver="newton").fit(csr, y).coef_) < 1e-8
    # a CSR with duplicate, unsorted entries (not canonical): summed, and the caller's matrix not changed
    order = np.lexsort((-doubled.col, doubled.row))
    rows, cols, data = doubled.row[order], doubled.col[order], doubled.data[order]
    messy = sp.csr_matrix((data, cols, np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=N))])),
                          shape=X.shape)
    assert not messy.has_canonical_format
    before = messy.data.copy(), messy.indices.copy()
    assert _relative(reference.coef_, make(solver="newton").fit(messy, y).coef_) < 1e-8
    np.testing.assert_array_equal(messy.data, before[0])
    np.testing.assert_array_equal(messy.indices, before[1])


# ---- never dense -----------------------------------------------------------------------------

@pytest.fixture
def no_densifying(monkeypatch):
    """toarray/todense of a sparse matrix of more than 50 rows (X, its row samples, the LP's
    rows) raise: a Hessian (p×p, p ≤ 50 here) or a 1×d row of column maxima may be made dense."""
    def refuse(original):
        def method(self, *args, **kwargs):
            if self.shape[0] > 50:
                raise AssertionError(f"a sparse matrix of shape {self.shape} was made dense")
            return original(self, *args, **kwargs)
        return method

    for cls in (sp._compressed._cs_matrix, sp._coo._coo_base):
        monkeypatch.setattr(cls, "toarray", refuse(cls.toarray))
    for cls in (sp._base._spbase, sp._matrix.spmatrix):
        monkeypatch.setattr(cls, "todense", refuse(cls.todense))


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton", "gd"])
def test_fit_and_predict_never_make_X_dense(no_densifying, solver, classes):
    rng = np.random.default_rng(11)
    n, d = 2000, 30
    X = sp.random(n, d, density=0.1, format="csr", random_state=11)
    y = np.digitize(X @ rng.normal(size=d) + 0.3 * rng.normal(size=n), [0.0] if classes == 2 else [-0.3, 0.3])
    model = _fit(lambda **kw: LogisticRegression(**kw), X, y, solver=solver, max_iter=20)
    model.predict_proba(X)
    model.decision_function(X)
    model.score(X, y)
    unpenalised = _fit(lambda **kw: LogisticRegression(**kw), X, y, penalty=None, solver=solver, max_iter=20)
    unpenalised.inference()


def test_sampled_curvature_on_sparse_takes_the_dense_fits_steps():
    """Newton's curvature from a row sample (N ≥ 40,000 rows): the same rows, sparse or dense."""
    X, y, w, make = _problem("logit", seed=17, n=40_000, d=8)
    dense = make(solver="newton").fit(X, y, sample_weight=w)
    sparse = make(solver="newton").fit(sp.csr_matrix(X), y, sample_weight=w)
    assert dense.n_iter_[0] == sparse.n_iter_[0] > 1
    assert _relative(dense.coef_, sparse.coef_) < 1e-8


@pytest.mark.parametrize("classes", [None, 3])
def test_diagonal_whitening_maps_parameters_and_gradients_consistently(monkeypatch, classes):
    """Beyond DIAGONAL_ABOVE columns of a sparse X, T is diagonal: z(θ(z)) = z, ∇_z f = Tᵀ ∇_θ f
    (a finite difference along z), and L-BFGS on it reaches the dense Newton optimum."""
    import symlogit.solvers.whitening as whitening
    from symlogit.solvers.objective import SparseObjective

    monkeypatch.setattr(whitening, "DIAGONAL_ABOVE", 5)
    X, rng = _data(18)
    X[:, 3] *= 100.0  # a badly scaled column
    family = get_family("softmax" if classes else "logit")
    y = np.eye(3)[rng.integers(0, 3, N)] if classes else (rng.random(N) < 0.5).astype(float)
    objective = SparseObjective(as_csr(sp.csr_matrix(X)), y, np.ones(N), family, True, 1e-2, classes,
                                pin_reference=False)
    white = whitening.Whitening(objective)
    assert white.diagonal is not None and white.diagonal[4] < white.diagonal[1] / 10
    z = rng.normal(size=objective.n_params) * 0.1
    np.testing.assert_allclose(white.z(white.theta(z)), z, rtol=1e-12)
    e = rng.normal(size=z.size)
    step = 1e-6
    numeric = (objective.value(white.theta(z + step * e)) - objective.value(white.theta(z - step * e))) / (2 * step)
    analytic = white.gradient(objective.value_grad(white.theta(z))[1]) @ e
    assert abs(numeric - analytic) < 1e-6 * max(abs(analytic), 1.0)
    target = y.argmax(axis=1) if classes else y
    reference = LogisticRegression(solver="newton", tol=1e-10, C=1.0).fit(X, target)
    model = _fit(lambda **kw: LogisticRegression(**kw), sp.csr_matrix(X), target, solver="lbfgs", C=1.0)
    assert _relative(reference.coef_, model.coef_) < 1e-5


def test_per_column_sums_scales_and_maxima_over_blocks():
    """per_column over blocks of 7 stored entries: counts, sums with the bits of X.sum(axis=0) (the
    same order of additions), squares; each divided by a column scale; largest_per_column is
    max |x_ij| (0 for an empty column), all without a copy of X."""
    from symlogit.sparse import largest_per_column, per_column

    X, rng = _data(5)
    X[:, 2] = 0.0
    A = as_csr(sp.csr_matrix(X))
    scale = rng.random(D) + 0.5
    np.testing.assert_array_equal(per_column(A, block=7), (X != 0).sum(axis=0))
    np.testing.assert_array_equal(per_column(A, power=1, block=7), np.asarray(A.sum(axis=0)).ravel())
    np.testing.assert_allclose(per_column(A, power=1, scale=scale, block=7), X.sum(axis=0) / scale, rtol=1e-13)
    np.testing.assert_allclose(per_column(A, power=2, scale=scale, block=7), (X * X).sum(axis=0) / scale ** 2,
                               rtol=1e-13)
    np.testing.assert_array_equal(largest_per_column(A, block=7), np.abs(X).max(axis=0))


def _whitening_of(whitening, X, y, classes, intercept, l2):
    from symlogit.solvers.objective import SparseObjective

    family = get_family("softmax" if classes else "logit")
    return whitening.Whitening(SparseObjective(as_csr(sp.csr_matrix(X)), y, np.ones(len(y)), family, intercept, l2,
                                               classes, pin_reference=False))


@pytest.mark.parametrize("factor", [2.0 ** 664, 2.0 ** -664], ids=["huge", "tiny"])
@pytest.mark.parametrize("classes, intercept", [(None, True), (None, False), (3, True)])
def test_diagonal_whitening_scales_with_a_column_of_huge_or_tiny_entries(monkeypatch, factor, classes, intercept):
    """The diagonal T (sparse X beyond DIAGONAL_ABOVE columns) takes each column's mean and
    variance in units of a power of two near its largest |entry|. Unpenalised, a column multiplied
    by f = 2^±664 (about 1e±200) gets exactly its diagonal entry divided by f and its mean times f,
    and no other entry moves; before, its squares overflowed (1e400: a NaN variance) or
    underflowed (1e-400: a zero variance), either way the fallback entry 1 (every solver stopped
    at iteration 0 on the huge column, and left the tiny one's coefficient near 0). With an L2
    penalty λ the entry is 1/sqrt(h'' v_j f² + λ): f times it tends to the unpenalised value for
    f = 2^664 (λ / f² is lost), and it is 1/sqrt(λ) for f = 2^-664 (h'' v_j f² is lost)."""
    import symlogit.solvers.whitening as whitening

    monkeypatch.setattr(whitening, "DIAGONAL_ABOVE", 5)
    X, rng = _data(21)
    y = np.eye(3)[rng.integers(0, 3, N)] if classes else (rng.random(N) < 0.5).astype(float)
    scaled = X.copy()
    scaled[:, 4] *= factor
    j = 4 + intercept
    plain = _whitening_of(whitening, X, y, classes, intercept, 0.0)
    white = _whitening_of(whitening, scaled, y, classes, intercept, 0.0)
    expected = plain.diagonal.copy()
    expected[j] /= factor
    np.testing.assert_allclose(white.diagonal, expected, rtol=1e-15, atol=0)
    if intercept:
        np.testing.assert_allclose(white.centre, plain.centre * np.where(np.arange(D) == 4, factor, 1.0), rtol=1e-15)
    else:  # v = D sqrt(h'') m does not change
        np.testing.assert_allclose(white.rank_one[0], plain.rank_one[0], rtol=1e-14)
    z = rng.normal(size=white.objective.n_params)
    theta = white.theta(z)
    assert np.all(np.isfinite(theta))
    np.testing.assert_allclose(white.z(theta), z, rtol=1e-12)

    penalised = _whitening_of(whitening, scaled, y, classes, intercept, 1e-2)
    assert np.all(np.isfinite(penalised.diagonal)) and np.all(penalised.diagonal > 0)
    if factor > 1:
        assert penalised.diagonal[j] * factor == pytest.approx(plain.diagonal[j], rel=1e-12)
    else:
        assert penalised.diagonal[j] == pytest.approx(1 / np.sqrt(1e-2), rel=1e-15)


@pytest.mark.parametrize("factor", [2.0 ** 664, 2.0 ** -664], ids=["huge", "tiny"])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "tron"])
def test_whitened_solvers_reach_the_optimum_with_a_column_of_huge_or_tiny_entries(monkeypatch, factor, solver):
    """Unpenalised, multiplying a column by f divides its coefficient by f and changes nothing
    else: the fit on the scaled sparse X, that coefficient multiplied back by f, must equal Newton's
    exact fit (tol 1e-10) on the unscaled X. (With an L2 penalty the scaled problem is a different
    one, so the unpenalised fit is the check that needs no second solver on the same problem.)
    Before, the huge column (f ≈ 1e200) overflowed the whitening and each solver stopped at
    iteration 0; the tiny one (f ≈ 1e-200) kept its coefficient near 0, reported as converged
    (a relative error of 0.26). converged_ is not asserted: the gradient of a column of 1e200
    has a rounding floor of about ε·1e200, far above tol, and a column of 1e-200 has a gradient
    below tol whatever its coefficient (max|∇f| ≤ tol is not invariant to column scales; nor are
    the norms ‖g‖ and ‖θ‖ the solvers take in θ, which overflow here: warnings ignored)."""
    import symlogit.solvers.whitening as whitening

    monkeypatch.setattr(whitening, "DIAGONAL_ABOVE", 5)
    X, rng = _data(3)
    y = (X @ rng.normal(size=D) + rng.normal(size=N) > 0).astype(int)
    reference = LogisticRegression(solver="newton", penalty=None, tol=1e-10).fit(X, y)
    scaled = X.copy()
    scaled[:, 4] *= factor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(solver=solver, penalty=None).fit(sp.csr_matrix(scaled), y)
    coef = model.coef_.copy()
    coef[0, 4] *= factor
    assert model.n_iter_[0] > 0
    assert _relative(reference.coef_, coef) < 1e-6
    assert model.intercept_[0] == pytest.approx(reference.intercept_[0], abs=1e-6)

def test_tron_takes_norms_without_overflow_on_a_column_of_huge_entries(monkeypatch):
    """A column of entries near 1e200 gives gradient entries near 1e180, whose squares overflow:
    np.linalg.norm(g) was inf, so TRON's CG (stopping at ‖r‖ ≤ 0.1 ‖g‖) stopped after one step,
    with an overflow RuntimeWarning at each. With BLAS nrm2 (``solvers.base.norm``) no warning
    is raised and TRON reaches the optimum (see the test above for the reference)."""
    import symlogit.solvers.whitening as whitening

    monkeypatch.setattr(whitening, "DIAGONAL_ABOVE", 5)
    X, rng = _data(3)
    y = (X @ rng.normal(size=D) + rng.normal(size=N) > 0).astype(int)
    reference = LogisticRegression(solver="newton", penalty=None, tol=1e-10).fit(X, y)
    scaled = X.copy()
    scaled[:, 4] *= 2.0 ** 664
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # (max|∇f| ≤ tol is not scale-invariant)
        warnings.simplefilter("error", RuntimeWarning)
        model = LogisticRegression(solver="tron", penalty=None).fit(sp.csr_matrix(scaled), y)
    coef = model.coef_.copy()
    coef[0, 4] *= 2.0 ** 664
    assert _relative(reference.coef_, coef) < 1e-8


def test_lbfgs_takes_its_step_length_without_overflow_on_a_column_of_tiny_entries(monkeypatch):
    """A column of entries near 1e-200 has a coefficient near 1e200: L-BFGS's reported step
    ‖Δθ‖ by np.linalg.norm squared it to inf with an overflow RuntimeWarning (fresh-user trial)."""
    import symlogit.solvers.whitening as whitening

    monkeypatch.setattr(whitening, "DIAGONAL_ABOVE", 5)
    X, rng = _data(3)
    y = (X @ rng.normal(size=D) + rng.normal(size=N) > 0).astype(int)
    scaled = X.copy()
    scaled[:, 4] *= 2.0 ** -664
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = LogisticRegression(solver="lbfgs", penalty=None).fit(sp.csr_matrix(scaled), y)
    assert np.isfinite(model.history_["step"]).all()


@pytest.mark.parametrize("d", [100_000, pytest.param(1_000_000, marks=pytest.mark.slow)])
def test_a_matrix_far_too_large_to_be_dense_fits_in_seconds(d):
    """10^4 rows, 10^5 (10^6: slow) columns, ~10 entries a row: 8 (80) GB dense, 1.3 MB sparse.
    L-BFGS (diagonal whitening beyond 1000 columns) fits it, as does Newton-CG; peak traced
    memory is L-BFGS's history (O(m p)) plus O(p) vectors, far below X's dense form."""
    rng = np.random.default_rng(12)
    n, per_row = 10_000, 8
    informative = sp.csr_matrix((rng.random(n * 2), (np.repeat(np.arange(n), 2), rng.integers(0, 200, n * 2))),
                                shape=(n, d))
    X = informative + _random_rows(rng, n, d, per_row)
    beta = np.zeros(d)
    beta[:200] = 2 * rng.normal(size=200)
    y = (X @ beta + 0.5 * rng.normal(size=n) > 0).astype(int)
    model, peak = _traced_peak(lambda: LogisticRegression(solver="lbfgs").fit(X, y))
    assert model.converged_ and model.coef_.shape == (1, d)
    assert peak < 500 * 8 * d  # L-BFGS-B's workspace and O(p) vectors; X dense: 8 10^4 d bytes
    assert model.score(X, y) > 0.7
    cg = LogisticRegression(solver="newton-cg", tol=1e-10).fit(X, y)
    assert _relative(cg.coef_, model.coef_) < 1e-5


@pytest.mark.parametrize("solver", ["auto", "lbfgs", "tron"])
def test_a_wide_fit_needs_less_memory_than_a_copy_of_X(solver):
    """Issue 17: a fit's peak is X's own storage plus O(N K + p). Text-like X (200 stored entries a
    row, 12 MB) with its whitening's diagonal (p > DIAGONAL_ABOVE): the fit's allocations stay
    under half of X's storage (a copy of X, as X.multiply(X) made, is more; auto's count of
    entries per column once copied X's indices as int64)."""
    rng = np.random.default_rng(0)
    n, d, per_row = 5000, 5000, 200
    X = _random_rows(rng, n, d, per_row)
    y = (X @ rng.normal(size=d) > 0).astype(int)
    storage = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes

    def fit():
        return LogisticRegression(solver=solver, max_iter=5).fit(X, y)
    _traced_peak(fit)  # kernels loaded before tracing
    assert _traced_peak(fit)[1] < 0.5 * storage


@pytest.mark.parametrize("solver", ["tron", "newton-cg"])
def test_a_tall_sparse_newton_type_fit_holds_under_two_row_vectors(solver):
    """Issue 17's memory target on tall X (N = 10^5 rows, p = 2000: an (N,) float64 vector is 50
    p-vectors): a Newton-type fit holds the curvature at θ and labels of one byte, and no more:
    no float copy of y, no array of unit weights, no product X v (H v is one pass that scatters
    each row's term at once). Before: 6.6 vectors (int64 labels and np.unique's inverse, the
    curvature beside the next point's scores), then 4.7 (y, the weights, the curvature, X v)."""
    rng = np.random.default_rng(1)
    n, d, per_row = 100_000, 2000, 5
    X = _random_rows(rng, n, d, per_row)
    y = (X @ rng.normal(size=d) + rng.normal(size=n) > 0).astype(int)
    LogisticRegression(solver=solver).fit(X, y)  # kernels loaded before tracing
    model, peak = _traced_peak(lambda: LogisticRegression(solver=solver).fit(X, y))
    assert model.converged_
    assert peak < 2 * 8 * n, peak / (8 * n)


def test_a_wide_sparse_tron_fit_holds_about_eight_coefficient_vectors():
    """Issue 17's memory target on wide X (text: p = d + 1 = 50001 > N = 20000): TRON holds θ,
    ∇f, CG's four vectors (s, r, the direction, and one for H p and M r in turn), the
    preconditioner's diagonal and the columns' mean (8 p-vectors), the curvature (N,) and one
    byte per label; L-BFGS's history alone is 20. Measured 8.4 (poisson, whose counts y are (N,)
    floats of its own: 9.8); before, 19.1 (a float y, unit weights, X v, CG's and the
    preconditioner's temporaries, the penalty's diagonal)."""
    rng = np.random.default_rng(2)
    n, d, per_row = 20_000, 50_000, 20
    X = _random_rows(rng, n, d, per_row)
    y = (X @ rng.normal(size=d) + rng.normal(size=n) > 0).astype(int)
    LogisticRegression(solver="tron").fit(X, y)  # kernels loaded before tracing
    model, peak = _traced_peak(lambda: LogisticRegression(solver="tron").fit(X, y))
    assert model.converged_
    p_vectors = (peak - 9 * n) / (8 * (d + 1))  # (less the curvature and the codes)
    assert p_vectors < 9, p_vectors


def test_labels_are_coded_in_the_smallest_unsigned_type():
    from symlogit.targets import encode_targets

    rng = np.random.default_rng(2)
    for k in (2, 5, 40):  # (40: by searchsorted, beyond CODED_BY_COMPARISON)
        y = rng.choice([f"c{j:02d}" for j in range(k)], size=500)
        targets = encode_targets(y)
        assert targets.labels.dtype == np.uint8
        np.testing.assert_array_equal(targets.labels, np.unique(y, return_inverse=True)[1])
    y = rng.integers(0, 300, size=3000) * 2 - 7
    assert encode_targets(y).labels.dtype == np.uint16
    np.testing.assert_array_equal(encode_targets(y).labels, np.unique(y, return_inverse=True)[1])


@pytest.mark.parametrize("layout", [np.asarray, sp.csr_matrix])
def test_separation_of_many_classes_and_columns_with_byte_labels(layout):
    """Labels are uint8 codes; the separation test's constraint indices (label p + column) need
    more than a byte where p > 255 (an OverflowError before)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 300)), rng.integers(0, 3, 60)  # p > N: separable
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None, max_iter=50).fit(layout(X), y)
    assert model.separation_ is not None and not model.converged_


def test_wide_whitening_of_a_pinned_softmax_is_exact_for_its_diagonal_model():
    """Wide sparse X (d > DIAGONAL_ABOVE), softmax with an L2 penalty and an intercept: the
    reference class's intercept is pinned (Newton-CG's objective). Whitening's model of each
    class's Hessian at zero is H0 = h'' E[x̂ x̂ᵀ] + λ P with E[x xᵀ] taken as diag(var) + m mᵀ;
    T must whiten it exactly on the free entries, Tᵀ H0 T = I: the free classes by centring
    against their intercepts, the pinned class, which has no free intercept to take the mean,
    by the rank-one factor along it (before: its mean left in a diagonal of second moments, so
    Tᵀ H0 T was not I, and on unnormalised tf-idf, N = 3000, d = 20000, Newton-CG took 971
    Hessian-vector products and TRON 967, now 452 and 296)."""
    from symlogit.solvers.objective import SparseObjective
    from symlogit.solvers.whitening import DIAGONAL_ABOVE, Whitening

    rng = np.random.default_rng(4)
    n, d, K = 300, DIAGONAL_ABOVE + 100, 3
    X = as_csr(sp.random(n, d, density=0.02, random_state=4, data_rvs=lambda k: 1 + 3 * rng.random(k)))
    y = rng.integers(0, K, n)
    family = get_family("softmax")
    objective = SparseObjective(X, np.eye(K)[y], np.ones(n), family, True, 0.01, K)
    assert objective.n_params == K * (d + 1) - 1  # the reference class's intercept pinned
    whitening = Whitening(objective)
    dense = X.toarray()
    m, var = dense.mean(axis=0), dense.var(axis=0)
    h = family.hessian_at_zero(K)
    H = np.zeros((d + 1, d + 1))  # one class's model: [[h'', h'' mᵀ], [h'' m, diag(h'' var + λ) + h'' m mᵀ]]
    H[0, 0], H[0, 1:], H[1:, 0] = h, h * m, h * m
    H[1:, 1:] = h * np.outer(m, m) + np.diag(h * var + objective.l2)
    free = objective._free.reshape(d + 1, K, order="F")
    for k in range(K):
        rows = np.flatnonzero(free[:, k])
        columns = []
        for i in rows:  # T's columns for class k's free entries: θ(e_i) in B's layout
            z = np.zeros(objective.n_params)
            z[np.flatnonzero(objective._free).searchsorted(i + k * (d + 1))] = 1.0
            columns.append(objective.coef(whitening.theta(z))[:, k])
        T = np.array(columns).T[rows]
        np.testing.assert_allclose(T.T @ H[np.ix_(rows, rows)] @ T, np.eye(len(rows)), atol=1e-9)


@pytest.mark.parametrize("family, intercept", [("logit", True), ("logit", False), ("poisson", True),
                                               ("softmax", True)])
def test_wide_whitening_preconditions_in_place_as_it_does_by_copies(family, intercept):
    """TRON's preconditioner M v = T Tᵀ v on wide sparse X is applied in place for a scalar family
    (the centring with an intercept, the rank-one factor without one) and by the general path
    otherwise: both must give ``precondition``'s M v (a wrong in-place M would only slow TRON)."""
    from symlogit.solvers.objective import SparseObjective
    from symlogit.solvers.whitening import DIAGONAL_ABOVE, Whitening

    rng = np.random.default_rng(6)
    n, d, K = 300, DIAGONAL_ABOVE + 100, 3
    X = as_csr(sp.random(n, d, density=0.02, random_state=6, data_rvs=lambda k: 1 + 3 * rng.random(k)))
    f = get_family(family)
    y = np.eye(K)[rng.integers(0, K, n)] if f.is_vector else rng.integers(0, 2, n).astype(float)
    objective = SparseObjective(X, y, np.ones(n), f, intercept, 0.01, K if f.is_vector else None)
    whitening = Whitening(objective)
    assert whitening.diagonal is not None and (whitening.centre is not None) == intercept
    v = rng.normal(size=objective.n_params)
    out = np.full_like(v, np.nan)
    assert whitening.precondition_into(v, out) is out
    expected = whitening.precondition(v)
    assert _relative(expected, out) < 1e-13


def test_the_second_half_of_a_product_runs_in_a_forked_child():
    """H v's second half runs on a thread of this process; a child forked after it has run (a
    'fork' pool, dask's nanny) must start its own thread, not wait on the parent's: the child's
    product finishes and equals the parent's."""
    import multiprocessing

    import symlogit.sparse

    X, rng = _data(7)
    Xs, c, v = as_csr(sp.csr_matrix(X)), rng.random(N), rng.normal(size=D + 1)
    kernels = sparse_kernels(get_family("logit"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(symlogit.sparse, "HESSP_HALVES_ENTRIES", 0)
        expected = kernels.hessp_with(Xs, c, v)  # (the thread started here)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=lambda: queue.put(kernels.hessp_with(Xs, c, v)))
        child.start()
        child.join(timeout=60)
        alive = child.is_alive()
        if alive:
            child.kill()
        assert not alive and child.exitcode == 0
        np.testing.assert_array_equal(queue.get(timeout=5), expected)


def test_stored_nan_is_found_across_blocks():
    from symlogit.sparse import _first_not_finite

    values = np.arange(20.0)
    assert _first_not_finite(values, block=4) is None
    values[[13, 17]] = [np.inf, np.nan]
    assert _first_not_finite(values, block=4) == 13


# ---- separation and inference ----------------------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("information", ["observed", "expected"])
def test_inference_on_sparse_equals_dense(family, information):
    X, y, w, make = _problem(family, seed=13)
    options = {"alpha": 0.0} if family == "poisson" else {"penalty": None}
    dense = make(solver="newton", tol=1e-10, **options).fit(X, y, sample_weight=w)
    sparse = make(solver="newton", tol=1e-10, **options).fit(sp.csr_matrix(X), y, sample_weight=w)
    a, b = dense.inference(information=information), sparse.inference(information=information)
    assert _relative(a.bse, b.bse) < 1e-6
    assert _relative(a.params, b.params) < 1e-8
    assert abs(a.llf - b.llf) < 1e-8 * abs(a.llf) and abs(a.llnull - b.llnull) < 1e-8 * abs(a.llnull)


@pytest.mark.parametrize("family", ["logit", "cloglog", "softmax", "poisson"])
def test_robust_covariances_and_marginal_effects_on_sparse_equal_dense(monkeypatch, family):
    """HC0-HC3, clusters and average marginal effects take a sparse X in dense blocks of bounded
    size (``sparse.row_blocks``; here 64 entries, so many blocks)."""
    import symlogit.sparse

    monkeypatch.setattr(symlogit.sparse, "DENSE_BLOCK_ENTRIES", 64)
    X, y, w, make = _problem(family, seed=23)
    options = {"alpha": 0.0} if family == "poisson" else {"penalty": None}
    dense = make(solver="newton", tol=1e-10, **options).fit(X, y, sample_weight=w)
    sparse = make(solver="newton", tol=1e-10, **options).fit(sp.csr_matrix(X), y, sample_weight=w)
    groups = np.random.default_rng(23).integers(0, 15, N)
    for cov_type in ("HC0", "HC1", "HC2", "HC3", "cluster"):
        extra = {"groups": groups} if cov_type == "cluster" else {}
        a, b = dense.inference(cov_type=cov_type, **extra), sparse.inference(cov_type=cov_type, **extra)
        assert _relative(a.bse, b.bse) < 1e-6, cov_type
        effects_a, effects_b = a.marginal_effects(), b.marginal_effects()
        assert _relative(effects_a.effects, effects_b.effects) < 1e-8
        assert _relative(effects_a.bse, effects_b.bse) < 1e-6


@pytest.mark.parametrize("family", ["logit", "softmax", "poisson"])
def test_separation_is_found_on_sparse_as_on_dense(family):
    X, rng = _data(14)
    if family == "softmax":
        y, make = np.where(X[:, 0] > 0, 0, np.where(X[:, 1] > 0, 1, 2)), LogisticRegression
        options = {"penalty": None}
    elif family == "poisson":
        X[:, 0] = np.abs(X[:, 0])  # the zero counts where x1 > 0, cut off by -x1
        y, make = np.where(X[:, 0] > 0, 0, 1 + rng.poisson(3.0, N)), GLMRegressor
        options = {"alpha": 0.0}
    else:
        y, make, options = (X[:, 0] > 0).astype(int), LogisticRegression, {"penalty": None}
    messages = []
    for data in (X, sp.csr_matrix(X)):
        with pytest.warns(SeparationWarning):
            messages.append(make(**options).fit(data, y).separation_)
    assert messages[0] == messages[1] and messages[0] is not None
    assert "x1" in messages[0]


def test_separation_of_probability_rows_on_sparse():
    x = np.r_[np.linspace(-3, -0.1, 20), np.linspace(0.1, 3, 20)][:, None]
    y = np.r_[np.zeros(20), np.ones(20)]
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None, tol=1e-10).fit(sp.csr_matrix(x), np.c_[1 - y, y])
    assert not model.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LogisticRegression(penalty=None, tol=1e-10).fit(sp.csr_matrix(np.r_[x, [[2.0]]]), np.r_[y, 0.5]).converged_


@pytest.mark.parametrize("separated", [True, False])
def test_separation_without_the_null_space_shortcut_is_the_same(monkeypatch, separated):
    """A wide sparse X skips the null space (NULL_SPACE_MAX_VARS) and solves the LP on every row:
    the same answer, separated or not."""
    import symlogit.separation as separation

    X, rng = _data(19, n=3000)
    signs = np.where(X[:, 0] > 0, 1.0, -1.0) if separated else np.where(rng.random(3000) < 0.5, 1.0, -1.0)
    weights = np.ones(3000)
    expected = separation.recession_direction(X, signs, weights)
    monkeypatch.setattr(separation, "NULL_SPACE_MAX_VARS", 3)
    found = separation.recession_direction(as_csr(sp.csr_matrix(X)), signs, weights)
    assert (found is None) == (expected is None) == (not separated)


def test_no_separation_on_sparse_when_there_is_none():
    X, y, w, make = _problem("softmax", seed=15)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        model = LogisticRegression(penalty=None).fit(sp.csr_matrix(X), y)
    assert model.separation_ is None and model.converged_


# ---- bad input and the solver rule -----------------------------------------------------------

def test_bad_sparse_input_is_refused_before_any_work():
    X, y, w, make = _problem("logit", seed=16)
    with_nan = sp.csr_matrix(X)
    with_nan.data[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make().fit(with_nan, y)
    out_of_range = sp.csr_matrix(X)
    out_of_range.indices[0] = D + 5
    with pytest.raises(ValueError, match="malformed"):
        make().fit(out_of_range, y)
    bad_pointers = sp.csr_matrix(X)
    bad_pointers.indptr[5] = bad_pointers.indptr[6] + 1
    with pytest.raises(ValueError, match="malformed"):
        make().fit(bad_pointers, y)
    negative = sp.coo_matrix(X)
    negative.row[0] = -1
    with pytest.raises(ValueError, match="malformed"):
        make().fit(negative, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make().fit(sp.csr_matrix(X), y[:-1])
    model = make().fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="features"):
        model.predict(sp.csr_matrix(X[:, :-1]))
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(with_nan)


def test_auto_on_sparse_picks_newton_only_for_a_small_hessian():
    assert choose_solver(1000, 10, params_per_row=3.0) == "newton"
    assert choose_solver(100_000, 201, params_per_row=6.0) == "newton"  # one-hot, 5 columns of 40 levels
    assert choose_solver(100_000, 1001, params_per_row=11.0) == "lbfgs"  # p³/3 alone is 3e8
    assert choose_solver(10_000, 1_000_001, params_per_row=9.0) == "tron"  # wide: TRON's memory
    assert choose_solver(10_000, 1_000_001, params_per_row=9.0, vector_family=True) == "lbfgs"
    assert choose_solver(1_000_000, 101) == "newton"  # the dense rule is unchanged
    assert not newton_affordable(20_000, 2001, params_per_row=18.0)
    assert newton_affordable(1000, 50, params_per_row=5.0)


def test_auto_on_sparse_picks_newton_cg_for_skewed_columns_and_enough_rows():
    # (N, p, q, spread) cells of tools/bench_auto.py --sparse; the rule in symlogit.solvers
    assert choose_solver(200_000, 1698, params_per_row=18.0, column_spread=7.8) == "newton-cg"  # one-hot, Zipf
    assert choose_solver(20_000, 5001, params_per_row=104.0, column_spread=3.1) == "newton-cg"  # text, N ≥ 3 p
    assert choose_solver(20_000, 20_001, params_per_row=53.0, column_spread=7.7) == "tron"  # wide text: N < 3 p
    assert choose_solver(20_000, 9_001, params_per_row=53.0, column_spread=7.7) == "lbfgs"  # p < 10^4
    assert choose_solver(100_000, 1001, params_per_row=31.0, column_spread=0.02) == "lbfgs"  # uniform columns
    assert choose_solver(100_000, 211, params_per_row=16.0, column_spread=2.9) == "lbfgs"  # p < 500
    assert choose_solver(100_000, 201, params_per_row=6.0, column_spread=2.9) == "newton"  # Newton cheap first


def _skewed_onehot(n, levels, seed=0):
    """One-hot CSR X of Zipf-distributed levels (level r with probability ∝ 1/(r+1)) and y."""
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]])
    codes = np.column_stack([np.searchsorted(np.cumsum(1 / np.arange(2, m + 2)) / np.sum(1 / np.arange(2, m + 2)),
                                             rng.random(n)) for m in levels])
    X = sp.csr_matrix((np.ones(codes.size), (np.repeat(np.arange(n), len(levels)), (codes + offsets).ravel())),
                      shape=(n, sum(levels)))
    scores = X @ rng.normal(scale=0.5, size=X.shape[1])
    return X, (rng.random(n) < 1 / (1 + np.exp(-(scores - np.median(scores))))).astype(int)


def test_column_spread_is_the_coefficient_of_variation_of_column_counts():
    X, y = _skewed_onehot(3000, (5, 40, 200))
    counts = np.asarray((X != 0).sum(axis=0)).ravel()
    model = LogisticRegression().fit(X, y)
    objective, _ = model._loss_objective()
    assert objective.column_spread() == pytest.approx(counts.std() / counts.mean(), rel=1e-12)
    equal = sp.csr_matrix(np.kron(np.eye(4), np.ones((5, 1))))  # 4 columns of 5 entries each
    assert LogisticRegression().fit(equal, np.arange(20) % 2)._loss_objective()[0].column_spread() == 0.0


def test_auto_runs_newton_cg_on_skewed_sparse_columns_and_reaches_the_optimum():
    X, y = _skewed_onehot(4000, (5, 20, 60, 150, 400))  # p = 636, N ≥ 3 p, spread ≈ 5
    auto = LogisticRegression(tol=1e-8).fit(X, y)
    reference = LogisticRegression(solver="tron", tol=1e-10).fit(X, y)
    assert auto.solver_ == "newton-cg" and auto.converged_
    assert np.max(np.abs(auto.coef_ - reference.coef_)) < 1e-5
    assert LogisticRegression().fit(X[:1000], y[:1000]).solver_ == "lbfgs"  # N < 3 p: not newton-cg


def test_auto_runs_tron_on_wide_sparse_data_of_a_scalar_family_and_reaches_the_optimum():
    """p ≥ 10^4 on sparse X (text-like), outside the newton-cg cell: tron, whose memory is about 8
    p-vectors where L-BFGS's history alone is 20; a multinomial fit stays with lbfgs."""
    rng = np.random.default_rng(3)
    n, d = 3000, 12_000
    X = sp.random(n, d, density=0.004, format="csr", random_state=rng)
    scores = X @ rng.normal(size=(d, 3)) * 3
    y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
    binary = y > 0
    auto = LogisticRegression(tol=1e-8).fit(X, binary)
    reference = LogisticRegression(solver="newton-cg", tol=1e-11).fit(X, binary)
    assert auto.solver_ == "tron" and auto.converged_
    # max|∇f| ≤ tol puts θ within tol / λ of the optimum, λ = 1 / (C N) the curvature's floor
    assert np.max(np.abs(auto.coef_ - reference.coef_)) < 1e-8 * n
    assert LogisticRegression().fit(X, y).solver_.startswith("lbfgs")
