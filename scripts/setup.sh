#!/usr/bin/env bash
# Installs what the demo, the tests and the benchmarks need on a fresh Debian machine with
# Node.js and npm: SoftHSM2, the outside verifiers (openssl, pdfsig, qpdf, xmlsec1), a C
# compiler and the PKCS#11 header for the C baselines, and the npm packages from the lockfile
# (Deno and Bun among them); with the argument `bench`, also the HTTP load tool of bench/hono.ts
# (wrk). Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pair in softhsm2-util:softhsm2 pkcs11-tool:opensc openssl:openssl pdfsig:poppler-utils \
  qpdf:qpdf xmlsec1:xmlsec1 cc:gcc script:bsdutils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
if [ "${1:-}" = "bench" ]; then
  command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
fi
[ -f /usr/include/p11-kit-1/p11-kit/pkcs11.h ] || need_apt+=(libp11-kit-dev)
[ -f /usr/lib/softhsm/libsofthsm2.so ] || need_apt+=(softhsm2)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >&2
fi

stamp=node_modules/.pkcs11ex-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm packages from package-lock.json" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
