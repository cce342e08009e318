"""Design matrices from tables with categorical columns, as scipy.sparse CSR float64, never dense.

Two ways, each a class that is fitted on the training frame, encodes any frame the same way
(``transform``) and is stored in the model file (``to_dict``; ``design_from_dict`` reads it
back), so that ``symlogit predict`` rebuilds the same columns on new data:

``ColumnDesign``: the feature columns of a table, numeric ones as they are and categorical ones
(text, booleans, pandas' categorical dtype) one-hot encoded in place, one column per level,
named ``column[level]``. Levels are compared as text (``str`` of each value) and sorted (a
categorical dtype keeps its categories' order; a table read in parts, the order of the parts
joined by pandas.concat, ``merged_levels``); with ``drop_reference`` (an unpenalised fit
with an intercept) the first level is the reference and has no column, as patsy's and
statsmodels' Treatment coding; otherwise every level has a column (an L2 penalty identifies
them). An empty cell in a categorical column is an error (no silent level or dropped row).

``FormulaDesign``: the right-hand side of a Wilkinson formula (``y ~ x1 + C(region) + x2:x3``)
through formulaic, the library glum uses, with ``output="sparse"``; the left-hand side names
the target column. The model file keeps the formula text and formulaic's encoder and transform
state (categories, centring constants, spline knots), from which formulaic's ``ModelSpec``
is rebuilt: formulaic does not serialise a ModelSpec itself, so the fit checks that the rebuilt
one reproduces the training matrix before anything is written.

A level that the fit never saw is an error naming the column and the level (``unseen="error"``,
the default: a new level is a change in the data that a prediction should not hide), or is
encoded as the reference level (``"reference"``) or as zeros in every column of its variable
(``"zero"``; the same as "reference" where the reference has no column). Errors are
``DataError`` (a ValueError) whose message is one line.
"""

import json
import re

import numpy as np
import pandas as pd

from .data import DataError, features, is_categorical, numbers_as_text

UNSEEN = ("error", "reference", "zero")  # what transform does with a level the fit never saw


def categorical_columns(frame, names, source):
    """The names among ``names`` whose columns are categorical (``data.is_categorical``);
    DataError for a text column of numbers written as text (``data.numbers_as_text``)."""
    found = []
    for name in names:
        column = frame[name]
        if not is_categorical(column):
            continue
        message = numbers_as_text(column, name, source)
        if message is not None:
            raise DataError(message)
        found.append(name)
    return found


def _as_text(column, name, source):
    """A categorical column's values as text (NumPy object array); DataError at an empty cell."""
    empty = column.isna().to_numpy()
    if empty.any():
        raise DataError(f"{source}: categorical column {name!r} is empty at row {int(np.argmax(empty)) + 1} (data rows "
                        "count from 1); fill it (e.g. with a level 'missing') or drop those rows")
    return column.astype(str).to_numpy(dtype=object)


def level_sets(frame, columns, source="data"):
    """{categorical column among ``columns``: (its levels present in ``frame``, as text, sorted;
    its pandas categorical dtype, or None)}: one part's share of the levels of a table read in
    parts (``merged_levels``). DataError as ``categorical_columns`` and at an empty cell."""
    sets = {}
    for name in categorical_columns(frame, columns, source):
        column = frame[name]
        dtype = column.dtype if isinstance(column.dtype, pd.CategoricalDtype) else None
        sets[name] = (sorted(set(_as_text(column, name, source))), dtype)
    return sets


def merged_levels(parts):
    """{column: levels} from the ``level_sets`` of the parts of a table (in the table's order), the
    levels of the parts joined by pandas.concat, as ``data.read_frame`` joins Parquet files: where
    the joined column is categorical, its categories' order (the levels that occur); else every
    level that occurs, sorted as text. pandas itself decides the joined dtype (a concat of an empty
    column of each part's dtype): categorical where every part's is equal, unordered categories
    being equal as sets (the first part's order then stands: files that store 'north, east, south'
    and 'south, north, east' give north as the first level, the reference where one is dropped),
    ordered ones only in the same order; text otherwise (so the levels sorted, east first)."""
    levels = {}
    for name in dict.fromkeys(name for part in parts for name in part):
        present = set().union(*(part[name][0] for part in parts if name in part))
        dtypes = [part[name][1] if name in part else None for part in parts]
        joined = pd.concat([pd.Series([], dtype=object if dtype is None else dtype) for dtype in dtypes],
                           ignore_index=True).dtype
        if isinstance(joined, pd.CategoricalDtype):
            levels[name] = [text for text in map(str, joined.categories) if text in present]
        else:
            levels[name] = sorted(present)
    return levels


def _check_unseen(unseen):
    if unseen not in UNSEEN:
        raise ValueError(f"unseen must be one of {', '.join(UNSEEN)}, got {unseen!r}")


class ColumnDesign:
    """Feature columns with categorical ones one-hot encoded (see the module docstring).
    ``columns``: the feature columns in order; ``levels``: {categorical column: its levels};
    ``drop_reference``: whether each categorical column's first level has no column."""

    def __init__(self, columns, levels, drop_reference):
        self.columns = list(columns)
        self.levels = {name: list(values) for name, values in levels.items()}
        self.drop_reference = bool(drop_reference)

    @classmethod
    def fit(cls, frame, columns, source="data", drop_reference=False):
        """The levels of the categorical ``columns`` of ``frame`` (all rows)."""
        return cls(columns, merged_levels([level_sets(frame, columns, source)]), drop_reference)

    def _kept(self, name):
        """The levels of a categorical column that have a column of X."""
        return self.levels[name][1:] if self.drop_reference else self.levels[name]

    @property
    def names(self):
        """The columns of X: numeric columns by name, levels as ``column[level]``."""
        return [item for name in self.columns
                for item in ([f"{name}[{level}]" for level in self._kept(name)] if name in self.levels else [name])]

    def transform(self, frame, source="data", unseen="error"):
        """X (N, p) CSR float64 for ``frame`` (which needs every feature column); DataError for a
        missing column, a non-numeric or non-finite numeric cell, an empty categorical cell, or
        (``unseen="error"``) a level the fit never saw."""
        _check_unseen(unseen)
        missing = [name for name in self.columns if name not in frame.columns]
        if missing:
            raise DataError(f"{source}: missing feature column(s) {', '.join(map(str, missing))}; the model needs "
                            f"{', '.join(map(str, self.columns))}")
        n = len(frame)
        rows, cols, values, start = [], [], [], 0
        numeric = [name for name in self.columns if name not in self.levels]
        dense = dict(zip(numeric, features(frame, numeric, source).T)) if numeric else {}
        for name in self.columns:
            if name not in self.levels:
                rows.append(np.arange(n))
                cols.append(np.full(n, start))
                values.append(dense[name])
                start += 1
                continue
            codes = self._codes(frame[name], name, source, unseen)
            if self.drop_reference:
                codes = codes - 1  # the reference (code 0) has no column
            keep = codes >= 0
            rows.append(np.flatnonzero(keep))
            cols.append(start + codes[keep])
            values.append(np.ones(int(keep.sum())))
            start += len(self._kept(name))
        import scipy.sparse  # here, not at import: `symlogit predict` reads UNSEEN without it

        X = scipy.sparse.csr_matrix((np.concatenate(values) if values else np.empty(0),
                                     (np.concatenate(rows) if rows else np.empty(0, int),
                                      np.concatenate(cols) if cols else np.empty(0, int))),
                                    shape=(n, start), dtype=np.float64)
        X.eliminate_zeros()
        return X

    def _codes(self, column, name, source, unseen):
        """Each row's level index (N,) intp; an unseen level is an error, 0 (reference) or -1 (zero)."""
        text = _as_text(column, name, source)
        codes = pd.Index(self.levels[name]).get_indexer(text).astype(np.intp)  # -1: a level not among them
        new = codes < 0
        if new.any():
            if unseen == "error":
                row = int(np.argmax(new))
                raise DataError(f"{source}: categorical column {name!r} has the level {text[row]!r} at row {row + 1} "
                                "(data rows count from 1), which the fit never saw; predict with unseen='reference' "
                                "or unseen='zero' to encode it as the reference level or as zeros")
            codes[new] = 0 if unseen == "reference" else -1 - int(self.drop_reference)
        return codes

    def to_dict(self):
        return {"kind": "columns", "columns": self.columns,
                "categorical": [{"column": name, "levels": self.levels[name],
                                 "reference": self.levels[name][0] if self.drop_reference else None}
                                for name in self.columns if name in self.levels],
                "drop_reference": self.drop_reference}

    @classmethod
    def from_dict(cls, data):
        columns = [str(c) for c in data["columns"]]
        levels = {}
        for item in data["categorical"]:
            values = [str(v) for v in item["levels"]]
            if item["column"] not in columns or not values or len(set(values)) != len(values):
                raise ValueError(f"categorical column {item['column']!r} is not a feature column or its levels are "
                                 "empty or repeated")
            levels[str(item["column"])] = values
        drop_reference = data["drop_reference"]
        if not isinstance(drop_reference, bool):
            raise ValueError(f"drop_reference must be true or false, got {drop_reference!r}")
        return cls(columns, levels, drop_reference)


class FormulaDesign:
    """The right-hand side of a formula through formulaic (see the module docstring).
    ``formula``: the text as given; ``target``: the left-hand side's column; ``intercept``:
    whether the formula has one (it is then fitted by the estimator, not a column of X);
    ``encoder_state``, ``transform_state``: formulaic's, as JSON values."""

    def __init__(self, formula, target, intercept, encoder_state, transform_state):
        self.formula, self.target, self.intercept = formula, target, bool(intercept)
        self.encoder_state, self.transform_state = encoder_state, transform_state
        self.names = None

    @staticmethod
    def parse(formula):
        """(target column, formulaic's right-hand side) of ``formula``; DataError when it is
        malformed or its left-hand side is not one column name, or formulaic is not installed."""
        try:
            from formulaic import Formula
            from formulaic.errors import FormulaicError
        except ImportError as error:
            raise DataError(f"a formula needs formulaic ({error}); install it: pip install 'symlogit[formula]'") \
                from None

        try:
            parsed = Formula(formula)
        except (FormulaicError, ValueError, SyntaxError) as error:
            if _has_dot(formula):  # formulaic's message names its internals (the data it needs for '.')
                raise DataError(f"formula {formula!r}: '.' (every other column) is not supported; name the columns, "
                                "as 'y ~ x1 + x2 + C(region)'") from None
            raise DataError(f"formula {formula!r} is malformed: {_first_line(error)}") from None
        lhs = getattr(parsed, "lhs", None)
        terms = [str(term) for term in lhs] if lhs is not None else []
        if len(terms) != 1 or not re.fullmatch(r"\w+|`[^`]+`", terms[0]):
            raise DataError(f"formula {formula!r}: expected 'target ~ terms' with one target column on the left "
                            f"(as 'y ~ x1 + C(region)'), got {', '.join(terms) or 'nothing'} on the left")
        return terms[0].strip("`"), parsed.rhs

    @classmethod
    def fit(cls, frame, formula, source="data"):
        """The design of ``formula`` on ``frame``: formulaic's state, stored as JSON and checked
        to rebuild the same matrix (on up to 1000 rows). DataError naming formulaic's problem
        (an unknown column, an empty cell: formulaic's na_action="raise") or a state that
        cannot be stored."""
        from formulaic import model_matrix

        target, rhs = cls.parse(formula)
        if target not in frame.columns:
            raise DataError(f"{source}: the formula's target column {target!r} is not in the data; columns are "
                            f"{', '.join(map(str, frame.columns))}")
        matrix, X, _ = _evaluated(lambda na_action: model_matrix(rhs, frame, output="sparse", na_action=na_action),
                                  frame, source, formula)
        spec = matrix.model_spec
        for factor, (kind, _) in spec.encoder_state.items():  # C(column) declares a category; a bare column
            if kind.value == "categorical" and factor in frame.columns:  # of text may be numbers written as text
                categorical_columns(frame, [factor], source)
        encoder = {factor: [kind.value, {key: _json_value(value) for key, value in state.items() if key != "contrasts"}]
                   for factor, (kind, state) in spec.encoder_state.items()}
        try:
            transform = json.loads(json.dumps(_json_value(spec.transform_state)))
            json.dumps(encoder)
        except (TypeError, ValueError) as error:
            raise DataError(f"formula {formula!r}: its state cannot be stored in a model file ({error}); "
                            "use plain columns, C(), interactions and numeric transforms") from None
        design = cls(formula, target, "Intercept" in spec.column_names, encoder, transform)
        rows = frame.iloc[:1000]
        again = design.transform(rows, source)
        head = X[: len(rows)]
        if again.shape != head.shape or (again != head).nnz > 0:
            raise DataError(f"formula {formula!r}: formulaic's state for it does not rebuild the same columns; "
                            "use plain columns, C(), interactions and numeric transforms")
        return design

    def _spec(self, na_action="raise"):
        from formulaic import ModelSpec
        from formulaic.parser.types import Factor

        _, rhs = self.parse(self.formula)
        encoder = {factor: (Factor.Kind(kind), dict(state)) for factor, (kind, state) in self.encoder_state.items()}
        return ModelSpec(formula=rhs, encoder_state=encoder, transform_state=_from_json(self.transform_state),
                         output="sparse", na_action=na_action)

    def transform(self, frame, source="data", unseen="error"):
        """X (N, p) CSR float64 for ``frame``; sets ``names``. DataError for a missing column
        or empty cell, or (``unseen="error"``) a level the fit never saw."""
        import warnings

        _check_unseen(unseen)
        if unseen == "reference":
            raise DataError("unseen='reference' is for the columns' one-hot encoding; a formula's unseen level is "
                            "encoded with unseen='zero' (all its columns 0: the reference level of C()'s treatment "
                            "coding)")
        if unseen == "error":
            self._check_levels(frame, source)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # formulaic's DataMismatchWarning: --unseen zero asked for it
            _, X, names = _evaluated(lambda na_action: self._spec(na_action).get_model_matrix(frame), frame, source,
                                     self.formula)
        if self.names is not None and names != self.names:
            raise DataError(f"{source}: formula {self.formula!r} gives other columns on these data than on the fit's "
                            f"({len(names)} against {len(self.names)})")
        self.names = names
        return X

    def _check_levels(self, frame, source):
        """DataError naming the first level, among the categorical factors that are a column or
        C(column, ...), that the fit never saw."""
        for factor, (kind, state) in self.encoder_state.items():
            if kind != "categorical" or "categories" not in state:
                continue
            match = re.fullmatch(r"(?:C\(\s*)?`?(\w+)`?(?:\s*[,)].*)?", factor)
            name = match.group(1) if match else None
            if name is None or name not in frame.columns:
                continue
            column = frame[name]
            known = pd.Index(state["categories"])
            new = ~column.isin(known).to_numpy() & column.notna().to_numpy()
            if new.any():
                row = int(np.argmax(new))
                raise DataError(f"{source}: categorical column {name!r} has the level {column.iloc[row]!r} at row "
                                f"{row + 1} (data rows count from 1), which the fit never saw; predict with "
                                "unseen='zero' to encode it as zeros (the reference level)")

    def to_dict(self):
        return {"kind": "formula", "formula": self.formula, "intercept": self.intercept, "names": self.names,
                "encoder_state": self.encoder_state, "transform_state": self.transform_state}

    @classmethod
    def from_dict(cls, data):
        target, _ = cls.parse(str(data["formula"]))
        intercept = data["intercept"]
        if not isinstance(intercept, bool) or not isinstance(data["encoder_state"], dict):
            raise ValueError("intercept must be true or false and encoder_state an object")
        design = cls(str(data["formula"]), target, intercept, data["encoder_state"], data["transform_state"])
        design.names = [str(name) for name in data["names"]]
        return design


def _evaluated(evaluate, frame, source, formula):
    """(formulaic's model matrix, X CSR float64 without its Intercept column, X's column names)
    of ``evaluate(na_action)``, formulaic's matrix of ``formula`` on a frame, with NumPy's
    floating-point warnings off: a term that is not finite on some row (np.log(x) of an x <= 0,
    I(a / b) of a b = 0) is refused by a DataError naming X's column and the row, not warned
    about. formulaic (na_action="raise") refuses an empty cell or a term evaluating to NaN without
    naming the row; that row is then found on the matrix evaluated with na_action="ignore", or
    else (an empty categorical cell, which "ignore" would code as zeros) among ``frame``'s cells
    of the formula's columns. DataError, too, for formulaic's other errors (an unknown column or
    function)."""
    from formulaic.errors import FormulaicError

    errors = (FormulaicError, ValueError, TypeError, NameError)
    with np.errstate(all="ignore"):
        try:
            matrix = evaluate("raise")
        except errors as error:
            message = f"{source}: formula {formula!r}: {_first_line(error)}"
            try:
                again = evaluate("ignore")
            except errors:
                again = None
            if again is not None:
                _check_finite(*_without_intercept(again, again.model_spec.column_names), source, formula)
            _check_cells(frame, formula, source)
            raise DataError(message) from None
    X, names = _without_intercept(matrix, matrix.model_spec.column_names)
    _check_finite(X, names, source, formula)
    return matrix, X, names


def _check_cells(frame, formula, source):
    """DataError naming the first empty cell (and its column) among ``frame``'s columns that the
    formula reads; nothing where there is none or the formula cannot be parsed."""
    from formulaic import Formula

    try:
        used = [name for name in frame.columns if name in Formula(FormulaDesign.parse(formula)[1]).required_variables]
    except Exception:  # (its own error is the message then)
        return
    empty = frame[used].isna().to_numpy()
    if empty.any():
        row = int(np.argmax(empty.any(axis=1)))
        raise DataError(f"{source}: formula {formula!r}: column {used[int(np.argmax(empty[row]))]!r} is empty at row "
                        f"{row + 1} (data rows count from 1); drop or fill those rows")


def _check_finite(X, names, source, formula):
    """DataError naming the first row (and its column of X) where the CSR matrix X is not finite."""
    bad = ~np.isfinite(X.data)
    if bad.any():
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[bad]
        first = int(np.argmin(rows))  # entries are stored row by row: the first bad one is the first row's
        row, column, value = int(rows[first]), int(X.indices[bad][first]), X.data[bad][first]
        if np.count_nonzero(X.indices[bad] == column) == X.shape[0] > 1:  # every row: a transform's state
            raise DataError(f"{source}: formula {formula!r}: column {names[column]!r} is not finite at any row; "
                            "expected finite numbers: a stateful transform (center, scale, poly) spreads a term "
                            "undefined on some row (np.log of x <= 0, a division by 0, an empty cell) to every row; "
                            "find those rows of the inner term, drop or impute them, or change the term")
        raise DataError(f"{source}: formula {formula!r}: column {names[column]!r} is {value} at row {row + 1} (data "
                        "rows count from 1); expected finite numbers: an empty cell, or a term undefined there "
                        "(np.log of x <= 0, a division by 0); drop or impute those rows, or change the term")


def _without_intercept(matrix, names):
    """(CSR float64 without formulaic's Intercept column, the other column names)."""
    names = list(names)
    keep = [j for j, name in enumerate(names) if name != "Intercept"]
    import scipy.sparse

    X = scipy.sparse.csr_matrix(matrix, dtype=np.float64)[:, keep]
    return X.tocsr(), [names[j] for j in keep]


#: How a dict whose keys are not all strings is stored (JSON would turn its keys into strings:
#: formulaic's poly() state is keyed by the integers 0, 1, 2, ...)
ITEMS = "__dict_items__"


def _json_value(value):
    """numpy scalars and arrays, tuples, as JSON values; a dict with a key that is not a string
    as {ITEMS: [[key, value], ...]} (``_from_json`` reads it back); TypeError for anything else."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _json_value(v) for k, v in value.items()}
        return {ITEMS: [[_json_value(k), _json_value(v)] for k, v in value.items()]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _from_json(value):
    """The inverse of ``_json_value`` on what JSON gives back: dicts of any keys restored."""
    if isinstance(value, dict):
        if set(value) == {ITEMS}:
            return {_from_json(k): _from_json(v) for k, v in value[ITEMS]}
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _has_dot(formula):
    """Whether ``formula`` uses formulaic's '.' operator (every column not otherwise used), a
    token of its own (not the dot of 1.5, np.log or a column name), by formulaic's tokenizer."""
    from formulaic.errors import FormulaicError

    try:  # (a module of formulaic's parser, not its public API: where it moves, no '.' is recognised)
        from formulaic.parser.algos.tokenize import tokenize
    except ImportError:
        return False
    try:
        return any(token.kind.value == "value" and str(token) == "." for token in tokenize(formula))
    except FormulaicError:  # a formula the tokenizer refuses (an unclosed quote) is malformed, '.' or not
        return False


def _first_line(error):
    """An exception's message, first line, without terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def design_from_dict(data):
    """A ColumnDesign or FormulaDesign from its ``to_dict``; ValueError (or KeyError, TypeError)
    when it is malformed."""
    kinds = {"columns": ColumnDesign, "formula": FormulaDesign}
    if not isinstance(data, dict) or data.get("kind") not in kinds:
        raise ValueError(f"a design must be an object with \"kind\" one of {', '.join(kinds)}")
    return kinds[data["kind"]].from_dict(data)


def design_matrix(frame, columns=None, drop_reference=False):
    """For the Python API: (X CSR float64, feature names, the fitted ColumnDesign) of the
    ``columns`` of a DataFrame (default: all), categorical ones one-hot encoded. Pass
    ``drop_reference=True`` for an unpenalised fit with an intercept. ``design.transform(new)``
    encodes new data the same way. ValueError (DataError) for bad input."""
    columns = [str(c) for c in frame.columns] if columns is None else list(columns)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    design = ColumnDesign.fit(frame, columns, "frame", drop_reference)
    return design.transform(frame, "frame"), design.names, design
