"""The ``symlogit`` command line.

Errors in the user's input are reported as one line on stderr with exit code 2, never a
traceback: ``OneLineErrors`` catches click's usage errors and ``fail`` raises them.
"""

from __future__ import annotations

import json
import sys

import click


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


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symlogit")
def cli():
    """symlogit: logistic regression whose formulas SymPy derives and verifies.

    \b
    Examples:
      symlogit verify
      symlogit derive multinomial --format markdown
      symlogit generate --check
    """


@cli.command()
@click.option("--only", "only", metavar="ID,...", help="Check only these claim or control IDs (comma-separated).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object instead of the table.")
@click.pass_context
def verify(ctx, only, as_json):
    """Check every claim of REFERENCES.md and reject every wrong formula.

    Each claim is proven symbolically where SymPy can, and always cross-checked in float64
    against an mpmath reference at random points with |u| up to 700. Exit code 0 only when
    every claim holds and every negative control (W1..W5) is rejected.

    \b
    Examples:
      symlogit verify
      symlogit verify --only B3,M13,W4 --json
    """
    from .symbolic.claims import BY_ID, CLAIMS, CONTROLS
    from .symbolic.verifier import passed, run

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
    if as_json:
        click.echo(json.dumps({"claims": [r.as_dict() for r in claim_results],
                               "controls": [r.as_dict() for r in control_results]}))
    else:
        _print_table(claim_results, control_results, ok)
    ctx.exit(0 if ok else 1)


def _print_table(claim_results, control_results, ok):
    width = max([len(r.status) for r in claim_results + control_results] + [8])
    for title, rows in (("Claims", claim_results), ("Negative controls (must be rejected)", control_results)):
        if not rows:
            continue
        click.echo(title)
        for r in rows:
            click.echo(f"  {r.id:<4} {r.status:<{width}} {r.seconds:7.2f}s  {r.statement}")
            click.echo(f"  {'':<4} {'':<{width}} {'':>8}  symbolic: {r.symbolic}")
            click.echo(f"  {'':<4} {'':<{width}} {'':>8}  numeric:  {r.numeric}")
    total = sum(r.seconds for r in claim_results + control_results)
    counts = {}
    for r in claim_results + control_results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    click.echo(f"{'OK' if ok else 'FAILED'}: {summary} in {total:.1f}s")


@cli.command()
@click.argument("model", metavar="MODEL", type=click.Choice(["binary", "multinomial"]))
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "markdown"]), default="text", show_default=True,
              help="Output format; markdown renders on GitHub (math in $...$).")
def derive(model, fmt):
    """Show the derivation of MODEL step by step, from the raw cross-entropy to the per-sample
    formulas the kernels use.

    \b
    Examples:
      symlogit derive binary
      symlogit derive multinomial --format markdown > multinomial.md
    """
    from .symbolic.derivation import derive_binary, derive_multinomial
    from .symbolic.printing import render

    derivation = derive_binary() if model == "binary" else derive_multinomial()
    click.echo(render(derivation, fmt), nl=False)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=str), default=None,
              help="Directory for the kernel modules (default: generated/ at the repository root).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 naming each file that is stale or was edited.")
@click.pass_context
def generate(ctx, out_dir, check):
    """Print the verified per-sample formulas into numba kernel modules (generated/).

    \b
    Examples:
      symlogit generate
      symlogit generate --check
      symlogit generate --out /tmp/kernels
    """
    from pathlib import Path

    from .codegen.writer import GenerateError, default_out_dir, stale_files, write

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


def main():
    cli()


if __name__ == "__main__":
    main()
