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
from ghostwright import config as configuration, network, telemetry


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
    "localhost", "http://ollama.localhost:11434", "http://[::ffff:127.0.0.1]:80",
])
def test_loopback_addresses_are_allowed(url):
    network.check_address(url, allow_remote=False)


@pytest.mark.parametrize("url", [
    "http://192.168.1.20:11434", "https://api.example.com/v1", "10.0.0.1:8000", "http://[2001:db8::1]/",
    "http://localhost.example.com", "http://0.0.0.0:11434",
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
