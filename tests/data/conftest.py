"""Fixtures for the data tests: a clean environment, tiny datasets in the registry, a local HTTP mirror."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from data_helpers import make_tiny

from nnbench.data import registry


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No NNBENCH_* variables, and the default cache inside tmp_path (never the real ~/.cache)."""
    for variable in ("NNBENCH_DATA", "NNBENCH_CACHE", "NNBENCH_MIRROR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return tmp_path


@pytest.fixture
def tiny(clean_env, monkeypatch):
    """Tiny 'mnist' and 'fashion-mnist' in the registry; their files in tmp/source/<name>/.

    Their mirrors point at a closed local port, so an unexpected download fails fast.
    """
    datasets = {}
    for seed, name in enumerate(("mnist", "fashion-mnist")):
        data = make_tiny(name, seed, mirrors=("http://127.0.0.1:9/",))
        monkeypatch.setitem(registry.REGISTRY, name, data.spec)
        data.write(clean_env / "source" / name)
        datasets[name] = data
    return datasets


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list = []

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def http_mirror(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp/www; yields (base_url, www_folder, requested_paths)."""
    www = tmp_path / "www"
    www.mkdir()
    requests: list[str] = []
    handler_class = type("Handler", (_RecordingHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler_class, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", www, requests
    finally:
        server.shutdown()
        server.server_close()
