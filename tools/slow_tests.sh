#!/usr/bin/env bash
# The tests marked slow (see pyproject.toml): every solver on every family, and scikit-learn's
# check_estimator on GLMClassifier(probit, cloglog) and GLMRegressor (float32 fits: a second cold
# numba compile of each family). 1.5 minutes on 2 cores with a warm cache (2026-11-29), a few more cold.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pytest -q -m slow "$@"
