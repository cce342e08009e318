#!/usr/bin/env bash
# The tests marked slow (see pyproject.toml): every solver on every family, scikit-learn's
# check_estimator on GLMClassifier(probit, cloglog), GLMRegressor and an elastic-net Poisson
# (float32 fits: a second cold numba compile of each family), the Dask memory limit (~55 s), a
# high-cardinality categorical fit, user families that compile a module each, check_estimator on the
# cross-validated estimators (LogisticRegressionCV alone 2-3 minutes on 2 busy cores). 1.5 minutes on 2
# cores with a warm cache before the last five were added (2026-11-29), a few more cold.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pytest -q -m slow "$@"
