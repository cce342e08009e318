"""Long fuzz run of the estimators: the draws and the property of tests/test_fuzz.py, on many
more examples, collecting every distinct failure instead of stopping at the first.

Usage: python tools/fuzz.py [--examples 2000] [--seed 0] [--batch 500] [--max-seconds T]
                            [--shrink-seconds 60] [--no-shrink]

Prints the examples tried (and how they ended: fits, ValueErrors naming a problem, failures), then
each distinct failure: its signature, how often and where (family/solver) it was seen, and its
minimal example with the exception it raises. Progress goes to stderr. Exit status 1 if any failed.

Examples are drawn in batches of --batch, each a hypothesis run with its own seed; a failure's
``test_fuzz.signature`` (the property that failed, or the exception type, where it was raised and
its message with numbers blanked) says which failures are the same. Each distinct failure is then
shrunk by hypothesis to a minimal example of the same signature, printed as Python to run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis.control import current_build_context
from hypothesis.database import InMemoryExampleDatabase, choices_to_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import test_fuzz as fuzz  # noqa: E402  (the strategies and the property)

QUIET = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


@dataclass
class Failure:
    signature: str
    case: object          # the first example seen
    choices: bytes        # hypothesis' choices that drew it (replayed to shrink it)
    message: str
    count: int = 0
    where: Counter = field(default_factory=Counter)  # (family, solver) -> count


def outcome(case):
    """(kind, signature or None, message): kind "fit", "ValueError" or "failure"."""
    try:
        return fuzz.check(case), None, ""
    except Exception as error:  # noqa: BLE001  (every exception is a finding)
        return "failure", fuzz.signature(error), f"{type(error).__name__}: {error}"


def explore(n_examples, first_seed, batch, max_seconds, log):
    """Run the property on n_examples draws; return (tried, kinds Counter, {signature: Failure})."""
    kinds, failures = Counter(), {}
    start = time.monotonic()
    tried = 0

    def body(case):
        nonlocal tried
        if time.monotonic() - start > max_seconds:
            return
        tried += 1
        kind, sig, message = outcome(case)
        kinds[kind] += 1
        if sig is None:
            return
        if sig not in failures:
            choices = choices_to_bytes(current_build_context().data.choices)
            failures[sig] = Failure(sig, case, choices, message)
            log(f"  new failure #{len(failures)} after {tried} examples: {sig}")
        failures[sig].count += 1
        failures[sig].where[(case.task, case.params["solver"])] += 1

    b = 0
    while tried < n_examples and time.monotonic() - start <= max_seconds:
        size = min(batch, n_examples - tried)
        run = settings(max_examples=size, phases=[Phase.generate], **QUIET)(seed(first_seed + b)(
            given(fuzz.cases())(body)))
        run()
        b += 1
        log(f"{tried} examples, {time.monotonic() - start:.0f} s: {dict(kinds)}, {len(failures)} distinct failures")
    return tried, kinds, failures


def shrink(failure, max_seconds):
    """The minimal example hypothesis finds with the same signature, replaying the first one."""
    # Saved under the secondary key: hypothesis does not shrink again what it replays from the
    # primary one (taken as already minimal).
    database, key = InMemoryExampleDatabase(), b"fuzz"
    database.save(key + b".secondary", failure.choices)
    options = {**QUIET, "database": database}
    deadline = time.monotonic() + max_seconds
    answers, smallest = {}, [failure.case]

    def same(case):
        # Memoised (hypothesis replays examples and must get the same answer); once out of time,
        # every new example is "not the same", so the shrink ends with the smallest found so far.
        code = repr(case)
        if code not in answers:
            answers[code] = time.monotonic() < deadline and outcome(case)[1] == failure.signature
            if answers[code]:
                smallest[0] = case
        return answers[code]

    try:
        return find(fuzz.cases(), same, settings=settings(max_examples=1, phases=[Phase.reuse, Phase.shrink],
                                                          **options), database_key=key)
    except Exception:  # noqa: BLE001  (no replay, or a flaky one: keep what we have)
        return smallest[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples to try (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first batch (default 0)")
    parser.add_argument("--batch", type=int, default=500, help="examples per hypothesis run (default 500)")
    parser.add_argument("--max-seconds", type=float, default=float("inf"),
                        help="stop drawing after this long (the shrinking comes on top)")
    parser.add_argument("--shrink-seconds", type=float, default=60.0, help="time to shrink each failure (default 60)")
    parser.add_argument("--no-shrink", action="store_true", help="print the first example of each failure")
    args = parser.parse_args(argv)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    fuzz.warm_up()
    log(f"kernels warm after {time.monotonic() - started:.0f} s")
    tried, kinds, failures = explore(args.examples, args.seed, args.batch, args.max_seconds, log)
    explored = time.monotonic() - started

    print(f"examples tried: {tried} in {explored:.0f} s (fits {kinds['fit']}, named ValueErrors "
          f"{kinds['ValueError']}, failing {kinds['failure']})")
    print(f"distinct failures: {len(failures)}")
    for i, failure in enumerate(sorted(failures.values(), key=lambda f: -f.count), 1):
        case = failure.case if args.no_shrink else shrink(failure, args.shrink_seconds)
        message = outcome(case)[2] or failure.message
        where = ", ".join(f"{task}/{solver} {n}" for (task, solver), n in failure.where.most_common(8))
        where += ", ..." if len(failure.where) > 8 else ""
        print(f"\n[{i}] {failure.signature}\n    seen {failure.count} times ({where})"
              f"\n    {'first' if args.no_shrink else 'minimal'} example: {message[:300]}")
        print("    " + repr(case).replace("\n", "\n    "))
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
