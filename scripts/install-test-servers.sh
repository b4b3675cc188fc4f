#!/usr/bin/env bash
# Installs the real servers the tests start on loopback (Debian packages): redis-server for the
# cache tests. Does nothing when they are already installed.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q redis-server >/dev/null 2>&1 || { $sudo apt-get update -q && $sudo apt-get install -y -q redis-server; }
fi
redis-server --version
