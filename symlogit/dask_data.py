"""Data for the Dask engine: Parquet files read into dask arrays, and a client for a scheduler.

The data layer of ``symlogit fit --engine dask`` (and tools/bench_dask.py); ``symlogit.distributed``
only fits dask arrays. Text, boolean and categorical feature columns are one-hot encoded by
``symlogit.design`` (levels read once, before the fit) into scipy.sparse blocks. Problems with
the files raise ``DataError``, as ``symlogit.data`` does; an unreachable scheduler raises
``SchedulerConnectionError``. Messages speak of this module's arguments, not of command-line flags.
"""

import functools
import logging

import dask
import dask.array as da
import numpy as np

from .data import DataError, number_type, parquet_files, parquet_schema, select_columns


class SchedulerConnectionError(ConnectionError):
    """No Dask scheduler answered at ``address``; ``problem`` says what happened."""

    def __init__(self, address, problem):
        super().__init__(f"address {address!r}: {problem}")
        self.address, self.problem = address, problem


def read_parquet_dataset(source, target, features=None, drop=None, ids=None, weight=None, drop_reference=False):
    """(X, y, feature names, target, sample weights or None, design or None) as dask arrays with
    known row chunks, one per Parquet row group. The columns' roles as ``data.select_columns``
    assigns them (target default: the last column; features: every column without another role,
    or the names and globs of ``features``, less ``drop``; ``ids`` and ``weight`` kept out of the
    features). Every file's schema must agree with the first (``data.parquet_schema``); raise
    DataError otherwise.

    Numeric features only: X's blocks are numpy (N_g, d) float64, design None. With text, boolean
    or categorical feature columns: their levels are read once, before anything else, in one pass
    over those columns alone (each row group's ``design.level_sets`` on a worker, merged on the
    client by ``design.merged_levels``: the levels ``design.ColumnDesign.fit`` finds on the whole
    table); then each row group is encoded by that one ``ColumnDesign`` into a CSR block
    (``drop_reference``: the first level of each column has none, for an unpenalised fit), and the
    feature names are the design's (``column[level]``)."""
    import pyarrow.parquet as pq

    files = parquet_files(source)
    first = parquet_schema(files)
    roles = select_columns([field.name for field in first], source, target, features, drop, ids, weight)
    names, target = roles.features, roles.target
    if weight is not None and not number_type(first.field(weight).type):
        raise DataError(f"{source}: the weight column {weight} is not numeric ({first.field(weight).type}); weights "
                        "must be numbers")
    # One chunk per Parquet row group, read by the workers; the row counts come from the files'
    # footers, so the chunk sizes are known without a pass over the data.
    footers = {path: pq.read_metadata(path) for path in files}
    groups = [(str(path), g, footer.row_group(g).num_rows)
              for path, footer in footers.items() for g in range(footer.num_row_groups)]
    # Each array is one layer of tasks that read their row group (map_blocks, no inputs), not
    # from_delayed pieces joined by concatenate: a concatenate block is an alias of its piece, which
    # graph optimisation fuses or not depending on what else a computation reads, so the same
    # key reached the scheduler with two different tasks ("Detected different `run_spec`").
    parts = tuple((path, g) for path, g, rows in groups if rows)
    rows = tuple(rows for _, _, rows in groups if rows)
    if not rows:  # (the in-memory engine's words: data.read_frame)
        raise DataError(f"{source}: no data rows, expected a header row and at least one data row")
    categorical = [f.name for f in first if f.name in names and not number_type(f.type)]
    design = _read_design(parts, names, categorical, drop_reference) if categorical else None
    if design is None:
        X = da.map_blocks(functools.partial(_read_block, _read_features, parts, names), chunks=(rows, (len(names),)),
                          dtype=np.float64, meta=np.empty((0, len(names))), name="read-features-" + dask.base.tokenize(
                              parts, names))
    else:
        import scipy.sparse

        width = len(design.names)
        X = da.map_blocks(functools.partial(_read_block, functools.partial(_read_encoded, design), parts, names),
                          chunks=(rows, (width,)), dtype=np.float64, meta=scipy.sparse.csr_matrix((0, width)),
                          name="read-encoded-" + dask.base.tokenize(parts, names, design.to_dict()))

    def column(name, dtype):
        return da.map_blocks(functools.partial(_read_block, _read_column, parts, name), chunks=(rows,), dtype=dtype,
                             meta=np.empty((0,), dtype=dtype), name=f"read-{name}-" + dask.base.tokenize(parts, name))

    y = column(target, _numpy_dtype(first.field(target).type))
    return (X, y, names if design is None else design.names, target,
            None if weight is None else column(weight, np.float64), design)


def _numpy_dtype(kind):
    """The numpy dtype of a column of arrow type ``kind`` read by ``_read_column``: a dictionary
    (pandas categorical) column reads as its values (text: object)."""
    import pyarrow as pa

    return np.dtype((kind.value_type if pa.types.is_dictionary(kind) else kind).to_pandas_dtype())


def _read_design(parts, names, categorical, drop_reference):
    """The ``ColumnDesign`` of the feature columns ``names``: the levels of the ``categorical``
    ones from one pass over those columns (each row group's levels on a worker, merged here)."""
    from .design import ColumnDesign, merged_levels

    sets = dask.compute(*[dask.delayed(_part_levels)(path, g, categorical) for path, g in parts])
    return ColumnDesign(names, merged_levels(sets), drop_reference)


def _part_frame(path, group, columns):
    """Row group ``group`` of a Parquet file's ``columns`` as a pandas DataFrame."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read_row_group(group, columns=columns).to_pandas()


def _where(path, group):
    """A row group named for messages (their row numbers count within it)."""
    from pathlib import Path

    return f"{Path(path).name}, row group {group}"


def _part_levels(path, group, categorical):
    """``design.level_sets`` of one row group's categorical columns."""
    from .design import level_sets

    return level_sets(_part_frame(path, group, categorical), categorical, _where(path, group))


def _read_encoded(design, path, group, names):
    """Row group ``group`` of a Parquet file's feature columns encoded by ``design``: CSR (rows, p)."""
    return design.transform(_part_frame(path, group, names), _where(path, group))


def read_columns(source, names, role):
    """Columns ``names`` of a Parquet dataset as one pandas DataFrame on the client, its rows in
    the order of ``read_parquet_dataset``'s (files, then row groups, in order): for labels of N
    rows, not X. A DataError naming the first missing column (as the ``role`` column)."""
    import pandas as pd
    import pyarrow.parquet as pq

    files = parquet_files(source)
    present = pq.read_schema(files[0]).names
    for name in names:
        if name not in present:
            raise DataError(f"{source}: no {role} column {name!r}; columns are {', '.join(present)}")
    return pd.concat([pd.read_parquet(path, columns=list(names)) for path in files], ignore_index=True)


def _read_block(read, parts, columns, block_id=None):
    """Block ``block_id`` of a dask array over Parquet row groups: read(path, group, columns) of the
    row group parts[block_id[0]]."""
    path, group = parts[block_id[0]]
    return read(path, group, columns)


def _read_features(path, group, names):
    """Row group `group` of a Parquet file's feature columns as (rows, d) float64."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_group(group, columns=names)
    X = np.empty((table.num_rows, len(names)))
    for j, column in enumerate(table.itercolumns()):  # one copy, straight into the C-order block
        X[:, j] = column.to_numpy(zero_copy_only=False)
    return X


def _read_column(path, group, name):
    """Row group `group` of a Parquet file's column `name` as (rows,)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read_row_group(group, columns=[name]).column(0).to_numpy(zero_copy_only=False)


def connect(address, timeout_seconds=10):
    """A dask.distributed Client for the scheduler at address, or for a new LocalCluster when
    address is None (closed with the client). Raise SchedulerConnectionError naming the address."""
    from distributed import Client, LocalCluster

    if address is None:
        # its workers' and scheduler's logs silenced below CRITICAL while it runs: an error in a
        # task reaches the caller as the task's exception, not also as distributed's traceback
        cluster = LocalCluster(dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
        client.close_cluster = cluster.close
        return client
    try:
        return Client(address, timeout=f"{timeout_seconds}s")
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SchedulerConnectionError(
            address, f"no Dask scheduler answered within {timeout_seconds} s ({reason})") from None
