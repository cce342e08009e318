"""The claim registry: one entry per ID of REFERENCES.md (the documents' B and M claims, C1-C4,
and the other families' P, G, Q and K claims), plus F1-F3 for the special functions and F4+ for
how the kernels evaluate exp, log1p and the probit and cloglog functions; the negative controls
W1-W5 and W10-W12 of REFERENCES.md, plus W6+, evaluations too short for float64."""

from __future__ import annotations

from . import binary, consequences, controls, elementary, families, functions, multinomial
from . import special  # F6-F16, W7-W9: the probit and cloglog evaluations

CLAIMS = functions.CLAIMS + elementary.CLAIMS + binary.CLAIMS + multinomial.CLAIMS + consequences.CLAIMS + \
    families.CLAIMS + special.CLAIMS
CONTROLS = controls.CONTROLS + elementary.CONTROLS + families.CONTROLS + special.CONTROLS
BY_ID = {c.id: c for c in CLAIMS + CONTROLS}
