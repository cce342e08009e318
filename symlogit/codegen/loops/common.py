"""Helpers every generated kernel module starts with: chunking constants, input checks, the
row dot product, and exp and log1p as polynomials (claims F4, F5).

Conventions (shared by every kernel):
    X        (N, d) float64 or float32, C-contiguous, no column of ones; float32 is read as is
             and promoted to float64 per element, so accumulation is float64.
    intercept  when True, coefficient row 0 is the intercept (x̂ = [1; x]); when False, the
             coefficients have d rows and no intercept is fitted.
    weights  (N,) float64 sample weights (ones when None).
    Results are SUMS over the given rows (not means): chunks and workers combine by adding.
Parallelism: rows are cut into fixed chunks of CHUNK rows; numba.prange runs the chunks, each
with a private accumulator; partial sums are added in chunk order afterwards. The chunking does
not depend on the thread count, so results are bit-identical for any number of threads.
Vectorisation: the per-sample loops run over a tile of rows with no call, no division check
(error_model="numpy") and no floating-point sum inside (a sum needs reassociation to vectorise;
it gets its own loop), so LLVM evaluates the formulas 8 rows at a time (AVX-512) or 4 (AVX2).
"""

import math

import numba
import numpy as np

# template-only: begin
from symlogit.symbolic.elementary import EXP_CLAMP, LN2, LN2_HI, LN2_LO, LOG1P_SPLIT, LOG2_E
# template-only: end

# ---- the family's facts, from its row of the table (symbolic/families.py) --------------------
# printed: facts begin
FAMILY = "a family's name"
SCORE = "scalar or vector"
DOMAIN = "unit, nonnegative or simplex"
LIKELIHOOD = "bernoulli, poisson or categorical"
MULTICLASS = None  # the vector family a classifier uses for K > 2 classes
CURVATURE_BOUND = None  # sup of h'' over u and y in the domain; None: unbounded
MEDIAN_SCORE = None  # Bernoulli: the score where the mean is 1/2; None otherwise


def hessian_at_zero(n_classes):
    """E[h''] at u = 0 per unit x̂x̂ᵀ (per class for a vector family): whitening's H0."""
    raise NotImplementedError("only generated modules hold a family's facts")
# printed: facts end

CHUNK = 4096
TILE = 64  # rows per tile inside a chunk (see _loss_grad_kernel)
GRAM_BLOCK = 1024  # rows per SYRK update of a Hessian: ~0.8 MB of weighted rows at d = 100


def _check_X(X):
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        raise ValueError(f"X must be a 2-D numpy array (N, d), got {type(X).__name__} with shape {np.shape(X)}")
    if X.dtype not in (np.float64, np.float32):
        raise ValueError(f"X must have dtype float64 or float32, got {X.dtype}")
    if not X.flags.c_contiguous:
        raise ValueError("X must be C-contiguous (np.ascontiguousarray(X)); the kernels do not copy it")
    return X.shape


def _check_vector(name, v, n):
    v = np.ascontiguousarray(v, dtype=np.float64)
    if v.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {v.shape}")
    return v


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    return _check_vector("sample_weight", sample_weight, n)


def _inline_into_tiles(expr, caller, callee):
    """numba's inlining cost model for the special functions: inline a call where the caller is
    a ``_tile_*`` function (the per-sample loops, which then vectorise), call it elsewhere."""
    return caller.func_id.func_name.startswith("_tile_")


def _on_threads(n, kernel, *args):
    """kernel(*args), a parallel kernel over n rows, on at most one numba thread per chunk of
    CHUNK rows: a pass over a single chunk runs on the calling thread alone. (Waking numba's
    thread pool for 500 rows cost 1.4-2.6 ms a call on two cores with other work running,
    against 16 µs on the calling thread; a small fit makes hundreds of calls.) numba's thread
    count is per calling thread, and is restored after the call."""
    threads = numba.get_num_threads()
    chunks = (n + CHUNK - 1) // CHUNK
    if chunks >= threads:
        return kernel(*args)
    numba.set_num_threads(max(chunks, 1))
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(threads)


@numba.njit(cache=True, error_model="numpy")
def _n_chunks(n):
    """Rows are cut into fixed chunks of CHUNK (callable from Python and from kernels)."""
    return (n + CHUNK - 1) // CHUNK


@numba.njit(cache=True, fastmath={"reassoc", "contract"}, inline=_inline_into_tiles)
def _u(X, i, beta, intercept):
    """x̂_iᵀ beta for one row (beta of length d+1 with the intercept first, or d). Reassociation
    lets LLVM split this dot product over several SIMD accumulators (the one fast-math freedom
    taken: no nnan/ninf, so inf and nan checks stay honest). Inlined (numba IR) into the
    ``_tile_*`` functions, which take the same freedom, so the hot loops' dot products are
    compiled once, in the function that runs them: a kernel loaded from numba's cache runs its
    own copies of the functions it calls, which LLVM optimised a second time when it linked them
    into the kernel, and a separately compiled _u called once per row from there ran 26% slower
    (binary loss+gradient, one thread: 86 ms against 68 ms compiled in the process; 58 ms
    inlined, cached or not)."""
    off = 1 if intercept else 0
    u = beta[0] if intercept else 0.0
    for j in range(X.shape[1]):
        u += X[i, j] * beta[j + off]
    return u


@numba.njit(cache=True, error_model="numpy")
def _add_scaled_row(g, s, X, i, intercept):
    """g += s x̂_i."""
    off = 1 if intercept else 0
    if intercept:
        g[0] += s
    for j in range(X.shape[1]):
        g[j + off] += s * X[i, j]


# ---- exp and log1p as polynomials (claims F4, F5): no libm call, so loops using them vectorise ----

@numba.extending.intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 ``bits`` (an LLVM bitcast): 2^k without
    a library call."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(numba.types.float64))
    return numba.types.float64(numba.types.int64), codegen


@numba.njit(cache=True, error_model="numpy", inline="always")
def _exp(x):
    """e^x (claim F4): 2^k T(r), k = round(x / ln 2), r = x - k ln 2 with ln 2 split in two
    (k LN2_HI is exact), T the Taylor polynomial printed from symbolic/elementary.py. x is
    clamped to [EXP_CLAMP, -EXP_CLAMP]: the result is 0 below (e^x underflows from -745.2) and
    inf above (e^x overflows from 709.79); nan stays nan."""
    c = x if x > EXP_CLAMP else EXP_CLAMP
    c = c if c < -EXP_CLAMP else -EXP_CLAMP
    k = math.floor(c*LOG2_E + 0.5)
    r = c - k*LN2_HI - k*LN2_LO
    t = math.exp(r)  # printed: exp_polynomial
    # 2^k as two normal factors: k goes down to -1443, past the smallest normal exponent -1022,
    # and the product rounds once, where the result is subnormal (up to 1443: it overflows once)
    half = np.int64(k) >> 1
    scaled = t*_float_from_bits((half + 1023) << 52)*_float_from_bits((np.int64(k) - half + 1023) << 52)
    return scaled if x == x else x


_exp_nonpositive = _exp  # its name when claim F4 covered x <= 0 only


@numba.njit(cache=True, error_model="numpy", inline="always")
def _log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1 (claim F5): 2 s A(s^2), s = e/(2 + e), up to sqrt(2) - 1; above
    it ln 2 + 2 s A(s^2), s = (e - 1)/(e + 3). A: the series of atanh(s)/s in z = s^2, printed
    from symbolic/elementary.py. The branch is a 0/1 factor, so there is no branch to stop
    vectorisation."""
    big = 1.0 if e > LOG1P_SPLIT else 0.0
    two_s = (2.0*e - 2.0*big)/(e + 2.0 + big)
    z = 0.25*two_s*two_s
    a = math.atanh(math.sqrt(z))/math.sqrt(z) if z > 0 else 1.0  # printed: atanh_polynomial
    return two_s*a + LN2*big
