#!/usr/bin/env bash
# Installs what Pilot needs on a Debian 12 machine, and nothing twice: safe to run
# before every start and every test run. Needs root (or password-less sudo) only
# when a Debian package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages Pilot uses at run time or in its tests. One list, add here.
#   curl, jq        scripts and tests
#   etcd-*          the etcd storage backend and its tests
#   containerd runc the node agent's container runtime (it starts its own containerd)
#   containernetworking-plugins iptables conntrack iproute2   pod networking (CNI bridge + host-local, masquerade)
#   busybox-static  the agent's pause image and the test images are built from it
DEBIAN_PACKAGES="curl jq etcd-server etcd-client containerd runc containernetworking-plugins iptables conntrack iproute2 busybox-static"

# Build tools for native npm modules (better-sqlite3 compiles from source here),
# as "command:package" pairs: only installed when the command is missing.
BUILD_TOOLS="make:make g++:g++ python3:python3"

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

missing=()
for p in $DEBIAN_PACKAGES; do installed "$p" || missing+=("$p"); done
for pair in $BUILD_TOOLS; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done

if ((${#missing[@]})); then
  log "installing missing Debian packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    die "missing Debian packages (${missing[*]}) and not root; run: sudo apt-get install ${missing[*]}"
  fi
  # `env` so the setting survives sudo's environment reset.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for p in "${missing[@]}"; do
    installed "$p" || die "apt-get did not install $p"
  done
fi

# kubectl is not in Debian's archive: on these machines /usr/bin/kubectl comes from
# the Google Cloud SDK's "kubectl" package (with kubectl.1.27 … kubectl.1.33 beside it
# in /usr/lib/google-cloud-sdk/bin), whose repository is not reachable from here. The
# integration tests drive the real kubectl, so its absence is an error, not a skip.
if ! command -v kubectl >/dev/null 2>&1; then
  die "kubectl not found on PATH. Pilot's tests drive the real kubectl (v1.32 expected at /usr/bin/kubectl). \
It is not available from Debian's archive, so this script cannot install it: install kubectl (e.g. the Google \
Cloud SDK 'kubectl' package, or the upstream static binary) and put it on PATH."
fi

# Node dependencies: `npm ci` when there are none yet or the lock file changed since.
# npm writes node_modules/.package-lock.json at the end of every successful install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "running npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
