"""Reading a table for the command line: CSV or Parquet files, or scikit-learn's bundled
datasets, into features X (float64) and a target column, with one clear error per problem.

Every problem raises ``DataError`` whose message names the file, column and first row, and
says what is expected; the CLI prints it as one line.
"""

import fnmatch
import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = ("breast_cancer", "iris", "wine", "digits")  # scikit-learn's load_<name>
DEFAULT_DATASET = "breast_cancer"
PARQUET_SUFFIXES = (".parquet", ".pq")  # any other suffix is read as CSV


class DataError(ValueError):
    """The data cannot be used as given."""


@dataclass
class Table:
    X: np.ndarray            # (N, d) float64, finite; CSR float64 with categorical columns
    y: np.ndarray | None     # (N,) target labels, or None when no target is read
    feature_names: list
    target: str | None
    source: str
    offset: np.ndarray | None = None  # (N,) finite, from --offset COL
    weights: np.ndarray | None = None  # (N,) finite, >= 0, from --weight COL


@dataclass
class Columns:
    """What each column of a table is for: the target, the features (in order), and the columns
    kept out of the features: an offset, a sample-weight column, identifiers."""
    target: str
    features: list
    offset: str | None = None
    weight: str | None = None
    ids: list = field(default_factory=list)


def split_names(text):
    """'a, b,c' -> ['a', 'b', 'c'] (None -> [])."""
    return [] if text is None else [name.strip() for name in str(text).split(",") if name.strip()]


def select_columns(columns, source, target=None, features=None, drop=None, ids=None, weight=None, offset=None):
    """Assign roles to the columns of a table (names in file order). target: default the last
    column. features and drop: lists of names or globs (fnmatch: *, ?, [...]); features default
    to every column that has no other role, then ``drop`` removes some. Raise DataError naming
    any name or glob that matches no column (listing the columns), a column given two roles, or
    no features left."""
    columns = [str(c) for c in columns]
    listing = f"; columns are {', '.join(columns)}"
    target = columns[-1] if target is None else str(target)
    roles = [("target", target), ("offset", offset), ("weight", weight)] + [("id", name) for name in ids or []]
    roles = [(role, str(name)) for role, name in roles if name is not None]
    reserved = {}
    for role, name in roles:
        if name not in columns:
            raise DataError(f"{source}: no {role} column {name!r}{listing}")
        if name in reserved:
            raise DataError(f"{source}: column {name!r} is both the {reserved[name]} and the {role} column; give each "
                            "column one role")
        reserved[name] = role

    def matching(pattern, what):
        found = [c for c in columns if c == pattern] or fnmatch.filter(columns, pattern)
        if not found:
            raise DataError(f"{source}: no column matches the {what} pattern {pattern!r}{listing}")
        return found

    if features:  # a glob skips the columns with another role; a name given twice a role is an error
        chosen = list(dict.fromkeys(c for pattern in features for c in matching(pattern, "feature")
                                    if c == pattern or c not in reserved))
        taken = [c for c in chosen if c in reserved]
        if taken:
            raise DataError(f"{source}: column {taken[0]!r} is both a feature and the {reserved[taken[0]]} column; "
                            "give each column one role")
    else:
        chosen = [c for c in columns if c not in reserved]
    dropped = {c for pattern in drop or [] for c in matching(pattern, "drop")}
    chosen = [c for c in chosen if c not in dropped]
    if not chosen:
        raise DataError(f"{source}: no feature columns left besides the target {target!r}; expected at least one")
    return Columns(target, chosen, offset, weight, list(ids or []))


def read_frame(path):
    """A CSV file (any suffix but those in PARQUET_SUFFIXES), or Parquet data: a file, a
    directory of Parquet files or a glob of them (read in file order, one frame), as a DataFrame."""
    text = str(path)
    path = Path(path)
    parquet = path.is_dir() or not path.exists() or path.suffix.lower() in PARQUET_SUFFIXES
    try:
        if not parquet:
            frame = pd.read_csv(path)
        else:
            files = parquet_files(text)
            parquet_schema(files)  # (the same rule as the dask engine's, before reading any data)
            frames = [pd.read_parquet(file) for file in files]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    except DataError:
        raise
    except PermissionError:
        raise DataError(f"{path}: not readable (permission denied)") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty, expected a header row and data rows") from None
    except ImportError as error:
        raise DataError(f"{path}: reading Parquet needs pyarrow ({error})") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as error:
        kind = "Parquet" if parquet else "CSV"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{path}: not a readable {kind} file ({first_line})") from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"{path}: no data rows, expected a header row and at least one data row")
    if not parquet and frame.shape[1] == 1:
        separator = next((sep for sep in (";", "\t", "|") if sep in str(frame.columns[0])), None)
        if separator is not None:
            raise DataError(f"{path}: one column named {str(frame.columns[0])!r}: the file looks separated by "
                            f"{separator!r}, expected commas; write it comma-separated")
    return frame


def parquet_schema(files):
    """The arrow schema of Parquet ``files`` (the first's), after checking that every file's
    agrees with it: the same columns in the same order, each of the same kind (``_same_kind``).
    Text stored as text in one file and as categories (a dictionary of text) in another, or
    categories in another order, and numbers of other widths (int32 and int64, float32 and
    float64) agree: pandas.concat joins them (``read_frame``), and both engines take a text
    column's levels from ``design.merged_levels``. DataError for an unreadable file, or naming
    the file and the columns that disagree, with both types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = []
    for path in files:
        try:
            schemas.append(pq.read_schema(path))
        except (pa.ArrowInvalid, OSError) as error:
            raise DataError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
    first = schemas[0]
    for path, schema in zip(files[1:], schemas[1:]):
        if first.names != schema.names or not all(_same_kind(a.type, b.type) for a, b in zip(first, schema)):
            raise DataError(f"Parquet schemas disagree: {Path(path).name} differs from {Path(files[0]).name} in "
                            f"{_disagreement(first, schema)}")
    return first


def _same_kind(a, b):
    """Whether two arrow types agree: equal, both text (``text_type``), or both numbers
    (``number_type``: features and weights are read as float64)."""
    return a.equals(b) or (text_type(a) and text_type(b)) or (number_type(a) and number_type(b))


def _disagreement(first, schema):
    """What ``parquet_schema`` refused, in words: the columns (up to 6) that one file lacks or
    stores as a type that does not agree, each with its two types, or else the columns' order."""
    ours, theirs = {f.name: f.type for f in first}, {f.name: f.type for f in schema}
    differ = [f"{name} ({ours.get(name, 'absent')} vs {theirs.get(name, 'absent')})"
              for name in sorted(set(ours) | set(theirs))
              if name not in ours or name not in theirs or not _same_kind(ours[name], theirs[name])]
    return ", ".join(differ[:6]) or "the order of its columns"


def text_type(kind):
    """Whether an arrow type holds text: string, large_string, or a dictionary of them."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def number_type(kind):
    """Whether a Parquet column of arrow type ``kind`` is a number (not text, boolean, categorical)."""
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def parquet_files(source):
    """The Parquet files of a directory (its files with a suffix in PARQUET_SUFFIXES), a glob, or one file."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in PARQUET_SUFFIXES)
    elif path.is_file():
        files = [path]
    else:
        files = sorted(Path(p) for p in glob.glob(str(source)))
    if not files:
        what = "a directory without Parquet files" if path.is_dir() else "no such file, and no Parquet files match"
        raise DataError(f"{source}: {what} (expected a CSV or Parquet file, a directory of .parquet files or a glob "
                        "of them)")
    return files


def load_dataset(name):
    """One of scikit-learn's bundled datasets as a DataFrame, target in the last column."""
    from sklearn import datasets

    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    return bunch.frame


def features(frame, names, source, what="feature"):
    """The named columns as a finite float64 (N, d) array; errors name the column (a ``what``
    column: "feature" or "offset") and row."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing {what} column(s) {', '.join(map(str, missing))}; "
                        f"the model needs {', '.join(map(str, names))}")
    part = frame[names]
    for name in names:
        if not pd.api.types.is_numeric_dtype(part[name]):
            raise DataError(_text_where_number(part[name], name, source, what))
    X = part.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(f"{source}: column {names[col]!r} has {X[row, col]} at row {row + 1} (data rows count from 1); "
                        "expected finite numbers (drop or impute those rows)")
    return np.ascontiguousarray(X)


def _nonnegative(frame, name, source, what, expected):
    """A column of finite numbers >= 0 as (N,) float64; DataError naming the first bad row."""
    values = features(frame, [name], source, what)[:, 0]
    if np.any(values < 0):
        row = int(np.argmax(values < 0))
        raise DataError(f"{source}: {what} column {name!r} has {values[row]:g} at row {row + 1} (data rows count from "
                        f"1); expected {expected}")
    return values


def _text_where_number(column, name, source, what):
    """The message for a column that is not numeric: its first value that is not a number, and
    why it might be there (thousands separators, a categorical column)."""
    numbers = pd.to_numeric(column, errors="coerce")
    text = column.notna().to_numpy() & numbers.isna().to_numpy()
    row = int(np.argmax(text)) if text.any() else 0
    value = column.iloc[row]
    message = (f"{source}: {what} column {name!r} holds text where a number was expected: {value!r} at row {row + 1} "
               "(data rows count from 1)")
    if isinstance(value, str) and _THOUSANDS.fullmatch(value.strip()):
        return message + "; write numbers without thousands separators (1200.5, not 1,200.5)"
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip()):
        return message + "; write numbers with a decimal point (3.5, not 3,5)"
    if numbers.notna().any():
        return message + "; fix or drop the rows that are not numbers"
    return message + ("; encode a categorical column as numbers first (e.g. one-hot columns with pandas.get_dummies), "
                      "or leave it out of the features (an id, or a column to drop)")


_THOUSANDS = re.compile(r"[-+]?\d{1,3}([,.' ]\d{3})+([.,]\d*)?")
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+")


def is_categorical(column):
    """Whether a column holds categories, not numbers: text, booleans or pandas' categorical dtype."""
    return (isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column)
            or not pd.api.types.is_numeric_dtype(column))


def numbers_as_text(column, name, source):
    """The DataError message for a text column that holds numbers written as text, or None: most
    of its values are numbers once thousands separators are removed or a decimal comma is read
    as a point, and some are not plain numbers ("1,234", "3,5" or a typo). A text column of plain
    numbers only (a Parquet string column of codes) is left a category."""
    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column):
        return None  # declared categories
    text = column.dropna().astype(str).str.strip()
    if text.empty:
        return None
    plain = pd.to_numeric(text, errors="coerce").notna()
    written = text.str.fullmatch(_THOUSANDS.pattern) | text.str.fullmatch(_DECIMAL_COMMA.pattern)
    if plain.all() or (plain | written).mean() <= 0.5:
        return None
    return _text_where_number(column, name, source, "feature")


def read_groups(frame, source, names):
    """The cluster labels of --groups: (N,) for one column, (N, 2) for two (any values); a
    DataError naming a column that is missing, has an empty cell, or holds a single cluster."""
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    for name in names:
        if name not in frame.columns:
            raise DataError(f"{source}: no groups column {name!r}; columns are {', '.join(frame.columns)}")
        empty = frame[name].isna().to_numpy()
        if empty.any():
            raise DataError(f"{source}: groups column {name!r} is empty at row {int(np.argmax(empty)) + 1}; every row "
                            "needs a cluster")
        if frame[name].nunique() < 2:
            raise DataError(f"{source}: groups column {name!r} has a single cluster; a cluster-robust covariance needs "
                            "at least 2")
    values = frame[list(names)].to_numpy()
    return values[:, 0] if len(names) == 1 else values


def read_table(frame, source, columns, classes=True, design=None):
    """Split a frame by the roles of ``columns`` (``select_columns``): features X, target y, and
    the offset and sample weights (finite, >= 0) where named (id columns are only kept out). ``classes``: the target
    holds class labels, so at least two are needed. ``design`` (``symlogit.design``): X is its
    sparse encoding of the frame, named by its columns, instead of the numeric feature columns."""
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    target = columns.target
    y = frame[target]
    if y.isna().any():
        raise DataError(f"{source}: target column {target!r} is empty at row {int(np.argmax(y.isna().to_numpy())) + 1}")
    labels = y.to_numpy()
    if classes and len(np.unique(labels)) < 2:
        raise DataError(f"{source}: target column {target!r} has a single class ({np.asarray(labels[0]).tolist()!r}); "
                        "expected at least two classes")
    if not classes:  # counts or rates
        labels = _nonnegative(frame, target, source, "target", "counts or rates >= 0")
    offsets = None if columns.offset is None else features(frame, [columns.offset], source, "offset")[:, 0]
    weights = None if columns.weight is None else _nonnegative(frame, columns.weight, source, "weight",
                                                                "sample weights >= 0")
    if design is None:
        return Table(features(frame, columns.features, source), labels, columns.features, target, source, offsets,
                     weights)
    X = design.transform(frame, source)
    return Table(X, labels, list(design.names), target, source, offsets, weights)
