#!/bin/bash
# Readiness check: every model named on the command line has a version in state AVAILABLE.
#
#   tfs-ready.sh digits [digits_ab ...]          (exit 0 = ready)
#
# TF Serving's model status API (GET /v1/models/NAME) answers 200 while a version is still
# LOADING, or already UNLOADING or END (get_model_status_impl.cc): an HTTP check of the status
# code would send traffic to a replica that cannot answer. The image has neither curl nor wget,
# so bash's /dev/tcp sends the request. TFS_REST_PORT overrides the port (8501).
set -u
port="${TFS_REST_PORT:-8501}"
[ "$#" -gt 0 ] || { echo "usage: tfs-ready.sh MODEL [MODEL ...]" >&2; exit 2; }
for model in "$@"; do
    exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
    printf 'GET /v1/models/%s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$model" >&3
    response=$(cat <&3)
    exec 3<&-
    # The status line must be 200 and one version "state": "AVAILABLE".
    case "$response" in
        "HTTP/1."?" 200 "*) ;;
        *) echo "tfs-ready: $model: ${response%%$'\r'*}" >&2; exit 1 ;;
    esac
    if ! grep -Eq '"state"[[:space:]]*:[[:space:]]*"AVAILABLE"' <<<"$response"; then
        echo "tfs-ready: $model has no AVAILABLE version" >&2
        exit 1
    fi
done
