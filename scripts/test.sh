#!/usr/bin/env bash
# Everything CI checks, in order: dependencies, types, lint, unit tests, integration
# tests, a small benchmark run. Every stage runs even after a failure, so one run
# shows all problems; the exit code is non-zero if any stage failed.
#
# The last line is the plain total `tests: N passed, N failed, N skipped` over the
# unit and integration runs (each also prints node's own closing summary).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || { echo "test.sh: install-deps failed" >&2; exit 1; }

failed=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pilot-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

stage() { printf '\n=== %s ===\n' "$1"; }

stage typecheck
node_modules/.bin/tsc --noEmit || failed+=(typecheck)

stage lint
lint_dirs=()
for d in src test bench scripts; do [[ -d $d ]] && lint_dirs+=("$d"); done
node_modules/.bin/eslint "${lint_dirs[@]}" || failed+=(lint)

# Node 20's --test does not expand globs itself (Node 21+ does): list the files.
list_tests() { [[ -d $1 ]] && find "$1" -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort; }

passed=0; failed_n=0; skipped=0
# run_tests NAME CONCURRENCY TIMEOUT FILES...: spec output on the console, TAP to a
# file for the counts. The outer `timeout` catches a test file that never exits.
run_tests() {
  local name=$1 conc=$2 limit=$3; shift 3
  local tap="$tmp/$name.tap"
  timeout --kill-after=30s "$limit" \
    node --import tsx --test --test-concurrency="$conc" \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$tap" \
      "$@"
  local rc=$?
  if ((rc == 124 || rc == 137)); then echo "test.sh: $name tests timed out after $limit" >&2; fi
  local p f c s
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -1)
  c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -1)
  s=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -1)
  passed=$((passed + ${p:-0})); failed_n=$((failed_n + ${f:-0} + ${c:-0})); skipped=$((skipped + ${s:-0}))
  if ((rc != 0)); then
    failed+=("$name")
    # A run that died before its summary still counts as a failure in the total.
    [[ -z $f ]] && failed_n=$((failed_n + 1))
  fi
  return 0
}

stage "unit tests"
mapfile -t unit < <(list_tests src)
if ((${#unit[@]})); then run_tests unit 2 20m "${unit[@]}"; else echo "no unit tests"; fi

stage "integration tests"
mapfile -t integ < <(list_tests test)
if ((${#integ[@]})); then run_tests integration 2 45m "${integ[@]}"; else echo "no integration tests"; fi

if [[ -f bench/run.sh ]]; then
  stage "bench (small)"
  CI=true timeout --kill-after=30s 10m bash bench/run.sh || failed+=(bench)
fi

echo
if ((${#failed[@]})); then echo "test.sh: FAILED stages: ${failed[*]}"; else echo "test.sh: all stages passed"; fi
echo "tests: ${passed} passed, ${failed_n} failed, ${skipped} skipped"
((${#failed[@]} == 0))
