"""Provably offline: every test process runs under a network audit hook, and ghostwright never phones home."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import AUDIT_ENV, FAST, session
from ghostwright import config as configuration
from ghostwright.trust import network, no_telemetry as telemetry


def _child(code: str, tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run `code` in a fresh Python that logs to its own audit file (not the session's)."""
    log = tmp_path / "audit.log"
    full_env = {**os.environ, AUDIT_ENV: str(log), **env}
    full_env.pop("CI", None)  # CI=true would switch OpenVINO's telemetry off by itself
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                          capture_output=True, text=True, timeout=120)
    return done, log.read_text() if log.exists() else ""


def test_the_audit_hook_refuses_and_records_non_loopback_use_in_children_and_their_forks(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    done, log = _child(f"""
        import multiprocessing, socket, urllib.request
        socket.create_connection(("127.0.0.1", {port}), timeout=5).close()  # loopback: allowed
        try:
            socket.socket().connect(("192.0.2.1", 9))  # no lookup first: the connect itself is caught
        except PermissionError as exc:
            print("refused:", exc)
        def fetch():
            urllib.request.urlopen("http://example.com/", timeout=5)
        p = multiprocessing.get_context("fork").Process(target=fetch)
        p.start(); p.join()
        print("fork exit", p.exitcode)
    """, tmp_path)
    listener.close()
    assert "refused: ghostwright network audit: socket.connect to '192.0.2.1'" in done.stdout, done.stderr
    assert "fork exit 1" in done.stdout
    lines = log.splitlines()
    assert any("socket.connect '192.0.2.1'" in line for line in lines)
    assert any("socket.getaddrinfo 'example.com'" in line for line in lines)
    assert not any("127.0.0.1" in line for line in lines)


def test_ghostwright_imports_openvino_without_a_telemetry_trace(tmp_path):
    done, log = _child("""
        import ghostwright, openvino, openvino_genai, time
        try:
            import openvino_telemetry
            print("telemetry importable")
        except ImportError:
            print("telemetry blocked")
        time.sleep(1)  # openvino's sender would fork and connect within this second
    """, tmp_path, HOME=str(tmp_path))
    assert "telemetry blocked" in done.stdout, done.stderr
    assert log == ""
    assert not (tmp_path / "intel" / "openvino_ga_cid").exists()
    assert not (tmp_path / "intel" / "stats").exists()


async def test_the_server_runs_under_the_audit_hook_and_declines_openvino_telemetry(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    async with session(FAST, env=env) as s:
        await s.status()
        pid = s.client._server.pid
        pids = Path(os.environ[AUDIT_ENV] + ".pids").read_text().split()
        assert str(pid) in pids, "the server did not install the network audit hook"
    assert (tmp_path / "intel" / "openvino_telemetry").read_text() == "0"
    assert not (tmp_path / "intel" / "openvino_ga_cid").exists()


def test_decline_on_disk_keeps_an_existing_choice(tmp_path):
    assert "written by ghostwright" in telemetry.decline_on_disk(tmp_path)
    assert telemetry.consent_file(tmp_path).read_text() == "0"
    telemetry.consent_file(tmp_path).write_text("1")
    assert "opted in" in telemetry.decline_on_disk(tmp_path)
    assert telemetry.consent_file(tmp_path).read_text() == "1"


@pytest.mark.parametrize("url", [
    "http://localhost:11434", "http://127.0.0.1:8000/v1", "127.0.0.5:11434", "http://[::1]:11434",
    "localhost", "http://LocalHost:8000/v1", "http://[::ffff:127.0.0.1]:80",
])
def test_loopback_addresses_are_allowed(url):
    network.check_address(url, allow_remote=False)


@pytest.mark.parametrize("url", [
    "http://192.168.1.20:11434", "https://api.example.com/v1", "10.0.0.1:8000", "http://[2001:db8::1]/",
    "http://localhost.example.com", "http://0.0.0.0:11434",
    # Names the resolver would answer (from /etc/hosts, or a DNS server off the machine): only the
    # exact name `localhost` is mapped by ghostwright itself.
    "http://foo.localhost:8000/v1", "http://localhost.:11434", "http://ollama.localhost:11434",
])
def test_remote_addresses_need_allow_remote(url):
    with pytest.raises(network.RemoteAddressError, match="allowRemote"):
        network.check_address(url, allow_remote=False)
    network.check_address(url, allow_remote=True)


def test_doctor_shows_allow_remote_and_the_telemetry_state(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    (tmp_path / "ghostwright").mkdir()
    (tmp_path / "ghostwright" / "config.toml").write_text("allowRemote = true\n")
    done = subprocess.run([sys.executable, "-m", "ghostwright", "doctor"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert "allowRemote = true" in done.stdout
    assert "telemetry: declined" in done.stdout
    cfg, _, problems = configuration.load(init_options={"allowRemote": False})
    assert problems == [] and cfg.allow_remote is False


async def test_a_remote_ollama_or_openai_server_is_refused_before_any_connection():
    from ghostwright.backends.base import BackendError
    from ghostwright.backends.ollama import OllamaBackend
    from ghostwright.backends.openai import OpenAIBackend
    from ghostwright.config import OllamaConfig, OpenAIConfig

    # 192.0.2.0/24 is TEST-NET-1: were it contacted, the audit hook would fail the run too.
    ollama_backend = OllamaBackend(OllamaConfig(host="http://192.0.2.10:11434", model="qwen2.5-coder:7b"))
    with pytest.raises(BackendError, match="allowRemote"):
        await ollama_backend.load(lambda _msg: None)
    openai_backend = OpenAIBackend(OpenAIConfig(base_url="http://192.0.2.11:8000/v1", model="m"))
    with pytest.raises(BackendError, match="allowRemote"):
        await openai_backend.load(lambda _msg: None)


# --- no name is ever resolved unless allowRemote: not even `localhost` ---

def test_the_audit_hook_records_every_name_handed_to_the_resolver(tmp_path):
    done, log = _child("""
        import socket
        for name in ("localhost", "foo.localhost", "localhost."):
            try:
                socket.getaddrinfo(name, 80)
            except PermissionError:
                print("refused", name)
        try:
            socket.gethostbyname("localhost")
        except PermissionError:
            print("refused gethostbyname")
        socket.getaddrinfo("127.0.0.1", 80)  # a literal: no resolver is asked
        socket.getaddrinfo("::1", 80)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == ["refused localhost", "refused foo.localhost", "refused localhost.",
                                           "refused gethostbyname"]
    assert len(log.splitlines()) == 4 and "127.0.0.1" not in log and "'::1'" not in log


@pytest.mark.parametrize("backend, url", [
    ("openai", "http://foo.localhost:8000/v1"), ("openai", "http://localhost.:8000/v1"),
    ("ollama", "http://localhost.:11434"), ("ollama", "http://foo.localhost:11434"),
])
def test_a_name_that_only_looks_local_is_refused_before_any_lookup(tmp_path, backend, url):
    done, log = _child(f"""
        import asyncio
        from ghostwright.backends.base import BackendError
        from ghostwright.backends.ollama import OllamaBackend
        from ghostwright.backends.openai import OpenAIBackend
        from ghostwright.config import OllamaConfig, OpenAIConfig

        async def main():
            if {backend!r} == "ollama":
                b = OllamaBackend(OllamaConfig(host={url!r}, model="qwen2.5-coder:7b"))
            else:
                b = OpenAIBackend(OpenAIConfig(base_url={url!r}, model="m"))
            try:
                await b.load(lambda _msg: None)
                print("loaded")
            except BackendError as exc:
                print("refused:", exc)
            await b.close()
        asyncio.run(main())
    """, tmp_path)
    assert "refused:" in done.stdout and "allowRemote" in done.stdout, done.stdout + done.stderr
    assert log == ""


def test_localhost_is_reached_at_127_0_0_1_without_asking_the_resolver(tmp_path):
    done, log = _child("""
        import asyncio, json, socketserver, threading
        from http.server import BaseHTTPRequestHandler
        from ghostwright.backends.openai import OpenAIBackend
        from ghostwright.config import OpenAIConfig

        hosts = []
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hosts.append(self.headers.get("Host"))
                body = json.dumps({"object": "list", "data": [{"id": "m"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = socketserver.TCPServer(("127.0.0.1", 0), Handler)  # plain TCP: no getfqdn lookup
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()

        async def main():
            b = OpenAIBackend(OpenAIConfig(base_url=f"http://localhost:{port}/v1", model="m"))
            await b.load(lambda _msg: None)
            await b.close()
            print("reachable; Host:", hosts[0] == f"localhost:{port}")
        asyncio.run(main())
        server.shutdown()
    """, tmp_path)
    assert "reachable; Host: True" in done.stdout, done.stdout + done.stderr
    assert log == ""
