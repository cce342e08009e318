"""Time to solution: symlogit's solvers against scikit-learn, statsmodels and glum, side by side.

Every solver fits the same objective from zero coefficients, with its own tightest sensible
tolerance and a generous iteration limit. Each (case, solver) runs --repeats times, each time in
a fresh process (so one library's threads or caches cannot slow another's), which loads the data
and warms up (imports, numba's cache) untimed, then fits once (fits of a few milliseconds until
they add up to a second: the process's median). The repeats go in rounds of every solver, and we
report each solver's median over its processes: on this shared VM a process can run 1.6x slower
than the next one of the same code for its whole life (breast_cancer, symlogit newton: 2.1 ms
in one process, 1.3 ms in another), so repeats inside one process would repeat its luck.
A fit still running after --timeout seconds is stopped and counts as not reached. The gap of
a fit is (f - f*) / |f*|, f evaluated by ``objective`` below for every library alike, f* the
lowest f any fit reached; a fit "reached" when its gap is <= 1e-8.

Cases (the issue's table). B1, B2, M1 are unpenalised; so are the other families' cases, P1
(probit), G1 (cloglog) and Q1 (Poisson, log link), N = 10^6, d = 50 each, Gaussian features,
targets drawn from the family at scores of standard deviation ~1. R1 and R2 are linearly separable
(symlogit.separation.separating_direction finds a direction), so their unpenalised optimum is at infinity; they
use scikit-learn's default L2 penalty instead, C = 1:  C Σ_i h_i + ½‖coef‖², intercept free.

How each peer's options map to that objective:
  scikit-learn  LogisticRegression(C=inf, or 1 for R*; solver; tol=1e-10; max_iter=10000)
  statsmodels   Logit / MNLogit(y, [1, X]).fit(method="newton", tol=1e-10, maxiter=100): the
                summed log-likelihood, same minimiser; unpenalised only, so not run on R1, R2
  glum          GeneralizedLinearRegressor(family="binomial", alpha=0, or 1/(C N) for R1, since
                glum minimises mean deviance/2 + alpha/2 ‖coef‖²; gradient_tol=1e-10), binary only
  symlogit      LogisticRegression(penalty=None or "l2", C=1; solver; tol=1e-10; max_iter=500), and
                for P1, G1, Q1 GLMClassifier(family=...) / GLMRegressor(alpha=0) alike
  P1, G1, Q1    statsmodels Probit(...).fit(method="newton") for P1, GLM(Binomial(CLogLog)) and
                GLM(Poisson) with IRLS (its default) for G1 and Q1; glum with family binomial /
                link cloglog, and family poisson; scikit-learn PoissonRegressor(alpha=0, solver
                lbfgs or newton-cholesky) for Q1

    python tools/bench_peers.py [--cases B1 B2 M1 R1 R2 P1 G1 Q1] [--repeats 3] [--timeout 120]
                                [--scale 1.0] [--plot peers.png] [--json]

--scale multiplies N of the synthetic cases (for a quick look; the README's table uses 1).
Requires the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.special import log_ndtr, logsumexp

REACHED = 1e-8
TOL = 1e-10
# Fits of a few milliseconds vary by ±30% from one to the next on a shared VM: they are
# repeated until they add up to a second (at most 100 fits), so their median means something.
SHORT_FITS_SECONDS = 1.0
SHORT_FITS_REPEATS = 100


# ---- the cases -------------------------------------------------------------------------------------

def _labels(scores, rng):
    """Binary labels drawn from sigmoid(scores), or multinomial from softmax(scores) (Gumbel)."""
    if scores.ndim == 1:
        return (rng.random(scores.shape[0]) < 1 / (1 + np.exp(-scores))).astype(np.int64)
    return np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)


#: The family of each case (the logistic cases: "logit").
FAMILY = {"P1": "probit", "G1": "cloglog", "Q1": "poisson"}


def make_case(name, scale=1.0, seed=0):
    """(X (N, d) float64 C-contiguous, y integer labels (counts for Q1), C or None for
    unpenalised)."""
    from sklearn.datasets import load_breast_cancer, load_digits

    rng = np.random.default_rng(seed)
    if name == "B1":  # well-conditioned Gaussian features
        n, d = int(1e6 * scale), 100
        X = rng.normal(size=(n, d))
        return X, _labels(X @ rng.normal(size=d) * 2 / np.sqrt(d), rng), None
    if name == "B2":  # correlated (one shared factor) and scaled from 1e-2 to 1e3
        n, d = int(3e5 * scale), 60
        Z = 0.8 * rng.normal(size=(n, 1)) + 0.6 * rng.normal(size=(n, d))
        y = _labels(Z @ rng.normal(size=d) * 2 / np.sqrt(d), rng)
        return np.ascontiguousarray(Z * np.logspace(-2, 3, d)), y, None
    if name == "M1":
        n, d, k = int(2e5 * scale), 50, 10
        X = rng.normal(size=(n, d))
        return X, _labels(X @ rng.normal(size=(d, k)) * 2 / np.sqrt(d), rng), None
    if name in FAMILY:
        n, d = int(1e6 * scale), 50
        X = rng.normal(size=(n, d))
        u = 0.2 + X @ rng.normal(size=d) / np.sqrt(d)
        if name == "Q1":
            return X, rng.poisson(np.exp(u)).astype(np.int64), None
        p = np.exp(log_ndtr(u)) if name == "P1" else -np.expm1(-np.exp(u))
        return X, (rng.random(n) < p).astype(np.int64), None
    if name in ("R1", "R2"):
        X, y = (load_breast_cancer if name == "R1" else load_digits)(return_X_y=True)
        return np.ascontiguousarray(X, dtype=np.float64), y, 1.0
    raise ValueError(f"unknown case {name!r}; expected B1, B2, M1, R1, R2, P1, G1 or Q1")


def objective(X, y, intercept, coef, C, family="logit"):
    """Mean negative log-likelihood (1/N) Σ -log p(y_i | x_i) (less terms free of the
    coefficients: y! for Poisson), plus ½‖coef‖² / (C N) when C is given. intercept (K',), coef
    (K', d) with K' = 1 for two classes (scikit-learn's layout). Evaluated with SciPy's special
    functions, independently of symlogit's kernels."""
    U = X @ np.atleast_2d(coef).T + intercept
    if family != "logit":
        u = U[:, 0]
        if family == "probit":
            return float(-np.mean(y * log_ndtr(u) + (1 - y) * log_ndtr(-u)))
        if family == "cloglog":
            return float(np.mean(-y * np.log(-np.expm1(-np.exp(u))) + (1 - y) * np.exp(u)))
        return float(np.mean(np.exp(u) - y * u))
    if U.shape[1] == 1:
        u = U[:, 0]
        loss = np.mean(np.logaddexp(0.0, u) - (y == 1) * u)
    else:
        loss = np.mean(logsumexp(U, axis=1) - U[np.arange(len(y)), y])
    return float(loss + (0.5 * np.sum(coef ** 2) / (C * len(y)) if C is not None else 0.0))


# ---- the solvers: name -> (applies to the case?, fit returning (intercept, coef, iterations)) --------

def _symlogit(solver):
    def fit(X, y, C, family="logit"):
        from symlogit import GLMClassifier, GLMRegressor

        if family == "poisson":
            model = GLMRegressor(alpha=0.0, solver=solver, tol=TOL, max_iter=500).fit(X, y)
            return np.atleast_1d(model.intercept_), np.atleast_2d(model.coef_), int(model.n_iter_[0])
        model = GLMClassifier(family=family, penalty=None if C is None else "l2", C=C or 1.0, solver=solver, tol=TOL,
                              max_iter=500).fit(X, y)
        return model.intercept_, model.coef_, int(model.n_iter_[0])
    return fit


def _sklearn(solver):
    def fit(X, y, C, family="logit"):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=np.inf if C is None else C, solver=solver, tol=TOL, max_iter=10000).fit(X, y)
        return model.intercept_, model.coef_, int(np.max(model.n_iter_))
    return fit


def _sklearn_poisson(solver):
    def fit(X, y, C, family):
        from sklearn.linear_model import PoissonRegressor

        model = PoissonRegressor(alpha=0.0, solver=solver, tol=TOL, max_iter=10000).fit(X, y)
        return np.atleast_1d(model.intercept_), np.atleast_2d(model.coef_), int(model.n_iter_)
    return fit


def _statsmodels(X, y, C, family="logit"):
    import statsmodels.api as sm

    if family != "logit":
        Xc = sm.add_constant(X, has_constant="add")
        if family == "probit":
            result = sm.Probit(y, Xc).fit(method="newton", tol=TOL, maxiter=100, disp=0)
            n_iter = int(result.mle_retvals["iterations"])
        else:
            dist = sm.families.Poisson() if family == "poisson" else \
                sm.families.Binomial(link=sm.families.links.CLogLog())
            result = sm.GLM(y, Xc, family=dist).fit(tol=TOL, maxiter=100)
            n_iter = int(result.fit_history["iteration"])
        params = np.asarray(result.params)
        return params[:1], params[None, 1:], n_iter
    model = (sm.Logit if len(np.unique(y)) == 2 else sm.MNLogit)(y, sm.add_constant(X, has_constant="add"))
    result = model.fit(method="newton", tol=TOL, maxiter=100, disp=0)
    params = np.asarray(result.params).reshape(X.shape[1] + 1, -1)  # MNLogit: (d+1, K-1), class 0 at 0
    if params.shape[1] > 1:
        params = np.column_stack([np.zeros(X.shape[1] + 1), params])
    return params[0], params[1:].T, int(result.mle_retvals["iterations"])


def _glum(X, y, C, family="logit"):
    from glum import GeneralizedLinearRegressor

    alpha = 0.0 if C is None else 1.0 / (C * len(y))
    options = {"poisson": {"family": "poisson"}, "cloglog": {"family": "binomial", "link": "cloglog"}}.get(
        family, {"family": "binomial"})
    model = GeneralizedLinearRegressor(alpha=alpha, gradient_tol=TOL, max_iter=1000, fit_intercept=True,
                                       **options).fit(X, y)
    return np.atleast_1d(model.intercept_), np.atleast_2d(model.coef_), int(model.n_iter_)


def _logistic(k, C, family):
    return family == "logit"


#: name -> (applies to (K, C, family)?, fit(X, y, C, family) -> (intercept, coef, iterations))
SOLVERS = {
    "symlogit newton": (lambda k, C, f: True, _symlogit("newton")),
    "symlogit newton-cg": (lambda k, C, f: True, _symlogit("newton-cg")),
    "symlogit lbfgs": (lambda k, C, f: True, _symlogit("lbfgs")),
    "symlogit auto": (lambda k, C, f: True, _symlogit("auto")),
    "sklearn lbfgs": (_logistic, _sklearn("lbfgs")),
    "sklearn newton-cholesky": (_logistic, _sklearn("newton-cholesky")),
    "sklearn newton-cg": (_logistic, _sklearn("newton-cg")),
    "sklearn sag": (_logistic, _sklearn("sag")),
    "sklearn PoissonRegressor lbfgs": (lambda k, C, f: f == "poisson", _sklearn_poisson("lbfgs")),
    "sklearn PoissonRegressor newton-cholesky": (lambda k, C, f: f == "poisson", _sklearn_poisson("newton-cholesky")),
    "statsmodels": (lambda k, C, f: C is None, _statsmodels),
    "glum": (lambda k, C, f: k == 2 and f != "probit", _glum),
}
SYMLOGIT = [name for name in SOLVERS if name.startswith("symlogit") and name != "symlogit auto"]
PEERS = [name for name in SOLVERS if not name.startswith("symlogit")]


# ---- one solver in its own process ----------------------------------------------------------------

def _child(connection, data_path, name, repeats):
    """Load the case, warm up on its first rows (untimed), then send one (seconds, intercept,
    coef, iterations) per timed fit."""
    with np.load(data_path) as data:
        X, y = np.ascontiguousarray(data["X"]), data["y"]
        C = float(data["C"][0]) if data["C"].size else None
        family = str(data["family"])
    solver_fit = SOLVERS[name][1]

    def fit(X, y, C):
        return solver_fit(X, y, C, family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        head = np.concatenate([np.flatnonzero(y == label)[:50] for label in np.unique(y)[:20]])
        try:
            fit(np.ascontiguousarray(X[head]), y[head], C)
        except Exception:  # a warm-up on a few rows may fail where the full fit does not
            pass
        count, spent = 0, 0.0
        while count < repeats or (spent < SHORT_FITS_SECONDS and count < SHORT_FITS_REPEATS):
            connection.send(("start",))  # the parent's clock for the time limit starts here
            start = time.perf_counter()
            try:
                intercept, coef, n_iter = fit(X, y, C)
            except Exception as error:  # reported as not reached, with the reason
                connection.send(("error", f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"))
                return
            seconds = time.perf_counter() - start
            connection.send((seconds, np.asarray(intercept, float), np.asarray(coef, float), n_iter))
            count, spent = count + 1, spent + seconds
    connection.send(("done",))


def run_solver(data_path, name, repeats, timeout):
    """The timed fits of one solver: a list of dicts (seconds, intercept, coef, n_iter), or a
    dict with 'failed' (timeout or error) for the fit that did not finish."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, str(data_path), name, repeats), daemon=True)
    process.start()
    runs = []

    def receive(seconds):
        deadline = time.perf_counter() + seconds
        while not parent.poll(0.05) and process.is_alive() and time.perf_counter() < deadline:
            pass
        return parent.recv() if parent.poll() else None

    while True:
        started = receive(600.0)  # loading the case and the untimed warm-up come first
        if started is not None and started[0] == "done":
            break
        message = receive(timeout) if started else None
        if message is None:
            runs.append({"failed": f"stopped after {timeout:.0f} s" if process.is_alive() else "the process died"})
            break
        if message[0] == "error":
            runs.append({"failed": message[1]})
            break
        seconds, intercept, coef, n_iter = message
        runs.append({"seconds": seconds, "intercept": intercept, "coef": coef, "n_iter": n_iter})
    process.kill()
    process.join()
    return runs


# ---- the benchmark --------------------------------------------------------------------------------

def bench_case(case, args, directory):
    X, y, C = make_case(case, args.scale)
    family = FAMILY.get(case, "logit")
    data_path = Path(directory) / f"{case}.npz"
    np.savez(data_path, X=X, y=y, C=np.array([] if C is None else [C]), family=np.array(family))
    k = len(np.unique(y)) if family != "poisson" else 0
    names = [name for name, (applies, _) in SOLVERS.items() if applies(k, C, family)]
    runs, times = {name: [] for name in names}, {name: [] for name in names}
    # Rounds: every solver once per round, so that a slow stretch of the VM falls on several
    # solvers' processes rather than on all of one solver's.
    for round_ in range(args.repeats):
        for name in names:
            if any("failed" in r for r in runs[name]):
                continue  # failed or stopped once: not reached, no need to wait for it again
            process_runs = run_solver(data_path, name, 1, args.timeout)
            runs[name] += process_runs
            if not any("failed" in r for r in process_runs):
                times[name].append(statistics.median(r["seconds"] for r in process_runs))
            print(f"{case} round {round_ + 1} {name:26s} "
                  f"{times[name][-1] if times[name] else float('nan'):8.4f} s", file=sys.stderr, flush=True)
    rows = []
    for name in names:
        done = [r for r in runs[name] if "seconds" in r]
        rows.append({"case": case, "solver": name, "N": X.shape[0], "d": X.shape[1], "K": k,
                     "times": times[name],
                     "seconds": statistics.median(times[name]) if times[name] else None,
                     "n_iter": done[-1]["n_iter"] if done else None,
                     "objective": objective(X, y, done[-1]["intercept"], done[-1]["coef"], C, family) if done else None,
                     "failed": next((r["failed"] for r in runs[name] if "failed" in r), None)})
    best = min(r["objective"] for r in rows if r["objective"] is not None)
    for row in rows:
        # a fit that was stopped or failed in any repeat is not counted as reaching the optimum
        row["gap"] = None if row["objective"] is None else (row["objective"] - best) / abs(best)
        row["reached"] = row["gap"] is not None and row["gap"] <= REACHED and row["failed"] is None
    return rows


def summarise(rows):
    """Per case: symlogit's best reached time, the fastest peer's, their ratio, and auto's."""
    summary = {}
    for case in dict.fromkeys(r["case"] for r in rows):
        reached = {r["solver"]: r["seconds"] for r in rows if r["case"] == case and r["reached"]}
        ours = min((reached[s] for s in SYMLOGIT if s in reached), default=None)
        peer = min((reached[s] for s in PEERS if s in reached), default=None)
        auto = reached.get("symlogit auto")
        summary[case] = {"symlogit_best": ours, "peer_best": peer,
                         "ratio": ours / peer if ours and peer else None, "auto": auto,
                         "auto_over_best": auto / ours if auto and ours else None}
    return summary


def markdown(rows, summary):
    cases = list(summary)
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    cell = {(r["case"], r["solver"]): r for r in rows}

    def shown(row):
        if row is None:
            return "n/a"
        if row["reached"]:
            return f"{row['seconds']:.3g} s"
        if row["seconds"] is None:
            return f"not reached ({row['failed']})"
        return f"not reached: {row['seconds']:.3g} s, gap {row['gap']:.1e}"

    lines = ["| solver | " + " | ".join(cases) + " |", "|---" * (len(cases) + 1) + "|"]
    lines += [f"| {s} | " + " | ".join(shown(cell.get((c, s))) for c in cases) + " |" for s in solvers]
    lines.append("| **symlogit best / fastest peer** | " + " | ".join(
        f"**{summary[c]['ratio']:.2f}**" if summary[c]["ratio"] else "–" for c in cases) + " |")
    lines.append("| **auto / symlogit best** | " + " | ".join(
        f"{summary[c]['auto_over_best']:.2f}" if summary[c]["auto_over_best"] else "–" for c in cases) + " |")
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import NullFormatter

    cases = list(dict.fromkeys(r["case"] for r in rows))
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    cell = {(r["case"], r["solver"]): r for r in rows}
    fig, axes = plt.subplots(1, len(cases), figsize=(3.2 * len(cases), 4.5), sharey=True)
    for ax, case in zip(np.atleast_1d(axes), cases):
        mine = [cell.get((case, s)) for s in solvers]  # None: the solver does not apply
        seconds = [r["seconds"] if r and r["seconds"] is not None else np.nan for r in mine]
        colours = ["tab:blue" if s.startswith("symlogit") else "tab:gray" for s in solvers]
        bars = ax.barh(range(len(solvers)), seconds, color=colours)
        for bar, row in zip(bars, mine):
            if row and not row["reached"]:
                bar.set_hatch("//")
                bar.set_alpha(0.4)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(case)
        ax.set_xlabel("seconds (hatched: gap > 1e-8)")
    first = np.atleast_1d(axes)[0]
    first.set_yticks(range(len(solvers)), solvers)
    first.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["B1", "B2", "M1", "R1", "R2", "P1", "G1", "Q1"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--plot", default="peers.png", help="where to write the bar chart (PNG)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="symlogit-peers-") as directory:
        for case in args.cases:
            rows += bench_case(case, args, directory)
    summary = summarise(rows)
    plot(rows, args.plot)
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=1))
    else:
        print(markdown(rows, summary))
        print(f"chart: {args.plot}")


if __name__ == "__main__":
    main()
