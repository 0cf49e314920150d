#!/usr/bin/env bash
# SPDX-FileCopyrightText: Copyright (c) 2024-2026 NVIDIA CORPORATION & AFFILIATES. All rights reserved.
# SPDX-License-Identifier: Apache-2.0
#
# sccache helper used by the compiling RUN steps of every Dynamo Dockerfile.
#
#   use-sccache.sh install              install the sccache release binary for ${ARCH_ALT}
#                                       (x86_64 | aarch64) into /usr/local/bin, checksum-verified
#   eval "$(use-sccache.sh setup-env [cmake|cc])"
#                                       start the sccache server (S3 credentials are read from the
#                                       BuildKit secret files, never exported into the build shell)
#                                       and print the wrapper exports for this step
#   use-sccache.sh show-stats <step>    print hits / misses / hit rate summed over every language
#                                       (C/C++, Rust, CUDA, PTX, CUBIN, ...) and stop the server
#   SCCACHE_STATS_JSON=FILE use-sccache.sh show-stats <step>
#                                       the same summary of saved `sccache --show-stats
#                                       --stats-format=json` output (FILE, or - for stdin); no server
#
# Everything is a no-op unless USE_SCCACHE=true, so Dockerfiles call setup-env and show-stats
# unconditionally. setup-env never fails the build: when the cache cannot be used it prints
# nothing and the step compiles without a cache (with a warning on stderr).
#
# Inputs (environment; in Dockerfiles these are the stage's build args):
#   USE_SCCACHE            "true" to enable
#   SCCACHE_BUCKET         S3 bucket (required when enabled)
#   SCCACHE_REGION         S3 region
#   SCCACHE_S3_KEY_PREFIX  key prefix inside the bucket (default: ${ARCH_ALT})
#   ARCH_ALT               x86_64 | aarch64 (install; default: uname -m)
#   SCCACHE_VERSION        release to install (default below)
#   SCCACHE_SHA256         optional pinned sha256 of the release tarball (otherwise the
#                          published .sha256 file next to the tarball is used)
#   SCCACHE_STATS_JSON     show-stats: summarize this saved JSON file (- for stdin) instead of
#                          asking the server; works with USE_SCCACHE unset, stops no server
# Secret files (BuildKit --mount=type=secret): /run/secrets/aws-key-id, /run/secrets/aws-secret-id

set -euo pipefail

SCCACHE_VERSION="${SCCACHE_VERSION:-v0.14.0}"
SCCACHE_INSTALL_DIR="${SCCACHE_INSTALL_DIR:-/usr/local/bin}"
SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"

log() { echo "[use-sccache] $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat <<EOF
Usage: $(basename "$0") <command> [args]

Commands:
  install             install sccache ${SCCACHE_VERSION} for \${ARCH_ALT} (x86_64|aarch64) into ${SCCACHE_INSTALL_DIR}
  setup-env [MODE]    start the server and print exports; eval the output:
                        eval "\$($(basename "$0") setup-env)"        RUSTC_WRAPPER + CMAKE_{C,CXX,CUDA}_COMPILER_LAUNCHER
                        eval "\$($(basename "$0") setup-env cmake)"  same as the default
                        eval "\$($(basename "$0") setup-env cc)"     RUSTC_WRAPPER + CC/CXX wrapped (autotools, meson)
  show-stats STEP     print hits, misses and hit rate summed over all languages, then stop the server
                      (SCCACHE_STATS_JSON=FILE|-: summarize saved --stats-format=json output instead)
  help                this text

All commands except install and help do nothing unless USE_SCCACHE=true
(show-stats with SCCACHE_STATS_JSON set always summarizes that file).
EOF
}

enabled() { [ "${USE_SCCACHE:-false}" = "true" ]; }

fetch() { # fetch URL DEST
    curl -fsSL --retry 5 --retry-delay 5 --retry-connrefused -o "$2" "$1"
}

cmd_install() {
    local arch="${ARCH_ALT:-$(uname -m)}"
    case "${arch}" in
        x86_64|aarch64) ;;
        *) die "unsupported ARCH_ALT '${arch}' (expected x86_64 or aarch64)" ;;
    esac
    command -v curl >/dev/null 2>&1 || die "curl is required to install sccache"

    local name="sccache-${SCCACHE_VERSION}-${arch}-unknown-linux-musl"
    local url="https://github.com/mozilla/sccache/releases/download/${SCCACHE_VERSION}/${name}.tar.gz"
    local tmp
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '${tmp}'" EXIT

    log "installing sccache ${SCCACHE_VERSION} (${arch})"
    fetch "${url}" "${tmp}/${name}.tar.gz"

    local expected="${SCCACHE_SHA256:-}"
    if [ -z "${expected}" ]; then
        fetch "${url}.sha256" "${tmp}/${name}.tar.gz.sha256"
        expected="$(awk '{print $1; exit}' "${tmp}/${name}.tar.gz.sha256")"
    fi
    [ -n "${expected}" ] || die "no checksum available for ${name}.tar.gz"
    echo "${expected}  ${tmp}/${name}.tar.gz" | sha256sum -c - >&2 \
        || die "checksum mismatch for ${name}.tar.gz"

    tar -xzf "${tmp}/${name}.tar.gz" -C "${tmp}"
    install -m 0755 "${tmp}/${name}/sccache" "${SCCACHE_INSTALL_DIR}/sccache"
    "${SCCACHE_INSTALL_DIR}/sccache" --version >&2
}

# Start a fresh server for this build step. The AWS credentials only ever live in the
# environment of the server process: they are read from the secret files here (this script
# never runs with xtrace), so they cannot show up in the build log of the calling RUN.
start_server() {
    local key_file="${SECRETS_DIR}/aws-key-id" secret_file="${SECRETS_DIR}/aws-secret-id"
    sccache --stop-server >/dev/null 2>&1 || true
    (
        if [ -s "${key_file}" ] && [ -s "${secret_file}" ]; then
            AWS_ACCESS_KEY_ID="$(cat "${key_file}")"
            AWS_SECRET_ACCESS_KEY="$(cat "${secret_file}")"
            export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
        else
            log "no aws-key-id/aws-secret-id secrets mounted; relying on ambient AWS credentials"
        fi
        export SCCACHE_BUCKET
        export SCCACHE_REGION="${SCCACHE_REGION:-}"
        export SCCACHE_S3_KEY_PREFIX="${SCCACHE_S3_KEY_PREFIX:-${ARCH_ALT:-$(uname -m)}}"
        export SCCACHE_IDLE_TIMEOUT=0
        sccache --start-server >&2
    )
}

cmd_setup_env() {
    local mode="${1:-cmake}"
    case "${mode}" in
        cmake|cc) ;;
        *) die "unknown setup-env mode '${mode}' (expected cmake or cc)" ;;
    esac
    if ! enabled; then
        echo "# sccache disabled (USE_SCCACHE=${USE_SCCACHE:-false})"
        return 0
    fi
    if ! command -v sccache >/dev/null 2>&1; then
        log "warning: USE_SCCACHE=true but sccache is not installed; compiling without cache"
        return 0
    fi
    if [ -z "${SCCACHE_BUCKET:-}" ]; then
        log "warning: USE_SCCACHE=true but SCCACHE_BUCKET is empty; compiling without cache"
        return 0
    fi
    if ! start_server; then
        log "warning: the sccache server did not start; compiling without cache"
        return 0
    fi
    echo "export RUSTC_WRAPPER=sccache;"
    echo "export CARGO_INCREMENTAL=0;"
    if [ "${mode}" = "cc" ]; then
        # Autotools and Meson take the launcher through CC/CXX. No CMAKE_CUDA_COMPILER_LAUNCHER
        # here: Meson picks it up and tries to run "sccache nvcc" as a compiler path.
        # shellcheck disable=SC2016
        echo 'export CC="sccache ${CC:-gcc}";'
        # shellcheck disable=SC2016
        echo 'export CXX="sccache ${CXX:-g++}";'
    else
        echo "export CMAKE_C_COMPILER_LAUNCHER=sccache;"
        echo "export CMAKE_CXX_COMPILER_LAUNCHER=sccache;"
        echo "export CMAKE_CUDA_COMPILER_LAUNCHER=sccache;"
    fi
}

# Sum cache hits and misses over every language category of the JSON stats (C/C++, Rust, CUDA,
# CUDA device code, PTX, CUBIN, ...), so CUDA sub-compilations count however sccache's own summary
# line counts them. The hit rate is rounded half up in integer hundredths of a percent, the same
# in the python3 and jq branches and in dynamo_container/sccache.py (tests/unit/test_sccache.py).
summarize_json() { # summarize_json STEP < json
    local step="$1" py=""
    for candidate in python3 /usr/libexec/platform-python python; do
        if command -v "${candidate}" >/dev/null 2>&1; then py="${candidate}"; break; fi
    done
    if [ -n "${py}" ]; then
        STEP="${step}" "${py}" -c '
import json, os, sys
step = os.environ["STEP"]
stats = json.load(sys.stdin).get("stats", {})
def counts(key):
    value = stats.get(key) or {}
    return {k: int(v) for k, v in (value.get("counts") or {}).items()}
def rate(h, m):
    r = (20000 * h + h + m) // (2 * (h + m)) if h + m else 0
    return "%d.%02d" % divmod(r, 100)
hits, misses = counts("cache_hits"), counts("cache_misses")
langs = sorted(set(hits) | set(misses))
print("=== sccache statistics after %s ===" % step)
for lang in langs:
    h, m = hits.get(lang, 0), misses.get(lang, 0)
    print("  %-8s hits %7d  misses %7d  hit rate %6s%%" % (lang, h, m, rate(h, m)))
total_h, total_m = sum(hits.values()), sum(misses.values())
print("  %-8s hits %7d  misses %7d  hit rate %6s%%" % ("all", total_h, total_m, rate(total_h, total_m)))
print("SCCACHE_SUMMARY step=%s hits=%d misses=%d hit_rate=%s%%" % (step.replace(" ", "_"), total_h, total_m, rate(total_h, total_m)))
'
    elif command -v jq >/dev/null 2>&1; then
        jq -r --arg step "${step}" '
            def rate($h; $m): (if ($h + $m) > 0 then ((20000 * $h + $h + $m) / (2 * ($h + $m)) | floor) else 0 end)
                | "\(. / 100 | floor).\(. % 100 | tostring | if length < 2 then "0" + . else . end)";
            (.stats.cache_hits.counts // {}) as $h | (.stats.cache_misses.counts // {}) as $m
            | ([$h[]] | add // 0) as $th | ([$m[]] | add // 0) as $tm
            | "=== sccache statistics after \($step) ===",
              (($h + $m) | keys[] as $k
                | "  \($k): hits \($h[$k] // 0) misses \($m[$k] // 0) hit rate \(rate($h[$k] // 0; $m[$k] // 0))%"),
              "  all: hits \($th) misses \($tm) hit rate \(rate($th; $tm))%",
              "SCCACHE_SUMMARY step=\($step | gsub(" "; "_")) hits=\($th) misses=\($tm) hit_rate=\(rate($th; $tm))%"'
    else
        echo "=== sccache statistics after ${step} (raw JSON; no python3 or jq to summarize) ==="
        cat
        echo
    fi
}

cmd_show_stats() {
    local step="${1:-build}"
    if [ -n "${SCCACHE_STATS_JSON:-}" ]; then # saved statistics: summarize them, touch no server
        if [ "${SCCACHE_STATS_JSON}" = "-" ]; then
            summarize_json "${step}"
        else
            [ -r "${SCCACHE_STATS_JSON}" ] || die "cannot read SCCACHE_STATS_JSON=${SCCACHE_STATS_JSON}"
            summarize_json "${step}" < "${SCCACHE_STATS_JSON}"
        fi
        return
    fi
    if ! enabled; then
        echo "=== sccache not in use for ${step} (USE_SCCACHE=${USE_SCCACHE:-false}) ==="
        return 0
    fi
    if ! command -v sccache >/dev/null 2>&1; then
        echo "=== sccache not installed; no statistics for ${step} ==="
        return 0
    fi
    local json
    if ! json="$(sccache --show-stats --stats-format=json 2>/dev/null)"; then
        echo "=== sccache statistics unavailable for ${step} ==="
        return 0
    fi
    printf '%s\n' "${json}" | summarize_json "${step}" || true
    # One server per build step: stopping it flushes pending cache writes before the RUN ends.
    sccache --stop-server >/dev/null 2>&1 || true
}

main() {
    local cmd="${1:-help}"
    [ $# -gt 0 ] && shift
    case "${cmd}" in
        install) cmd_install ;;
        setup-env) cmd_setup_env "$@" ;;
        show-stats) cmd_show_stats "$@" ;;
        help|-h|--help) usage ;;
        *) log "unknown command: ${cmd}"; usage >&2; exit 1 ;;
    esac
}

main "$@"
