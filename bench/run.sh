#!/usr/bin/env bash
# Runs every benchmark (small under CI=true) and prints their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
node --import tsx bench/api.ts "$@"
node --import tsx bench/store-sqlite.ts
node --import tsx bench/store-etcd.ts
node --import tsx bench/store.ts
node --import tsx bench/simulated-nodes.ts
node --import tsx bench/dns.ts
# Fails loudly (after 30 s without a binding) when no scheduler runs in pilot server.
node --import tsx bench/scheduler.ts
