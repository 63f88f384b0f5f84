#!/usr/bin/env bash
# npm run lint:openapi — build the app as `npm run build` does (Swagger plugin, handler return
# types) into .cache/openapi-build, generate its OpenAPI document offline (no dependency, no port:
# src/openapi.ts) and lint it with Redocly (redocly.yaml: recommended rules and the project's own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=.cache/openapi-build
echo "openapi: building into $OUT"
npx nest build --path tsconfig.openapi.json
node -r ts-node/register/transpile-only scripts/openapi-response-types.ts "$OUT/openapi-responses.json"
node "$OUT/openapi.js" .cache/openapi.json
echo "openapi: linting .cache/openapi.json"
npx redocly lint --config redocly.yaml --max-problems 50 .cache/openapi.json
