"""Issue 17 item 5 and issue 18 item 5 on dask arrays, on dask's synchronous scheduler (the
cluster's own behaviour is tests/test_dask.py's): blocks that are scipy.sparse matrices fitted
through the sparse kernels and never made dense, equal to the in-memory sparse fit; L1 and
elastic net through proximal Newton on dense and sparse blocks, equal to the in-memory L1 fit,
and refused beyond the client's Hessian limit."""

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.sparse

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression
from symlogit.distributed import CLIENT_MAX_PARAMS

ROWS, CHUNK, WIDTH = 600, 200, 10


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


class NeverDense(scipy.sparse.csr_matrix):
    """A CSR block that fails the test if anything makes it dense."""

    def toarray(self, *args, **kwargs):
        raise AssertionError("a sparse block was made dense")

    todense = toarray


def _problem(kind, seed=0):
    """(X CSR, y, w, a maker of estimators) for kind: a family, or 'softmax' for 3 classes."""
    rng = np.random.default_rng(seed)
    X = scipy.sparse.random(ROWS, WIDTH, density=0.3, format="csr", random_state=seed) * 2.0
    beta = rng.normal(size=WIDTH)
    w = rng.uniform(0.5, 2.0, ROWS)
    if kind == "poisson":
        y = rng.poisson(np.exp(0.2 + 0.4 * (X @ beta))).astype(float)
        return X, y, w, lambda **kw: GLMRegressor(**{"alpha": 0.01, **kw})
    if kind == "softmax":
        y = np.argmax(X @ rng.normal(size=(WIDTH, 3)) + rng.gumbel(size=(ROWS, 3)), axis=1)
        return X, y, w, lambda **kw: LogisticRegression(**kw)
    y = (X @ beta + rng.logistic(size=ROWS) > 0).astype(int)
    return X, y, w, lambda **kw: GLMClassifier(**{"family": kind, **kw})


def _on_dask(X, *vectors, never_dense=True):
    """X as a dask array of CSR blocks (NeverDense ones, made on the 'workers' by map_blocks) and
    the vectors with the same row chunks."""
    if scipy.sparse.issparse(X):
        blocks = da.from_array(X, chunks=(CHUNK, X.shape[1]), asarray=False)
        if never_dense:
            blocks = blocks.map_blocks(NeverDense, dtype=np.float64, meta=scipy.sparse.csr_matrix((0, X.shape[1])))
    else:
        blocks = da.from_array(X, chunks=(CHUNK, X.shape[1]))
    return (blocks, *(da.from_array(v, chunks=CHUNK) for v in vectors))


def _relative(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b))


@pytest.mark.parametrize("kind", ["logit", "probit", "cloglog", "softmax", "poisson"])
def test_sparse_blocks_fit_and_predict_as_in_memory_sparse(kind):
    X, y, w, make = _problem(kind)
    memory = make(solver="newton", tol=1e-10).fit(X, y, sample_weight=w)
    Xd, yd, wd = _on_dask(X, y, w)
    on_dask = make(solver="newton", tol=1e-10).fit(Xd, yd, sample_weight=wd)
    assert on_dask.converged_ and _relative(on_dask.coef_, memory.coef_) < 1e-8
    assert _relative(on_dask.intercept_, memory.intercept_) < 1e-8
    methods = ["predict"] + (["predict_proba", "decision_function"] if kind != "poisson" else [])
    for method in methods:
        lazy = getattr(on_dask, method)(Xd)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(memory, method)(X), rtol=1e-7, atol=1e-12)
    assert on_dask.score(Xd, yd, wd) == pytest.approx(memory.score(X, y, w), rel=1e-9)


def test_d2_on_dask_of_counts_all_zero_is_minus_inf_as_in_memory():
    """Held-out counts all 0 (a CV fold): D(y, ȳ) = 0, so D² is -inf on dask as in memory, not
    the null model's "weighted mean of y is 0" error."""
    X, y, w, make = _problem("poisson")
    model = make(solver="newton").fit(X, y, sample_weight=w)
    zeros = np.zeros_like(y)
    Xd, yd, wd = _on_dask(X, zeros, w)
    assert model.score(X, zeros, w) == -np.inf
    assert model.score(Xd, yd, wd) == -np.inf


@pytest.mark.filterwarnings("ignore:lbfgs did not converge")
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "tron"])
def test_sparse_blocks_run_every_dask_solver(solver):
    """lbfgs whitens from a sample of rows (fetched as CSR), newton-cg and tron take Hessian-vector
    products summed from the blocks; all reach the in-memory sparse optimum."""
    X, y, w, make = _problem("logit", seed=1)
    expected = make(solver="newton", tol=1e-11).fit(X, y, sample_weight=w)
    Xd, yd, wd = _on_dask(X, y, w)
    fitted = make(solver=solver, tol=1e-10, max_iter=300).fit(Xd, yd, sample_weight=wd)
    assert _relative(fitted.coef_, expected.coef_) < 1e-7


def test_sparse_blocks_unpenalised_fit_and_inference():
    """The separation test and inference() (the Hessian reduced from CSR blocks, HC3's meat and the
    clusters' score sums made per block, marginal effects' sums too) on sparse blocks equal the
    in-memory sparse ones."""
    X, y, w, make = _problem("logit", seed=2)
    memory = make(penalty=None, solver="newton", tol=1e-10).fit(X, y, sample_weight=w)
    Xd, yd, wd = _on_dask(X, y, w, never_dense=False)  # the meat takes dense blocks of bounded size
    on_dask = make(penalty=None, solver="newton", tol=1e-10).fit(Xd, yd, sample_weight=wd)
    assert on_dask.separation_ is None and _relative(on_dask.coef_, memory.coef_) < 1e-8
    groups = np.arange(ROWS) % 13
    for cov_type in ("nonrobust", "HC3", "cluster"):
        chosen = groups if cov_type == "cluster" else None
        assert _relative(on_dask.inference(cov_type=cov_type, groups=chosen).cov,
                         memory.inference(cov_type=cov_type, groups=chosen).cov) < 1e-8, cov_type
    assert _relative(on_dask.inference().marginal_effects().effects, memory.inference().marginal_effects().effects) < 1e-8


def test_bad_sparse_blocks_are_refused_before_the_solve():
    X, y, _, _ = _problem("logit")
    calls = []
    bad = X.copy()
    bad.data[5] = np.nan
    Xd, yd = _on_dask(bad, y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        LogisticRegression(callback=calls.append).fit(Xd, yd)
    mixed = da.concatenate([da.from_array(X[:CHUNK], asarray=False),
                            da.from_array(X[CHUNK:].toarray(), chunks=(CHUNK, WIDTH))])
    with pytest.raises(ValueError, match="a block is csr_matrix: every block must be numpy"):
        LogisticRegression(callback=calls.append).fit(mixed, _on_dask(X, y)[1])
    assert calls == []


@pytest.mark.parametrize("kind", ["logit", "softmax", "poisson"])
@pytest.mark.parametrize("blocks", ["dense", "sparse"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["l1", "elasticnet"])
def test_l1_on_dask_equals_in_memory(kind, blocks, l1_ratio):
    X, y, w, make = _problem(kind, seed=3)
    if blocks == "dense":
        X = X.toarray()
    strength = {"alpha": 0.06} if kind == "poisson" else {"C": 0.1}
    memory = make(l1_ratio=l1_ratio, tol=1e-10, **strength).fit(X, y, sample_weight=w)
    on_dask = make(l1_ratio=l1_ratio, tol=1e-10, **strength).fit(*_on_dask(X, y), sample_weight=_on_dask(X, w)[1])
    assert on_dask.solver_ == "proximal-newton" and on_dask.converged_
    zero = memory.coef_ == 0
    assert 0 < zero.sum() < zero.size or l1_ratio < 1  # the penalty selected some, not all, features
    assert np.array_equal(on_dask.coef_ == 0, zero)  # the same support
    assert on_dask.history_["loss"][-1] == pytest.approx(memory.history_["loss"][-1], rel=1e-10)
    assert _relative(on_dask.coef_, memory.coef_) < 1e-8


def test_l1_path_on_dask_equals_in_memory():
    """largest_penalty and a screened regularization_path on sparse dask blocks: the in-memory grid
    and path (the loss's gradient at the null fit summed from the workers)."""
    from symlogit.path import regularization_path

    X, y, w, make = _problem("logit", seed=3)
    memory = regularization_path(make(l1_ratio=1.0, tol=1e-10), X, y, 4, sample_weight=w)
    Xd, yd, wd = _on_dask(X, y, w)
    on_dask = regularization_path(make(l1_ratio=1.0, tol=1e-10), Xd, yd, 4, sample_weight=wd)
    assert np.allclose(on_dask.strengths, memory.strengths, rtol=1e-12)
    assert np.array_equal(on_dask.coefs == 0, memory.coefs == 0) and (memory.coefs[0] == 0).all()
    assert _relative(on_dask.coefs, memory.coefs) < 1e-7


@pytest.mark.parametrize("blocks", ["dense", "sparse"])
def test_l1_on_dask_takes_narrow_hessians_over_the_working_columns(blocks, monkeypatch):
    """A strong L1 penalty: the working set touches few columns, and the Hessian over them alone is
    summed from the workers' blocks of those columns (``DaskObjective.columns_of_X``)."""
    from symlogit.distributed import DaskObjective

    X, y, w, make = _problem("softmax", seed=3)
    if blocks == "dense":
        X = X.toarray()
    memory = make(l1_ratio=1.0, C=0.02, tol=1e-10).fit(X, y, sample_weight=w)
    taken, original = [], DaskObjective.columns_of_X
    monkeypatch.setattr(DaskObjective, "columns_of_X", lambda self, columns: taken.append(len(columns)) or
                        original(self, columns))
    on_dask = make(l1_ratio=1.0, C=0.02, tol=1e-10).fit(*_on_dask(X, y), sample_weight=_on_dask(X, w)[1])
    assert taken and max(taken) <= WIDTH // 2
    assert np.array_equal(on_dask.coef_ == 0, memory.coef_ == 0) and _relative(on_dask.coef_, memory.coef_) < 1e-8


def test_l1_on_dask_beyond_the_client_hessian_limit_is_refused_before_the_solve():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(8, CLIENT_MAX_PARAMS))  # p = d + 1 = CLIENT_MAX_PARAMS + 1
    y = np.arange(8) % 2
    calls = []
    Xd = da.from_array(X, chunks=(4, -1))
    with pytest.raises(ValueError, match=rf"{CLIENT_MAX_PARAMS + 1}x{CLIENT_MAX_PARAMS + 1} Hessian.*limit of "
                                         rf"{CLIENT_MAX_PARAMS} parameters"):
        LogisticRegression(l1_ratio=1.0, callback=calls.append).fit(Xd, da.from_array(y, chunks=4))
    assert calls == []
    fitted = LogisticRegression(l1_ratio=1.0, C=0.1).fit(Xd[:, :50], da.from_array(y, chunks=4))  # within it
    assert fitted.solver_ == "proximal-newton"


def test_parquet_levels_are_read_once_in_one_pass_over_those_columns(tmp_path, monkeypatch):
    """read_parquet_dataset on text, categorical and boolean columns: each row group's levels
    read once, before the fit, from the categorical columns alone; the design is the one
    ColumnDesign.fit finds on the whole table, and the fit on its CSR blocks equals memory's."""
    from symlogit import dask_data
    from symlogit.data import read_frame
    from symlogit.design import ColumnDesign
    from symlogit.distributed import has_sparse_blocks
    from test_dask import _categorical_parts

    parts = _categorical_parts(tmp_path / "parts")
    reads, original = [], dask_data._part_levels
    monkeypatch.setattr(dask_data, "_part_levels", lambda *args: reads.append(args) or original(*args))
    X, y, names, _, _, design = dask_data.read_parquet_dataset(str(parts), "label")
    assert sorted((path[-13:], group) for path, group, _ in reads) == [
        (f"part{f}.parquet", g) for f in range(3) for g in range(2)]
    assert all(columns == ["colour", "size", "flag"] for _, _, columns in reads)
    assert has_sparse_blocks(X) and names == design.names
    fitted = LogisticRegression(tol=1e-10).fit(X, y)
    assert len(reads) == 6  # the fit read no levels
    frame = read_frame(parts)
    expected = ColumnDesign.fit(frame, ["a", "colour", "size", "flag"])
    assert design.to_dict() == expected.to_dict()
    memory = LogisticRegression(tol=1e-10).fit(expected.transform(frame), frame["label"])
    assert _relative(fitted.coef_, memory.coef_) < 1e-8


@pytest.mark.parametrize("orders, reference", [
    ((["north", "east", "south"], ["south", "north", "east"]), "north"),  # the same set: the first file's order
    ((["north", "east", "south"], ["south", "north", "east", "west"]), "east"),  # other sets: text, sorted
    ((["north", "east", "south"], None), "east"),  # categories in one file, text in the other: text, sorted
])
def test_parquet_files_with_categories_in_other_orders_give_memorys_reference_level(tmp_path, orders, reference):
    """User trial: files storing one categorical column's categories in different orders gave the
    dask engine a reference level (sorted: east) other than memory's (pandas.concat keeps the first
    file's order where the categories are equal as sets: north). Both now take pandas' joined dtype
    (design.merged_levels); the unpenalised fits' names and coefficients agree."""
    import pandas as pd

    from symlogit import dask_data
    from symlogit.data import read_frame
    from symlogit.design import ColumnDesign

    parts = tmp_path / "parts"
    parts.mkdir()
    rng = np.random.default_rng(0)
    for i, categories in enumerate(orders):
        region = rng.choice(["east", "north", "south"], 200)
        x = rng.normal(size=200)
        y = (rng.uniform(size=200) < 1 / (1 + np.exp(-(x + (region == "south") - 0.5 * (region == "east"))))).astype(int)
        column = region if categories is None else pd.Categorical(region, categories=categories)
        pd.DataFrame({"region": column, "x": x, "label": y}).to_parquet(
            parts / f"part{i}.parquet", row_group_size=100)
    X, y, names, _, _, design = dask_data.read_parquet_dataset(str(parts), "label", drop_reference=True)
    frame = read_frame(parts)
    memory = ColumnDesign.fit(frame, ["region", "x"], drop_reference=True)
    assert design.to_dict() == memory.to_dict() and names == memory.names
    assert design.to_dict()["categorical"][0]["reference"] == reference
    on_dask = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    in_memory = LogisticRegression(C=np.inf, tol=1e-10).fit(memory.transform(frame), frame["label"])
    assert _relative(on_dask.coef_, in_memory.coef_) < 1e-8
