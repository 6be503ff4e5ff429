#!/usr/bin/env bash
# Starts a Pilot cluster in the foreground: installs what is missing, then runs
# `pilot server` with any flags given here (see `./bin/pilot server --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec ./bin/pilot server "$@"
