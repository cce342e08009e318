"""Model files: JSON (never pickle), written atomically.

A model file holds the format tag and version, the symlogit version, a SHA-256 of the
generated kernels that fitted it, the family (absent in files of symlogit 0.1 before families:
read as "logit"; for a user's ``symlogit.Family``, also "family_definition", its SymPy srepr
definition, rebuilt and checked on loading, and "family_kernels_sha256", its module's SHA-256), the classes (classifiers), feature names, target name, coefficients
(Python floats: JSON keeps every digit of a float64), the options used and a short fit record.
Loading checks every field and raises ``ModelFileError`` naming what is wrong.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from . import __version__
from .family import kernel_coefficients

FORMAT = "symlogit-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A model file that is malformed, foreign or unreadable."""


def kernels_hash():
    """SHA-256 over the generated kernel modules, as shipped (symlogit._generated)."""
    from . import _generated

    digest = hashlib.sha256()
    for name in _generated.FAMILIES:
        digest.update((Path(_generated.__file__).parent / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _plain(value):
    """numpy scalars and arrays as JSON values."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def model_to_dict(model, feature_names, target, options, fit_record, design=None):
    """The model file's dict; ``design`` (``symlogit.design``, for categorical columns or a
    formula) is stored under "design" so that predict encodes new data the same way."""
    definition = getattr(model, "family_definition_", None)
    user = {} if definition is None else {"family_definition": definition.definition(),
                                          "family_kernels_sha256": definition.kernels_sha256()}
    extra = {} if design is None else {"design": design.to_dict()}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "symlogit_version": __version__,
        "kernels_sha256": kernels_hash(),
        "family": model.family_,
        **user,
        "classes": _plain(getattr(model, "classes_", None)),
        "feature_names": [str(name) for name in feature_names],
        "target": target,
        "coef": np.atleast_2d(model.coef_).tolist(),
        "intercept": np.atleast_1d(model.intercept_).tolist(),
        "fit_intercept": bool(model.fit_intercept),
        "options": {key: _plain(value) for key, value in options.items()},
        "fit": {key: _plain(value) for key, value in fit_record.items()},
        **extra,
    }


def model_from_dict(data, source):
    """A ``SavedModel`` from a model dict; ModelFileError when it is not one."""
    from .family import NAMES, get_family

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{source}: not a symlogit model file (no \"format\": \"{FORMAT}\")")
    if data.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{source}: model format version {data.get('format_version')!r} is not supported "
                             f"(this symlogit reads version {FORMAT_VERSION})")
    family_name = data.get("family", "logit")
    if "family_definition" in data:
        family = _user_family(data, source)
    elif family_name not in NAMES:
        raise ModelFileError(f"{source}: family {family_name!r} is not known to this symlogit {__version__} (it knows "
                             f"{', '.join(NAMES)}); read it with the version that wrote it")
    else:
        family = get_family(family_name)
    try:
        names = [str(name) for name in data["feature_names"]]
        coef = np.asarray(data["coef"], dtype=np.float64)
        intercept = np.asarray(data["intercept"], dtype=np.float64)
        fit_intercept = bool(data["fit_intercept"])
        classes = np.asarray(data["classes"]) if family.is_classifier else None
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{source}: malformed model file ({type(error).__name__}: {error})") from None
    if family.is_classifier and (classes.ndim != 1 or len(classes) < 2 or (len(classes) > 2) != family.is_vector):
        raise ModelFileError(f"{source}: inconsistent model file: family {family_name!r} needs \"classes\" to be a list "
                             f"of {'more than 2' if family.is_vector else '2'} labels, got {data['classes']!r}")
    if not family.is_classifier and data.get("classes") is not None:
        raise ModelFileError(f"{source}: inconsistent model file: family {family_name!r} is a regression family, but "
                             "the file lists classes")
    rows = 1 if not family.is_vector else len(classes)
    if coef.shape != (rows, len(names)) or intercept.shape != (rows,):
        raise ModelFileError(f"{source}: inconsistent model file: family {family_name!r}"
                             + (f", {len(classes)} classes" if classes is not None else "")
                             + f" and {len(names)} features need coef of shape ({rows}, {len(names)}) and intercept "
                               f"({rows},), got {coef.shape} and {intercept.shape}")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ModelFileError(f"{source}: the coefficients are not all finite")
    return SavedModel(family, coef, intercept, classes, names, fit_intercept)


def _user_family(data, source):
    """The runtime family of a model file's user-defined family, rebuilt from its definition (and
    checked again, unless the kernel cache holds it); ModelFileError where it cannot be."""
    from .family import get_family
    from .userfamily import from_definition

    definition = data["family_definition"]
    if not isinstance(definition, dict) or definition.get("name") != data.get("family"):
        raise ModelFileError(f"{source}: malformed model file (\"family_definition\" must be the definition of family "
                             f"{data.get('family')!r})")
    try:
        return get_family(from_definition(definition))
    except ValueError as error:
        raise ModelFileError(f"{source}: the model's family {data.get('family')!r} cannot be rebuilt: {error}") from None


def _sparse(X):
    """Whether X is scipy.sparse, without importing scipy.sparse where nothing has (X cannot be
    sparse then): ``symlogit predict`` of a model without categorical columns never loads it."""
    import sys

    return "scipy.sparse" in sys.modules and sys.modules["scipy.sparse"].issparse(X)


class SavedModel:
    """A model file's fit, scored without loading scikit-learn, with the estimators' decision rule
    (``Family.labels``): the scores u = X̂ B by numpy (BLAS), the means and probabilities by the
    generated kernels. Labels need the scores alone, so ``symlogit predict`` of labels never calls
    numba, whose first call in a process costs about 0.5 s of set-up even with every kernel in its
    cache: it starts in about the time of importing pandas and numba. (A row whose score is within
    rounding of the median score may then get the other label than the estimator's fused kernel
    gives it.) Attributes as the estimator's: family_,
    classes_ (classifiers only), coef_ (rows, d), intercept_ (rows,), fit_intercept,
    feature_names_in_, n_features_in_. ``estimator()`` rebuilds the GLMClassifier or
    GLMRegressor it was saved from."""

    def __init__(self, family, coef, intercept, classes, names, fit_intercept):
        self._family = family
        self.family_, self.coef_, self.intercept_, self.fit_intercept = family.name, coef, intercept, fit_intercept
        if classes is not None:
            self.classes_ = classes
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)

    def _fitted_family(self):
        """The family (``symlogit.family.Family``) whose kernels score this model."""
        return self._family

    def _kernel(self, name, X, offset):
        extra = {} if offset is None else {"offset": offset}
        B = kernel_coefficients(self.coef_, self.intercept_)
        if _sparse(X):  # categorical columns or a formula: scipy's products, the family's formulas
            from .sparse import as_csr, sparse_kernels

            return getattr(sparse_kernels(self._family), name)(as_csr(X), B, **extra)
        return getattr(self._family.kernels, name)(np.ascontiguousarray(X, dtype=np.float64), B, **extra)

    def predict_proba(self, X, offset=None):
        """Class probabilities (N, K), columns in the order of classes_."""
        return self._kernel("probabilities", X, offset)

    def scores(self, X, offset=None):
        """The scores u = X coefᵀ + intercept (+ offset): (N,) for a scalar family, (N, K) for a
        vector family."""
        if _sparse(X):  # categorical columns: CSR
            from .sparse import as_csr

            X = as_csr(X)
        else:
            X = np.asarray(X, dtype=np.float64)
        U = X @ self.coef_.T + self.intercept_
        if U.shape[1] == 1:
            U = U[:, 0]
        return U if offset is None else U + offset

    def predict(self, X, offset=None):
        """Labels (classifiers) or the mean μ (regression families), (N,)."""
        if not hasattr(self, "classes_"):
            return self._kernel("means", X, offset)
        return self._family.labels(self.scores(X, offset), self.classes_)

    def estimator(self):
        """The fitted GLMClassifier or GLMRegressor (loads scikit-learn)."""
        from .estimator import GLMClassifier, GLMRegressor

        family = self._family.definition or self.family_  # a user's symlogit.Family, or a name
        if hasattr(self, "classes_"):
            model = GLMClassifier(family="logit" if self._family.is_vector else family,
                                  fit_intercept=self.fit_intercept)
            model.classes_, model.coef_, model.intercept_ = self.classes_, self.coef_, self.intercept_
        else:
            model = GLMRegressor(family=family, fit_intercept=self.fit_intercept)
            model.coef_, model.intercept_ = self.coef_[0], float(self.intercept_[0])
        model.family_, model.family_definition_ = self.family_, self._family.definition
        model.n_features_in_, model.feature_names_in_ = self.n_features_in_, self.feature_names_in_
        return model


def offset_column(data, source):
    """The offset column a model file's fit used (its "options"), or None; a ModelFileError for
    options that are not an object or an offset that is not a column name."""
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ModelFileError(f"{source}: malformed model file (\"options\" must be an object, got {options!r})")
    column = options.get("offset")
    if column is not None and not isinstance(column, str):
        raise ModelFileError(f"{source}: malformed model file (the offset must be a column name, got {column!r})")
    return column


def design_of(data, source, names):
    """The design a model file's fit encoded its data with (``symlogit.design``), or None for
    numeric feature columns; a ModelFileError where it is malformed or its columns are not the
    file's feature names."""
    if data.get("design") is None:
        return None
    from .data import DataError
    from .design import design_from_dict

    try:
        design = design_from_dict(data["design"])
    except (DataError, KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{source}: malformed model file (\"design\": {error})") from None
    if getattr(design, "names", None) is not None and list(design.names) != list(names):
        raise ModelFileError(f"{source}: inconsistent model file: the design's columns are not the feature names")
    return design


def read_model(path):
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path}: cannot read the model file ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path}: not JSON ({error})") from None
    return data, model_from_dict(data, path)


def write_atomically(path, text):
    """Write text to path through a temporary file in the same directory and a rename, so a
    failure leaves either the old file or the new one, never a partial one."""
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)

    replace_atomically(path, write)


def current_umask():
    """The process's umask (os.umask can only be read by setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_atomically(path, write):
    """Call write(temporary path) for a file in path's directory, then rename it to path: a
    failure leaves the old file (or none), never a partial one."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp's 0600 would outlive the rename
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
