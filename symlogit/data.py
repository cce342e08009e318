"""Reading a table for the command line: CSV or Parquet files, or scikit-learn's bundled
datasets, into features X (float64) and a target column, with one clear error per problem.

Every problem raises ``DataError`` whose message names the file, column and first row, and
says what is expected; the CLI prints it as one line.
"""

import re
from dataclasses import dataclass
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
    X: np.ndarray            # (N, d) float64, finite
    y: np.ndarray | None     # (N,) target labels, or None when no target is read
    feature_names: list
    target: str | None
    source: str
    offset: np.ndarray | None = None  # (N,) finite, from --offset COL


def read_frame(path):
    """A Parquet (a suffix in PARQUET_SUFFIXES) or CSV (any other suffix) file as a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a CSV or Parquet file")
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    try:
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path)
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
    if numbers.notna().any():
        return message + "; fix or drop the rows that are not numbers"
    return message + "; encode a categorical column as numbers first (e.g. one-hot columns with pandas.get_dummies)"


_THOUSANDS = re.compile(r"[-+]?\d{1,3}([,.' ]\d{3})+([.,]\d*)?")


def read_table(frame, target, source, offset=None, classes=True):
    """Split a frame into features and target (default target: the last column), and the offset
    column when one is named (kept out of the features). ``classes``: the target holds class
    labels, so at least two are needed."""
    target = frame.columns[-1] if target is None else target
    for what, column in (("target", target), ("offset", offset)):
        if column is not None and column not in frame.columns:
            raise DataError(f"{source}: no {what} column {column!r}; columns are {', '.join(map(str, frame.columns))}")
    if offset is not None and offset == target:
        raise DataError(f"{source}: the offset column {offset!r} is the target column; expected another column")
    names = [column for column in frame.columns if column not in (target, offset)]
    if not names:
        raise DataError(f"{source}: only the target column {target!r}; expected feature columns too")
    y = frame[target]
    if y.isna().any():
        raise DataError(f"{source}: target column {target!r} is empty at row {int(np.argmax(y.isna().to_numpy())) + 1}")
    labels = y.to_numpy()
    if classes and len(np.unique(labels)) < 2:
        raise DataError(f"{source}: target column {target!r} has a single class ({np.asarray(labels[0]).tolist()!r}); "
                        "expected at least two classes")
    offsets = None if offset is None else features(frame, [offset], source, "offset")[:, 0]
    return Table(features(frame, names, source), labels, names, str(target), source, offsets)
