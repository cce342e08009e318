"""How the verified expressions become code: a numba-aware printer, kernel templates, and the
writer of generated/ with its --check. Imports SymPy; only `symlogit generate` loads it."""
