"""docs/claims.md: the claim registry as a document, with the statuses of a verification run.

One table row per claim and per negative control, in registry order: ID, statement, convention,
source, how it is checked (the symbolic method and the numeric cross-check, as the verifier
reports them) and the status of the run. Everything comes from the run's ``Result`` objects, so
a claim added to the registry appears here on the next run; nothing lists IDs by hand.

The text is deterministic: no timings, and the measured numeric error, whose last digits
depend on the machine's float64 libraries, is shown only as its relation to the tolerance
("max rel. error <= 1e-12"). ``symlogit verify`` prints the measured figures.

    symlogit verify --write-doc docs/claims.md      (regenerates it)
"""

from __future__ import annotations

import re

from .verifier import Result

REGENERATE = "symlogit verify --write-doc docs/claims.md"

# numeric_verdict's "max rel. error 1.70e-16 (tol 1e-12)": the figure, not the verdict, varies by machine
_MEASURED = re.compile(r"max rel\. error ([^\s)]+) \(tol ([^\s)]+)\)")


def verify_all() -> tuple[list[Result], list[Result]]:
    """A full verification run: every claim and control of the registry."""
    from .claims import CLAIMS, CONTROLS
    from .verifier import run

    return run(CLAIMS, CONTROLS)


def render(results: tuple[list[Result], list[Result]]) -> str:
    """The document for (claim results, control results), as ``verifier.run`` returns them."""
    claim_results, control_results = results
    lines = [
        "# Claims and negative controls",
        "",
        f"<!-- Generated from the claim registry (symlogit/symbolic/claims/) by `{REGENERATE}`; do not edit. -->",
        "",
        "Every formula symlogit derives, prints into kernels or relies on is a claim: an equality",
        "proven symbolically by SymPy where it can be, and always cross-checked in float64 against an",
        "mpmath reference. A negative control is a plausible wrong formula that the checker must reject.",
        "",
        "Statuses: `proven` (symbolic proof and numeric agreement), `numeric` (numeric agreement;",
        "SymPy undecided), `failed`; controls: `rejected` (wanted) or `accepted` (the checker missed it).",
        f"This run: {_counts(claim_results)}; {_counts(control_results)}.",
    ]
    for title, rows in (("Claims", claim_results), ("Negative controls (must be rejected)", control_results)):
        lines += ["", f"## {title}", "",
                  "| ID | Statement | Convention | Source | Symbolic check | Numeric check | Status |",
                  "|---|---|---|---|---|---|---|"]
        lines += [_row(r) for r in rows]
    return "\n".join(lines) + "\n"


def write(path, results) -> None:
    """Render results into path atomically (the old file or the new one, never a partial one)."""
    from ..model_io import write_atomically

    write_atomically(path, render(results))


def _counts(results) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "none"


def _row(r: Result) -> str:
    cells = [f"**{_text(r.id)}**", _code(r.statement), _text(r.convention), _text(r.source),
             _text(r.symbolic), _text(_without_measurement(r.numeric)), f"`{r.status}`"]
    return "| " + " | ".join(cells) + " |"


def _without_measurement(text: str) -> str:
    def relation(match):
        try:
            within = float(match.group(1)) <= float(match.group(2))
        except ValueError:
            return match.group(0)
        return f"max rel. error {'<=' if within else '>'} {match.group(2)}"

    return _MEASURED.sub(relation, text)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _text(text: str) -> str:
    """Table-cell text: one line, with the characters markdown would act on escaped."""
    return re.sub(r"([\\|*`]|<(?=[A-Za-z/!?]))", r"\\\1", _one_line(text))


def _code(text: str) -> str:
    """A formula as a code span (no emphasis inside); only the table's | needs escaping."""
    text = _one_line(text).replace("|", "\\|")
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
