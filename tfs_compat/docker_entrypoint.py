"""Opt-in equivalent of the official image's /usr/bin/tf_serving_entrypoint.sh (tools/docker/Dockerfile).

Runs the server with --port=8500 --rest_api_port=8501 --model_name=${MODEL_NAME}
--model_base_path=${MODEL_BASE_PATH}/${MODEL_NAME} followed by the extra args
(later flags win, as in TF flag parsing). Defaults: MODEL_NAME=model, MODEL_BASE_PATH=/models.
"""
import os
import sys


def build_argv(extra, env=os.environ):
    name = env.get("MODEL_NAME", "model")
    base = env.get("MODEL_BASE_PATH", "/models")
    return ["--port=8500", "--rest_api_port=8501", "--model_name=%s" % name,
            "--model_base_path=%s/%s" % (base, name)] + list(extra)


def main():
    """Replace this process by the server (exec: one process, which signals reach directly)."""
    args = [sys.executable, "-m", "tfs_compat"] + build_argv(sys.argv[1:])
    os.execv(sys.executable, args)


if __name__ == "__main__":
    main()
