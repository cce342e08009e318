"""Fitting on Dask arrays: the generated kernels mapped over row chunks on the workers.

The kernels return sums over the rows they are given, so for X = [X_1; ...; X_m] (row chunks)

    loss = Σ_c loss(X_c),   gradient = Σ_c gradient(X_c),   Hessian = Σ_c Hessian(X_c),   Hv = Σ_c Hv(X_c).

Each chunk's partial sum is computed where the chunk lives and the partial sums are added on the
cluster, eight at a time in a fixed order (so the result does not depend on which worker ran what);
only the total, of size (d+1) or K(d+1) squared at most, comes to the client, which solves the
small Newton system. Scores U = X̂B (N×K, small next to X) stay on the cluster as persisted dask
arrays, so a line-search trial costs O(NK) there, as in memory.

X's blocks may be numpy arrays or scipy.sparse matrices (``da.from_array(X_csr, chunks=(n, d),
asarray=False)``, or ``map_blocks`` returning CSR; X's ``_meta`` says which): a sparse block goes
through ``symlogit.sparse``'s kernels (``sparse_kernels``) as canonical CSR (``as_csr``, a copy only
where the block is another format or dtype) and is never made dense.

Dask is optional: nothing here is imported unless a dask array is passed to ``fit``. This module
reads no files and starts no clusters: it takes dask arrays and runs on whatever client is current.
Reading Parquet files into dask arrays and connecting to a scheduler are ``symlogit.dask_data``'s.
"""

import functools
import operator
from types import SimpleNamespace

import dask
import dask.array as da
import numpy as np

from .solvers import NEWTON_MAX_PARAMS, Objective
from .separation import top_offenders
from .sparse import as_csr, is_sparse, sparse_kernels
from .targets import check_class_totals, per_class_weights

SPLIT_EVERY = 8  # partial sums added per task: each level of the tree costs a scheduler round
#: The most free parameters p of a proximal Newton fit (L1, elastic net) on dask arrays: each
#: outer iteration's p×p Hessian is summed from the workers and held, with its coordinate descent,
#: on the client. The limit of a Newton iteration in memory (``solvers.NEWTON_MAX_PARAMS``: 8 p²
#: bytes, 290 MB at 6000).
CLIENT_MAX_PARAMS = NEWTON_MAX_PARAMS


def _add_all(*parts):
    """The sum of partial results (numbers, arrays or tuples of them), left to right."""
    total = parts[0]
    for part in parts[1:]:
        total = tuple(map(operator.add, total, part)) if isinstance(total, tuple) else total + part
    return total


def _tree_sum(parts):
    """Sums of SPLIT_EVERY neighbours at a time, a tree of depth log_8(len(parts)), in a fixed order."""
    while len(parts) > 1:
        parts = [dask.delayed(_add_all, pure=True)(*parts[i:i + SPLIT_EVERY])
                 for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


class ChunkedKernels:
    """The interface of a generated kernel module on dask arrays whose row chunks agree: sums
    (loss, loss_grad, loss_grad_hess, hessp, loss_from_scores) are mapped over the chunks and reduced
    on the cluster, and ``compute`` brings back only the total; ``scores`` stays on the cluster."""

    def __init__(self, family):
        self.family = family

    def _summed(self, name, *args, **keywords):
        """Σ over row chunks c of family.name(args with every dask array replaced by its chunk c,
        keywords such as ``expected``)."""
        fn = functools.partial(getattr(self.family, name), **keywords) if keywords else getattr(self.family, name)
        chunked = {i: a.to_delayed().ravel() for i, a in enumerate(args) if isinstance(a, da.Array)}
        n_chunks = len(next(iter(chunked.values())))
        parts = [dask.delayed(_on_chunk, pure=True)(fn, *(chunked[i][c] if i in chunked else a for i, a in enumerate(args)))
                 for c in range(n_chunks)]
        return dask.compute(_tree_sum(parts))[0]

    def loss(self, X, Y, B, w, intercept, **offset):
        return self._summed("loss", X, Y, B, w, intercept, *offset.values())

    def loss_grad(self, X, Y, B, w, intercept, **offset):
        return self._summed("loss_grad", X, Y, B, w, intercept, *offset.values())

    def loss_grad_hess(self, X, Y, B, w, intercept, **keywords):
        return self._summed("loss_grad_hess", X, Y, B, w, intercept, **keywords)

    def hessp(self, X, Y, B, V, w, intercept, **offset):
        return self._summed("hessp", X, Y, B, V, w, intercept, *offset.values())

    def loss_from_scores(self, U, Y, w):
        return self._summed("loss_from_scores", U, Y, w)

    def scores(self, X, B, intercept, offset=None):
        """U = X̂B (+ offset) as a dask array with X's row chunks, persisted on the workers."""
        shape = (X.chunks[0],) if B.ndim == 1 else (X.chunks[0], (B.shape[1],))
        U = da.map_blocks(_on_chunk, self.family.scores, X, B, intercept, chunks=shape,
                          drop_axis=1 if B.ndim == 1 else None, dtype=np.float64)
        return (U if offset is None else U + offset).persist()


def _on_chunk(fn, X, *args):
    """fn on one chunk, made a kernel's input here, in the worker (``_as_block``)."""
    return fn(_as_block(X), *args)


def _as_block(X):
    """A chunk as the kernels take it: canonical CSR float64 for a sparse block, else C-contiguous."""
    return as_csr(X) if is_sparse(X) else np.ascontiguousarray(X)


def has_sparse_blocks(X):
    """Whether a dask array's blocks are scipy.sparse matrices (as its ``_meta`` says)."""
    return is_sparse(getattr(X, "_meta", None))


def kernels_for(family, X):
    """The kernel interface of ``family`` for X's blocks: ``sparse_kernels`` for sparse ones."""
    return sparse_kernels(family) if has_sparse_blocks(X) else family.kernels


class DaskObjective(Objective):
    """``Objective`` over dask arrays X (N, d), targets and weights with the same row chunks; X's
    blocks numpy or scipy.sparse (``kernels_for``)."""

    rows_in_memory = False
    copies_columns_for_hessian = True  # (lazily: each chunk's columns are taken on its worker)

    def __init__(self, X, targets, weights, family, fit_intercept, l2_strength, n_classes=None, pin_reference=True,
                 offset=None, l1_strength=0.0):
        super().__init__(X, targets, weights, family, fit_intercept, l2_strength, n_classes, pin_reference, offset,
                         l1_strength)
        self.kernels = ChunkedKernels(kernels_for(family, X))

    def columns_of_X(self, columns):
        """The given columns of X, still a dask array (each chunk's columns taken on its worker)."""
        return self.X[:, columns]

    def along(self, U, Z, t):
        """Scores at θ + t d, persisted: the next line search starts from them, and persisting
        keeps each step's graph one operation deep."""
        return (U + t * Z).persist()


class DaskRows:
    """``separation.InMemoryRows`` for dask arrays X (N, d), tags and weights (N,) with the same row
    chunks: the working set's rows are fetched to the client, and the pass for the rows that
    violate a direction runs on the workers, each chunk sending back at most ``limit`` rows."""

    def __init__(self, X, tags, weights):
        self.X, self.tags, self.weights = X, tags, weights
        self.starts = np.cumsum((0,) + X.chunks[0][:-1])
        self.count = int((weights > 0).sum().compute())

    def sample(self, size, prefer=None):
        """``size`` rows of positive weight (sorted, seeded), or all of them (prefer: unused)."""
        if self.count <= size:
            return da.flatnonzero(self.weights > 0).compute()
        rng, n, rows = np.random.default_rng(0), self.X.shape[0], np.empty(0, dtype=np.int64)
        while rows.size < size:
            draw = np.setdiff1d(rng.choice(n, min(n, 2 * size), replace=False), rows)
            rows = np.union1d(rows, draw[self.weights[draw].compute() > 0])
        return np.sort(rng.choice(rows, size, replace=False))

    def take(self, rows):
        X, tags = dask.compute(self.X[rows], self.tags[rows])
        return (as_csr(X) if is_sparse(X) else np.asarray(X, dtype=np.float64)), tags

    def worst(self, off, work, limit):
        blocks = zip(self.X.to_delayed().ravel(), self.tags.to_delayed().ravel(), self.weights.to_delayed().ravel(),
                     self.starts)
        parts = dask.compute(*[dask.delayed(_worst_in_chunk)(X, tags, w, start, off, work, limit)
                               for X, tags, w, start in blocks])
        index, values = (np.concatenate(column) for column in zip(*parts))
        return top_offenders(values, index, limit)


def _worst_in_chunk(X, tags, weights, start, off, work, limit):
    values = np.where(weights > 0, off(as_csr(X) if is_sparse(X) else np.asarray(X), tags), 0.0)
    index = start + np.arange(X.shape[0])
    values[np.isin(index, work)] = 0.0
    keep = top_offenders(values, np.arange(X.shape[0]), limit)
    return index[keep], values[keep]


def check_client_hessian(n_params, solver):
    """ValueError, before the solve, where ``solver`` (proximal Newton) on dask arrays would hold
    a Hessian of more than CLIENT_MAX_PARAMS free parameters on the client: p = (d + 1) K for a
    softmax of K classes with an intercept (less its pinned entries), d + 1 for a scalar family."""
    if n_params > CLIENT_MAX_PARAMS:
        raise ValueError(f"solver {solver!r} on dask arrays holds the {n_params}x{n_params} Hessian of the free "
                         f"parameters on the client ({8 * n_params ** 2 / 1e6:.0f} MB), above its limit of "
                         f"{CLIENT_MAX_PARAMS} parameters (features + intercept, times the classes for a multinomial "
                         "fit); use fewer features, an L2 penalty (l1_ratio=0) with solver 'lbfgs' or 'newton-cg', "
                         "or fit in memory")


# ---- inputs -------------------------------------------------------------------------------------

def _known_rows(name, array):
    if any(np.isnan(size) for size in array.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes (nan) along the rows; call {name}.compute_chunk_sizes() "
                         "first (or, from a dask DataFrame, to_dask_array(lengths=True))")


def check_X(X):
    """X as a float dask array with known row chunks and one chunk across the columns, its blocks
    numpy arrays or scipy.sparse matrices (ValueError for other blocks: CuPy, pydata sparse)."""
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise ValueError(f"X must be a 2-D dask array (N, d), got {type(X).__name__} with {getattr(X, 'ndim', '?')} dims")
    _known_rows("X", X)
    meta = X._meta
    if not (isinstance(meta, np.ndarray) or is_sparse(meta)):
        kind = f"{type(meta).__module__.partition('.')[0]}.{type(meta).__name__}"
        raise ValueError(f"X's blocks are {kind}; the dask engine takes numpy arrays or scipy.sparse matrices as "
                         "blocks: convert each block, e.g. X.map_blocks(scipy.sparse.csr_matrix, meta="
                         "scipy.sparse.csr_matrix((0, 0))) or X.map_blocks(numpy.asarray, meta=numpy.empty((0, 0)))")
    if X.dtype not in (np.float64, np.float32):
        if not np.issubdtype(X.dtype, np.number):
            raise ValueError(f"X must be numeric, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if X.numblocks[1] > 1:  # a kernel needs whole rows
        X = X.rechunk({1: -1})
    return X


def _all_finite(X):
    """A lazy bool (a 0-d dask array): whether every entry of X is finite (a sparse block: its
    stored entries). A block of the other kind than X's meta (numpy or scipy.sparse) raises
    ValueError when computed."""
    sparse = has_sparse_blocks(X)
    checks = [dask.delayed(_block_finite)(block, sparse) for block in X.to_delayed().ravel()]
    # a dask array, not a Delayed: dask.compute of arrays and a Delayed together returned them out of order
    return da.from_delayed(dask.delayed(all)(checks), shape=(), dtype=bool)


def _block_finite(block, sparse):
    if is_sparse(block) != sparse:
        expected, got = ("scipy.sparse", "numpy") if sparse else ("numpy", "scipy.sparse")
        raise ValueError(f"X's meta says its blocks are {expected}, but a block is {type(block).__name__}: every "
                         f"block must be {expected} (give map_blocks a meta of the blocks' kind)")
    return bool(np.isfinite(block.data if sparse else block).all())


def _row_aligned(name, array, X):
    if not isinstance(array, da.Array) or array.ndim != 1:
        raise ValueError(f"X is a dask array, so {name} must be a 1-D dask array with X's row chunks, "
                         f"got {type(array).__name__}")
    _known_rows(name, array)
    if array.chunks[0] != X.chunks[0]:
        raise ValueError(f"X and {name} are chunked differently along the rows: X {_shown(X.chunks[0])}, "
                         f"{name} {_shown(array.chunks[0])}; rechunk one to match, e.g. {name}.rechunk(X.chunks[0])")
    return array


def _shown(chunks):
    return str(chunks) if len(chunks) <= 4 else f"({', '.join(map(str, chunks[:3]))}, ... {len(chunks)} chunks)"


def _check_weights(w, finite, minimum, total):
    """Raise ValueError, as ``targets.check_sample_weight`` does, where the dask weights ``w``
    (their ``finite``, ``minimum`` and ``total`` already computed) are not finite, ≥ 0 and of
    positive sum: the first bad row (counting from 0) and its value, from one more pass, made
    only then."""
    if finite and minimum >= 0 and total > 0:
        return
    if not finite or minimum < 0:
        kind = "finite" if not finite else "nonnegative"
        bad = ~da.isfinite(w) if not finite else w < 0
        row = int(da.argmax(bad).compute())
        raise ValueError(f"sample_weight must be {kind}; row {row} is {float(w[row].compute())}")
    raise ValueError("sample_weight must not be all zero: the weights must have a positive sum")


def prepare_inputs(X, y, sample_weight, class_weight):
    """(X, classes, labels, weights) on the cluster, checked in one pass: X finite, hard class
    labels (≥ 2 classes), weights finite and ≥ 0 with a positive sum. labels are integer codes
    into classes; weights include class_weight ('balanced' or a dict, as scikit-learn defines
    them). Raise ValueError naming the problem, before any solve."""
    X = check_X(X)
    y = _row_aligned("y", y, X)
    w = da.ones(X.shape[0], chunks=X.chunks[0]) if sample_weight is None else \
        _row_aligned("sample_weight", sample_weight, X).astype(np.float64)
    y, w = dask.persist(y, w)  # N values each, small next to X; every later sum reads them as they are
    classes, finite_X, finite_w, min_w, total = dask.compute(
        da.unique(y), _all_finite(X), da.isfinite(w).all(), w.min(), w.sum())
    if not finite_X:
        raise ValueError("X contains NaN or infinity; drop or impute those values")
    _check_weights(w, finite_w, min_w, total)
    if np.issubdtype(classes.dtype, np.number):
        if not np.all(np.isfinite(classes)):
            raise ValueError("y contains NaN or infinity; drop those rows or give them a class label")
        if not np.all(classes == np.round(classes)):
            raise ValueError("y on dask must hold class labels (soft targets, values strictly between 0 and 1, need "
                             "in-memory arrays); got non-integer values such as "
                             f"{classes[classes != np.round(classes)][0].tolist()!r}")
    labels = y.map_blocks(_codes, classes, dtype=np.int64)
    totals = da.bincount(labels, weights=w, minlength=len(classes)).compute()
    check_class_totals(classes, totals)
    if class_weight is not None:
        w = w * labels.map_blocks(_take, per_class_weights(class_weight, classes, totals), dtype=np.float64)
    return X, classes, *dask.persist(labels, w)


def _codes(y, classes):
    return np.searchsorted(classes, y)


def _take(codes, per_class):
    return per_class[codes]


def figures(model, X, y, weights=None):
    """(figures, histogram): a fitted model's figures on dask X, y, computed on the cluster (keys
    of ``evaluation.LABELS``), weighted by the sample weights if given: mean log-loss, accuracy,
    ROC AUC (from the histogram: ``evaluation.binned_auc``, the one-vs-rest macro average for
    K > 2) and Brier score for a classifier, mean deviance for a regressor; and for a classifier
    ``evaluation.log_odds_histogram`` summed over the chunks (the report's ROC and reliability
    curves), else None."""
    from . import evaluation

    def mean(rows):
        return rows.mean() if weights is None else (rows * weights).sum() / weights.sum()

    if hasattr(model, "classes_"):
        codes = y.map_blocks(_codes, model.classes_, dtype=np.int64)
        log_p = model.predict_log_proba(X)
        picked = da.map_blocks(_pick, log_p, codes[:, None], drop_axis=1, dtype=np.float64)
        squares = da.map_blocks(_brier_rows, model.predict_proba(X), codes[:, None], drop_axis=1, dtype=np.float64)
        classes = range(len(model.classes_)) if len(model.classes_) > 2 else [1]
        blocks = zip(log_p.to_delayed().ravel(), codes.to_delayed().ravel(),
                     weights.to_delayed().ravel() if weights is not None else [None] * log_p.numblocks[0])
        parts = [dask.delayed(evaluation.log_odds_histogram)(lp, c, w, classes) for lp, c, w in blocks]
        log_loss, accuracy, brier, histogram = dask.compute(-mean(picked), mean(model.predict(X) == y), mean(squares),
                                                            _tree_sum(parts))
        aucs = [evaluation.binned_auc(positives, negatives)[0] for positives, negatives, _ in histogram]
        return {"log_loss": float(log_loss), "accuracy": float(accuracy), "roc_auc": float(np.mean(aucs)),
                "brier": float(brier)}, histogram[:len(evaluation.shown_classes(model.classes_))]
    k = model._fitted_family().kernels
    y = y.astype(np.float64)
    u = model.linear_predictor(X)
    rows = da.map_blocks(_deviance_rows, u, y, k, dtype=np.float64)
    return {"mean_deviance": float(mean(rows).compute())}, None


def inference_statistics(family, X, y, B, weights, intercept, offset, expected):
    """``inference._statistics`` on dask arrays: the loss and Hessian reduced over the chunks on
    the cluster (one pass over X), the targets' terms in one pass over y; the null model from the
    total weight W and the weighted mean ȳ alone, since h is affine in y (claim K1):
    Σ_i w_i h(c, y_i) = W h(c, ȳ). y: values (scalar families) or class codes (softmax)."""
    if offset is not None:
        raise ValueError("inference on dask arrays does not take offsets; fit in memory for it")
    k = family.kernels
    keywords = {} if family.is_vector else {"expected": expected}
    loss, _, H = ChunkedKernels(kernels_for(family, X)).loss_grad_hess(X, y, B, weights, intercept, **keywords)
    if family.is_vector:
        total, shares = dask.compute(weights.sum(), da.bincount(y, weights=weights, minlength=B.shape[1]))
        saturated = measure = 0.0
        mean = (shares / total)[None, :]
    else:
        parts = [dask.delayed(_weighted_target_terms)(k, yc, wc)
                 for yc, wc in zip(y.to_delayed().ravel(), weights.to_delayed().ravel())]
        total, weighted_sum, (saturated, measure) = dask.compute(weights.sum(), weights @ y, _tree_sum(parts))
        mean = np.array([weighted_sum / total])
    total = float(total)
    null_loss = k.loss_from_scores(family.null_scores(mean, np.array([total])), mean, np.array([total]))
    return SimpleNamespace(loss=loss, H=H, saturated=float(saturated), measure=float(measure), null_loss=null_loss,
                           total_weight=total)


def check_groups(groups, n, weights):
    """``sandwich.cluster_ways`` for a fit on dask arrays: the labels (a dask array or frame, or
    numpy/pandas in memory) and the weights (which clusters have positive weight) are brought to
    the client once (N values each, not X); ``meat`` sends each chunk the codes of its rows, and the
    clusters' score sums are made on the workers."""
    from .sandwich import cluster_ways

    return cluster_ways(groups.compute() if hasattr(groups, "compute") else groups, n, weights.compute())


def meat(family, X, y, B, weights, intercept, offset, cov_type, bread=None, ways=None, expected=False):
    """``sandwich.meat`` on dask arrays: each chunk's meat (HC0-HC3, P x P) or its clusters' score
    sums (a sparse G x P matrix holding only the chunk's clusters) made on its worker, and the parts
    added on the cluster eight at a time; only the total comes back."""
    if offset is not None:
        raise ValueError("inference on dask arrays does not take offsets; fit in memory for it")
    rows = X.chunks[0]
    bounds = np.cumsum((0,) + rows)
    blocks = [(X.to_delayed().ravel()[c], y.to_delayed().ravel()[c], weights.to_delayed().ravel()[c],
               None if ways is None else [(codes[bounds[c]:bounds[c + 1]], G, sign) for codes, G, sign in ways])
              for c in range(len(rows))]
    parts = [dask.delayed(_chunk_meat, pure=True)(family, Xc, yc, B, wc, intercept, cov_type, bread, chunk_ways,
                                                  expected, int(first))
             for (Xc, yc, wc, chunk_ways), first in zip(blocks, bounds)]
    return dask.compute(_tree_sum(parts))[0]


def _chunk_meat(family, X, y, B, w, intercept, cov_type, bread, ways, expected, first_row=0):
    """One chunk's part of ``meat``: the clusters' sums as sparse (G, P) matrices (a tuple, one per
    way), each cluster the chunk holds coded 0..g-1 for ``sandwich.meat`` and placed back at its row.
    first_row: the number of the chunk's first row (in HC2's and HC3's messages)."""
    import scipy.sparse

    from .sandwich import meat as chunk_meat

    X = _as_block(X)
    if ways is None:
        return chunk_meat(family, X, y, B, w, intercept, None, cov_type, bread, None, expected, first_row)
    local = [np.unique(codes, return_inverse=True) for codes, _, _ in ways]
    sums = chunk_meat(family, X, y, B, w, intercept, None, cov_type, bread,
                      [(inverse, len(present), sign) for (present, inverse), (_, _, sign) in zip(local, ways)], expected)
    return tuple(scipy.sparse.csr_matrix((part.ravel(), (np.repeat(present, part.shape[1]),
                                                         np.tile(np.arange(part.shape[1]), len(present)))),
                                         shape=(G, part.shape[1]))
                 for part, (present, _), (_, G, _) in zip(sums, local, ways))


def summed_over_chunks(sums_of, X, weights, offset, *args):
    """Σ over X's row chunks of sums_of(X_c, w_c, None, *args) (tuples added entry by entry), each
    chunk's part made on its worker, the parts added on the cluster eight at a time."""
    from .margins import summed_over_blocks

    parts = [dask.delayed(_on_chunk, pure=True)(functools.partial(summed_over_blocks, sums_of), Xc, wc, None, *args)
             for Xc, wc in zip(X.to_delayed().ravel(), weights.to_delayed().ravel())]
    return dask.compute(_tree_sum(parts))[0]


def d2_score(model, X, y, sample_weight=None):
    """A fitted regressor's D² = 1 - D(y, μ̂)/D(y, ȳ) on dask X (numpy or sparse blocks) and y
    (``GLMRegressor.score``): the weighted sums over the chunks made on the cluster, in one pass;
    the null deviance from the total weight W and the weighted mean ȳ alone, since h is affine in
    y (claim K1): Σ_i w_i h(c, y_i) = W h(c, ȳ); 0 where the y of positive weight are all equal
    (D² then -inf, or 1.0 where μ̂ fits them exactly, as in memory)."""
    X = check_X(X)
    family = model._fitted_family()
    k = family.kernels
    y = _row_aligned("y", y, X).astype(np.float64)
    w = da.ones(X.shape[0], chunks=X.chunks[0]) if sample_weight is None else \
        _row_aligned("sample_weight", sample_weight, X).astype(np.float64)
    losses = da.map_blocks(_loss_rows, model.linear_predictor(X), y, k, dtype=np.float64)
    saturated = da.map_blocks(_saturated_rows, y, k, dtype=np.float64)
    lowest, highest = da.where(w > 0, y, np.inf).min(), da.where(w > 0, y, -np.inf).max()
    loss, saturated, total, weighted_sum, lowest, highest = (
        float(v) for v in dask.compute(w @ losses, w @ saturated, w.sum(), w @ y, lowest, highest))
    mean, total = np.array([weighted_sum / total]), np.array([total])
    if lowest == highest:  # ȳ is every y: D(y, ȳ) = 0 (all 0 included, whose null model has no finite score)
        null_deviance = 0.0
    else:
        null_deviance = k.loss_from_scores(family.null_scores(mean, total), mean, total) - saturated
    deviance = loss - saturated
    return 1.0 - deviance / null_deviance if null_deviance > 0 else (1.0 if deviance <= 0 else -np.inf)


def _loss_rows(u, y, k):
    """h(u_i, y_i) per row of a chunk."""
    return k.row_weights(u, y)[0]


def _saturated_rows(y, k):
    """h_saturated(y_i) per row of a chunk."""
    return k.target_terms(y)[0]


def _weighted_target_terms(k, y, w):
    """Σ_i w_i [h_saturated(y_i), log measure(y_i)] over one chunk, (2,)."""
    return w @ k.target_terms(y).T


def _deviance_rows(u, y, k):
    """2 (h(u, y) - h_saturated(y)) per row of a chunk."""
    return 2 * (_loss_rows(u, y, k) - _saturated_rows(y, k))


def _brier_rows(p, codes):
    """Per row of a chunk, the Brier score's term as scikit-learn's brier_score_loss defines it:
    (p_1 - [y = 1])² for two classes, Σ_k (p_k - [y = k])² for more; codes (rows, 1)."""
    codes = codes[:, 0]
    if p.shape[1] == 2:
        return (p[:, 1] - (codes == 1)) ** 2
    return ((p - (codes[:, None] == np.arange(p.shape[1]))) ** 2).sum(axis=1)


def _pick(log_p, codes):
    """log_p[i, codes[i]] for a chunk; codes (rows, 1) so that both blocks are 2-D."""
    return log_p[np.arange(len(codes)), codes[:, 0]]


def map_rows(method, X, columns, dtype):
    """method (numpy rows -> rows) applied chunk by chunk: a dask array of (N,) when columns is
    None, else (N, columns)."""
    X = check_X(X)
    if columns is None:  # (N, 1), then its column: dropping X's axis would join each block's columns again
        rows = X.map_blocks(_as_column, method, chunks=(X.chunks[0], (1,)), dtype=dtype, meta=np.empty((0, 0), dtype))
        return rows[:, 0]
    return X.map_blocks(method, chunks=(X.chunks[0], (columns,)), dtype=dtype, meta=np.empty((0, 0), dtype))


def _as_column(X, method):
    return method(X)[:, None]


def prepare_regression_inputs(X, y, sample_weight, family):
    """(X, y, weights) on the cluster for a regression family, checked in one pass: X and y
    finite, y in the family's domain (>= 0 for Poisson), weights finite and >= 0 with a positive
    sum. Raise ValueError naming the problem, before any solve."""
    X = check_X(X)
    y = _row_aligned("y", y, X).astype(np.float64)
    w = da.ones(X.shape[0], chunks=X.chunks[0]) if sample_weight is None else \
        _row_aligned("sample_weight", sample_weight, X).astype(np.float64)
    y, w = dask.persist(y, w)
    finite_X, finite_y, min_y, finite_w, min_w, total = dask.compute(
        _all_finite(X), da.isfinite(y).all(), y.min(), da.isfinite(w).all(), w.min(), w.sum())
    if not finite_X:
        raise ValueError("X contains NaN or infinity; drop or impute those values")
    if not finite_y:
        raise ValueError("y contains NaN or infinity")
    if family.domain == "nonnegative" and min_y < 0:
        raise ValueError(f"y must be >= 0 for family {family.name!r} (counts or rates); its minimum is {min_y:g}")
    _check_weights(w, finite_w, min_w, total)
    return X, y, w
