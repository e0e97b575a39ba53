"""A protocol-faithful stand-in for Ollama (and its /v1 OpenAI-style API) whose tokens come from the real
local model. Ollama itself cannot run on these machines; docs/backends.md says what was checked only here.

Run: python tests/fake_ollama.py --port 0  → prints "PORT <n>" and serves on 127.0.0.1 only.

Endpoints as documented by Ollama: POST /api/generate (NDJSON stream, `suffix`, `raw`, load/unload with
an empty prompt, `done_reason` and the final statistics), POST /api/show (capabilities, license, template),
GET /api/ps (size, size_vram), GET /api/version, GET /v1/models, POST /v1/completions (SSE).
Test controls, not part of Ollama: POST /_fake/control, GET /_fake/log, POST /_fake/reset.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODEL_DIR = Path(os.environ.get("GHOSTWRIGHT_MODELS_DIR", Path.home() / ".cache/ghostwright/models")) / "qwen2.5-coder-0.5b"

QWEN_FIM = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
# Two models, both answered by the local Qwen2.5-Coder-0.5B: one whose template has .Suffix (insert),
# one without (a chat-style template, like codellama:instruct), for the 400 "does not support insert".
MODELS = {
    "qwen2.5-coder:7b": {
        "capabilities": ["completion", "insert"],
        "template": "{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>"
                    "{{- else }}{{ .Prompt }}{{- end }}",
        "license": "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/",
        "details": {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
                    "parameter_size": "7.6B", "quantization_level": "Q4_K_M"},
        "size": 4_900_000_000,
    },
    "codellama:7b-instruct": {
        "capabilities": ["completion"],
        "template": "[INST] {{ .System }} {{ .Prompt }} [/INST]",
        "license": "LLAMA 2 COMMUNITY LICENSE AGREEMENT",
        "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                    "parameter_size": "7B", "quantization_level": "Q4_0"},
        "size": 4_200_000_000,
    },
}
# Stops every one of these models' Modelfile sets (PARAMETER stop ...).
MODEL_STOPS = ["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_start|>", "<|im_end|>"]
LOAD_OPTIONS = ("num_ctx", "num_batch", "num_gpu")


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Runner:
    """The real model, one generation at a time (as an Ollama runner with OLLAMA_NUM_PARALLEL=1)."""

    def __init__(self, path: Path) -> None:
        import openvino_genai as og

        self.og = og
        self.pipe = og.LLMPipeline(str(path), "CPU")
        self.tok = self.pipe.get_tokenizer()
        self.lock = threading.Lock()
        self.eos = self.pipe.get_generation_config().eos_token_id

    def token_ids(self, strings: list[str]) -> set[int]:
        ids = {self.eos}
        for s in strings:
            enc = self.tok.encode(s, add_special_tokens=False).input_ids.data[0]
            if len(enc) == 1:
                ids.add(int(enc[0]))
        return ids

    def count(self, text: str) -> int:
        return len(self.tok.encode(text, add_special_tokens=False).input_ids.data[0])

    def generate(self, prompt: str, opts: dict, on_text) -> tuple[int, str]:
        """Stream text pieces to on_text (False stops); returns (tokens generated, done_reason)."""
        og = self.og
        cfg = og.GenerationConfig()
        predict = int(opts.get("num_predict", -1))
        cfg.max_new_tokens = predict if predict > 0 else 128  # Ollama: -1 is "until done"
        cfg.apply_chat_template = False
        stops = opts.get("stop") or []
        stops = [stops] if isinstance(stops, str) else list(stops)
        cfg.stop_token_ids = self.token_ids(stops + MODEL_STOPS)
        temperature = float(opts.get("temperature", 0.8))
        if temperature > 0:
            cfg.do_sample, cfg.temperature, cfg.top_p = True, temperature, float(opts.get("top_p", 0.9))
            if "seed" in opts:
                cfg.rng_seed = int(opts["seed"])
        text_stops = [s for s in stops if len(self.token_ids([s]) - {self.eos}) == 0]
        state = {"pending": "", "stopped_by": None}

        def piece(text: str):
            state["pending"] += text
            for s in text_stops:  # a stop string ends the answer, and is not part of it
                at = state["pending"].find(s)
                if at != -1:
                    out = state["pending"][:at]
                    state["pending"], state["stopped_by"] = "", "stop"
                    if out:
                        on_text(out)
                    return og.StreamingStatus.STOP
            # Hold back what could still become a stop string.
            hold = max((k for s in text_stops for k in range(1, len(s)) if state["pending"].endswith(s[:k])),
                       default=0)
            out = state["pending"][:len(state["pending"]) - hold]
            state["pending"] = state["pending"][len(out):]
            if out and on_text(out) is False:
                state["stopped_by"] = "cancel"
                return og.StreamingStatus.STOP
            return og.StreamingStatus.RUNNING

        tok, stop_ids = self.tok, cfg.stop_token_ids

        class PerToken(og.StreamerBase):
            """One callback per token, as Ollama streams one chunk per token."""

            def __init__(self) -> None:
                super().__init__()
                self.ids: list[int] = []
                self.sent = ""

            def write(self, token):
                if state["stopped_by"]:
                    return og.StreamingStatus.STOP
                ids = [int(t) for t in token] if isinstance(token, (list, tuple)) else [int(token)]
                self.ids += [t for t in ids if t not in stop_ids]
                text = tok.decode(self.ids, skip_special_tokens=False)
                if text.endswith("\ufffd"):  # half a UTF-8 character: wait for the rest
                    return og.StreamingStatus.RUNNING
                new, self.sent = text[len(self.sent):], text
                return piece(new)

            def end(self) -> None:
                pass

        with self.lock:
            result = self.pipe.generate([prompt], cfg, PerToken())
        if state["pending"] and state["stopped_by"] is None:
            on_text(state["pending"])
        n = result.perf_metrics.get_num_generated_tokens()
        reason = state["stopped_by"] or ("length" if n >= cfg.max_new_tokens else "stop")
        return n, reason


class State:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.lock = threading.Lock()
        self.log: list[dict] = []
        self.once: list[dict] = []  # behaviours for the next generation requests, in order
        self.settings: dict = {"load_delay_s": 0.3, "token_delay_s": 0.0, "require_key": "",
                               "size": None, "size_vram": None}
        self.loaded: dict[str, dict] = {}  # model → {"options", "expires_at", "reloads"}
        self.reloads = 0

    def next_behaviour(self) -> dict:
        with self.lock:
            return self.once.pop(0) if self.once else {}


def client_gone(sock: socket.socket) -> bool:
    """True once the client has closed its end: readable with nothing to read."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State

    def log_message(self, fmt, *args) -> None:  # keep the test output quiet
        pass

    # --- plumbing ---
    def body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}

    def send_json(self, status: int, obj) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> bool:
        """Write one HTTP chunk; False when the client has gone."""
        if client_gone(self.connection):
            return False
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            return True
        except OSError:
            return False

    def end_chunked(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    # --- routes ---
    def do_GET(self) -> None:
        st = self.state
        if self.path == "/api/version":
            return self.send_json(200, {"version": "0.12.6"})
        if self.path == "/api/ps":
            models = []
            for name, entry in st.loaded.items():
                size = st.settings["size"] or MODELS[name]["size"]
                vram = st.settings["size_vram"] if st.settings["size_vram"] is not None else size
                models.append({"name": name, "model": name, "size": size, "size_vram": vram,
                               "digest": "0" * 64, "details": MODELS[name]["details"],
                               "expires_at": entry["expires_at"], "context_length": entry["options"]["num_ctx"]})
            return self.send_json(200, {"models": models})
        if self.path == "/v1/models":
            if not self.authorized():
                return
            return self.send_json(200, {"object": "list", "data": [
                {"id": n, "object": "model", "created": 1700000000, "owned_by": "library"} for n in MODELS]})
        if self.path == "/_fake/log":
            return self.send_json(200, {"log": st.log, "reloads": st.reloads, "loaded": list(st.loaded)})
        self.send_json(404, {"error": "404 page not found"})

    def do_POST(self) -> None:
        st = self.state
        try:
            req = self.body()
        except ValueError as exc:
            return self.send_json(400, {"error": f"invalid character in request body: {exc}"})
        if self.path == "/api/show":
            name = req.get("model") or req.get("name") or ""
            if name not in MODELS:
                return self.send_json(404, {"error": f"model '{name}' not found"})
            m = MODELS[name]
            return self.send_json(200, {
                "license": m["license"], "modelfile": f"FROM {name}\nTEMPLATE \"\"\"{m['template']}\"\"\"",
                "parameters": "\n".join(f'stop                           "{s}"' for s in MODEL_STOPS),
                "template": m["template"], "details": m["details"],
                "model_info": {"general.architecture": m["details"]["family"]},
                "capabilities": m["capabilities"], "modified_at": "2025-01-01T00:00:00Z"})
        if self.path == "/api/generate":
            return self.generate(req)
        if self.path == "/v1/completions":
            return self.completions(req)
        if self.path == "/_fake/control":
            with st.lock:
                st.once.extend(req.get("once", []))
                st.settings.update(req.get("set", {}))
            return self.send_json(200, {"ok": True})
        if self.path == "/_fake/reset":
            with st.lock:
                st.log.clear()
                st.once.clear()
            return self.send_json(200, {"ok": True})
        self.send_json(404, {"error": "404 page not found"})

    def authorized(self) -> bool:
        key = self.state.settings["require_key"]
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            self.send_json(401, {"error": {"message": "invalid api key", "type": "invalid_request_error",
                                           "param": None, "code": None}})
            return False
        return True

    # --- the model's life in memory ---
    def schedule(self, name: str, opts: dict, keep_alive) -> float:
        """Load (or reload, when a load option changed) like Ollama's scheduler; returns seconds spent."""
        st = self.state
        wanted = {k: opts.get(k, {"num_ctx": 4096, "num_batch": 512, "num_gpu": -1}[k]) for k in LOAD_OPTIONS}
        entry = st.loaded.get(name)
        spent = 0.0
        if entry is None or entry["options"] != wanted:
            if entry is not None:
                st.reloads += 1
            spent = st.settings["load_delay_s"]
            time.sleep(spent)
        st.loaded[name] = {"options": wanted, "expires_at": now(), "keep_alive": keep_alive}
        return spent

    def prompt_for(self, name: str, req: dict) -> str:
        prompt, suffix = req.get("prompt") or "", req.get("suffix") or ""
        if req.get("raw"):
            return prompt
        if suffix:
            return f"{QWEN_FIM[0]}{prompt}{QWEN_FIM[1]}{suffix}{QWEN_FIM[2]}"
        if name == "codellama:7b-instruct":
            return f"[INST]  {prompt} [/INST]"
        return prompt

    def generate(self, req: dict) -> None:
        st = self.state
        name = req.get("model", "")
        if name not in MODELS:
            return self.send_json(404, {"error": f'model "{name}" not found, try pulling it first'})
        if req.get("raw") and (req.get("template") or req.get("system") or req.get("context")):
            return self.send_json(400, {"error": "raw mode does not support template, system, or context"})
        opts = dict(req.get("options") or {})
        record = {"path": "/api/generate", "model": name, "raw": bool(req.get("raw")),
                  "suffix": req.get("suffix"), "prompt": req.get("prompt", ""), "options": opts,
                  "keep_alive": req.get("keep_alive"), "tokens": 0, "end": None}
        st.log.append(record)
        if req.get("suffix") and "insert" not in MODELS[name]["capabilities"]:
            record["end"] = "400"
            return self.send_json(400, {"error": f"{name} does not support insert"})
        if req.get("prompt", "") == "" and not req.get("suffix"):
            if req.get("keep_alive") in (0, "0", "0s"):
                st.loaded.pop(name, None)
                record["end"] = "unload"
                return self.send_json(200, {"model": name, "created_at": now(), "response": "",
                                            "done": True, "done_reason": "unload"})
            self.schedule(name, opts, req.get("keep_alive"))
            record["end"] = "load"
            return self.send_json(200, {"model": name, "created_at": now(), "response": "",
                                        "done": True, "done_reason": "load"})
        t0 = time.monotonic()
        load = self.schedule(name, opts, req.get("keep_alive"))
        prompt = self.prompt_for(name, req)
        record["rendered"] = prompt
        behaviour = st.next_behaviour()
        stream = req.get("stream", True)
        if stream:
            self.start_chunked("application/x-ndjson")
        pieces: list[str] = []
        first: list[float] = []

        def on_text(text: str) -> bool:
            if not first:
                first.append(time.monotonic())
            record["tokens"] += 1
            if record["end"] == "disconnect":
                record["tokens_after_disconnect"] = record.get("tokens_after_disconnect", 0) + 1
                return False
            if behaviour.get("die_after_tokens") is not None and record["tokens"] > behaviour["die_after_tokens"]:
                os._exit(3)  # the server dies mid-answer: the kernel closes every connection
            if behaviour.get("error_after_tokens") is not None and record["tokens"] > behaviour["error_after_tokens"]:
                record["end"] = "error"
                return False
            time.sleep(st.settings["token_delay_s"])
            pieces.append(text)
            if stream and not self.chunk(json.dumps({"model": name, "created_at": now(), "response": text,
                                                     "done": False}).encode() + b"\n"):
                record["end"] = "disconnect"
                return False
            return True

        # A slow prefill is not interruptible: like Ollama, a client's going is noticed at the first token.
        time.sleep(behaviour.get("prefill_delay_s", 0.0))
        n, reason = st.runner.generate(prompt, opts, on_text)
        record["generated"] = n
        if record["end"] == "disconnect":
            self.close_connection = True
            return
        if record["end"] == "error":
            # Mid-stream errors arrive as an error object on its own line (the status is already 200).
            self.chunk(json.dumps({"error": "an error was encountered while running the model: "
                                            "unexpected EOF"}).encode() + b"\n")
            self.end_chunked()
            return
        record["end"] = reason
        total = time.monotonic() - t0
        final = {"model": name, "created_at": now(), "response": "" if stream else "".join(pieces),
                 "done": True, "done_reason": reason,
                 "total_duration": int(total * 1e9), "load_duration": int(load * 1e9),
                 "prompt_eval_count": st.runner.count(prompt),
                 "prompt_eval_duration": int(((first[0] if first else time.monotonic()) - t0 - load) * 1e9),
                 "eval_count": n, "eval_duration": int((time.monotonic() - (first[0] if first else t0)) * 1e9)}
        if not req.get("raw"):
            final["context"] = [1, 2, 3]  # raw mode returns no context
        if stream:
            self.chunk(json.dumps(final).encode() + b"\n")
            self.end_chunked()
        else:
            self.send_json(200, final)

    def completions(self, req: dict) -> None:
        st = self.state
        if not self.authorized():
            return
        name = req.get("model", "")
        if name not in MODELS:
            return self.send_json(404, {"error": {"message": f"model \"{name}\" not found, try pulling it first",
                                                  "type": "api_error", "param": None, "code": None}})
        opts = {"num_predict": req.get("max_tokens", 16), "temperature": req.get("temperature", 1.0),
                "top_p": req.get("top_p", 1.0), "stop": req.get("stop") or []}
        if req.get("seed") is not None:  # documented by OpenAI's and Ollama's /v1/completions
            opts["seed"] = req["seed"]
        prompt = req.get("prompt", "")
        if req.get("suffix"):
            prompt = f"{QWEN_FIM[0]}{prompt}{QWEN_FIM[1]}{req['suffix']}{QWEN_FIM[2]}"
        record = {"path": "/v1/completions", "model": name, "prompt": prompt, "options": opts,
                  "auth": self.headers.get("Authorization"), "tokens": 0, "end": None}
        st.log.append(record)
        self.schedule(name, {}, None)
        behaviour = st.next_behaviour()
        cid, created = f"cmpl-{len(st.log)}", int(time.time())

        def event(text: str, finish) -> bytes:
            return b"data: " + json.dumps({"id": cid, "object": "text_completion", "created": created,
                                           "model": name, "system_fingerprint": "fp_ollama",
                                           "choices": [{"text": text, "index": 0,
                                                        "finish_reason": finish}]}).encode() + b"\n\n"

        self.start_chunked("text/event-stream")

        def on_text(text: str) -> bool:
            record["tokens"] += 1
            if record["end"] == "disconnect":
                record["tokens_after_disconnect"] = record.get("tokens_after_disconnect", 0) + 1
                return False
            if behaviour.get("die_after_tokens") is not None and record["tokens"] > behaviour["die_after_tokens"]:
                os._exit(3)
            time.sleep(st.settings["token_delay_s"])
            if not self.chunk(event(text, None)):
                record["end"] = "disconnect"
                return False
            return True

        n, reason = st.runner.generate(prompt, opts, on_text)
        record["generated"] = n
        if record["end"] == "disconnect":
            self.close_connection = True
            return
        record["end"] = reason
        self.chunk(event("", reason))
        self.chunk(b"data: [DONE]\n\n")
        self.end_chunked()


class FakeProcess:
    """The fake in its own process, so a test can kill it mid-answer and start it again on the same port."""

    def __init__(self) -> None:
        self.port = 0
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeProcess":
        import subprocess

        self.proc = subprocess.Popen([sys.executable, __file__, "--port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the fake Ollama did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(10)

    def wait_dead(self, timeout: float = 10) -> int:
        return self.proc.wait(timeout)

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        import httpx

        return httpx.request(method, self.url + path, json=body, timeout=30).json()

    def control(self, once: list[dict] | None = None, **settings) -> None:
        self._call("POST", "/_fake/control", {"once": once or [], "set": settings})

    def log(self) -> list[dict]:
        return self._call("GET", "/_fake/log")["log"]

    def reloads(self) -> int:
        return self._call("GET", "/_fake/log")["reloads"]

    def reset(self) -> None:
        self._call("POST", "/_fake/reset")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--model", default=str(MODEL_DIR))
    args = ap.parse_args()
    runner = Runner(Path(args.model))
    Handler.state = State(runner)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
