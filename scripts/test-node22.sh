#!/usr/bin/env bash
# The suite again on Node 22 LTS (CI runs it after `npm test`, which ran on the machine's Node):
# static checks, unit tests, and an e2e run covering the platform and every lab once.
# Node 22 comes from scripts/node22.sh (npm registry, cached). Infrastructure must be up
# (`npm run infra`; npm test leaves it up).
#   NODE22_E2E="test/booking test/bank"  another e2e selection ("all" = the whole suite)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEFAULT_E2E="test/platform test/booking test/bank test/orders/orders.e2e-spec.ts test/counter/counter-convergence.e2e-spec.ts test/replication"
SELECTION=${NODE22_E2E:-$DEFAULT_E2E}
[[ $SELECTION == all ]] && SELECTION=""
# shellcheck disable=SC2086 # the selection is a list of paths
bash scripts/node22.sh bash -c '
  set -euo pipefail
  echo "node22: static checks, unit tests and e2e on $(node --version)"
  npm run --silent test:static
  npm run --silent test:unit
  npx jest --config test/jest-e2e.config.js --runInBand "$@"
' node22 $SELECTION
