"""The ``symlogit`` command line.

Errors in the user's input are reported as one line on stderr with exit code 2, never a
traceback: ``OneLineErrors`` catches click's usage errors and ``fail`` raises them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import NamedTuple

import click

from . import DEFAULT_TOL


class OneLineErrors(click.Group):
    """A click group whose usage errors print one line ("Error: ...") and exit with code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as err:
            click.echo(f"Error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def fail(message: str):
    """Report bad input: one line on stderr, exit code 2."""
    raise click.UsageError(message)


SEED_MAX = 2**32 - 1  # numpy's RandomState seeds, which scikit-learn's splitters take


class FiniteFloatRange(click.FloatRange):
    """A click.FloatRange that refuses nan (every comparison of nan is false, so the range's
    bounds let it through)."""

    def convert(self, value, param, ctx):
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number in the range {self._describe_range()}.", param, ctx)
        return number


class HeldOut(click.ParamType):
    """--test-size: a fraction of the rows (a finite number, 0 < f < 1) or a count of rows (a whole
    number >= 1), as scikit-learn's train_test_split takes them (float or int)."""

    name = "fraction or rows"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        try:
            count = int(text)
        except ValueError:
            count = None
        if count is not None and count >= 1:
            return count
        try:
            return FiniteFloatRange(0, 1, min_open=True, max_open=True).convert(text, param, ctx)
        except click.BadParameter:
            self.fail(f"{value} is neither a fraction of the rows (a finite number, 0<x<1) nor a count of rows "
                      "(a whole number >= 1).", param, ctx)


class ListedChoice(click.Choice):
    """A click.Choice over a list owned by another module (one list per concept), imported when
    a command's options are parsed or shown rather than when the CLI starts: `symlogit verify`
    needs neither numba nor pandas to know the solver and dataset names."""

    def __init__(self, module: str, attribute: str, case_sensitive: bool = True):
        self._source = (module, attribute)
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self):
        import importlib

        module, attribute = self._source
        return tuple(getattr(importlib.import_module(module, __package__), attribute))

    @choices.setter
    def choices(self, _value):
        pass  # click.Choice.__init__ assigns; the list stays where it is owned


class FamilyOption(ListedChoice):
    """A family of the table by name, or a user's family as FILE.py:NAME (a ``symlogit.Family``
    in that file), loaded, derived and checked when the option is parsed."""

    def get_metavar(self, param, *args, **kwargs):
        metavar = super().get_metavar(param, *args, **kwargs)
        return f"{metavar[:-1]}|FILE.py:NAME]" if metavar and metavar.endswith("]") else metavar

    def get_invalid_choice_message(self, value, ctx):
        return super().get_invalid_choice_message(value, ctx).rstrip(".") + ", or FILE.py:NAME."

    def convert(self, value, param, ctx):
        if not isinstance(value, str) or ":" not in value:
            return super().convert(value, param, ctx)
        from .userfamily import load_family_file

        try:
            return load_family_file(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def _user_family(spec, option="--family"):
    """The ``symlogit.Family`` of FILE.py:NAME, or one line and exit 2."""
    from .userfamily import load_family_file

    try:
        return load_family_file(spec)
    except ValueError as error:
        fail(f"{option} {spec}: {error}")


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symlogit")
def cli():
    """symlogit: regression models (logit, softmax, probit, cloglog, poisson) whose formulas SymPy
    derives and verifies.

    \b
    Examples:
      symlogit fit --dataset breast_cancer
      symlogit fit data.csv --target label --out model.json --report report/
      symlogit predict model.json data.csv --proba
      symlogit verify --write-doc docs/claims.md
      symlogit fit counts.csv --family poisson --offset log_exposure
      symlogit derive softmax --format markdown
      symlogit generate --check
    """


@cli.command()
@click.option("--only", "only", metavar="ID,...", help="Check only these claim or control IDs (comma-separated).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object instead of the table.")
@click.option("--write-doc", "doc_path", type=click.Path(path_type=str), default=None, metavar="PATH",
              help="Also write the claims document (every claim and control with this run's status) to PATH, "
                   "e.g. docs/claims.md. Not with --only.")
@click.option("--family", "family_spec", default=None, metavar="FILE.py:NAME",
              help="Check a user's family instead: the symlogit.Family called NAME in FILE.py (its claims U1-U3, "
                   "K1-K3, S1, as run when it is created).")
@click.pass_context
def verify(ctx, only, as_json, doc_path, family_spec):
    """Check every claim of the registry and reject every wrong formula (negative control).

    The claims, their sources and how each is checked are listed in docs/claims.md. Each claim
    is proven symbolically where SymPy can, and always cross-checked in float64 against an
    mpmath reference at random points with |u| up to 700. Exit code 0 only when every claim
    holds and every negative control (the W IDs) is rejected.

    \b
    Examples:
      symlogit verify
      symlogit verify --only B3,M13,W4 --json
      symlogit verify --write-doc docs/claims.md
      symlogit verify --family my_families.py:loglog
    """
    from .symbolic.claims import BY_ID, CLAIMS, CONTROLS
    from .symbolic.verifier import passed, run

    if family_spec is not None:
        if only is not None or doc_path is not None:
            fail("--family checks a user's family; drop --only and --write-doc")
        claim_results = list(_user_family(family_spec).claims)
        ok = passed(claim_results, [])
        if as_json:
            click.echo(json.dumps({"claims": [r.as_dict() for r in claim_results], "controls": []}))
        else:
            _print_table(claim_results, [], ok)
        ctx.exit(0 if ok else 1)
    if doc_path is not None:
        if only is not None:
            fail("--write-doc documents every claim; drop --only")
        _check_output_file(doc_path, "--write-doc")
    claims, controls = CLAIMS, CONTROLS
    if only is not None:
        wanted = [s.strip() for s in only.split(",") if s.strip()]
        unknown = [w for w in wanted if w not in BY_ID]
        if unknown or not wanted:
            fail(f"unknown ID(s) {', '.join(unknown) or repr(only)} for --only; valid IDs: {', '.join(BY_ID)}")
        claims = [c for c in CLAIMS if c.id in wanted]
        controls = [c for c in CONTROLS if c.id in wanted]
    claim_results, control_results = run(claims, controls)
    ok = passed(claim_results, control_results)
    if doc_path is not None:  # the statuses of this run, failures included
        from .symbolic import claims_doc

        claims_doc.write(doc_path, (claim_results, control_results))
        click.echo(f"claims document written to {doc_path}", err=True)
    if as_json:
        click.echo(json.dumps({"claims": [r.as_dict() for r in claim_results],
                               "controls": [r.as_dict() for r in control_results]}))
    else:
        _print_table(claim_results, control_results, ok)
    ctx.exit(0 if ok else 1)


def _print_table(claim_results, control_results, ok, columns=100):
    """One row per claim or control: ID, status, seconds, then its statement and how it was
    checked symbolically and numerically, each wrapped (continuation lines under its text) so that
    no line is longer than ``columns``."""
    import textwrap

    width = max([len(r.status) for r in claim_results + control_results] + [8])
    indent = " " * len(f"  {'':<4} {'':<{width}} {'':>8}  ")

    def echo(first, text, hang=0):
        lines = textwrap.wrap(text, max(columns - len(indent) - hang, 20), break_on_hyphens=False) or [""]
        click.echo(first + lines[0])
        for line in lines[1:]:
            click.echo(indent + " " * hang + line)

    for title, rows in (("Claims", claim_results), ("Negative controls (must be rejected)", control_results)):
        if not rows:
            continue
        click.echo(title)
        for r in rows:
            echo(f"  {r.id:<4} {r.status:<{width}} {r.seconds:7.2f}s  ", r.statement)
            echo(f"{indent}symbolic: ", r.symbolic, hang=10)
            echo(f"{indent}numeric:  ", r.numeric, hang=10)
    total = sum(r.seconds for r in claim_results + control_results)
    counts = {}
    for r in claim_results + control_results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    click.echo(f"{'OK' if ok else 'FAILED'}: {summary} in {total:.1f}s")


@cli.command()
@click.argument("model", metavar="FAMILY", type=ListedChoice(".symbolic.families", "NAMES"))
@click.option("--format", "fmt", type=ListedChoice(".symbolic.printing", "FORMATS"), default="text", show_default=True,
              help="Output format; markdown renders on GitHub (a numbered list, formulas in ```math blocks).")
def derive(model, fmt):
    """Show the derivation of FAMILY step by step, from its raw negative log-likelihood to the
    per-sample formulas the kernels use.

    \b
    Examples:
      symlogit derive logit
      symlogit derive probit
      symlogit derive softmax --format markdown > softmax.md
    """
    from .symbolic.families import derive_family
    from .symbolic.printing import render

    derivation = derive_family(model)
    click.echo(render(derivation, fmt, standalone=True), nl=False)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=str), default=None,
              help="Directory for the kernel modules (default: generated/ at the repository root).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 naming each file that is stale or was edited.")
@click.option("--family", "family_spec", default=None, metavar="FILE.py:NAME",
              help="Generate a user's family instead (the symlogit.Family called NAME in FILE.py) into --out as "
                   "NAME.py.")
@click.pass_context
def generate(ctx, out_dir, check, family_spec):
    """Print the verified per-sample formulas into numba kernel modules (generated/).

    \b
    Examples:
      symlogit generate
      symlogit generate --check
      symlogit generate --out /tmp/kernels
      symlogit generate --family my_families.py:loglog --out kernels/
    """
    from .codegen.writer import GenerateError, default_out_dir, stale_files, write

    if family_spec is not None:
        return _generate_user_family(ctx, family_spec, out_dir, check)

    target = Path(out_dir) if out_dir else default_out_dir()
    if target is None:
        fail("no repository checkout found for the default generated/ directory; pass --out DIR")
    if check:
        stale = stale_files(target)
        for name in stale:
            click.echo(f"stale: {name} (differs from what the sources produce; run `symlogit generate`)", err=True)
        if stale:
            ctx.exit(1)
        click.echo(f"generated/ is up to date ({target})")
        return
    try:
        written = write(target)
    except GenerateError as exc:
        fail(str(exc))
    for path in written:
        click.echo(f"wrote {path}")


def _generate_user_family(ctx, spec, out_dir, check):
    """symlogit generate --family FILE.py:NAME --out DIR: DIR/NAME.py (or, with --check, whether
    it is up to date)."""
    from .codegen.writer import GenerateError
    from .userfamily import write_module

    if out_dir is None:
        fail("--family needs --out DIR (a user's kernels are not written into generated/)")
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        fail(f"--out {out_dir} is a file, expected a directory")
    family = _user_family(spec)
    path = Path(out_dir) / f"{family.name}.py"
    if check:
        if not path.is_file() or path.read_bytes() != family.source().encode("utf-8"):
            click.echo(f"stale: {path} (differs from what the family produces)", err=True)
            ctx.exit(1)
        click.echo(f"{path} is up to date")
        return
    try:
        click.echo(f"wrote {write_module(family, out_dir)}")
    except GenerateError as exc:
        fail(f"--out: {exc}")


# ---- fit and predict -------------------------------------------------------------------------

def _check_output_file(path, what, directory=False):
    """Fail before any work when an output file (or, with ``directory``, a directory of output
    files) could not be written."""
    path = Path(path)
    if directory:
        if path.exists() and not path.is_dir():
            fail(f"{what} {path} exists and is not a directory")
    elif path.is_dir():
        fail(f"{what} {path} is a directory; expected a file path")
    elif path.exists() and not path.is_file():
        fail(f"{what} {path} exists and is not a regular file; expected a file path")
    if not path.parent.is_dir():
        fail(f"{what} {path}: directory {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        fail(f"{what} {path}: directory {path.parent} is not writable")


#: The estimators' words for their parameters, and the options that set them here.
_OPTION_NAMES = (("solver='newton'", "--solver newton"), ("Increase max_iter", "Increase --max-iter"),
                 ("max_iter=", "--max-iter "), ("tol = ", "--tol "), ("penalty='l2' (a finite C)", "--penalty l2"),
                 ("alpha > 0", "--alpha > 0"), ("sample_weight", "the weights"), ("solver 'sgd'", "--solver sgd"),
                 ("unseen='reference'", "--unseen reference"), ("unseen='zero'", "--unseen zero"),
                 ("formula '", "--formula '"), ("(l1_ratio=0) with solver 'lbfgs' or 'newton-cg', or fit in memory",
                                                "(--l1-ratio 0) with --solver lbfgs or newton-cg, or --engine memory"))


def _speak_cli(text):
    """An estimator's message in the command line's words (--solver newton, not solver='newton')."""
    for api, option in _OPTION_NAMES:
        text = text.replace(api, option)
    return text


def _written(out, write):
    """``model_io.replace_atomically``, a one-line failure where the file system refuses."""
    from .model_io import replace_atomically

    try:
        replace_atomically(out, write)
    except OSError as error:
        fail(f"--out {out}: cannot be written ({error.strerror or error})")


def _collect_warnings(caught):
    """Print each warning as one line on stderr (no source lines, no traceback)."""
    seen = set()
    for item in caught:
        text = _speak_cli(f"warning: {item.message}")
        if text not in seen:
            seen.add(text)
            click.echo(text, err=True)


@cli.command()
@click.argument("data", required=False, type=click.Path(path_type=str))
@click.option("--dataset", type=ListedChoice(".data", "DATASETS"), default=None,
              help="A dataset bundled with scikit-learn, used when DATA is not given [default: breast_cancer].")
@click.option("--target", default=None, help="Target column of DATA [default: the last column].")
@click.option("--family", type=FamilyOption(".family", "ESTIMATOR_NAMES"), default="logit", show_default=True,
              help="The model: logit (multinomial for K > 2 classes), probit, cloglog (binary), poisson (counts), "
                   "or FILE.py:NAME, a symlogit.Family defined in FILE.py.")
@click.option("--features", "feature_patterns", default=None, metavar="COL,...",
              help="Feature columns: names or globs such as 'x_*' [default: every column without another role].")
@click.option("--drop", "drop_patterns", default=None, metavar="COL,...",
              help="Columns (names or globs) left out of the features.")
@click.option("--formula", default=None, metavar="'Y ~ TERMS'",
              help="The target and features as a formula (formulaic, as statsmodels' and R's: 'y ~ x1 + C(region) + "
              "x2:x3'); instead of --target, --features and --drop.")
@click.option("--id", "id_columns", default=None, metavar="COL,...",
              help="Identifier columns: kept out of the features; `symlogit predict` passes them through.")
@click.option("--weight", "weight_column", default=None, metavar="COL",
              help="Sample weights (numbers >= 0) from this column, kept out of the features.")
@click.option("--offset", "offset_column", default=None, metavar="COL",
              help="A column added to every score and kept out of the features (log exposure for poisson).")
@click.option("--test-size", type=HeldOut(), default=None,
              metavar="FRACTION|ROWS", help="Hold out this fraction of the rows, or this many rows (a whole number), "
              "(stratified by class, shuffled with "
              "--seed) and report the figures on them; the model is fitted on the rest.")
@click.option("--cv", type=click.IntRange(min=2), default=None, metavar="K",
              help="K-fold cross-validation (stratified, shuffled with --seed): mean ± sd of the held-out figures; "
              "the model is then fitted on all rows.")
@click.option("--solver", type=ListedChoice(".solvers", "NAMES"), default="auto", show_default=True)
@click.option("--C", "C", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Inverse penalty strength (scikit-learn's C); inf is the unpenalised fit, as --penalty none.")
@click.option("--Cs", "Cs", default=None, metavar="N|C,...",
              help="A grid of C for --cv to choose from: a list, or N values on a log scale: from 1e-4 to 1e4 "
              "(scikit-learn's LogisticRegressionCV) for an L2 penalty; with an L1 term (--l1-ratio > 0) from C_max, "
              "the smallest C that zeros every coefficient on all rows, up to 1e4 C_max (glmnet's path). Each fold "
              "fits the grid as one warm-started path; the C of the best mean held-out log-loss is fitted on all "
              "rows, and --report adds the path and the CV curve.")
@click.option("--alpha", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Penalty strength of a regression family (scikit-learn's PoissonRegressor alpha; with --l1-ratio "
              "> 0, of the L1 and L2 parts together); 0 is the unpenalised fit, as --penalty none. Classifiers use "
              "--C.")
@click.option("--penalty", type=click.Choice(["l2", "none"]), default="l2", show_default=True,
              help="l2, or none (unpenalised, as --C inf or --alpha 0; another --C or --alpha beside it is refused, "
              "having nothing to set); with --l1-ratio > 0 leave it out (--l1-ratio sets the mix).")
@click.option("--l1-ratio", "l1_ratio", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="The L1 share of the penalty (scikit-learn >= 1.8's l1_ratio): 0 is L2, 1 is L1 (exact zeros: "
              "feature selection), between is the elastic net; needs --solver auto or proximal-newton. With --C inf "
              "(--alpha 0) the fit is unpenalised whatever --l1-ratio, as in scikit-learn.")
@click.option("--max-iter", type=click.IntRange(min=1), default=100, show_default=True,
              help="Iterations (epochs for sgd).")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TOL, show_default=True,
              help="Stop when max|gradient| of the mean objective is below this.")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), default=0, show_default=True,
              help="Random seed (sgd's shuffling, --test-size and --cv splits): a whole number from 0 to 2**32 - 1.")
@click.option("--cov-type", "cov_type", type=ListedChoice(".sandwich", "COV_TYPES", case_sensitive=False),
              default="nonrobust",
              show_default=True, help="The coefficient table's covariance: the inverse information, or a robust "
              "sandwich (HC0-HC3; cluster with --groups). Not with --l1-ratio > 0 (unless --C inf or --alpha 0, "
              "the unpenalised fit): a penalised L1/elastic-net fit has no standard errors.")
@click.option("--groups", "group_columns", default=None, metavar="COL[,COL]",
              help="Cluster-robust standard errors over the clusters of this column (two columns: two-way); "
              "implies --cov-type cluster. The columns are not features unless --features names them. Not with "
              "--l1-ratio > 0 (unless --C inf or --alpha 0).")
@click.option("--out", "out", type=click.Path(path_type=str), default=None, help="Write the model here (JSON).")
@click.option("--report", "report_dir", type=click.Path(path_type=str), default=None,
              help="Write report.md and its plots into this directory (with --Cs: the path of the coefficients "
              "against C and the CV curve).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the result.")
@click.option("--engine", type=click.Choice(["memory", "dask"]), default="memory", show_default=True,
              help="dask: DATA is a directory or glob of Parquet files, fitted on a Dask cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the scheduler to use (e.g. tcp://host:8786) [default: a new LocalCluster].")
def fit(data, dataset, target, family, feature_patterns, drop_patterns, formula, id_columns, weight_column,
        offset_column, test_size, cv, solver, C, Cs, alpha, penalty, l1_ratio, max_iter, tol, seed, cov_type,
        group_columns, out, report_dir, quiet, engine, scheduler):
    """Fit a family's model to DATA (CSV or Parquet) or a bundled dataset.

    The target is the last column unless --target names another; every other column is a
    feature, unless --features chooses them, --drop leaves some out, or it is an --id, --weight or
    --offset column; or --formula names the target and the features. Text, boolean and
    categorical columns are one-hot encoded into sparse X (a reference level dropped where the
    penalty has no L2 part, --penalty none or --l1-ratio 1, whose optimum is otherwise not unique;
    every level with l2 or the elastic net), named column[level]; on the dask engine too (the levels read
    in one pass before the fit). Prints a live table of iterations
    (a progress bar for sgd), then the classes, iterations, time, training log-loss, accuracy, ROC AUC and Brier score
    (mean deviance and D² for poisson), the same on held-out rows with --test-size or --cv, and
    for an unpenalised fit (--penalty none) the coefficient table with standard errors (robust
    with --cov-type, clustered on the --groups columns); with --l1-ratio > 0 the intercept and the
    nonzero coefficients, without standard errors (--cov-type and --groups are refused).

    \b
    Examples:
      symlogit fit --dataset breast_cancer
      symlogit fit data.csv --target label --penalty none --out model.json --report report/
      symlogit fit data.csv --target label --id customer --drop 'note_*' --test-size 0.2
      symlogit fit data.csv --target label --weight w --cv 5
      symlogit fit data.csv --target label --cv 5 --Cs 20
      symlogit fit data.csv --target label --l1-ratio 1 --Cs 30 --cv 5 --report report/
      symlogit fit data.csv --target label --l1-ratio 1 --C 0.1
      symlogit fit data.parquet --solver sgd --max-iter 20 --quiet
      symlogit fit claims.csv --family poisson --target count --offset log_exposure --penalty none
      symlogit fit data.csv --target label --penalty none --cov-type HC3
      symlogit fit data.csv --target label --penalty none --groups firm,year
      symlogit fit data.csv --formula 'label ~ x1 + C(region) + x2:x3' --penalty none
      symlogit fit 'parts/*.parquet' --engine dask --scheduler tcp://10.0.0.5:8786 --out model.json
    """
    import warnings

    import pandas as pd

    from .data import (DEFAULT_DATASET, DataError, load_dataset, read_frame, read_groups, read_table, select_columns,
                       split_names)
    from .design import FormulaDesign
    from .family import get_family

    classifier = get_family(family).is_classifier
    given = click.get_current_context().get_parameter_source
    for option, name, for_classifiers in (("--alpha", "alpha", False), ("--C", "C", True)):
        if given(name) == click.core.ParameterSource.COMMANDLINE and classifier != for_classifiers:
            fail(f"{option} does not apply to family {get_family(family).name!r}: the strength of its penalty (L2, "
                 f"L1 or their mix by --l1-ratio) is {'--C (its inverse)' if classifier else '--alpha'}")
    _check_strength_unused(penalty, classifier, C, alpha, given)

    if data is not None and dataset is not None:
        fail("give either DATA or --dataset, not both")
    if formula is not None:
        given_too = [option for option, value in (("--target", target), ("--features", feature_patterns),
                                                  ("--drop", drop_patterns)) if value is not None]
        if given_too:
            fail(f"--formula names the target and the features; it does not combine with {', '.join(given_too)}")
    if test_size is not None and cv is not None:
        fail("give --test-size or --cv, not both")
    Cs = _check_Cs(Cs, cv, classifier, penalty, given("C") == click.core.ParameterSource.COMMANDLINE)
    # --alpha 0 or --C inf is the unpenalised fit (whatever --l1-ratio, as in scikit-learn)
    no_strength = (alpha == 0) if not classifier else (C == float("inf") and Cs is None)
    _check_l1_ratio(l1_ratio, penalty, solver, given("penalty") == click.core.ParameterSource.COMMANDLINE,
                    no_strength)
    if out is not None:
        _check_output_file(out, "--out")
    if report_dir is not None:
        if Path(report_dir).exists() and not Path(report_dir).is_dir():
            fail(f"--report {report_dir} is a file; expected a directory")
    if scheduler is not None and engine != "dask":
        fail("--scheduler needs --engine dask")
    groups = split_names(group_columns)
    if group_columns is not None and not groups:
        fail(f"--groups needs one column name (or two, COL1,COL2, for two-way clustering); got an empty column list "
             f"{group_columns!r}")
    if no_strength:  # shown, and its table made, as for --penalty none
        penalty, l1_ratio = "none", 0.0
    cov_type = _check_cov_type(cov_type, groups, given("cov_type") == click.core.ParameterSource.COMMANDLINE, l1_ratio)
    if engine == "dask":
        if data is None:
            fail("--engine dask needs DATA: a directory or glob of Parquet files")
        for option, value in (("--offset", offset_column), ("--test-size", test_size), ("--cv", cv), ("--Cs", Cs),
                              ("--formula", formula)):
            if value is not None:
                fail(f"{option} needs the in-memory engine")
        ids = split_names(id_columns)
        return _fit_on_dask(data, scheduler, dict(
            family=family, solver=solver, C=C, alpha=alpha, penalty=penalty, l1_ratio=l1_ratio, max_iter=max_iter,
            tol=tol, seed=seed, out=out, quiet=quiet, weight=weight_column, id=ids), report_dir=report_dir,
            cov_type=cov_type,
            columns=dict(target=target, features=split_names(feature_patterns),
                         drop=(split_names(drop_patterns) or []) + (groups if feature_patterns is None else []),
                         ids=ids, weight=weight_column), groups=groups)
    try:
        if data is not None:
            frame, source = read_frame(data), data
        else:
            dataset = dataset or DEFAULT_DATASET
            frame, source = load_dataset(dataset), f"dataset {dataset}"
        drop = split_names(drop_patterns) or []
        if groups and feature_patterns is None:
            drop += [name for name in groups if name in frame.columns]  # groups are not features by default
        if formula is not None:
            target = FormulaDesign.parse(formula)[0]
        columns = select_columns(frame.columns, source, target, split_names(feature_patterns), drop,
                                 split_names(id_columns), weight_column, offset_column)
        design = _design(frame, source, columns, formula, penalty, l1_ratio)
        _check_table_shown(cov_type, groups, penalty, report_dir, design)
        cluster_labels = read_groups(frame, source, groups) if groups else None
        table = read_table(frame, source, columns, classes=classifier, design=design)
    except DataError as error:
        fail(_speak_cli(str(error)))

    options = dict(family=family, solver=solver, C=C, alpha=alpha, penalty=penalty, l1_ratio=l1_ratio,
                   max_iter=max_iter, tol=tol,
                   seed=seed, offset=offset_column, weight=weight_column, id=columns.ids, test_size=test_size, cv=cv,
                   Cs=Cs, fit_intercept=getattr(design, "intercept", True))
    if formula is not None:
        options["formula"] = formula
    if design is None:
        every = _Rows(pd.DataFrame(table.X, columns=table.feature_names, copy=False),  # messages name the columns
                      table.y, table.weights, table.offset, cluster_labels)
    else:  # sparse X: rows taken from CSR, named for the fit only (_fit_model)
        every = _Rows(table.X, table.y, table.weights, table.offset, cluster_labels, table.feature_names)
    n_classes = _classes(table.y, classifier)
    chosen = get_family(family)
    _say_if_compiling(chosen.for_classes(n_classes or 2) if chosen.multiclass else chosen, "fit")
    with warnings.catch_warnings():  # a fit on named sparse X, its figures on the same CSR rows
        warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
        model, seconds, rows, figures, held_out, curves, selection = _fit_and_evaluate(every, source, options, quiet,
                                                                                       n_classes is not None)
    summary = _summary(model, source, every.X.shape, table.target, options, seconds, figures, held_out,
                       fitted=len(rows.y))
    inference, note = _inference(model, penalty, report_dir, cov_type, rows.groups, design)
    if out is not None:
        _save_model(out, model, table.feature_names, table.target, dict(options, data=source), seconds, figures,
                    held_out, design)
    if report_dir is not None:
        if selection is not None:
            selection = selection._replace(path=_full_path(every, source, options))
        _write_report(report_dir, model, summary, inference, note, data, source, options, curves, selection)


def _full_path(rows, source, options):
    """The warm-started path (``path.regularization_path``) over --Cs's grid on all rows, for the
    report's path plot."""
    import warnings

    from .path import regularization_path

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            path = regularization_path(_estimator(options), rows.X, rows.y, options["Cs"], rows.weights, rows.offset)
        except ValueError as error:
            fail(_speak_cli(f"{source}: {error}"))
    _collect_warnings(caught)
    return path


def _drop_reference(penalty, l1_ratio):
    """Whether the one-hot encoding gives each categorical column's reference (first) level no
    column, on both engines: where the penalty has no L2 part (--penalty none, or --l1-ratio 1).
    A column's level dummies sum to the intercept's column, so without a strictly convex (L2)
    term the objective is flat along that direction and its optimum is not unique (pure L1's
    coefficients then depend on the solver's route); with an L2 part the optimum is unique and
    every level has a column, none singled out as the reference."""
    return penalty == "none" or l1_ratio == 1


def _design(frame, source, columns, formula, penalty, l1_ratio):
    """How X is made from the frame (``symlogit.design``): a formula's design, the one-hot
    encoding of the categorical feature columns (a reference level dropped where the penalty has
    no L2 part: ``_drop_reference``), or None where every feature column is numeric."""
    from .design import ColumnDesign, FormulaDesign, categorical_columns

    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    if formula is not None:
        return FormulaDesign.fit(frame, formula, source)
    if not categorical_columns(frame, columns.features, source):
        return None
    design = ColumnDesign.fit(frame, columns.features, source, drop_reference=_drop_reference(penalty, l1_ratio))
    _warn_of_row_levels(design, len(frame))
    return design


def _warn_of_row_levels(design, n_rows):
    """A warning on stderr for each categorical column with another level in every one of the rows."""
    for name, levels in design.levels.items():
        if len(levels) == n_rows > 2:
            click.echo(f"warning: categorical column {name!r} has another level in every row ({len(levels)} levels); "
                       "if it identifies the rows, give it with --id or --drop", err=True)


def _fit_and_evaluate(every, source, options, quiet, stratify):
    """Fit on every row, or on the training part of a --test-size split (after --cv's folds):
    (model, seconds, the rows fitted, their figures, (label, held-out figures) or None,
    (ROC and reliability curves, what rows they are of) for the report, or None, and the
    ``Selection`` of C by --cv from --Cs, or None)."""
    from . import evaluation

    test_size, cv = options["test_size"], options["cv"]
    rows, held_out, out_of_fold, selection = every, None, None, None
    if cv is not None:
        *held_out, out_of_fold, C, selection = _cross_validate(every, cv, source, options, stratify)
        options["C" if _classifier_options(options) else "alpha"] = C
    if test_size is not None:
        train, test = _split(every, test_size, options["seed"], stratify)
        rows, shown = every.take(train), every.take(test)
    model, seconds = _fit_model(rows, source, options, quiet)
    figures = evaluation.figures(model, *rows.arrays())
    if test_size is not None:
        held_out = (f"held-out ({len(test)} rows, --test-size {test_size:g})", evaluation.figures(model, *shown.arrays()))
        what = f"{len(test)} held-out rows"
    elif cv is not None:
        what = f"out-of-fold predictions of {cv}-fold cross-validation"
    else:
        shown, what = rows, "training rows"
    curves = None
    if stratify:
        proba = out_of_fold if cv is not None else model.predict_proba(shown.X, shown.offset)
        shown = every if cv is not None else shown
        curves = (evaluation.curves_from_rows(shown.y, proba, model.classes_, shown.weights), what)
    return model, seconds, rows, figures, held_out, curves, selection


def _check_cov_type(cov_type, groups, given, l1_ratio=0.0):
    """The covariance of the coefficient table: "cluster" where --groups names one or two columns;
    a one-line failure for --cov-type or --groups with an L1 term (--l1-ratio > 0: no standard
    errors at all, ``estimator.L1_INFERENCE``), --groups with another --cov-type, cluster without
    --groups, or more than two columns. (A robust covariance where no table is made is refused once
    the design is known: ``_check_table_shown``.)"""
    if l1_ratio and (given or groups):
        option = "--groups" if groups else "--cov-type"
        fail(f"{option} sets the standard errors of the coefficient table; standard errors of a penalised "
             f"(L1/elastic-net) fit, --l1-ratio {l1_ratio:g}, are not given (the penalty selected the features, and "
             f"tests after selection are not valid): drop {option}, or fit the selected features with --penalty none "
             "on data not used to select them")
    if groups:
        if given and cov_type != "cluster":
            fail(f"--groups clusters the standard errors (--cov-type cluster); it does not combine with --cov-type "
                 f"{cov_type}")
        if len(groups) > 2:
            fail(f"--groups takes one column (one-way) or two (two-way clustering), got {len(groups)}: "
                 f"{', '.join(groups)}")
        cov_type = "cluster"
    elif cov_type == "cluster":
        fail("--cov-type cluster needs --groups COL (or COL1,COL2 for two-way clustering)")
    return cov_type


def _every_level(design):
    """Whether ``design`` one-hot encodes categorical columns with a column for every level (an
    L2 fit: ``_drop_reference``): the levels of a column then sum to the intercept's column."""
    from .design import ColumnDesign

    return isinstance(design, ColumnDesign) and bool(design.levels) and not design.drop_reference


def _check_table_shown(cov_type, groups, penalty, report_dir, design):
    """A one-line failure, once the design is known and before the fit, for a robust covariance
    (--cov-type, --groups) where no table is made: an L2-penalised fit without --report. The hint
    names --report only where its table would have standard errors: not where every level of a
    categorical column is encoded (``_every_level``), whose levels and intercept the likelihood
    does not separate."""
    if cov_type == "nonrobust" or penalty == "none" or report_dir is not None:
        return
    hint = ("), which drops each categorical column's reference level so that every coefficient has a standard "
            "error" if _every_level(design) else "; or --report DIR for the table of an L2-penalised fit)")
    fail(f"--{'groups' if groups else 'cov-type'} sets the coefficient table's standard errors, shown for an "
         f"unpenalised fit: add --penalty none (or --alpha 0 for a regression family{hint}")


def _inference(model, penalty, report_dir, cov_type="nonrobust", groups=None, design=None):
    """(inference or None, a note for the report): the coefficient table, printed for --penalty
    none, with the ``cov_type`` covariance (clustered on ``groups``: labels (N,) or (N, 2) of
    the fitted rows); none where the fit found no finite optimum (its warning said so). Where
    ``design`` encodes every level of its categorical columns, the note says why their standard
    errors are NaN (``_levels_note``)."""
    import warnings

    if model.separation_ is not None:
        return None, _speak_cli(model.separation_)
    if model._l1(1.0) > 0:  # an L1 term: the coefficients listed, without inference
        from .estimator import L1_INFERENCE
        from .report import nonzero_coefficient_lines

        for line in nonzero_coefficient_lines(*_sparse(model), _feature_names(model, {}),
                                              getattr(model, "classes_", None)):
            click.echo(line)
        return None, _speak_cli(L1_INFERENCE)
    if penalty != "none" and report_dir is None:
        return None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            inference = model.inference(cov_type=cov_type, groups=groups)
        except ValueError as error:  # the clusters of the fitted rows (a --test-size split can leave one)
            fail(_speak_cli(f"--groups: {error}"))
    if penalty == "none":
        _collect_warnings(caught)
        click.echo(inference.summary())
    from .inference import SingularInformationWarning

    notes = [_levels_note(design, inference) if issubclass(w.category, SingularInformationWarning) and
             _every_level(design) else str(w.message) for w in caught]
    return inference, " ".join(note for note in notes if note) or None


def _levels_note(design, inference):
    """The report's note where every level of the categorical columns of ``design`` has a
    coefficient (``_every_level``) and the information is singular: the levels of a column sum to
    the intercept's column, so the likelihood, whose curvature gives the standard errors, does not
    identify the intercept and the levels apart; --penalty none drops a reference level of each
    column. Other terms not identified (collinear features) are named with the generic advice."""
    import numpy as np

    from .inference import INTERCEPT_NAME

    shape = inference.arrays()[0].shape  # (p,), or (p, K - 1) for softmax; cov is over the transpose's order
    unidentified = np.isnan(np.diag(inference.cov)).reshape(shape[::-1]).T.reshape(shape[0], -1).any(axis=1)
    terms = [str(name) for name, nan in zip(inference.names, unidentified) if nan]
    levels = {name: {f"{name}[{level}]" for level in values} for name, values in design.levels.items()}
    shared = [term for term in terms if term == INTERCEPT_NAME or any(term in names for names in levels.values())]
    others = [term for term in terms if term not in shared]
    columns = [name for name, names in levels.items() if names & set(shared)]
    text = (f"The standard errors of {', '.join(shared)} are NaN: under the L2 penalty every level of a categorical "
            f"column ({', '.join(columns)}) has its own coefficient, so the "
            "levels and the intercept are not separately identified by the likelihood, whose curvature gives the "
            "standard errors. Fit with --penalty none for a full table: it drops each column's reference (first) "
            "level.")
    if others:
        text += (f" The coefficient(s) of {', '.join(others)} are not identified either (collinear, duplicated or "
                 "constant features): drop or combine those features.")
    return text


def _sparse(model):
    """(coef, intercept or None) of a fitted model, for ``report.nonzero_coefficient_lines``."""
    return model.coef_, (model.intercept_ if getattr(model, "fit_intercept", True) else None)


def _write_report(report_dir, model, summary, inference, note, data, source, options, curves=None, selection=None):
    from .report import write_report
    from .symbolic.printing import render

    derivation = render(model._fitted_family().derivation(), "markdown")
    path = write_report(report_dir, summary_lines=summary, history=model.history_, inference=inference,
                        inference_note=note, classes=getattr(model, "classes_", None), derivation=derivation,
                        provenance=_provenance(data, source, model, options), title=f"{source}: {model.family_} "
                        f"fitted by {model.solver_}", tol=options["tol"], evaluation=curves, selection=selection,
                        feature_names=_feature_names(model, options),
                        sparse=_sparse(model) if model._l1(1.0) > 0 else None)
    click.echo(f"report written to {path}")


class _Rows(NamedTuple):
    """The rows of a fit: X (a DataFrame, so that messages name the columns; or CSR with the
    column ``names``: taking rows of a DataFrame of many sparse columns is slow), y, and the
    sample weights, offsets and cluster labels (--groups) when there are some."""
    X: object
    y: object
    weights: object = None
    offset: object = None
    groups: object = None
    names: object = None

    def arrays(self):
        """(X, y, weights, offset): what a fit and its figures take."""
        return self.X, self.y, self.weights, self.offset

    def take(self, index):
        X = self.X[index] if self.names is not None else self.X.iloc[index]
        return _Rows(X, self.y[index], *(None if v is None else v[index]
                                         for v in (self.weights, self.offset, self.groups)), self.names)

    def named_X(self):
        """X for a fit: a sparse X as a DataFrame of sparse columns, so that the model and its
        messages name them."""
        if self.names is None:
            return self.X
        import pandas as pd

        return pd.DataFrame.sparse.from_spmatrix(self.X, columns=list(self.names))


def _classes(y, classifier):
    """The number of classes of a classifier's hard labels; None for soft targets or counts."""
    if not classifier:
        return None
    from .targets import encode_targets

    try:
        targets = encode_targets(y)
    except ValueError:
        return None
    return None if targets.labels is None else targets.n_classes


def _smallest_class(y):
    """(label, rows) of the class with the fewest rows, and the number of classes."""
    import numpy as np

    classes, counts = np.unique(y, return_counts=True)
    return np.asarray(classes[counts.argmin()]).tolist(), int(counts.min()), len(classes)


def _split(rows, test_size, seed, stratify):
    """(train, test) row indices of a held-out split; one line and exit 2 where impossible."""
    import math

    from . import evaluation

    n = len(rows.y)
    if stratify:
        label, count, n_classes = _smallest_class(rows.y)
        if count < 2:
            fail(f"--test-size {test_size:g}: class {label!r} has one row; a split by class needs at least 2 of every "
                 "class")
    held = test_size if isinstance(test_size, int) else math.ceil(test_size * n)  # a count, or a fraction
    if held >= n:
        fail(f"--test-size {test_size} asks for {held} of the {n} rows; give fewer rows or a fraction 0<x<1")
    smallest = 2 if not stratify else n_classes
    if held < smallest or n - held < smallest:
        part, count = ("holds out", held) if held < smallest else ("leaves", n - held)
        fail(f"--test-size {test_size:g} {part} {count} of the {n} rows; each part needs at least {smallest}"
             + (" (a row of every class)" if stratify else ""))
    try:
        return evaluation.held_out_split(rows.y, test_size, seed, stratify)
    except ValueError as error:
        fail(f"--test-size {test_size:g}: {error}")


def _check_strength_unused(penalty, classifier, C, alpha, given):
    """A one-line failure for --penalty none with a penalty strength given on the command line that
    it would ignore (--C other than inf, --alpha other than 0; the estimators warn of the same), as
    the other options that would do nothing (--Cs, --l1-ratio with --penalty none) are refused."""
    name, value, none = ("C", C, float("inf")) if classifier else ("alpha", alpha, 0.0)
    option = f"--{name}"
    if penalty == "none" and given(name) == click.core.ParameterSource.COMMANDLINE and value != none:
        fail(f"--penalty none fits without a penalty, so {option} {value:g} would be ignored: drop {option}, or "
             f"drop --penalty none for a fit penalised with {option} {value:g}")


def _check_l1_ratio(l1_ratio, penalty, solver, penalty_given=False, no_strength=False):
    """A one-line failure, before the data are read, for --l1-ratio > 0 with --penalty none, with
    --penalty l2 given on the command line (its default, l2, is the one --l1-ratio mixes), or with
    a solver that cannot minimise an L1 term, unless the strength says there is no penalty
    (``no_strength``: --C inf or --alpha 0, the unpenalised fit whatever --l1-ratio, as in
    scikit-learn). (On the dask engine an L1 fit's Hessian is held on the client:
    ``distributed.CLIENT_MAX_PARAMS`` parameters at most, checked once X's width is known.)"""
    if not l1_ratio:
        return
    from .solvers import L1_SOLVERS

    if penalty == "none":
        fail(f"--l1-ratio {l1_ratio:g} mixes the penalty: it does not combine with --penalty none (drop --l1-ratio; "
             "--C inf or --alpha 0 is the unpenalised fit whatever --l1-ratio)")
    if penalty_given:
        fail(f"--penalty {penalty} is the pure L2 penalty; --l1-ratio {l1_ratio:g} asks for "
             f"{'L1' if l1_ratio == 1 else 'the elastic net'}: drop --penalty (--l1-ratio sets the penalty's mix)")
    if solver not in ("auto", *L1_SOLVERS) and not no_strength:
        fail(f"--l1-ratio {l1_ratio:g} > 0 needs a solver that minimises an L1 term: --solver auto or "
             f"{' or '.join(L1_SOLVERS)}, not {solver}")


def _penalty_fitted(options):
    """The penalty fitted (scikit-learn's names): none, l2, l1 (l1_ratio 1) or elasticnet: what
    a model file records as "penalty", not --penalty's l2 beside an l1_ratio that contradicts it."""
    ratio = options.get("l1_ratio", 0.0)
    if options["penalty"] == "none" or not ratio:
        return options["penalty"]
    return "l1" if ratio == 1 else "elasticnet"


def _penalty_name(options):
    """The penalty in words: none, l2, l1, or the elastic net with its l1_ratio."""
    fitted = _penalty_fitted(options)
    return f"elastic net (l1_ratio={options['l1_ratio']:g})" if fitted == "elasticnet" else fitted


def _check_Cs(Cs, cv, classifier, penalty, C_given):
    """--Cs as a count N >= 2 (the grid is made from the data: ``_grid``) or a sorted list of at
    least 2 different C values (None without it); a one-line failure without --cv, with --C or
    --penalty none, for a regression family, or for anything but a count of at least 2 or
    positive numbers."""
    if Cs is None:
        return None
    if cv is None:
        fail("--Cs needs --cv K: the folds choose C")
    if C_given or penalty == "none" or not classifier:
        fail("--Cs chooses C: it does not combine with " + ("--C" if C_given else "--penalty none" if
             penalty == "none" else "a regression family (its strength is --alpha)"))
    import numpy as np

    try:
        values = [float(v) for v in Cs.split(",")] if "," in Cs else None
        count = None if values is not None else int(Cs)
    except ValueError:
        fail(f"--Cs {Cs}: expected a count of C values (e.g. 10) or a list of positive numbers (e.g. 0.1,1,10); "
             "one C is --C")
    if values is None:
        if count < 2:
            fail(f"--Cs {Cs}: expected at least 2 values of C")
        return count
    if not all(np.isfinite(v) and v > 0 for v in values):
        fail(f"--Cs {Cs}: every C must be a positive number")
    if len(set(values)) < 2:
        fail(f"--Cs {Cs}: expected at least 2 different values of C (one C is --C {values[0]:g})")
    return sorted(set(values))


def _grid(rows, base, Cs, source):
    """The C values of --Cs N (see its --help): logspace(-4, 4, N) for an L2 penalty; with an L1
    term N values on a log scale from C_max (``path.largest_penalty`` on all rows) to 1e4 C_max."""
    import numpy as np

    from .path import DEFAULT_RATIO, largest_penalty

    if not isinstance(Cs, int):
        return Cs
    if not base.l1_ratio:
        return np.logspace(-4, 4, Cs).tolist()
    try:
        top = largest_penalty(base, rows.X, rows.y, rows.weights, rows.offset)
    except ValueError as error:
        fail(_speak_cli(f"{source}: {error}"))
    if not np.isfinite(top):
        fail(f"{source}: every coefficient is 0 at every C (the loss's gradient is 0 at the intercept-only fit): "
             "there is no path for --Cs to choose from; give --C")
    return (np.geomspace(1.0, 1.0 / DEFAULT_RATIO, Cs) * top).tolist()


class Selection(NamedTuple):
    """What --cv chose C from, for the report: the grid, each C's mean and sd of the held-out
    log-loss over the folds, the chosen C, and the path of the coefficients fitted on all rows
    (``path.Path``, filled in where the report is written)."""
    grid: list
    mean: object
    sd: object
    chosen: float
    path: object = None


def _cross_validate(rows, k, source, options, stratify):
    """(label, {figure: (mean, sd)}, out-of-fold class probabilities (N, K) or None, C, a
    ``Selection`` or None) of k-fold cross-validation. Each fold fits the grid of C (options["Cs"],
    else the one C) as one warm-started path (``cv.fold_paths``, as ``LogisticRegressionCV``), and C
    is the one of the best mean held-out log-loss (the smallest C among ties); the figures and
    probabilities are those at that C."""
    import warnings

    import numpy as np

    from . import evaluation
    from .cv import fold_paths

    if stratify:
        label, count, _ = _smallest_class(rows.y)
        if k > count:
            fail(f"--cv {k}: class {label!r} has only {count} rows; expected at most {count} folds")
    elif k > len(rows.y):
        fail(f"--cv {k}: the data have only {len(rows.y)} rows; expected at most {len(rows.y)} folds")
    base = _estimator(options)
    key = "C" if hasattr(base, "C") else "alpha"
    if options.get("Cs"):
        options["Cs"] = _grid(rows, base, options["Cs"], source)
    grid = options.get("Cs") or [options[key]]
    folds = evaluation.folds(rows.y, k, options["seed"], stratify)
    if key == "alpha" and options.get("fit_intercept", True):  # a training fold of counts all 0, named
        from .cv import check_training_folds
        from .family import get_family

        family = get_family(options["family"])
        try:
            check_training_folds(family, family.check_targets(rows.y), folds, rows.weights,
                                 advice=f"use fewer folds (--cv below {k}) or another --seed")
        except ValueError as error:
            fail(f"{source}: {error}")
    per_fold = [[None] * len(folds) for _ in grid]  # per C, the folds' figures
    out_of_fold = [None] * len(grid)
    held_out = {}

    def visit(f, l, j, model, test):
        if f not in held_out:
            held_out[f] = rows.take(test)
        rows_out = held_out[f]
        per_fold[j][f] = evaluation.figures(model, *rows_out.arrays())
        if stratify:  # every fold's model has every class
            proba = model.predict_proba(rows_out.X, rows_out.offset)
            if out_of_fold[j] is None:
                out_of_fold[j] = np.empty((len(rows.y), proba.shape[1]))
            out_of_fold[j][test] = proba

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fold_paths(base, rows.X, rows.y, folds, [grid], [base.l1_ratio], rows.weights, rows.offset, visit)
        except ValueError as error:
            fail(_speak_cli(f"{source}: {error}"))
    _collect_warnings(caught)
    summaries = [evaluation.summarise(figures) for figures in per_fold]
    score = "log_loss" if stratify or key == "C" else "mean_deviance"
    best = int(np.nanargmin([summary[score][0] for summary in summaries])) if len(grid) > 1 else 0
    for name, numbers in evaluation.undefined_folds(per_fold[best]).items():
        click.echo(f"warning: the held-out {evaluation.LABELS[name][0]} of fold {', '.join(map(str, numbers))} is "
                   "undefined (e.g. its y all equal) and left out of the mean; use another --seed or fewer folds",
                   err=True)
    selection = None
    if len(grid) > 1:
        _say_choice(grid, summaries, best, k)
        selection = Selection(list(grid), *np.array([summary["log_loss"] for summary in summaries]).T, grid[best])
    return f"{k}-fold cross-validated", summaries[best], out_of_fold[best], grid[best], selection


def _say_choice(grid, summaries, best, k):
    """The held-out log-loss of every C of the grid, the chosen one marked."""
    click.echo(f"C chosen by {k}-fold cross-validation (held-out log-loss, mean ± sd over the folds):")
    for j, (C, summary) in enumerate(zip(grid, summaries)):
        mean, sd = summary["log_loss"]
        click.echo(f"  C = {C:<11.4g} {mean:.6f} ± {sd:.6f}" + ("   <- chosen" if j == best else ""))


def _provenance(data, source, model, options):
    """What was run: symlogit's version, the date (UTC), the command as given, the data with its
    SHA-256 (a bundled dataset: scikit-learn's version), and the solver and its tolerance."""
    import datetime
    import importlib.metadata
    import shlex

    if data is not None:
        from .data import parquet_files

        files = [Path(data)] if Path(data).is_file() else parquet_files(data)
        what = f"{data} (SHA-256 {_sha256(files)}" + (f" of its {len(files)} files, in name order)"
                                                      if len(files) > 1 else ")")
    else:
        what = f"{source}, bundled with scikit-learn {importlib.metadata.version('scikit-learn')}"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return [f"symlogit {importlib.metadata.version('symlogit')}, {now}",
            f"command: `{' '.join(shlex.quote(w) for w in _command_words())}`", f"data: {what}",
            f"solver: {model.solver_} (asked for {options['solver']}); tol: {options['tol']:g} on max|gradient|; "
            f"max_iter: {options['max_iter']}; penalty: {_penalty_name(options)}"]


def _command_words():
    """The command line as typed; called in-process (tests), the options given on it, in the
    command's order."""
    if Path(sys.argv[0]).name == "symlogit":
        return ["symlogit", *sys.argv[1:]]
    ctx = click.get_current_context()
    words = ctx.command_path.split()
    for param in ctx.command.params:
        if ctx.get_parameter_source(param.name) != click.core.ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name]
        if isinstance(param, click.Argument):
            words.append(str(value))
        elif param.is_flag:
            words.append(param.opts[0])
        else:
            words += [param.opts[0], str(value)]
    return words


def _sha256(files):
    """The SHA-256 of the files' bytes, one after the other."""
    import hashlib

    digest = hashlib.sha256()
    for path in files:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


#: Seconds numba takes, once, to compile what a command runs (measured 2026-11-29: a logit fit
#: 6.7 s cold against 2.3 s warm, a prediction 2.7 s against 1.4 s).
COMPILE_SECONDS = {"fit": 5, "predict": 2}


def _say_if_compiling(family, command):
    """One line on stderr before the first use of a family's kernels (``family.Family``; numba
    then caches them)."""
    if not family.is_cached():
        click.echo(f"compiling the {family.name} kernels once, about {COMPILE_SECONDS[command]} s (numba caches them for "
                   "later runs)", err=True)


def _classifier_options(options):
    """Whether options["family"] is a classifier family."""
    from .family import get_family

    return get_family(options["family"]).is_classifier


def _strength(options):
    """The estimator's penalty parameters from the options: C or alpha, l1_ratio (none for
    --penalty none)."""
    unpenalised = options["penalty"] == "none"
    l1_ratio = 0.0 if unpenalised else options.get("l1_ratio", 0.0)
    if _classifier_options(options):
        return {"penalty": None if unpenalised else "auto", "C": 1.0 if unpenalised else options["C"],
                "l1_ratio": l1_ratio}
    return {"alpha": 0.0 if unpenalised else options["alpha"], "l1_ratio": l1_ratio}


def _estimator(options, callback=None):
    """The (unfitted) estimator the options describe."""
    from .family import get_family

    return get_family(options["family"]).estimator(solver=options["solver"], tol=options["tol"],
                                                   max_iter=options["max_iter"], random_state=options["seed"],
                                                   callback=callback, fit_intercept=options.get("fit_intercept", True),
                                                   **_strength(options))


def _feature_names(model, options):
    """The fitted model's feature names (x1, ... where it has none)."""
    names = getattr(model, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else [f"x{j + 1}" for j in range(model.n_features_in_)]


def _fit_model(rows, source, options, quiet):
    """Fit with the live table and one line per warning; a bad input fails with one line."""
    import time
    import warnings

    live = _LiveOutput(quiet, options["solver"], options["max_iter"])
    model = _estimator(options, callback=live)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(rows.named_X(), rows.y, sample_weight=rows.weights, offset=rows.offset)
        except ValueError as error:
            fail(_speak_cli(f"{source}: {error}"))
        finally:
            live.close()
    seconds = time.perf_counter() - start
    _collect_warnings(caught)
    return model, seconds


def _strength_is_none(options):
    """Whether the strength itself says "no penalty" (--C inf, --alpha 0)."""
    return options["C"] == float("inf") if _classifier_options(options) else options["alpha"] == 0


def _summary(model, source, shape, target, options, seconds, figures, held_out=None, fitted=None, binned=False):
    """The fit's summary lines, echoed and returned; ``binned``: the figures' ROC AUC is the dask
    engine's, from binned log-odds (``evaluation.format_figures``)."""
    from . import evaluation

    penalty = options["penalty"]
    strength = f" (C={options['C']:g})" if hasattr(model, "classes_") else f" (alpha={options['alpha']:g})"
    if options.get("Cs"):
        strength = f" (C={options['C']:g}, chosen by --cv from {len(options['Cs'])} values)"
    summary = [
        f"data: {source} ({shape[0]} rows, {shape[1]} features, target {target!r})",
        f"family: {model.family_}" + (f"; classes: {', '.join(map(str, model.classes_))}"
                                      if hasattr(model, "classes_") else ""),
        f"solver: {model.solver_}; penalty: {_penalty_name(options)}" + (strength if penalty == "l2" or (
            penalty == "none" and _strength_is_none(options)) else ""),
        f"iterations: {model.n_iter_[0]} ({'converged' if model.converged_ else 'NOT converged'}, "
        f"max|{'min-norm subgradient' if options.get('l1_ratio') else 'gradient'}| "
        f"{model.history_['grad_max'][-1]:.2e}); time: {seconds:.3f} s",
        ("training " if fitted in (None, shape[0]) else f"training ({fitted} rows) ") + evaluation.format_figures(figures, binned),
    ]
    if held_out is not None:
        summary.append(f"{held_out[0]} " + evaluation.format_figures(held_out[1]))
    for line in summary:
        click.echo(line)
    return summary


def _save_model(out, model, feature_names, target, options, seconds, figures, held_out=None, design=None):
    from .model_io import model_to_dict

    record = {"solver": model.solver_, "n_iter": int(model.n_iter_[0]), "converged": bool(model.converged_),
              "seconds": seconds, **{f"training_{key}": value for key, value in figures.items()}}
    if held_out is not None:
        record["held_out"] = {"what": held_out[0], "figures": held_out[1]}
    # a user's family: its definition is recorded; the penalty as fitted (l1 where --l1-ratio 1)
    options = dict(options, target=target, family=model.family_, penalty=_penalty_fitted(options))
    text = json.dumps(model_to_dict(model, feature_names, target, options, record, design), indent=1)
    _written(out, lambda path: Path(path).write_text(text + "\n", encoding="utf-8"))
    click.echo(f"model written to {out}")


def _fit_on_dask(data, scheduler, options, report_dir=None, columns=None, cov_type="nonrobust", groups=None):
    """symlogit fit --engine dask: Parquet files read by the workers, the fit's sums reduced on
    the cluster; log-loss and accuracy, and the coefficient table's sums, are computed there too."""
    import numpy as np

    try:
        import dask

        from . import dask_data, distributed
    except ImportError as error:
        fail(f"--engine dask needs dask and distributed ({error}); install them: pip install 'symlogit[dask]'")
    from .data import DataError, read_groups

    out = options.pop("out")
    quiet = options.pop("quiet")
    if out is not None:
        _check_output_file(out, "--out")
    try:
        dask_data.parquet_files(data)  # a missing dataset fails before a cluster starts
        client = dask_data.connect(scheduler)
    except DataError as error:
        fail(str(error))
    except dask_data.SchedulerConnectionError as error:
        fail(f"--scheduler {error.address}: {error.problem}")
    try:
        try:
            # the cluster labels (N values) on the client, checked before the fit
            labels = read_groups(dask_data.read_columns(data, groups, "groups"), data, groups) if groups else None
            X, y, names, target, weights, design = dask_data.read_parquet_dataset(
                data, **columns, drop_reference=_drop_reference(options["penalty"], options["l1_ratio"]))
            _check_table_shown(cov_type, groups, options["penalty"], report_dir, design)
            # N values: every later graph then shares their chunks (no key read two ways)
            y, weights = dask.persist(y, weights)
        except DataError as error:
            fail(str(error))
        from .family import get_family

        if design is not None:
            _warn_of_row_levels(design, X.shape[0])
        _say_if_compiling(get_family(options["family"]), "fit")
        model, seconds = _fit_model(_Rows(X, y, weights), data, options, quiet)
        figures, histogram = distributed.figures(model, X, y, weights)
        model.feature_names_in_ = np.asarray(names, dtype=object)  # for the coefficient table
        summary = _summary(model, data, X.shape, target, options, seconds, figures, binned=True)
        inference, note = _inference(model, options["penalty"], report_dir, cov_type, labels, design)
        if out is not None:
            _save_model(out, model, names, target, dict(options, data=data, engine="dask"), seconds, figures,
                        design=design)
        if report_dir is not None:
            from .evaluation import LOG_ODDS_BIN, curves_from_histograms

            curves = None if histogram is None else (curves_from_histograms(histogram, model.classes_),
                                                     f"training rows (log-odds in bins of {LOG_ODDS_BIN:g})")
            _write_report(report_dir, model, summary, inference, note, data, data, options, curves)
    finally:
        client.close()
        if hasattr(client, "close_cluster"):
            client.close_cluster()


class _LiveOutput:
    """Per-iteration table (newton-type solvers) or an epoch progress bar with time left
    (sgd), on stderr so that stdout holds only the result; started by the first iteration, so a
    fit refused before it (bad weights) prints one line, its error."""

    def __init__(self, quiet, solver, max_iter):
        self.quiet, self.solver, self.max_iter = quiet, solver, max_iter
        self.bar, self.started = None, False

    def _start(self):
        self.started = True
        if self.solver == "sgd":
            self.bar = click.progressbar(length=self.max_iter, label="sgd epochs", show_eta=True, file=sys.stderr)
            self.bar.__enter__()
        else:
            click.echo(f"{'iter':>5}  {'loss':>18}  {'max|gradient|':>13}  {'step':>9}  {'time':>8}", err=True)

    def __call__(self, point):
        if self.quiet:
            return
        if not self.started:
            self._start()
        if self.bar is not None:
            if point.iteration > 0:
                self.bar.update(1)
            return
        click.echo(f"{point.iteration:>5}  {point.loss:>18.12g}  {point.grad_max:>13.3e}  {point.step:>9.3g}  "
                   f"{point.elapsed:>7.3f}s", err=True)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


OUTPUT_FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}


@cli.command()
@click.argument("model_file", metavar="MODEL", type=click.Path(path_type=str))
@click.argument("data", type=click.Path(path_type=str))
@click.option("--out", "out", type=click.Path(path_type=str), default=None,
              help="Write here instead of stdout: CSV or Parquet, by the extension (.csv, .parquet, .pq).")
@click.option("--proba", is_flag=True, help="Write class probabilities (one column per class) instead of labels.")
@click.option("--id", "id_columns", default=None, metavar="COL,...",
              help="Columns of DATA written before the predictions [default: the fit's --id columns, if DATA has "
              "them].")
@click.option("--append", is_flag=True, help="Write every column of DATA, then the predictions.")
@click.option("--engine", type=click.Choice(["memory", "dask"]), default="memory", show_default=True,
              help="dask: DATA is a directory or glob of Parquet files, scored on a Dask cluster part by part; "
              "--out is a directory that gets one Parquet file per part.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the scheduler to use [default: a new LocalCluster].")
@click.option("--unseen", type=ListedChoice(".design", "UNSEEN"), default="error", show_default=True,
              help="A level of a categorical column that the fit never saw: an error naming the column and the "
              "level, or encoded as the reference level, or as zeros (a formula: zero only).")
def predict(model_file, data, out, proba, id_columns, append, engine, scheduler, unseen):
    """Predict with MODEL (a JSON file from `symlogit fit --out`) on DATA (a CSV or Parquet file,
    a directory of Parquet files or a glob of them).

    DATA needs the model's feature columns (extra columns, such as the target, are ignored);
    categorical columns and formulas are encoded as the fit encoded them (the model file keeps
    the levels and the formula).

    \b
    Examples:
      symlogit predict model.json data.csv
      symlogit predict model.json data.parquet --proba --out probabilities.csv
      symlogit predict model.json 'parts/*.parquet' --id customer --out scores.parquet
      symlogit predict model.json data.csv --append --out data_with_predictions.csv
      symlogit predict model.json parts/ --engine dask --proba --out scores/
    """
    from .data import DataError, read_frame
    from .model_io import ModelFileError, design_of, kernels_hash, offset_column, read_model

    if engine == "dask":
        if out is None or Path(out).suffix:
            fail("--engine dask writes one Parquet file per part: give --out a directory (no extension)")
        _check_output_file(out, "--out", directory=True)
        held = sorted(p.name for p in Path(out).iterdir()) if Path(out).is_dir() else []
        if held:  # never replace files, even named like parts: they may be the input
            fail(f"--out {out} is not empty (it holds {held[0]!r}); give a new or empty directory")
    elif scheduler is not None:
        fail("--scheduler needs --engine dask")
    elif out is not None:
        _check_output_file(out, "--out")
        if Path(out).suffix.lower() not in OUTPUT_FORMATS:
            fail(f"--out {out}: unknown extension {Path(out).suffix or '(none)'!r}; expected "
                 f"{', '.join(OUTPUT_FORMATS)} (CSV or Parquet)")
    if append and id_columns is not None:
        fail("give --id or --append, not both (--append writes every column)")
    try:
        saved, model = read_model(model_file)
        offset = offset_column(saved, model_file)
        design = design_of(saved, model_file, model.feature_names_in_)
    except ModelFileError as error:
        fail(str(error))
    if design is None and click.get_current_context().get_parameter_source("unseen") == \
            click.core.ParameterSource.COMMANDLINE:
        fail(f"--unseen applies to categorical columns and formulas; {model_file} has numeric features only")
    if unseen == "reference" and getattr(design, "formula", None) is not None:
        fail("--unseen reference is for the columns' one-hot encoding; a formula's unseen level is encoded with "
             "--unseen zero (all its columns 0: the reference level of C()'s treatment coding)")
    if proba and not hasattr(model, "classes_"):
        fail(f"--proba needs a classifier; {model_file} holds a {model.family_} regression model (its prediction is "
             "the mean)")
    _say_if_compiling(model._fitted_family(), "predict")
    definition = model._fitted_family().definition
    if definition is not None and saved.get("family_kernels_sha256") != definition.kernels_sha256():
        click.echo(f"warning: the model was fitted with other kernels of family {model.family_!r} (its "
                   "family_kernels_sha256 differs); the formulas are verified either way", err=True)
    if saved.get("kernels_sha256") != kernels_hash():
        click.echo("warning: the model was fitted with other generated kernels (kernels_sha256 differs); "
                   "the formulas are verified either way", err=True)
    if engine == "dask":
        return _predict_on_dask(model, saved, data, out, proba, id_columns, append, offset, scheduler, design,
                                unseen)
    try:
        frame = read_frame(data)
        passed = _passed_through(list(frame.columns), data, saved, id_columns, append)
        result = _prediction_frame(frame, model, data, offset, passed, proba, design, unseen)
    except DataError as error:
        fail(_speak_cli(str(error)))
    if out is None:
        click.echo(result.to_csv(index=False), nl=False)
        return
    parquet = OUTPUT_FORMATS[Path(out).suffix.lower()] == "Parquet"
    _written(out, lambda path: result.to_parquet(path, index=False) if parquet else result.to_csv(path, index=False))
    click.echo(f"{len(result)} predictions written to {out}", err=True)


def _prediction_frame(frame, model, source, offset, passed, proba, design=None, unseen="error"):
    """The passed-through columns of a frame (or of one part of a dask frame) and the model's
    predictions (labels or the mean; class probabilities p_<class> with ``proba``); X is the
    ``design``'s encoding where the fit had one (``symlogit.design``; ``unseen`` levels). Raises
    DataError for missing or non-numeric features, an unseen level, or predictions named like a
    passed column."""
    import warnings

    import pandas as pd

    from .data import DataError, features

    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    if design is None:
        X = features(frame, list(model.feature_names_in_), source)
    else:
        X = design.transform(frame, source, unseen)
    offsets = None if offset is None else features(frame, [offset], source, "offset")[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # feature names are matched above, by name
        if proba:
            result = pd.DataFrame(model.predict_proba(X, offsets), columns=[f"p_{c}" for c in model.classes_])
        else:
            result = pd.DataFrame({"prediction": model.predict(X, offsets)})
    clash = [c for c in result.columns if c in passed]
    if clash:
        raise DataError(f"{source}: column(s) {', '.join(clash)} would be written twice (DATA has them and so do the "
                        "predictions); rename them or use --id")
    return pd.concat([frame[passed].reset_index(drop=True), result], axis=1)


def _predict_on_dask(model, saved, data, out, proba, id_columns, append, offset, scheduler, design=None,
                     unseen="error"):
    """symlogit predict --engine dask: each Parquet part scored on a worker and written as a part
    of --out (a directory, replaced only once every part is written)."""
    import functools
    import shutil
    import tempfile

    try:
        import dask.dataframe as dd

        from . import dask_data
    except ImportError as error:
        fail(f"--engine dask needs dask and distributed ({error}); install them: pip install 'symlogit[dask]'")
    from .data import PARQUET_SUFFIXES, DataError, parquet_files

    try:
        files = parquet_files(data)
        text = [f.name for f in files if f.suffix.lower() not in PARQUET_SUFFIXES]
        if text:
            fail(f"{data}: --engine dask reads Parquet files ({', '.join(PARQUET_SUFFIXES)}), got {text[0]!r}")
        client = dask_data.connect(scheduler)
    except DataError as error:
        fail(str(error))
    except dask_data.SchedulerConnectionError as error:
        fail(f"--scheduler {error.address}: {error.problem}")
    from .model_io import current_umask

    target = Path(out)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    staging.chmod(0o777 & ~current_umask())  # mkdtemp's 0700 would outlive the rename
    try:
        import pyarrow.parquet as pq

        empty = pq.read_schema(files[0]).empty_table().to_pandas()
        passed = _passed_through(list(empty.columns), data, saved, id_columns, append)
        meta = _prediction_frame(empty, model, data, offset, passed, proba, design, unseen)
        # one part per row group, scored where it is read: its errors name the file and row group
        groups = [(str(f), g) for f in files for g in range(pq.ParquetFile(f).metadata.num_row_groups)]
        score = functools.partial(_scored_row_group, model=model, offset=offset, passed=passed, proba=proba,
                                  design=design, unseen=unseen)
        dd.from_map(score, [path for path, _ in groups], [g for _, g in groups], meta=meta,
                    enforce_metadata=False).to_parquet(staging, write_index=False)
        written = len(list(staging.iterdir()))
        if target.exists():
            target.rmdir()  # empty, as checked before any work
        staging.rename(target)
    except DataError as error:
        fail(_speak_cli(str(error)))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        client.close()
        if hasattr(client, "close_cluster"):
            client.close_cluster()
    click.echo(f"predictions written to {out} ({written} parts)", err=True)


def _scored_row_group(path, group, model, offset, passed, proba, design, unseen):
    """``_prediction_frame`` of row group ``group`` of the Parquet file ``path`` (a dask
    predict's part, on a worker), its errors naming the file and row group."""
    from .dask_data import _part_frame, _where

    return _prediction_frame(_part_frame(path, group, None), model, _where(path, group), offset, passed, proba,
                             design, unseen)


def _passed_through(columns, source, saved, id_columns, append):
    """The columns of DATA written before the predictions: all (append), the --id columns, or
    the fit's id columns where DATA has all of them; a one-line failure for unknown --id names."""
    from .data import split_names

    columns = [str(c) for c in columns]
    if append:
        return columns
    if id_columns is not None:
        names = split_names(id_columns)
        missing = [name for name in names if name not in columns]
        if missing:
            fail(f"{source}: no id column(s) {', '.join(map(repr, missing))}; columns are {', '.join(columns)}")
        return names
    options = saved.get("options", {})
    fitted = options.get("id") if isinstance(options, dict) else None
    names = [str(name) for name in fitted] if isinstance(fitted, list) else []
    return names if names and all(name in columns for name in names) else []


def main():
    cli()


if __name__ == "__main__":
    main()
