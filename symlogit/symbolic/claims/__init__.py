"""The claim registry: one entry per ID of REFERENCES.md (plus F1-F3 for the special
functions), and the negative controls W1-W5."""

from __future__ import annotations

from . import binary, consequences, controls, functions, multinomial

CLAIMS = functions.CLAIMS + binary.CLAIMS + multinomial.CLAIMS + consequences.CLAIMS
CONTROLS = controls.CONTROLS
BY_ID = {c.id: c for c in CLAIMS + CONTROLS}
