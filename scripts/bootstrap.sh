#!/usr/bin/env bash
# Sourced by scripts/demo and scripts/test: brings what a fresh Debian/Ubuntu machine lacks.
#   - Node >= 22.19 (undici's floor): where the machine's node is older (or missing), node@24 from the npm
#     registry into .node/
#   - Debian packages named in BOOTSTRAP_APT (redis-server, docker-registry, prometheus for promtool) when
#     their binary is missing
#   - npm dependencies (npm ci) when node_modules is missing or older than package-lock.json
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root for: $*"; return 1; fi; }

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Node >= 22.19 (package.json engines): older ones crash inside undici's import.
node_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' 2>/dev/null; }

[ -x "$ROOT/.node/node_modules/.bin/node" ] && export PATH="$ROOT/.node/node_modules/.bin:$PATH"
if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if ! node_ok; then
  say "node $(node --version 2>/dev/null || echo none) is older than 22.19: installing node@24 into .node/"
  npm install --prefix "$ROOT/.node" --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null
  export PATH="$ROOT/.node/node_modules/.bin:$PATH"
fi
say "node $(node --version)"

for pair in ${BOOTSTRAP_APT:-redis-server:redis-server}; do
  bin=${pair%%:*}; pkg=${pair##*:}
  command -v "$bin" >/dev/null || [ -x "/usr/bin/$bin" ] || apt_install "$pkg"
done

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
