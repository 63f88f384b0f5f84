#!/usr/bin/env bash
# npm run lab — dependencies, infrastructure, build, then the app in the foreground, with a
# progress line per step (the app itself then prints one line per lab once it is ready).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$(date +%s)
step() { echo "lab: [$1/4] $2 ($(($(date +%s) - started)) s)"; }

step 1 "npm dependencies"
bash scripts/ensure-deps.sh
step 2 "infrastructure: PostgreSQL, Redis, Kafka (first start of the local Kafka can take a few minutes)"
bash scripts/infra.sh
step 3 "build (TypeScript, OpenAPI response types)"
npm run --silent build
step 4 "starting the labs (LABS=${LABS:-all})"
exec node dist/main.js
