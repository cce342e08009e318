"""Fitting on Dask arrays: the generated kernels mapped over row chunks on the workers.

The kernels return sums over the rows they are given, so for X = [X_1; ...; X_m] (row chunks)

    loss = Σ_c loss(X_c),   gradient = Σ_c gradient(X_c),   Hessian = Σ_c Hessian(X_c),   Hv = Σ_c Hv(X_c).

Each chunk's partial sum is computed where the chunk lives and the partial sums are added on the
cluster, eight at a time in a fixed order (so the result does not depend on which worker ran what);
only the total, of size (d+1) or K(d+1) squared at most, comes to the client, which solves the
small Newton system. Scores U = X̂B (N×K, small next to X) stay on the cluster as persisted dask
arrays, so a line-search trial costs O(NK) there, as in memory.

Dask is optional: nothing here is imported unless a dask array is passed to ``fit``.
"""

import operator

import dask
import dask.array as da
import numpy as np

from .solvers import Objective

SPLIT_EVERY = 8  # partial sums added per task: each level of the tree costs a scheduler round


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

    def _summed(self, name, *args):
        """Σ over row chunks c of family.name(args with every dask array replaced by its chunk c)."""
        fn = getattr(self.family, name)
        chunked = {i: a.to_delayed().ravel() for i, a in enumerate(args) if isinstance(a, da.Array)}
        n_chunks = len(next(iter(chunked.values())))
        parts = [dask.delayed(_on_chunk, pure=True)(fn, *(chunked[i][c] if i in chunked else a for i, a in enumerate(args)))
                 for c in range(n_chunks)]
        return dask.compute(_tree_sum(parts))[0]

    def loss(self, X, Y, B, w, intercept):
        return self._summed("loss", X, Y, B, w, intercept)

    def loss_grad(self, X, Y, B, w, intercept):
        return self._summed("loss_grad", X, Y, B, w, intercept)

    def loss_grad_hess(self, X, Y, B, w, intercept):
        return self._summed("loss_grad_hess", X, Y, B, w, intercept)

    def hessp(self, X, B, V, w, intercept):
        return self._summed("hessp", X, B, V, w, intercept)

    def loss_from_scores(self, U, Y, w):
        return self._summed("loss_from_scores", U, Y, w)

    def scores(self, X, B, intercept):
        """U = X̂B as a dask array with X's row chunks, persisted on the workers."""
        shape = (X.chunks[0],) if B.ndim == 1 else (X.chunks[0], (B.shape[1],))
        return da.map_blocks(_on_chunk, self.family.scores, X, B, intercept, chunks=shape,
                             drop_axis=1 if B.ndim == 1 else None, dtype=np.float64).persist()


def _on_chunk(fn, X, *args):
    """fn on one chunk; the chunk is made C-contiguous here, in the worker."""
    return fn(np.ascontiguousarray(X), *args)


class DaskObjective(Objective):
    """``Objective`` over dask arrays X (N, d), targets and weights with the same row chunks."""

    def __init__(self, X, targets, weights, n_classes, fit_intercept, l2_strength, pin_reference=True):
        super().__init__(X, targets, weights, n_classes, fit_intercept, l2_strength, pin_reference)
        self.kernels = ChunkedKernels(self.kernels)

    def along(self, U, Z, t):
        """Scores at θ + t d, persisted: the next line search starts from them, and persisting
        keeps each step's graph one operation deep."""
        return (U + t * Z).persist()


# ---- inputs -------------------------------------------------------------------------------------

def _known_rows(name, array):
    if any(np.isnan(size) for size in array.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes (nan) along the rows; call {name}.compute_chunk_sizes() "
                         "first (or, from a dask DataFrame, to_dask_array(lengths=True))")


def check_X(X):
    """X as a float dask array with known row chunks and one chunk across the columns."""
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise ValueError(f"X must be a 2-D dask array (N, d), got {type(X).__name__} with {getattr(X, 'ndim', '?')} dims")
    _known_rows("X", X)
    if X.dtype not in (np.float64, np.float32):
        if not np.issubdtype(X.dtype, np.number):
            raise ValueError(f"X must be numeric, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if X.numblocks[1] > 1:  # a kernel needs whole rows
        X = X.rechunk({1: -1})
    return X


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
        da.unique(y), da.isfinite(X).all(), da.isfinite(w).all(), w.min(), w.sum())
    if not finite_X:
        raise ValueError("X contains NaN or infinity; drop or impute those values")
    if np.issubdtype(classes.dtype, np.floating) and (len(classes) > 2 or not np.all(classes == np.round(classes))):
        raise ValueError("y on dask must hold class labels (soft targets need in-memory arrays); "
                         f"got {len(classes)} distinct float values")
    if len(classes) < 2:
        raise ValueError(f"y needs samples of at least 2 classes, but the data contain only one class: {classes[0]!r}")
    if not finite_w or min_w < 0 or total <= 0:
        raise ValueError("sample_weight must be finite, nonnegative and not all zero")
    labels = y.map_blocks(_codes, classes, dtype=np.int64)
    if class_weight is not None:
        w = w * labels.map_blocks(_take, _per_class(class_weight, classes, labels), dtype=np.float64)
    return X, classes, *dask.persist(labels, w)


def _codes(y, classes):
    return np.searchsorted(classes, y)


def _take(codes, per_class):
    return per_class[codes]


def _per_class(class_weight, classes, labels):
    """scikit-learn's class weights: 'balanced' is N / (K count_k); a dict maps class -> weight."""
    if class_weight == "balanced":
        counts = da.bincount(labels, minlength=len(classes)).compute()
        return labels.shape[0] / (len(classes) * counts)
    if isinstance(class_weight, dict):
        unknown = set(class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(f"class_weight has classes not in y: {sorted(unknown)!r}")
        return np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])
    raise ValueError(f"class_weight must be 'balanced', a dict or None, got {class_weight!r}")


def log_loss_and_accuracy(model, X, y):
    """Mean log-loss and accuracy of a fitted model on dask X, y, computed on the cluster."""
    codes = y.map_blocks(_codes, model.classes_, dtype=np.int64)
    picked = da.map_blocks(_pick, model.predict_log_proba(X), codes[:, None], drop_axis=1, dtype=np.float64)
    log_loss, accuracy = dask.compute(-picked.mean(), (model.predict(X) == y).mean())
    return float(log_loss), float(accuracy)


def _pick(log_p, codes):
    """log_p[i, codes[i]] for a chunk; codes (rows, 1) so that both blocks are 2-D."""
    return log_p[np.arange(len(codes)), codes[:, 0]]


def map_rows(method, X, columns, dtype):
    """method (numpy rows -> rows) applied chunk by chunk: a dask array of (N,) when columns is
    None, else (N, columns)."""
    X = check_X(X)
    if columns is None:
        return X.map_blocks(method, chunks=(X.chunks[0],), drop_axis=1, dtype=dtype)
    return X.map_blocks(method, chunks=(X.chunks[0], (columns,)), dtype=dtype)


# ---- Parquet datasets and clusters (symlogit fit --engine dask) -----------------------------------

def parquet_files(source):
    """The Parquet files of a directory (its *.parquet / *.pq files), a glob, or one file."""
    from pathlib import Path
    import glob

    from .data import DataError

    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".parquet", ".pq"))
    elif path.is_file():
        files = [path]
    else:
        files = sorted(Path(p) for p in glob.glob(source))
    if not files:
        raise DataError(f"{source}: no Parquet files (expected a directory of .parquet files, a glob or a file)")
    return files


def read_parquet_dataset(source, target):
    """(X, y, feature names, target) as dask arrays with known row chunks, one per Parquet row
    group. Every file's schema must agree with the first; raise DataError otherwise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .data import DataError

    files = parquet_files(source)
    schemas = []
    for path in files:
        try:
            schemas.append(pq.read_schema(path))
        except (pa.ArrowInvalid, OSError) as error:
            raise DataError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
    first = schemas[0]
    for path, schema in zip(files[1:], schemas[1:]):
        if not schema.equals(first, check_metadata=False):
            ours, theirs = {f.name: str(f.type) for f in first}, {f.name: str(f.type) for f in schema}
            differ = sorted(set(ours.items()) ^ set(theirs.items()))
            raise DataError(f"Parquet schemas disagree: {path.name} differs from {files[0].name} in "
                            + ", ".join(f"{name} ({kind})" for name, kind in differ[:6]))
    columns = [field.name for field in first]
    target = columns[-1] if target is None else target
    if target not in columns:
        raise DataError(f"{source}: no target column {target!r}; columns are {', '.join(columns)}")
    names = [c for c in columns if c != target]
    text = [f.name for f in first if f.name in names and not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))]
    if text:
        raise DataError(f"{source}: non-numeric feature column(s) {', '.join(text)}; encode them as numbers first")
    if not names:
        raise DataError(f"{source}: only the target column {target!r}; expected feature columns too")
    # One chunk per Parquet row group, read by the workers; the row counts come from the files'
    # footers, so the chunk sizes are known without a pass over the data.
    footers = {path: pq.read_metadata(path) for path in files}
    groups = [(str(path), g, footer.row_group(g).num_rows)
              for path, footer in footers.items() for g in range(footer.num_row_groups)]
    X = da.concatenate([da.from_delayed(dask.delayed(_read_features)(path, g, names), shape=(rows, len(names)),
                                        dtype=np.float64) for path, g, rows in groups if rows])
    y_type = np.dtype(first.field(target).type.to_pandas_dtype())
    y = da.concatenate([da.from_delayed(dask.delayed(_read_target)(path, g, target), shape=(rows,), dtype=y_type)
                        for path, g, rows in groups if rows])
    return X, y, names, target


def _read_features(path, group, names):
    """Row group `group` of a Parquet file's feature columns as (rows, d) float64."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_group(group, columns=names)
    X = np.empty((table.num_rows, len(names)))
    for j, column in enumerate(table.itercolumns()):  # one copy, straight into the C-order block
        X[:, j] = column.to_numpy(zero_copy_only=False)
    return X


def _read_target(path, group, target):
    """Row group `group` of a Parquet file's target column as (rows,)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read_row_group(group, columns=[target]).column(0).to_numpy(zero_copy_only=False)


def connect(address, timeout_seconds=10):
    """A dask.distributed Client for the scheduler at address, or for a new LocalCluster when
    address is None (closed with the client). Raise ConnectionError naming the address."""
    from distributed import Client, LocalCluster

    if address is None:
        cluster = LocalCluster(dashboard_address=None)
        client = Client(cluster)
        client.close_cluster = cluster.close
        return client
    try:
        return Client(address, timeout=f"{timeout_seconds}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise ConnectionError(f"--scheduler {address}: no Dask scheduler answered within {timeout_seconds} s "
                              f"({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None
