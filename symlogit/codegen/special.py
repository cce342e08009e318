"""numba source of the probit and cloglog special functions (``symbolic/special.py``; claims
F6-F16), to be pasted into a generated module.

``special_source(names)`` returns the definitions of the named kernel functions (``_log_ndtr``,
``_inv_mills``, ``_mills_curvature``, ``_log_cloglog``, ``_cloglog_q``, ``_cloglog_curvature``)
and of the helpers they use, in dependency order. The module they go into must define ``math``,
``numba``, ``np``, F4/F5's ``_exp_nonpositive(x)`` (x <= 0) and ``_log1p_unit(e)`` (0 <= e <= 1),
and the inlining cost model ``_inline_into_tiles`` (see ``NJIT``); nothing else is assumed (the two bit casts are defined here, under their own names).

Polynomials of more than 10 terms are evaluated as L(x) + x^k H(x), k = ceil(n/2): two Horner
chains of half the length (a long Horner chain is latency-bound: this halved the Taylor
polynomial's time) with Horner's accuracy (an even/odd split cancelled, 3x the error).
The code calls no libm function: every polynomial (their coefficients printed from SymPy: exact
rationals or integers, or 600-digit values, each rounded once to float64), the bit casts and
floor are all LLVM can vectorise. Branches are conditional expressions between values computed
on both sides (selects, not jumps), so a loop over rows that calls these functions can run 4 or
8 rows at a time. The price: each call evaluates every branch (the probit functions both Mills
pieces, the cloglog ones both the t <= 1 and t > 1 forms).

The arithmetic is ``symbolic/special.py``'s ``*_float64`` mirrors, operation for operation (a test
holds them bit for bit), so the verifier's numeric check is a check of this code.
"""

from __future__ import annotations

from ..symbolic import elementary
from ..symbolic import special as S

# Inlined into the per-sample tile functions only (common's ``_inline_into_tiles``), where the
# loops vectorise; called from every other kernel. Inlined into every kernel, both dtypes, the
# probit kernels took 170 s to compile cold: too slow for a test suite on a clean machine.
NJIT = '@numba.njit(cache=True, error_model="numpy", inline=_inline_into_tiles)'


def horner_source(coeffs, var: str) -> str:
    """c_0 + var*(c_1 + var*(... + var*(c_n))): the order ``special.horner_float64`` evaluates."""
    text = repr(float(coeffs[-1]))
    for c in reversed(coeffs[:-1]):
        text = f"{float(c)!r} + {var}*({text})"
    return text


def power_lines(var: str, k: int) -> list[str]:
    """Statements computing ``{var}{k}`` = var^k as ``special.power_float64`` does: squares
    ``{var}_2``, ``{var}_4``, ... and their product from the highest bit down."""
    names, lines = [var], []
    while 2 ** len(names) <= k:
        name = f"{var}_{2 ** len(names)}"
        lines.append(f"{name} = {names[-1]}*{names[-1]}")
        names.append(name)
    bits = [j for j in range(len(names)) if k >> j & 1][::-1]
    lines.append(f"{var}{k} = " + "*".join(names[j] for j in bits))
    return lines


def split_source(coeffs, var: str) -> str:
    """(L) + {var}{k}*(H): what ``special.split_float64`` evaluates; the statements of
    ``power_lines(var, k)`` must come first."""
    k = S.split_point(len(coeffs))
    return f"({horner_source(coeffs[:k], var)}) + {var}{k}*({horner_source(coeffs[k:], var)})"


def _powers(var: str, *tables, indent: str = "    ") -> str:
    """The power statements for the splits of these coefficient tables (each once)."""
    lines = []
    for coeffs in tables:
        for line in power_lines(var, S.split_point(len(coeffs))):
            if line not in lines:
                lines.append(line)
    return ("\n" + indent).join(lines)


def _constants() -> dict:
    table = S.coefficient_table()
    e = elementary
    return {
        "njit": NJIT,
        "taylor": split_source(table["mills_taylor"], "h"),
        "taylor_pow": _powers("h", table["mills_taylor"]),
        "cf_num": split_source(table["mills_cf_num"], "w"),
        "cf_den": split_source(table["mills_cf_den"], "w"),
        "cf_pow": _powers("w", table["mills_cf_num"], table["mills_cf_den"]),
        "atanh": horner_source(table["atanh"], "zz"),
        "exp_tail": split_source(table["exp_tail"], "r"),
        "exp_tail_pow": _powers("r", table["exp_tail"]),
        "cll_num": split_source(table["cloglog_num"], "t"),
        "cll_den": split_source(table["cloglog_den"], "t"),
        "cll_pow": _powers("t", table["cloglog_num"], table["cloglog_den"]),
        "centre": repr(float(S.MILLS_TAYLOR_CENTRE)),
        "start": repr(float(S.MILLS_CF_START)),
        "levels": S.MILLS_CF_LEVELS, "degree": S.MILLS_TAYLOR_DEGREE, "order": S.CLOGLOG_ORDER,
        "clamp": repr(S.CLOGLOG_CLAMP), "square_limit": repr(S.SQUARE_LIMIT), "dekker": repr(S.DEKKER),
        "inv_sqrt_2pi": repr(S.INV_SQRT_2PI), "half_log_2pi": repr(S.HALF_LOG_2PI), "sqrt2": repr(S.SQRT2),
        "exp_m64": repr(S.EXP_M64),
        "ln2_hi": repr(e.LN2_HI), "ln2_lo": repr(e.LN2_LO), "log2_e": repr(e.LOG2_E),
    }


# Each entry: (name, dependencies, source template). The list order is the print order, and every
# dependency comes before its users.
_DEFINITIONS = [
    ("_special_bits_of", (), '''
@numba.extending.intrinsic
def _special_bits_of(typingctx, x):
    """The int64 holding the IEEE-754 bits of the float64 x (an LLVM bitcast, no call)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(numba.types.int64))
    return numba.types.int64(numba.types.float64), codegen
'''),
    ("_special_float_of", (), '''
@numba.extending.intrinsic
def _special_float_of(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 ``bits`` (an LLVM bitcast, no call)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(numba.types.float64))
    return numba.types.float64(numba.types.int64), codegen
'''),
    ("_special_log", ("_special_bits_of", "_special_float_of"), '''
{njit}
def _special_log(z):
    """log z for positive normal z (claim F6): z = 2^k m, m in [sqrt(2)/2, sqrt 2] by the bits,
    log z = k ln 2 + 2 s A(s^2), s = (m - 1)/(m + 1), A F5's atanh polynomial. Not for 0,
    subnormals, inf or nan (its callers never pass them where the result is used)."""
    bits = _special_bits_of(z)
    m = _special_float_of((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = 1.0 if m > {sqrt2} else 0.0
    k = ((bits >> 52) - 1023) + big
    m = m*(1.0 - 0.5*big)
    two_s = 2.0*(m - 1.0)/(m + 1.0)
    zz = 0.25*two_s*two_s
    return k*{ln2_hi} + (k*{ln2_lo} + two_s*({atanh}))
'''),
    ("_special_half_square", (), '''
{njit}
def _special_half_square(s):
    """(h, l) with h + l = s^2/2 exactly (s >= 0): h = (s/2) s, finite up to s = 1.9e154 like
    s^2/2, and l half the low part of s^2 by Dekker's split; l = 0 from {square_limit} on,
    where s^2/2 > 1e299 and e^(-s^2/2) is 0 anyway."""
    sl = s if s < {square_limit} else 0.0
    c = {dekker}*sl
    sh = c - (c - sl)
    st = sl - sh
    h = (0.5*s)*s
    lo = 0.5*(((sh*sh - sl*sl) + 2.0*sh*st) + st*st)
    return h, lo
'''),
    ("_special_mills", ("_special_log",), '''
{njit}
def _special_mills(s):
    """At s = |u| >= 0: (R, Lambda, c, log R) with R = Phi(-s)/phi(s) the Mills ratio,
    Lambda = 1/R = lambda(-s), c = mills_curvature(-s) = rho (s + rho), rho = Lambda - s.
    s < {start}: R by its Taylor polynomial of degree {degree} at {centre} (claim F8).
    s >= {start}: s rho = y(w) = a(w)/b(w), w = 1/s^2, the convergent of order {levels} of
    rho = 1/(s + 2/(s + 3/(s + ...))) (claim F7); then c = y (1 + w y), with no cancellation,
    and everything stays finite up to s = inf (w = 0, y = 1)."""
    h = (s if s < {start} else {start}) - {centre}
    {taylor_pow}
    rb = {taylor}
    sc = s if s > {start} else {start}
    w = 1.0/(sc*sc)
    {cf_pow}
    y = ({cf_num})/({cf_den})
    wy = w*y
    lam_c = sc*(1.0 + wy)
    tail = s >= {start}
    R = 1.0/lam_c if tail else rb
    Lam = lam_c if tail else 1.0/rb
    c = y*(1.0 + wy) if tail else (1.0 - s*rb)*(Lam*Lam)
    log_r = _special_log(lam_c if tail else rb)
    return R, Lam, c, (-log_r if tail else log_r)
'''),
    ("_log_ndtr", ("_special_half_square", "_special_mills"), '''
{njit}
def _log_ndtr(u):
    """log Phi(u) (claim F9). u < 0: -s^2/2 - log(2 pi)/2 + log R(s), s^2/2 = h + l exactly;
    u >= 0: -log1p(Q/(1 - Q)), Q = phi(u) R(u) = Phi(-u). Relative error < 1e-13 wherever the
    value is normal; 0 where it is subnormal (u > 37.63); -inf for u < -1.9e154 (-u^2/2, the
    exact value, overflows); nan stays nan."""
    s = abs(u)
    R, Lam, c, log_r = _special_mills(s)
    h, lo = _special_half_square(s)
    pdf = {inv_sqrt_2pi}*_exp_nonpositive(-h)*(1.0 - lo)
    q = pdf*R
    upper = -_log1p_unit(q/(1.0 - q))
    lower = ((-h) - (lo + {half_log_2pi})) + log_r
    v = lower if u < 0.0 else upper
    return v if u == u else u
'''),
    ("_inv_mills", ("_special_half_square", "_special_mills"), '''
{njit}
def _inv_mills(u):
    """lambda(u) = phi(u)/Phi(u) (claim F10). u < 0: 1/R(|u|); u >= 0: phi(u)/(1 - phi(u) R(u)).
    Relative error < 1e-13 wherever the value is normal (u < 37.75), then 0; nan stays nan."""
    s = abs(u)
    R, Lam, c, log_r = _special_mills(s)
    h, lo = _special_half_square(s)
    pdf = {inv_sqrt_2pi}*_exp_nonpositive(-h)*(1.0 - lo)
    upper = pdf/(1.0 - pdf*R)
    v = Lam if u < 0.0 else upper
    return v if u == u else u
'''),
    ("_mills_curvature", ("_special_half_square", "_special_mills"), '''
{njit}
def _mills_curvature(u):
    """lambda(u) (u + lambda(u)) = -lambda'(u) (claim F11). u < 0: rho (s + rho) from the Mills
    pieces (no u + lambda cancellation); u >= 0: lambda (u + lambda), u capped at 64 (lambda is
    0 beyond 38.6) so that u = inf gives 0. Relative error < 1e-13 wherever the value is
    normal (u < 37.71), then 0; nan stays nan."""
    s = abs(u)
    R, Lam, c, log_r = _special_mills(s)
    h, lo = _special_half_square(s)
    pdf = {inv_sqrt_2pi}*_exp_nonpositive(-h)*(1.0 - lo)
    lam = pdf/(1.0 - pdf*R)
    v = c if u < 0.0 else lam*((u if u < 64.0 else 64.0) + lam)
    return v if u == u else u
'''),
    ("_special_exp_dd", ("_special_float_of",), '''
{njit}
def _special_exp_dd(v):
    """(hi, lo) with hi + lo = e^v to ~1e-17 relative, for 0 <= v <= {clamp} (claim F13): F4's
    reduction v = k ln 2 + r (r + r_err exact by TwoSum), e^r = 1 + r + r^2 P(r), P from F4's
    T, the tail added to 1 + r by TwoSum. cloglog needs it: e^-t has condition number t."""
    k = math.floor(v*{log2_e} + 0.5)
    a = v - k*{ln2_hi}
    b = k*{ln2_lo}
    r = a - b
    bb = r - a
    r_err = (a - (r - bb)) - (b + bb)
    {exp_tail_pow}
    tail = r*r*({exp_tail}) + r_err*(1.0 + r)
    one_r = 1.0 + r
    bb = one_r - 1.0
    e1 = (1.0 - (one_r - bb)) + (r - bb)
    low = tail + e1
    hi_m = one_r + low
    lo_m = (one_r - hi_m) + low
    scale = _special_float_of((k + 1023) << 52)
    return hi_m*scale, lo_m*scale
'''),
    ("_special_cloglog", ("_special_exp_dd",), '''
{njit}
def _special_cloglog(u):
    """(small, r - 1, q/scale, log1p argument, scale) with t = e^u, p = 1 - e^-t, r = t/p,
    q = t e^-t/p (claims F12, F13). t <= 1 (u <= 0): r - 1 = t N(t)/D(t), N, D of order {order}, and
    q = 1 + ((r - 1) - t). u > 0: t = hi + lo (u clamped to {clamp}), e^-t = e^-hi (1 - lo),
    q = t e^-t/p, r - 1 = ((t - 1) + e^-t)/p; above t = 128 e^-t is carried as e^-(t - 64)
    (t - 64 exact) with scale = e^-64, so that q and q (r - 1) are not built from a subnormal."""
    small = u <= 0.0
    t = _exp_nonpositive(u if u < 0.0 else 0.0)
    {cll_pow}
    ratio = t*(({cll_num})/({cll_den}))
    ul = {clamp} if u > {clamp} else (u if u > 0.0 else 0.0)
    th, tl = _special_exp_dd(ul)
    far = th > 128.0
    es = _exp_nonpositive((64.0 if far else 0.0) - th)*(1.0 - tl)
    scale = {exp_m64} if far else 1.0
    e = es*scale
    p = 1.0 - e
    q_large = th*es/p
    b_large = ((th - 1.0) + e)/p
    B = ratio if small else b_large
    q = (1.0 + (ratio - t)) if small else q_large
    arg = ratio if small else e/p
    return small, B, q, arg, (1.0 if small else scale)
'''),
    ("_log_cloglog", ("_special_cloglog",), '''
{njit}
def _log_cloglog(u):
    """log(1 - exp(-e^u)) (claim F14): u - log1p(r - 1) for u <= 0 (exact down to u = -inf),
    -log1p(e^-t/p) above. Relative error < 1e-13 wherever the value is normal, 0 (or subnormal)
    where it is subnormal (u > 6.563); nan stays nan."""
    small, B, q, arg, scale = _special_cloglog(u)
    v = (u if small else 0.0) - _log1p_unit(arg)
    return v if u == u else u
'''),
    ("_cloglog_q", ("_special_cloglog",), '''
{njit}
def _cloglog_q(u):
    """t e^-t/(1 - e^-t), t = e^u (claim F15). Relative error < 1e-13 wherever the value is
    normal, 0 (or subnormal) where it is subnormal (u > 6.572); 1 at u = -inf; nan stays nan."""
    small, B, q, arg, scale = _special_cloglog(u)
    v = q*scale
    return v if u == u else u
'''),
    ("_cloglog_curvature", ("_special_cloglog",), '''
{njit}
def _cloglog_curvature(u):
    """q (r - 1) = -q'(u) (claim F16). Relative error < 1e-13 wherever the value is normal
    (-707.7 < u < 6.58; it is e^u/2 to first order for u -> -inf), 0 (or subnormal) where it is
    subnormal; nan stays nan."""
    small, B, q, arg, scale = _special_cloglog(u)
    v = (q*B)*scale
    return v if u == u else u
'''),
]

_BY_NAME = {name: (deps, text) for name, deps, text in _DEFINITIONS}
#: The public kernel functions, one per SymPy function of ``symbolic/special.py``.
KERNEL_NAMES = tuple(f.kernel_name for f in S.FUNCTIONS)


def _closure(names) -> set[str]:
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_BY_NAME[name][0])
    return seen


def special_source(names: list[str]) -> str:
    """Source text of the named kernel functions (``_log_ndtr`` ... ``_cloglog_curvature``, or
    the SymPy names ``log_ndtr`` ...) and their helpers, in dependency order, each once.
    Deterministic: the same names give the same bytes."""
    wanted = []
    for name in names:
        key = name if name in _BY_NAME else f"_{name}"
        if key not in KERNEL_NAMES:
            raise ValueError(f"no special kernel {name!r}; expected one of {', '.join(KERNEL_NAMES)}")
        wanted.append(key)
    if not wanted:
        return ""
    needed = _closure(wanted)
    values = _constants()
    parts = [text.strip("\n").format(**values) for name, _, text in _DEFINITIONS if name in needed]
    header = ("# ---- probit and cloglog special functions (claims F6-F16), printed from "
              "symlogit/symbolic/special.py ----")
    return header + "\n\n\n" + "\n\n\n".join(parts) + "\n"
