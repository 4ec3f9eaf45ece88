#!/bin/bash
# Entrypoint for TF Serving that stops in seconds without dropping the calls it is answering.
#
# Why not the image's own entrypoint: the official image's /usr/bin/tf_serving_entrypoint.sh
# (tools/docker/Dockerfile) is a bash script that runs tensorflow_model_server without `exec`,
# and TF Serving installs no SIGTERM handler (model_servers/main.cc only waits for the servers).
# A process that is PID 1 of its container gets only the signals it has a handler for, so
# `docker stop` and the kubelet's SIGTERM do nothing and the runtime SIGKILLs every call in flight
# when the grace period ends. `exec` alone would not help: tensorflow_model_server as PID 1
# ignores SIGTERM for the same reason.
#
# Here bash stays PID 1 and handles SIGTERM: it lets the server answer for TFS_DRAIN_SECONDS
# more (calls in flight finish; the load balancer has meanwhile taken the replica out), then sends
# SIGTERM to the server, which is no longer PID 1, so the default action ends it at once.
# Keep TFS_DRAIN_SECONDS (+ the Kubernetes preStop sleep) below the grace period
# (docker stop -t / stop_grace_period, terminationGracePeriodSeconds).
#
# Arguments are passed on like the official entrypoint does (later flags win).
set -u
drain_seconds="${TFS_DRAIN_SECONDS:-5}"

tensorflow_model_server --port=8500 --rest_api_port=8501 \
    --model_name="${MODEL_NAME:-model}" --model_base_path="${MODEL_BASE_PATH:-/models}/${MODEL_NAME:-model}" \
    "$@" &
server=$!

stopping=0
stop() {
    stopping=1
    echo "tfs-entrypoint: $1: serving ${drain_seconds}s more, then stopping" >&2
    sleep "$drain_seconds"
    kill -TERM "$server" 2>/dev/null
}
trap 'stop SIGTERM' TERM
trap 'stop SIGINT' INT

# `wait` returns early when a trapped signal arrives; wait again for the server's own exit.
while :; do
    wait "$server"
    status=$?
    if ! kill -0 "$server" 2>/dev/null; then
        break
    fi
done
# Stopped on request: a clean exit, not "killed by SIGTERM" (143).
if [ "$stopping" = 1 ] && [ "$status" = 143 ]; then
    status=0
fi
exit "$status"
