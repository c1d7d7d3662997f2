#!/usr/bin/env bash
# Runs every check CI runs: install (when needed), build, lint, type check, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run build
npx biome check .
npx tsc --noEmit -p tsconfig.json
npx vitest run "$@"
