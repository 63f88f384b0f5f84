#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json,
# so `npm run lab` and `npm test` work on a fresh clone without a separate install step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
else
  echo "deps: node_modules up to date"
fi
