#!/usr/bin/env bash
# Installs the system programs the waiting room needs on Debian, only those that are missing.
#   scripts/install-system.sh redis-server chromium node:nodejs
# Each argument is a program, or program:package where Debian's package has another name.
set -euo pipefail
missing=()
for wanted in "$@"; do
  program="${wanted%%:*}"
  package="${wanted#*:}"
  command -v "$program" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]} from Debian's packages" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
