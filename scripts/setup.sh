#!/usr/bin/env bash
# Installs what Stoker's tests and demo need on a Debian machine (as root): the real Graphite
# components, a Docker daemon and busybox for test containers, carbon-c-relay, Prometheus (its
# promtool checks and unit-tests the shipped alert rules; it scrapes the agents in test/prometheus/),
# prometheus-elasticsearch-exporter (the peer /metrics is checked against), and the npm dependencies.
# Idempotent: packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(graphite-carbon graphite-web docker.io busybox-static carbon-c-relay debootstrap openssl
  prometheus prometheus-elasticsearch-exporter)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No recommends: graphite-web would otherwise pull in a web server we do not use.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these as services; the tests and the demo run private instances instead.
  for service in carbon-cache docker containerd prometheus prometheus-elasticsearch-exporter; do
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
