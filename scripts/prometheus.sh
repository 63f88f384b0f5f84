#!/usr/bin/env bash
# Makes a Prometheus server binary available and prints its path (last line of stdout).
# Used by the dashboard test, which runs the binary itself with a throwaway config and data dir.
# When the binary is missing it installs the OS package (Debian/Ubuntu: apt-get install prometheus)
# without letting the package start its system service, and stops that service if it started anyway.
set -euo pipefail

log() { printf 'prometheus.sh: %s\n' "$*" >&2; }

find_binary() {
  if [ -n "${PROMETHEUS_BIN:-}" ] && [ -x "${PROMETHEUS_BIN}" ]; then
    printf '%s\n' "${PROMETHEUS_BIN}"
    return 0
  fi
  command -v prometheus 2>/dev/null && return 0
  for candidate in /usr/bin/prometheus /usr/local/bin/prometheus; do
    [ -x "$candidate" ] && { printf '%s\n' "$candidate"; return 0; }
  done
  return 1
}

if bin=$(find_binary); then
  printf '%s\n' "$bin"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "no prometheus binary and no apt-get: install Prometheus (https://prometheus.io/download/) or set PROMETHEUS_BIN"
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo -n); else
    log "installing the prometheus package needs root (or sudo); or set PROMETHEUS_BIN"
    exit 1
  fi
fi

# A policy-rc.d answering 101 tells the package's maintainer scripts not to start the service.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
  added_policy=1
fi
cleanup() { [ "$added_policy" -eq 1 ] && "${sudo_cmd[@]}" rm -f "$policy"; return 0; }
trap cleanup EXIT

log "installing the prometheus OS package (apt-get update && apt-get install prometheus)"
"${sudo_cmd[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends prometheus >&2

# Belt and braces: the test runs its own server, so no system service may keep running.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  if systemctl is-active --quiet prometheus 2>/dev/null; then
    log "stopping and disabling the prometheus system service the package started"
    "${sudo_cmd[@]}" systemctl disable --now prometheus >&2 || true
  fi
elif [ -x /etc/init.d/prometheus ]; then
  "${sudo_cmd[@]}" /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi

if bin=$(find_binary); then
  log "installed $("$bin" --version 2>&1 | head -1)"
  printf '%s\n' "$bin"
  exit 0
fi
log "the prometheus package is installed but no binary was found"
exit 1
