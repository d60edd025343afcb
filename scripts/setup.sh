#!/usr/bin/env bash
# Sets up a fresh machine for comfy-secrets development: pnpm (pinned), Debian's python3-dotenv and
# python3-yaml (the real readers the tests check against: python-dotenv, PyYAML's FullLoader) and the
# workspace's packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  # Corepack's download fails signature checks on some machines; npm's registry copy does not.
  npm install --global --no-fund --no-audit "pnpm@$pnpm_version" >/dev/null
fi

if ! /usr/bin/python3 -c 'import dotenv, yaml' 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-dotenv python3-yaml >/dev/null
fi

pnpm install --frozen-lockfile
