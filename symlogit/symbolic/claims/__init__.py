"""The claim registry: one entry per ID of REFERENCES.md, plus F1-F3 for the special functions
and F4-F5 for how the kernels evaluate exp and log1p; the negative controls W1-W5 of
REFERENCES.md, plus W6, an exp polynomial too short for float64."""

from __future__ import annotations

from . import binary, consequences, controls, elementary, functions, multinomial

CLAIMS = functions.CLAIMS + elementary.CLAIMS + binary.CLAIMS + multinomial.CLAIMS + consequences.CLAIMS
CONTROLS = controls.CONTROLS + elementary.CONTROLS
BY_ID = {c.id: c for c in CLAIMS + CONTROLS}
