"""Your own family: a loss and its mean written in SymPy, derived, checked, printed and fitted.

    import sympy as sp
    from symlogit import Family, GLMClassifier
    u, y = sp.symbols("u y", real=True)
    mean = sp.exp(-sp.exp(-u))                                   # the log-log link's inverse
    loglog = Family(name="loglog", u=u, y=y, mean=mean,
                    loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean), target="probability")
    GLMClassifier(family=loglog, penalty=None).fit(X, labels).inference().summary()

A ``Family`` becomes a row of the family table (``symlogit.symbolic.families.FamilyDefinition``,
the kind the built-in scalar families are) and goes through the same pipeline: h, h', h'' by
SymPy's differentiation (``derive_scalar``), the scalar-score template and printer of
``codegen.writer``, numba. The mathematics (u the score x̂ᵀβ + offset, y the target):

    h(u, y)       the per-sample loss the fit minimises, sum_i w_i h(u_i, y_i) (+ penalty)
    mu(u)         the mean of y at score u: what ``predict`` (regressors) and ``predict_proba``
                  (classifiers, p = mu) return
    h', h''       d/du and d²/du² of h (the observed information of one row)
    E[h'']        h''(u, mu(u)): the expected information (equal to E[h''(u, Y)] because h' is
                  required to be affine in y, as every exponential-family likelihood's is)

``target`` names y's domain: "probability" (y in [0, 1]: ``GLMClassifier``; the loss must be the
Bernoulli negative log-likelihood of ``mean``, so that predict_log_proba, llf and AIC mean what
they say), "nonnegative" (y >= 0) or "real" (``GLMRegressor``). On a regression family, llf is
-sum w h (a quasi-likelihood: terms free of u are not known), and the deviance is
2 sum w (h(u, y) - h(mu^-1(y), y)) when SymPy can invert the mean (NaN otherwise).

Checks at creation, reported as claims (``Family.claims``; ``symlogit verify --family``):

    U1  the printed (stable) loss, mean and 1 - mean equal the raw ones; h' and h'' are SymPy's
        derivatives of the raw loss; the printed E[h''] is h''(u, mu(u)) (symbolic where SymPy
        can, mpmath at 60 digits always)
    U2  h' is affine in y (required: the expected information and the null model rely on it)
    U3  the loss is the Bernoulli negative log-likelihood of the mean (target "probability")
    K1  calibration: h'(u, mu(u)) = 0 for every u (mpmath, |u| <= 700); refused naming the point
    K2  convexity: h''(u, y) >= 0 on the domain (symbolic when SymPy decides the signs, else a
        dense (u, y) grid with the extremes); refused, with the message saying "convex", unless
        ``allow_nonconvex=True`` (then fits warn that the optimum may be local, and the Hessian is
        X̂ᵀ diag(w h'') X̂ formed directly: indefinite where h'' < 0, Newton's damping handles it)
    K3  mu increasing in u (the predicted class and the intercept-only model rely on it)
    S1  stable evaluation: each printed form (h, h', h'', E[h''], mu, 1 - mu) in float64 against
        mpmath at |u| up to 1e5 (values outside float64's range must come out as inf or 0); the
        worst relative error reported (mu, 1 - mu and E[h''] relative to themselves; h, h', h''
        to the scale of their terms); refused where a form gives nan/inf for a finite value or
        loses all digits (error > 1e-3), naming the form and the point

Stable forms: the loss is rewritten by ``automatic_rewrites()`` (log(1 + e^w) as softplus(w),
log(1 - exp(-e^w)) as log_cloglog(w), 1 - e^w as -expm1(w), y e^w as scaled_exp(y, w), ...),
exact identities whose special functions the kernels evaluate stably; where that is not enough,
pass ``stable={"loss": ..., "mean": ..., "complement": ..., "expected": ...}`` in those
functions (``symlogit.userfamily.sigmoid``, ``softplus``, ``log_ndtr``, ``log_cloglog``,
``ndtr``), each proven or checked equal to the raw form (U1), e.g. a probit written with erf:

    mean = (1 + sp.erf(u / sp.sqrt(2))) / 2               # 1 + erf cancels to 0 below u = -8.3
    Family("myprobit", u, y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean),
           stable={"loss": -y * log_ndtr(u) - (1 - y) * log_ndtr(-u), "mean": ndtr(u),
                   "complement": ndtr(-u)})

Generation and cache: the kernel module is written into a per-user cache (``cache_dir()``:
$SYMLOGIT_CACHE_DIR, else $XDG_CACHE_HOME/symlogit, else ~/.cache/symlogit), named by a hash of
the definition and of the generator's sources, with the claims inside it; a later process that
creates the same Family reads the claims from there (no derivation) and numba's cache beside it
(no compile). Files are written to a temporary name and linked into place, so concurrent first
uses never see a partial file. Bad input (symbols other than u and y, an unknown target, a loss
that is not real on the domain or that SymPy cannot differentiate or print) raises ValueError
before anything is written.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

#: The special functions a user's (stable) forms may use, by name (``symlogit.userfamily.<name>``).
HELPERS = ("sigmoid", "softplus", "ndtr", "log_ndtr", "log_cloglog")
#: ``target`` -> the domain name of the family table.
TARGETS = {"probability": "unit", "nonnegative": "nonnegative", "real": "real"}
#: Relative error above which a printed form has lost its digits (S1 refuses).
STABLE_TOL = 1e-3
#: Scores of the numeric checks of K1, K2 and K3.
_GRID = tuple(np.linspace(-40.0, 40.0, 321)) + (-700.0, -200.0, -100.0, 100.0, 200.0, 700.0)
#: The targets y of the numeric checks, per domain (h' affine in y: the extremes decide K2).
_YS = {"unit": (0.0, 1.0, 0.5), "nonnegative": (0.0, 0.5, 1.0, 3.0, 250.0, 1e4),
       "real": (-1e4, -3.0, 0.0, 0.5, 3.0, 1e4)}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def cache_dir() -> Path:
    """Where user families' kernel modules live: $SYMLOGIT_CACHE_DIR, else
    $XDG_CACHE_HOME/symlogit, else ~/.cache/symlogit (created on first write)."""
    if os.environ.get("SYMLOGIT_CACHE_DIR"):
        return Path(os.environ["SYMLOGIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symlogit"


def _sympy():
    import sympy as sp
    return sp


def stable_functions() -> dict:
    """The special functions a stable form may use, by name (and for rebuilding definitions)."""
    from .symbolic import special
    from .symbolic.families import ndtr, scaled_exp
    from .symbolic.functions import sigmoid, softplus
    from sympy.codegen.cfunctions import expm1, log1p
    return {"sigmoid": sigmoid, "softplus": softplus, "ndtr": ndtr, "scaled_exp": scaled_exp, "expm1": expm1,
            "log1p": log1p, **{f.__name__: f for f in special.FUNCTIONS}}


def __getattr__(name):
    """``from symlogit.userfamily import softplus`` and the other stable functions."""
    if name in HELPERS:
        return stable_functions()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def automatic_rewrites():
    """Exact identities applied to every user's loss, mean and complement before anything else,
    (name, function of an expression): each replaces a form that cancels or overflows in
    float64 by a special function the kernels evaluate stably."""
    sp = _sympy()
    f = stable_functions()
    w = sp.Wild("w")
    return (
        ("log(exp(w)) = w", lambda e: e.replace(sp.log(sp.exp(w)), w)),
        ("log(1 - exp(-exp(w))) = log_cloglog(w)",
         lambda e: e.replace(sp.log(1 - sp.exp(-sp.exp(w))), f["log_cloglog"](w))),
        ("log(1 + exp(w)) = softplus(w)", lambda e: e.replace(sp.log(1 + sp.exp(w)), f["softplus"](w))),
        ("log(1/(1 + exp(w))) = -softplus(w)", lambda e: e.replace(sp.log(1 / (1 + sp.exp(w))), -f["softplus"](w))),
        ("1/(1 + exp(w)) = sigmoid(-w)", lambda e: e.replace(1 / (1 + sp.exp(w)), f["sigmoid"](-w))),
        ("log(sigmoid(w)) = -softplus(-w)", lambda e: e.replace(sp.log(f["sigmoid"](w)), -f["softplus"](-w))),
        ("log(1 - sigmoid(w)) = -softplus(w)",
         lambda e: e.replace(sp.log(1 - f["sigmoid"](w)), -f["softplus"](w))),
        ("1 - sigmoid(w) = sigmoid(-w)", lambda e: e.replace(1 - f["sigmoid"](w), f["sigmoid"](-w))),
        ("sigmoid(w) - 1 = -sigmoid(-w)", lambda e: e.replace(f["sigmoid"](w) - 1, -f["sigmoid"](-w))),
        ("log(ndtr(w)) = log_ndtr(w)", lambda e: e.replace(sp.log(f["ndtr"](w)), f["log_ndtr"](w))),
        ("1 - exp(w) = -expm1(w)", lambda e: e.replace(1 - sp.exp(w), -f["expm1"](w))),
        ("scaled_exp(c, w) = c exp(w) for a number c",
         lambda e: e.replace(lambda x: isinstance(x, f["scaled_exp"]) and x.args[0].is_number,
                             lambda x: x.args[0] * sp.exp(x.args[1]))),
        ("exp(a) exp(b) = exp(a + b)", lambda e: sp.powsimp(e, combine="exp")),
        ("a(y) exp(w) = scaled_exp(a(y), w), 0 where a = 0 (not 0 inf)", _scaled_exponentials),
    )


def _scaled_exponentials(expr):
    """Each product a(y) e^w(u), a free of u and not a number, as scaled_exp(a, w): it is 0 where
    a = 0 even where e^w overflows (cloglog's device, for y e^-u at y = 0, u -> -inf)."""
    sp = _sympy()
    from .symbolic.families import U, scaled_exp

    def scaled(term):
        exps = [f for f in term.args if isinstance(f, sp.exp)]
        if len(exps) != 1 or not exps[0].has(U):
            return term
        rest = sp.Mul(*[f for f in term.args if f is not exps[0]])
        if rest.has(U) or rest.is_number:
            return term
        coefficient, a = rest.as_coeff_Mul()
        return coefficient * scaled_exp(a, exps[0].args[0])

    return expr.replace(lambda e: e.is_Mul, scaled)


def apply_automatic(expr):
    for _, rewrite in automatic_rewrites():
        expr = rewrite(expr)
    return expr


# ---- the definition ----------------------------------------------------------------------------

class Family:
    """A user's scalar-score family: ``Family(name, u, y, mean, loss, target="probability",
    allow_nonconvex=False, stable=None)`` (see the module docstring for the mathematics and the
    checks). ``u`` and ``y`` are SymPy symbols; ``mean`` an expression in u; ``loss`` in u and y.

    Attributes: name, target, domain, u, y, mean, loss (as given, in the table's symbols),
    stable (dict of stable forms), allow_nonconvex, convex (K2's verdict), claims (tuple of
    ``symbolic.verifier.Result``), digest (the cache key), module_path (the kernel module).
    Raises ValueError for bad input or a failed check, naming the problem (and the point where a
    check fails); nothing is written then. Immutable; equal Families share one kernel module.
    """

    def __init__(self, name, u, y, mean, loss, target="probability", allow_nonconvex=False, stable=None):
        sp = _sympy()
        from sympy.core.function import AppliedUndef
        from .symbolic.families import U, Y
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"name must be a Python identifier (letters, digits, _), got {name!r}")
        if target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(map(repr, TARGETS))}, got {target!r}")
        for what, symbol in (("u", u), ("y", y)):
            if not isinstance(symbol, sp.Symbol):
                raise ValueError(f"{what} must be a SymPy Symbol, got {type(symbol).__name__} {symbol!r}")
        if u == y or u.name == y.name:
            raise ValueError("u and y must be two different symbols")
        swap = {u: U, y: Y}
        given = {"mean": mean, "loss": loss, **(dict(stable) if stable else {})}
        unknown = set(given) - {"mean", "loss", "complement", "expected"}
        if unknown:
            raise ValueError(f"stable takes the keys 'loss', 'mean', 'complement' and 'expected', got {sorted(unknown)}")
        exprs = {}
        for key, value in given.items():
            try:
                e = sp.sympify(value, strict=True)
            except (sp.SympifyError, TypeError) as exc:
                raise ValueError(f"{key} must be a SymPy expression, got {type(value).__name__}: {exc}") from None
            if not isinstance(e, sp.Expr):
                raise ValueError(f"{key} must be a SymPy expression, got {type(e).__name__} {e}")
            allowed = {u} if key in ("mean", "complement", "expected") else {u, y}
            extra = e.free_symbols - allowed
            if extra:
                raise ValueError(f"{key} may use only the symbols {', '.join(sorted(map(str, allowed)))}; "
                                 f"it also uses {', '.join(sorted(map(str, extra)))}")
            undefined = e.atoms(AppliedUndef)
            if undefined:
                raise ValueError(f"{key} uses the undefined function(s) {', '.join(sorted(map(str, undefined)))}: "
                                 "SymPy cannot differentiate or print them; write them out in SymPy's functions")
            exprs[key] = e.xreplace(swap)
        self.name, self.target, self.domain = name, target, TARGETS[target]
        self.u, self.y = U, Y
        self.mean, self.loss = exprs.pop("mean"), exprs.pop("loss")
        self.stable = exprs
        self.allow_nonconvex = bool(allow_nonconvex)
        self.digest = _digest(self)
        self.module_path = cache_dir() / f"symlogit_family_{name}_{self.digest}.py"
        self._runtime = None
        cached = _load_cached(self)
        if cached is not None:
            self.claims, self.convex = cached
        else:
            self.claims, self.convex, self._kernel_text, self._derivation = _check(self)
        if not self.convex:
            _warn_nonconvex(self)

    # immutable: copies (scikit-learn's clone) are the object itself
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __getstate__(self):
        return {"definition": self.definition()}

    def __setstate__(self, state):
        other = from_definition(state["definition"])
        self.__dict__.update(other.__dict__)

    def __eq__(self, other):
        return isinstance(other, Family) and other.digest == self.digest

    def __hash__(self):
        return hash(self.digest)

    def __repr__(self):
        return f"Family({self.name!r}, mean={self.mean}, loss={self.loss}, target={self.target!r})"

    def definition(self) -> dict:
        """The definition as JSON-ready data (SymPy's srepr), rebuilt by ``from_definition``."""
        sp = _sympy()
        return {"name": self.name, "target": self.target, "allow_nonconvex": self.allow_nonconvex,
                "mean": sp.srepr(self.mean), "loss": sp.srepr(self.loss),
                "stable": {k: sp.srepr(v) for k, v in sorted(self.stable.items())}}

    def source(self) -> str:
        """The kernel module's text (deterministic: byte-identical for the same definition)."""
        if getattr(self, "_kernel_text", None) is None:  # created from the cache: print now
            self._kernel_text = _kernel_source(_row_of(self), self.derivation())
        return self._kernel_text + _appendix(self)

    def derivation(self):
        """The steps from the raw loss to the printed per-sample formulas (``symbolic.derivation``)."""
        if getattr(self, "_derivation", None) is None:  # created from the cache: derive now
            from .symbolic.families import derive_scalar
            self._derivation = derive_scalar(_row_of(self))
        return self._derivation

    def kernels_sha256(self) -> str:
        """SHA-256 of the family's kernel module as written (a model file records it)."""
        load_module(self)
        return hashlib.sha256(self.module_path.read_bytes()).hexdigest()

    def runtime(self):
        """The runtime family (``symlogit.family.Family``) over this family's kernel module,
        written into the cache on first use."""
        if self._runtime is None:
            from .family import Family as RuntimeFamily
            module = load_module(self)
            self._runtime = RuntimeFamily(self.name, module=module, definition=self)
        return self._runtime


def from_definition(data) -> Family:
    """A Family from ``Family.definition()``'s data (a model file's); ValueError if malformed.

    Each srepr string is parsed by Python's ``ast`` and built by walking the tree (``_build``):
    calls of SymPy's expression classes (and the stable functions) on numbers, nothing evaluated
    and no string given to SymPy except a Symbol's name and a Float's digits, both checked (a
    string anywhere else would reach sympify, which runs it as Python)."""
    from .symbolic.families import U, Y
    try:
        stable = {k: _rebuild(v) for k, v in dict(data.get("stable") or {}).items()}
        return Family(data["name"], U, Y, _rebuild(data["mean"]), _rebuild(data["loss"]), data["target"],
                      bool(data.get("allow_nonconvex", False)), stable or None)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a SymPy class refusing its arguments, a missing key: one line
        raise ValueError(f"the family definition cannot be rebuilt ({type(exc).__name__}: {exc})") from None


@functools.lru_cache(maxsize=None)
def _srepr_namespace():
    """The names a definition may call or use: SymPy's expression classes and constants, and
    the stable functions (no plain Python functions such as sympify or lambdify)."""
    sp = _sympy()
    namespace = {n: v for n, v in vars(sp).items() if not n.startswith("_") and (
        isinstance(v, sp.Basic) or (isinstance(v, type) and issubclass(v, sp.Basic)))}
    namespace.update(stable_functions())
    return namespace


#: Classes whose first argument srepr writes as a string, and what that string must look like.
_STRING_ARGUMENTS = {"Symbol": _NAME, "Dummy": _NAME,
                     "Float": re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z|[-+]?(inf|nan)\Z")}


def _rebuild(text):
    """The SymPy expression an srepr string writes, built without eval (see ``_build``)."""
    import ast
    if not isinstance(text, str):
        raise ValueError(f"expected an srepr string, got {type(text).__name__} {text!r}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"a definition is not an srepr expression (SyntaxError: {exc.msg})") from None
    return _build(tree.body, text)


def _build(node, text):
    """The value of one node of an srepr tree: a number literal (or its negation), a SymPy
    constant or class by name, or a call of a class on such values with literal keyword
    arguments (assumptions such as real=True, Float's precision); strings only as the first
    argument of Symbol, Dummy or Float, matching a name or a number. ValueError for anything
    else, naming it."""
    import ast
    namespace = _srepr_namespace()

    def refuse(what):
        where = f" at {(ast.get_source_segment(text, node) or '')[:80]}"
        raise ValueError(f"unexpected {what} in a definition{where} (srepr's calls of SymPy classes on numbers are "
                         "expected)")

    if isinstance(node, ast.Constant):
        if type(node.value) in (int, float):
            return node.value
        if isinstance(node.value, str):
            raise ValueError(f"unexpected string {node.value[:80]!r} in a definition: a string is allowed only as a "
                             "Symbol's name or a Float's digits")
        refuse(f"literal {node.value!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) in (int, float):
        return -node.operand.value
    if isinstance(node, ast.Name):
        if node.id not in namespace:
            refuse(f"name {node.id!r}")
        return namespace[node.id]
    if not isinstance(node, ast.Call):
        refuse(f"{type(node).__name__.lower()} expression")
    if not (isinstance(node.func, ast.Name) and isinstance(namespace.get(node.func.id), type)):
        refuse(f"call of {ast.get_source_segment(text, node.func) or 'something'} (not a SymPy class)")
    name = node.func.id
    args = []
    for i, arg in enumerate(node.args):
        if i == 0 and name in _STRING_ARGUMENTS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if not _STRING_ARGUMENTS[name].match(arg.value):
                refuse(f"{name} argument {arg.value[:60]!r}")
            args.append(arg.value)
        else:
            args.append(_build(arg, text))
    kwargs = {}
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg is None or not isinstance(value, ast.Constant) or type(value.value) not in (bool, int):
            refuse(f"keyword argument {ast.get_source_segment(text, keyword) or '**'}")
        kwargs[keyword.arg] = value.value
    return namespace[name](*args, **kwargs)


def load_family_file(spec: str) -> Family:
    """The Family named NAME in FILE.py, from 'FILE.py:NAME'; ValueError naming what is wrong."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"--family takes FILE.py:NAME, got {spec!r}")
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{path}: no such file")
    module_name = f"_symlogit_user_file_{hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:12]}"
    spec_ = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec_)
    try:
        spec_.loader.exec_module(module)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a user's file: report whatever it raised in one line
        raise ValueError(f"{path}: running it raised {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        raise ValueError(f"{path} has no name {name!r}")
    family = getattr(module, name)
    if not isinstance(family, Family):
        raise ValueError(f"{path}:{name} is a {type(family).__name__} object, not a symlogit.Family")
    return family


# ---- the row of the family table ---------------------------------------------------------------

def _stable_forms(family):
    """(loss, mean, complement or None) as printed: the user's stable forms where given, else the
    raw ones with the automatic rewrites."""
    sp = _sympy()
    loss = family.stable.get("loss", apply_automatic(family.loss))
    mean = family.stable.get("mean", apply_automatic(family.mean))
    complement = None
    if family.domain == "unit":
        complement = family.stable.get("complement", apply_automatic(sp.simplify(1 - family.mean)))
    return loss, mean, complement


def _row_of(family):
    """The family as a row of the table (``FamilyDefinition``): the kind the built-ins are."""
    sp = _sympy()
    from .symbolic.families import U, Y, _bernoulli_saturated
    loss, mean, complement = _stable_forms(family)
    h2 = sp.diff(loss, U, 2)
    # E[h''(u, Y)] = h''(u, mu(u)) (h'' affine in y: claim U2), written without 1 - mu
    if "expected" in family.stable:
        expected = family.stable["expected"]
    elif not h2.has(Y):
        expected = apply_automatic(h2)  # sigmoid(u) (1 - sigmoid(u)) as sigmoid(u) sigmoid(-u)
    elif family.domain == "unit":
        expected = apply_automatic(mean * h2.subs(Y, 1) + complement * h2.subs(Y, 0))
    else:
        expected = apply_automatic(h2.subs(Y, mean))
    if family.domain == "unit":
        saturated, likelihood = _bernoulli_saturated, "bernoulli"
    else:
        saturated, likelihood = _saturated(family), "quasi"
    median = _median_score(family, mean) if family.domain == "unit" else None
    row = _UserRow(
        family.name, f"User family {family.name!r} ({family.target} target)", "scalar", family.domain, likelihood,
        mean=lambda x: family.mean.xreplace({U: x}),
        complement=(lambda x: (1 - family.mean).xreplace({U: x})) if complement is not None else None,
        loss=lambda x, z: loss.xreplace({U: x, Y: z}),
        stable_mean=lambda x: mean.xreplace({U: x}),
        stable_complement=(lambda x: complement.xreplace({U: x})) if complement is not None else None,
        expected=lambda x: expected.xreplace({U: x}),
        curvature_bound=None, hessian_at_zero=sp.Float(_mp_value(expected, 0.0, 0.0), 17), median_score=median,
        saturated=saturated, log_measure=lambda z: sp.Integer(0),
        claims=("U1", "U2", "U3", "K1", "K2", "K3", "S1"), step_claims=("U1", "U1", "U1", "U2"),
        objective_text=f"    h(u, y) = {sp.sstr(family.loss)},\n    mu(u) = {sp.sstr(family.mean)}",
        extra={"user_loss": family.loss},
    )
    return row


@functools.lru_cache(maxsize=None)
def _user_row_class():
    from .symbolic.families import FamilyDefinition

    class UserRow(FamilyDefinition):
        """A row whose raw loss is the user's expression (not a named distribution's)."""

        def raw_loss(self, u, y):
            from .symbolic.families import U, Y
            return self.extra["user_loss"].xreplace({U: u, Y: y})

    return UserRow


def _UserRow(*args, **kwargs):
    return _user_row_class()(*args, **kwargs)


def _saturated(family):
    """min over u of h(u, y) = h(mu^-1(y), y) where SymPy inverts the mean (one real solution),
    with its limit at y = 0 for a nonnegative target; NaN where it cannot."""
    sp = _sympy()
    from .symbolic.families import U, Y
    try:
        roots = sp.solve(sp.Eq(family.mean, Y), U)
    except Exception:  # noqa: BLE001 - SymPy could not invert: no deviance
        roots = []
    if len(roots) != 1:
        return lambda z: sp.nan
    value = sp.simplify(family.loss.xreplace({U: roots[0]}))
    if family.domain == "nonnegative":
        try:
            at_zero = sp.limit(value, Y, 0, "+")
        except Exception:  # noqa: BLE001
            at_zero = sp.nan
        if not at_zero.is_finite:
            at_zero = sp.nan
        value = sp.Piecewise((at_zero, Y <= 0), (value, True))
    return lambda z: value.xreplace({Y: z})


def _median_score(family, mean):
    """The score where the (stable) mean is 1/2 (where the predicted class changes), by mpmath."""
    import mpmath
    from .symbolic.claims.families import _mp
    from .symbolic.families import U
    g = _mp([U], mean, 40)

    def f(x):
        return g(x) - mpmath.mpf(1) / 2

    lo, hi = -40.0, 40.0
    with mpmath.workdps(40):
        if not f(lo) < f(hi):
            raise ValueError(f"family {family.name!r}: the mean must increase with u, but it is {float(f(lo) + 0.5):g} "
                             f"at u = -40 and {float(f(hi) + 0.5):g} at u = 40 (claim K3)")
        if not (f(lo) < 0 < f(hi)):
            raise ValueError(f"family {family.name!r}: the mean must cross 1/2 between u = -40 and 40 (it is "
                             f"{float(f(lo) + 0.5):g} and {float(f(hi) + 0.5):g} there)")
        root = mpmath.findroot(f, (lo, hi), solver="anderson")
    return _sympy().Float(float(root), 17)


def _mp_value(expr, u, y, digits=60):
    from .symbolic.claims.families import _mp
    from .symbolic.families import U, Y
    return _mp([U, Y], expr, digits)(u, y)


# ---- the checks --------------------------------------------------------------------------------

def _result(cid, status, statement, symbolic, numeric, method="", seconds=0.0):
    from .symbolic.verifier import Result
    return Result(cid, status, method, seconds, statement, "per sample; the user's family", "symlogit.userfamily",
                  symbolic, numeric)


def _raw(expr):
    from .symbolic.functions import raw
    from .symbolic.special import raw as special_raw
    return raw(special_raw(expr))


def _zero(expr) -> bool | None:
    """True when SymPy simplifies the raw form of expr to 0, None when it cannot tell."""
    sp = _sympy()
    try:
        return True if sp.simplify(_raw(expr)) == 0 else None
    except Exception:  # noqa: BLE001
        return None


def _refuse(family, message):
    raise ValueError(f"family {family.name!r}: {message}")


def _check(family):
    """Derive and check the family; (claims, convex, row). ValueError on a failed check."""
    sp = _sympy()
    import mpmath
    from .symbolic.claims.families import _mp
    from .symbolic.families import U, Y, derive_scalar
    if family.loss.is_real is False or family.loss.has(sp.I):
        _refuse(family, f"the loss {family.loss} is not real-valued")
    _check_real(family)
    _check_differentiable(family)
    try:
        row = _row_of(family)
        derivation = derive_scalar(row)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - SymPy could not differentiate or evaluate what was written
        _refuse(family, f"SymPy cannot derive the loss's formulas: {_unsupported(exc, 'mpmath')}")
    k = derivation.kernel
    for key in ("loss", "gradient_weight", "hessian_weight"):
        if k[key].has(sp.Derivative, sp.Subs):
            _refuse(family, f"SymPy cannot differentiate the loss: its {key.replace('_', ' ')} is {k[key]}")
    try:
        text = _kernel_source(row, derivation)
    except Exception as exc:  # noqa: BLE001 - a function the printer does not know
        _refuse(family, f"the derived formulas cannot be printed as numba code: {_unsupported(exc, 'numba')}; "
                        f"write the loss in SymPy's elementary functions and {', '.join(HELPERS)}")
    raw_loss = family.loss
    claims = []

    # U1: stable forms equal the raw ones, derivatives equal those of the raw loss
    pairs = [("loss", k["loss"], raw_loss), ("h'", k["gradient_weight"], sp.diff(raw_loss, U)),
             ("h''", k["hessian_weight"], sp.diff(raw_loss, U, 2)), ("mean", k["mean"], family.mean)]
    if "complement" in k:
        pairs.append(("1 - mean", k["complement"], 1 - family.mean))
    pairs.append(("E[h'']", k["expected_weight"], sp.diff(raw_loss, U, 2).subs(Y, family.mean)))
    proven = all(_zero(a - b) for _, a, b in pairs)
    worst, where = 0.0, None
    for what, a, b in pairs:
        fa, fb = _mp([U, Y], a, 60), _mp([U, Y], b, 60)
        for u in (-20.0, -5.0, -1.5, -0.3, 0.0, 0.7, 2.0, 5.0, 20.0):
            for y in _YS[family.domain][:3]:
                with mpmath.workdps(60):
                    try:
                        va, vb = fa(u, y), fb(u, y)
                    except (ZeroDivisionError, ValueError, OverflowError):
                        continue  # a raw form that mpmath cannot evaluate here (it cancels to 0)
                    if not (mpmath.isfinite(vb) and mpmath.isfinite(va)):
                        continue
                    err = float(abs(va - vb) / max(abs(vb), mpmath.mpf(1)))
                if err > worst:
                    worst, where = err, (what, u, y)
    if worst > 1e-30:
        _refuse(family, f"a stable form differs from the raw definition: {where[0]} at u = {where[1]:g}, "
                        f"y = {where[2]:g} (relative difference {worst:.3g})")
    claims.append(_result("U1", "proven" if proven else "numeric",
                          "the printed loss, mean (and 1 - mean) equal the raw ones; h', h'' are the derivatives of "
                          "the raw loss; the printed expected information is h''(u, mu(u))", f"{'proved' if proven else 'undecided'}: simplify of the raw forms",
                          f"agrees (mpmath, 60 digits, |u| <= 20; max rel. difference {worst:.1e})"))

    # U2: h' affine in y
    curvature_in_y = sp.diff(k["gradient_weight"], Y, 2)
    affine = curvature_in_y == 0 or _zero(curvature_in_y)
    if not affine:
        _refuse(family, f"h'(u, y) must be affine in y (as every exponential-family likelihood's is); "
                        f"d²h'/dy² = {sp.simplify(curvature_in_y)}")
    claims.append(_result("U2", "proven", "h'(u, y) is affine in y, so E[h''(u, Y)] = h''(u, mu(u))",
                          "proved: d²h'/dy² simplifies to 0", "not needed"))

    # K1: calibration
    # on the printed forms (equal to the raw ones by U1), which mpmath evaluates without cancelling
    residual = k["gradient_weight"].subs(Y, k["mean"])
    g = _mp([U], residual, 80)
    # the size of the terms that cancel: those of h' (expanded before y = mean, where SymPy may
    # cancel them symbolically) and those of the residual
    term_sets = [[_mp([U], t.subs(Y, k["mean"]), 80) for t in sp.Add.make_args(sp.expand(k["gradient_weight"]))],
                 [_mp([U], t, 80) for t in sp.Add.make_args(sp.expand(residual))]]
    evaluated = 0
    for u in _GRID:
        with mpmath.workdps(80):
            v = _safe(g, u)
            scale = max(sum((abs(_safe(t, u)) for t in terms), mpmath.mpf(0)) for terms in term_sets)
        if mpmath.isnan(v):
            continue  # mpmath cannot evaluate it here (an unstable form that cancels); S1 then refuses
        evaluated += 1
        if mpmath.isfinite(scale) and abs(v) > mpmath.mpf("1e-40") * max(scale, 1):
            relative = _show(abs(v) / scale) if scale > 0 else "all"
            _refuse(family, f"calibration fails: h'(u, mean(u)) = {float(v):.6g}, not 0, at u = {u:g} ({relative} "
                            "of its terms' size): the loss and the mean do not belong together (claim K1)")
    if evaluated < len(_GRID) // 2:
        _refuse(family, f"h'(u, mean(u)) cannot be evaluated at {len(_GRID) - evaluated} of {len(_GRID)} scores "
                        "(claim K1)")
    symbolic_k1 = _zero(sp.diff(raw_loss, U).subs(Y, family.mean))
    claims.append(_result("K1", "proven" if symbolic_k1 else "numeric", "calibration: h'(u, mu(u)) = 0 for every u",
                          f"{'proved' if symbolic_k1 else 'undecided'}: simplify of h'(u, mu(u)) in raw forms",
                          f"agrees (mpmath, 80 digits, {len(_GRID)} scores, |u| <= 700)"))

    # S1: stable evaluation (before the checks that evaluate the printed forms
    # at every score)
    claims.append(_stability(family, k))

    # U3: Bernoulli
    if family.domain == "unit":
        bern = -Y * sp.log(family.mean) - (1 - Y) * sp.log(1 - family.mean)
        slope = sp.diff(raw_loss - bern, U)
        fs = _mp([U, Y], slope, 60)
        bad = None
        for u in (-5.0, -1.0, 0.0, 0.5, 2.0, 6.0):
            for y in (0.0, 1.0):
                with mpmath.workdps(60):
                    v = fs(u, y)
                if mpmath.isfinite(v) and abs(v) > mpmath.mpf("1e-40"):
                    bad = bad or (u, y, float(v))
        if bad:
            _refuse(family, f"target 'probability' needs the loss to be the Bernoulli negative log-likelihood "
                            f"-y log(mean) - (1 - y) log(1 - mean) up to terms free of u; d/du of the difference is "
                            f"{bad[2]:.3g} at u = {bad[0]:g}, y = {bad[1]:g}")
        claims.append(_result("U3", "numeric", "the loss is the Bernoulli negative log-likelihood of the mean",
                              "undecided: checked numerically", "agrees (mpmath, 60 digits, 12 points)"))

    # K2: convexity
    h2 = k["hessian_weight"]
    convex_proof = _convexity_proof(h2, family.domain)
    f2 = _mp([U, Y], h2, 40)
    counterexample = None
    for u in _GRID:
        for y in _YS[family.domain]:
            with mpmath.workdps(40):
                v = _safe(f2, u, y)
            if mpmath.isnan(v) or v < 0:
                counterexample = (u, y, float(v))
                break
        if counterexample:
            break
    convex = counterexample is None
    if not convex and not family.allow_nonconvex:
        u, y, v = counterexample
        _refuse(family, f"the loss is not convex in u: h''(u, y) = {v:.6g} < 0 at u = {u:g}, y = {y:g}; pass "
                        "allow_nonconvex=True to fit it anyway (the optimum found may then be local) (claim K2)")
    claims.append(_result(
        "K2", "proven" if convex_proof and convex else ("numeric" if convex else "failed"),
        "convexity: h''(u, y) >= 0 for y in the domain",
        f"{'proved' if convex_proof else 'undecided'}: {convex_proof or 'SymPy could not decide the sign'}",
        (f"agrees (mpmath, {len(_GRID)} scores x y in {_YS[family.domain]})" if convex else
         f"disagrees: h''({counterexample[0]:g}, {counterexample[1]:g}) = {counterexample[2]:.6g} < 0; allowed by "
         "allow_nonconvex=True")))

    # K3: mean increasing
    fm = _mp([U], k["mean"], 40)
    with mpmath.workdps(40):
        values = [_safe(fm, u) for u in sorted(_GRID)]
    for a, b, u in zip(values, values[1:], sorted(_GRID)[1:]):
        if b < a:
            _refuse(family, f"the mean must increase with u; it decreases before u = {u:g} (claim K3)")
    claims.append(_result("K3", "numeric", "the mean increases with u", "undecided: checked numerically",
                          f"agrees (mpmath at {len(_GRID)} scores)"))

    return tuple(claims), convex, text, derivation


def _safe(f, *args):
    """f(*args) by mpmath, or nan where mpmath cannot evaluate it (a division by an exact 0)."""
    import mpmath
    try:
        return f(*args)
    except (ZeroDivisionError, ValueError, OverflowError):
        return mpmath.nan


def _unsupported(exc, where) -> str:
    """One line for a SymPy printer's (or lambdify's) failure: the function it has no form for
    (a printer's "Unsupported by <printer>: <what>", lambdify's NameError), else the error's first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    what = re.search(r"Unsupported by <class '[\w.]+'>: (.*)", text) or re.search(r"name '(\w+)' is not defined", text)
    if what:
        name = re.sub(r"<class '(?:[\w]+\.)*(\w+)'>", r"\1", what.group(1))
        return f"{name} has no {where} form"
    return f"{type(exc).__name__}: {text}"


def _check_differentiable(family):
    """The loss twice and the mean once differentiable in u by SymPy, or ValueError naming the
    part of the expression that is not (a kink such as Abs, whose d²/du² is a DiracDelta, or a
    function SymPy cannot differentiate, such as floor)."""
    sp = _sympy()
    from .symbolic.families import U

    def bad(e):
        return e.has(sp.Derivative, sp.Subs, sp.DiracDelta)

    forms = [("loss", family.loss, 2), ("mean", family.mean, 1)] + (
        [("stable loss", family.stable["loss"], 2)] if "loss" in family.stable else [])
    for what, expr, order in forms:
        derivative = sp.diff(expr, U, order)
        if not bad(derivative):
            continue
        parts = [e for e in sp.preorder_traversal(expr) if not e.is_Atom and e.has(U)
                 and not isinstance(e, (sp.Add, sp.Mul, sp.Pow)) and bad(sp.diff(e, U, order))]
        culprit = min(parts, key=lambda e: (sp.count_ops(e), str(e))) if parts else expr
        found = sp.diff(culprit, U, order)
        how = ("SymPy has no derivative for it" if found.has(sp.Derivative, sp.Subs) else
               f"it is not smooth: d{'²' if order == 2 else ''}/du{'²' if order == 2 else ''} of it is {found}")
        _refuse(family, f"the {what} must be {'twice ' if order == 2 else ''}differentiable in u, but it has "
                        f"{culprit} ({how}); write it with functions smooth in u")


_DOMAIN_TEXT = {"unit": "0 <= y <= 1", "nonnegative": "y >= 0", "real": "every real y"}
_FREE_OF_U_HINT = "; a term free of u such as y*log(y) (nan at y = 0) does not change the fit: drop it"


def _check_real(family):
    """The loss and the mean real (and finite at moderate scores) on the domain, or ValueError
    naming a point where they are not."""
    import mpmath
    from .symbolic.claims.families import _mp
    from .symbolic.families import U, Y
    loss, mean = _mp([U, Y], family.loss, 30), _mp([U, Y], family.mean, 30)
    for u in (-30.0, -3.0, -0.5, 0.0, 0.5, 3.0, 30.0):
        for y in _YS[family.domain]:
            for what, f in (("loss", loss), ("mean", mean)):
                try:
                    with mpmath.workdps(30):
                        value = f(u, y)
                except (TypeError, ValueError, ZeroDivisionError, NameError) as exc:
                    _refuse(family, f"the {what} cannot be evaluated at u = {u:g}, y = {y:g} ({exc})")
                if isinstance(value, mpmath.mpc) and value.imag != 0:
                    _refuse(family, f"the {what} is not real-valued on the domain: {mpmath.nstr(value, 6)} at "
                                    f"u = {u:g}, y = {y:g}")
                if not mpmath.isfinite(value):  # or a cancellation at 30 digits (1 + erf(-21) = 0)
                    with mpmath.workdps(400):
                        value = _safe(f, u, y)
                if not mpmath.isfinite(value):
                    inside = _safe(f, u, _YS[family.domain][2 if family.domain == "unit" else 1])
                    edge = " (the domain's edge)" if y == 0 and mpmath.isfinite(inside) else ""
                    domain = _DOMAIN_TEXT[family.domain]
                    _refuse(family, f"the {what} must be finite for every y of the domain ({domain}), but it is "
                                    f"{mpmath.nstr(value, 6)} at u = {u:g}, y = {y:g}{edge}"
                                    + (_FREE_OF_U_HINT if edge and what == "loss" else ""))


def _convexity_proof(h2, domain):
    """A proof that h'' >= 0 on the domain from SymPy's sign assumptions, or "" (h'' is affine in
    y: its values at the domain's edges and its slope in y decide)."""
    sp = _sympy()
    from .symbolic.families import Y
    slope = sp.simplify(sp.diff(h2, Y))
    at0 = sp.simplify(h2.subs(Y, 0))
    if domain == "unit":
        at1 = sp.simplify(h2.subs(Y, 1))
        if at0.is_nonnegative and at1.is_nonnegative:
            return f"h''(u, 0) = {at0} and h''(u, 1) = {at1} are nonnegative for real u (SymPy's assumptions)"
    elif domain == "nonnegative":
        if at0.is_nonnegative and slope.is_nonnegative:
            return f"h''(u, 0) = {at0} >= 0 and d h''/dy = {slope} >= 0 (SymPy's assumptions)"
    elif slope == 0 and at0.is_nonnegative:
        return f"h'' = {at0} is free of y and nonnegative (SymPy's assumptions)"
    return ""


def _stability(family, kernel):
    """S1: every printed form in float64 (the kernels' arithmetic) against mpmath at |u| up to 1e5."""
    import mpmath
    sp = _sympy()
    from .symbolic.claims.families import POINTS, _compare, _mp, _scale
    from .symbolic.families import U, Y
    names = ["loss", "gradient_weight", "hessian_weight", "expected_weight", "mean"] + (
        ["complement"] if "complement" in kernel else [])
    #: positive quantities, judged by their relative error (a difference of terms, such as h' near
    #: the optimum, is judged at the scale of its terms)
    relative = ("mean", "complement", "expected_weight")
    ys = _YS[family.domain][:3]
    grid_u = np.repeat(np.asarray(POINTS, dtype=float), len(ys))
    grid_y = np.tile(np.asarray(ys, dtype=float), len(POINTS))
    worst, at = 0.0, None
    for key in names:
        expr = kernel[key]
        got = _float64_array(expr, grid_u, grid_y)
        ref = _mp([U, Y], expr, 320)
        terms = [_mp([U, Y], t, 320) for t in sp.Add.make_args(sp.expand(expr))]
        for u, y, value in zip(grid_u, grid_y, got):
            with mpmath.workdps(320):
                try:
                    exact = ref(u, y)
                except (ZeroDivisionError, ValueError, OverflowError):
                    continue  # no reference at this point
                if mpmath.isnan(exact):
                    continue
                err = _compare(float(value), exact, abs(exact) if key in relative else _scale(terms, u, y))
            err = float("inf") if np.isnan(err) else err
            if err > worst:
                worst, at = err, (key, u, y, float(value), exact)
    if worst > STABLE_TOL:
        key, u, y, got, exact = at
        stable_key = {"gradient_weight": "loss", "hessian_weight": "loss", "expected_weight": "expected"}.get(key, key)
        _refuse(family, f"the printed {key.replace('_', ' ')} is not stable in float64: {got!r} at u = {u:g}, "
                        f"y = {y:g}, where the exact value is {_show(exact)}; give a stable form "
                        f"stable={{{stable_key!r}: ...}} in {', '.join(HELPERS)} (claim S1)")
    return _result("S1", "numeric", "stable evaluation: the printed forms in float64 against mpmath, |u| <= 1e5",
                   "not applicable", f"agrees: worst relative error {worst:.2e} ({', '.join(names)}; |u| up to 1e5; "
                                     "values outside float64's range must be inf or 0)")


def _float64_array(expr, u, y):
    """expr at arrays (u, y) in float64 as the kernels evaluate it (the verifier's
    ``float64_function``, one call per form)."""
    from .symbolic.claims.families import float64_function
    from .symbolic.families import U, Y
    fn = float64_function([U, Y], expr)
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(u, y), dtype=float), u.shape)


def _show(x) -> str:
    """An mpmath number in a message: a float where float64 holds it, else its power of 10
    (printing all the digits of e^(e^1000) takes minutes)."""
    import mpmath
    if x == 0 or mpmath.mpf("1e-300") < abs(x) < mpmath.mpf("1e300"):
        return f"{float(x):.8g}"
    return f"{'-' if x < 0 else ''}10^{float(mpmath.log10(abs(x))):.6g}"


def _warn_nonconvex(family):
    warnings.warn(f"family {family.name!r} is not convex in u (claim K2): a fit may stop at a local optimum",
                  UserWarning, stacklevel=3)


# ---- the kernel module and the cache -----------------------------------------------------------

def _digest(family) -> str:
    """The cache key: the definition, the generator's sources and SymPy's version."""
    sp = _sympy()
    from .codegen.writer import source_hash
    d = family.definition() if hasattr(family, "stable") else {}
    digest = hashlib.sha256()
    for part in (repr(sorted(d.items())), source_hash(), Path(__file__).read_bytes().decode(), sp.__version__):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def _kernel_source(row, d) -> str:
    """generated/<family>.py's kind of module for the row and its derivation d: the scalar
    template (and the Bernoulli one for a probability target) filled by the built-ins' writer."""
    from .codegen import writer
    from .codegen.printer import kernel_functions_used, scalar_function, special_functions_source
    u, y, k = d.symbols["u"], d.symbols["y"], d.kernel
    functions = [
        scalar_function("_loss", [u, y], [k["loss"]], "h(u, y)."),
        scalar_function("_loss_and_gradient_weight", [u, y], [k["loss"], k["gradient_weight"]],
                        "(h(u, y), h'(u, y)) with shared subexpressions."),
        scalar_function("_hessian_weight", [u, y], [k["hessian_weight"]],
                        "h''(u, y), the observed information of one row."),
        scalar_function("_expected_weight", [u], [k["expected_weight"]],
                        "E[h''(u, Y)] = h''(u, mu(u)), the expected information of one row."),
        scalar_function("_mean", [u], [k["mean"]], "The inverse link: the mean of y at score u."),
        scalar_function("_saturated_loss", [y], [k["saturated_loss"]],
                        "min over u of h(u, y): the saturated model's loss, so deviance = 2 (h - this)."),
        scalar_function("_log_measure", [y], [k["log_measure"]],
                        "The log-likelihood's terms free of u, which h drops (0: not known)."),
    ]
    special = special_functions_source(kernel_functions_used(k.values()))
    per_sample = "\n\n".join(([special] if special else []) + functions)
    text = writer._opening(row, "scalar") + "\n\n" + writer._body("scalar", regions={"per-sample": per_sample})
    if row.likelihood == "bernoulli":
        complement = scalar_function("_complement", [u], [k["complement"]], "1 - p(u), the probability of class 0.")
        text += "\n\n" + writer._body("bernoulli", regions={"complement": complement})
    return text


def _appendix(family) -> str:
    """The definition and the claims it passed, as data at the end of its module (read back by
    a later process instead of deriving again)."""
    data = tuple({key: value for key, value in c.as_dict().items() if key != "seconds"} for c in family.claims)
    return (("" if family.convex else _SIGNED_HESSIAN) +
            "\n\n# ---- the user's definition and the checks it passed (symlogit.userfamily) ----------------\n"
            f"DEFINITION = {family.definition()!r}\nDIGEST = {family.digest!r}\n"
            f"CONVEX = {family.convex!r}\nCLAIMS = {data!r}\n")


#: A non-convex family's (claim K2 failed, allow_nonconvex=True) dense Hessian, replacing the
#: template's: that one forms Aᵀ A with A = sqrt(w h'') X̂, NaN on every row where h'' < 0.
_SIGNED_HESSIAN = '''


# ---- h'' < 0 on part of the domain (claim K2 failed; allow_nonconvex=True) ---------------------

def loss_grad_hess(X, y, beta, sample_weight=None, intercept=True, offset=None, expected=False):
    """(loss, gradient, full symmetric Hessian): this family's h'' is negative on part of the
    domain, so the Hessian is X̂ᵀ diag(w h'') X̂ (or w E[h'']) formed directly by numpy, not as
    Aᵀ A with A = sqrt(w h'') X̂ (NaN where h'' < 0); it may be indefinite, and Newton's damping
    then takes over."""
    y, beta, w, o, has_offset = _check(X, y, beta, sample_weight, intercept, offset)
    if np.any(w < 0):
        raise ValueError("sample_weight must be non-negative")
    loss, g = _loss_grad_kernel(X, y, w, o, beta, intercept, has_offset, True)
    u = np.empty(X.shape[0])
    _scores_kernel(X, o, beta, intercept, has_offset, u, False)
    s = w * row_weights(u, y)[3 if expected else 2]
    inner = X.T @ (s[:, None] * X)
    if not intercept:
        return loss, g, inner
    column = s @ X
    H = np.empty((X.shape[1] + 1, X.shape[1] + 1))
    H[0, 0], H[0, 1:], H[1:, 0], H[1:, 1:] = s.sum(), column, column, inner
    return loss, g, H
'''.rstrip("\n")


def _file_mode() -> int:
    """The mode an ordinary new file gets under the process's umask (0644 under 022): mkstemp's
    0600 would keep a shared SYMLOGIT_CACHE_DIR's modules from its other users."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _write_once(path: Path, text: str) -> None:
    """Write text to path unless it exists: a temporary file in the same folder linked into
    place (``os.link`` fails if another process got there first; either way the file is whole,
    and an existing file keeps its timestamp, so numba's cache of it stays valid)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    os.chmod(temporary, _file_mode())
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: an atomic rename instead
            if not path.exists():
                os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _load_cached(family):
    """(claims, convex) from the family's cached module, or None when it is not there (or was
    written for another definition)."""
    if not family.module_path.is_file():
        return None
    module = _import(family)
    if getattr(module, "DIGEST", None) != family.digest:
        return None
    from .symbolic.verifier import Result
    claims = tuple(Result(seconds=0.0, **c) for c in module.CLAIMS)
    return claims, module.CONVEX


def _import(family):
    """The family's module as ``symlogit._user.<file stem>`` (its folder added to that package's
    path), imported by the standard machinery, so numba's cache and pickles find it by name."""
    import importlib

    from . import _user
    folder = str(family.module_path.parent)
    if folder not in _user.__path__:
        _user.__path__.append(folder)
    importlib.invalidate_caches()  # the file may be newer than the import system's view of the folder
    return importlib.import_module(f"{_user.__name__}.{family.module_path.stem}")


def load_module(family):
    """The family's kernel module, written into the cache on first use."""
    if not family.module_path.is_file():
        _write_once(family.module_path, family.source())
    return _import(family)


def is_cached(family) -> bool:
    """Whether numba's cache holds compiled kernels of the family's module."""
    folder = family.module_path.parent / "__pycache__"
    return any(folder.glob(f"{family.module_path.stem}.*.nbi"))


def write_module(family, out_dir) -> Path:
    """``symlogit generate --family``: the family's module into out_dir (the folder must exist or
    its parent must), named <name>.py; written atomically."""
    from .codegen.writer import GenerateError
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GenerateError(f"output directory {out} is a file, expected a directory")
    if not out.parent.is_dir():
        raise GenerateError(f"output directory {out}: its parent directory {out.parent} does not exist")
    text = family.source()
    try:
        out.mkdir(exist_ok=True)
        path = out / f"{family.name}.py"
        handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{family.name}.", suffix=".tmp")
        os.chmod(temporary, _file_mode())
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise GenerateError(f"output directory {out} is not writable ({exc.strerror})") from exc
    return path
