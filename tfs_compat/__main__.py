"""Entry point mirroring tensorflow_model_server (model_servers/main.cc + server.cc BuildAndStart).

python -m tfs_compat --port=8500 --rest_api_port=8501 --model_name=NAME --model_base_path=/abs/path
"""
import asyncio
import gc
import logging
import os
import signal
import sys
import threading


def _setup_logging():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s.%(msecs)03d: %(levelname).1s %(name)s] %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")


def main(argv):
    from . import flags
    opts, ok, unknown = flags.parse(argv)
    usage = flags.usage(argv[0])
    if not ok:
        sys.stdout.write(usage)
        sys.stdout.flush()
        return 255
    if opts.version:
        import tensorflow as tf
        sys.stdout.write("TensorFlow ModelServer: %s\nTensorFlow Library: %s\n" % (flags.SERVING_VERSION, tf.__version__))
        return 0
    if unknown:
        sys.stdout.write("unknown argument: %s\n%s" % (unknown[0], usage))
        sys.stdout.flush()
    _setup_logging()
    from .errors import ServingError
    from .malloc_tuning import keep_large_bodies_in_the_heap
    keep_large_bodies_in_the_heap()  # before the first request body is read
    server = _Server(opts)
    try:
        server.build_and_start()
    except ServingError as e:
        sys.stdout.write("Failed to start server. Error: %s\n" % e.to_string())
        sys.stdout.flush()
        server.shutdown()
        return 255
    server.wait_for_termination()
    server.shutdown()
    return 0


class _Server:
    def __init__(self, opts):
        self.opts = opts
        self.manager = None
        self.grpc = None
        self.rest_loop = None
        self.rest_runner = None
        self.rest_thread = None
        self.stop_event = threading.Event()
        self.log = logging.getLogger("tensorflow_serving")

    def build_and_start(self):
        from . import config
        opts = self.opts
        # TF Serving installs no signal handler (model_servers/ has none): SIGTERM or SIGINT ends it at
        # once, also while it waits for its models to load. So here until the servers are up; then
        # the handlers below let a stop close the ports in order.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        config.validate(opts)
        server_config = config.model_server_config(opts)
        batching = config.batching_parameters(opts)
        monitoring = config.monitoring_config(opts)
        channel_args = config.grpc_channel_arguments(opts.grpc_channel_arguments)

        from .core import Core
        from .manager import Manager
        from . import servable as sv_mod
        from .servable import Servable, session_config, warmup
        from .tflite_servable import TfLiteServable, has_tflite_model
        # TF Serving has no garbage collector. Python's, when a JSON body's many lists set off a full
        # collection, walks every object TensorFlow made on import: a 150-200 ms stall on about one
        # REST call in ten at 256 digits images (measured). Those objects live as long as the
        # process, so they leave the collector's view here; the models' objects, loaded next, stay
        # in it, so an unloaded version is still collected. No gc.collect() first: right after the
        # imports it frees nothing and costs a quarter of a second per start (measured).
        gc.freeze()
        tags = [t for t in opts.saved_model_tags.split(",")] if opts.saved_model_tags else []
        sess_cfg = session_config(opts)
        holder = {}
        batch_scheduler = None
        if batching is not None:
            from .batching import BatchScheduler
            batch_scheduler = BatchScheduler(batching)
        self.batch_scheduler = batch_scheduler

        def load(name, version, path):
            if opts.prefer_tflite_model and has_tflite_model(path):  # saved_model_bundle_factory.cc
                s = TfLiteServable(name, version, path)
            else:
                s = Servable(name, version, path, tags, sess_cfg)
            try:
                if opts.enable_model_warmup:
                    core = holder["core"]
                    warmup(s, {
                        "predict_log": core.predict_on, "classify_log": core.classify_on,
                        "regress_log": core.regress_on, "multi_inference_log": core.multi_inference_on,
                    }, opts.num_request_iterations_for_warmup)
            except Exception:
                s.unload()
                raise
            if batch_scheduler is not None:
                s.batcher = batch_scheduler.for_servable(s)
            return s

        self.manager = Manager(opts, load)
        core = holder["core"] = Core(self.manager, opts)
        self.manager.start()
        self.manager.reload_config(server_config)
        _ = sv_mod

        if opts.model_config_file and opts.model_config_file_poll_wait_seconds > 0:
            threading.Thread(target=self._poll_config, daemon=True, name="config-poll").start()

        from . import grpc_server
        self.grpc = grpc_server.start(core, opts, channel_args)
        self.log.info("Running gRPC ModelServer at 0.0.0.0:%d ...", opts.port)
        if opts.rest_api_port:
            if opts.rest_api_port == opts.port:
                self.log.error("server_options.http_port cannot be same as grpc_port. Please use a different port "
                               "for HTTP/REST API. Skipped exporting HTTP/REST API.")
            else:
                self._start_rest(core, monitoring)
                self.log.info("Exporting HTTP/REST API at:localhost:%d ...", opts.rest_api_port)
        signal.signal(signal.SIGTERM, lambda *a: self.stop_event.set())
        signal.signal(signal.SIGINT, lambda *a: self.stop_event.set())

    def _start_rest(self, core, monitoring):
        from . import rest_server
        from .errors import ServingError, C
        started = threading.Event()
        failure = []

        def run():
            loop = asyncio.new_event_loop()
            self.rest_loop = loop
            asyncio.set_event_loop(loop)
            try:
                self.rest_runner = loop.run_until_complete(rest_server.start(core, self.opts, monitoring))
            except Exception as e:  # noqa: BLE001
                failure.append(e)
                started.set()
                return
            started.set()
            loop.run_forever()

        self.rest_thread = threading.Thread(target=run, daemon=True, name="rest")
        self.rest_thread.start()
        started.wait()
        if failure:
            raise ServingError(C.UNKNOWN, "Failed to start HTTP Server at localhost:%d" % self.opts.rest_api_port)

    def _poll_config(self):
        from . import config
        from .errors import ServingError
        from tensorflow_serving.config import model_server_config_pb2
        while not self.stop_event.wait(self.opts.model_config_file_poll_wait_seconds):
            try:
                cfg = config.read_text_proto(self.opts.model_config_file, model_server_config_pb2.ModelServerConfig())
            except ServingError as e:
                self.log.error("Failed to read ModelServerConfig file: %s", e.to_string())
                continue
            try:
                self.manager.reload_config(cfg)
            except ServingError as e:
                self.log.error("PollFilesystemAndReloadConfig failed to ReloadConfig: %s", e.to_string())

    def wait_for_termination(self):
        while not self.stop_event.wait(1.0):
            pass

    def shutdown(self):
        if self.rest_loop is not None and self.rest_runner is not None:
            fut = asyncio.run_coroutine_threadsafe(self.rest_runner.cleanup(), self.rest_loop)
            try:
                fut.result(timeout=5)
            except Exception:  # noqa: BLE001
                pass
            self.rest_loop.call_soon_threadsafe(self.rest_loop.stop)
        if self.grpc is not None:
            self.grpc.stop(grace=1).wait(5)
        if getattr(self, "batch_scheduler", None) is not None:
            self.batch_scheduler.stop()
        if self.manager is not None:
            self.manager.stop()


def console_main():
    """``python -m tfs_compat`` and the ``tfs-compat`` console script."""
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # without waiting for the servers' non-daemon threads, as the C++ server exits


if __name__ == "__main__":
    console_main()
