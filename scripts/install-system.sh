#!/usr/bin/env bash
# Installs the system programs the waiting room needs on Debian, only those that are missing.
#   scripts/install-system.sh redis-server chromium
set -euo pipefail
missing=()
for program in "$@"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]} from Debian's packages" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
