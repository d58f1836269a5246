"""pool-throughput: 12 independent tasks through `run --auto --parallel 12` on a pool of three
loopback servers, against the same tasks on one of those servers alone.

Each server streams one answer at a time (others wait their turn, as a server with one slot
does) at a fixed token rate. Three servers should take a third of the time one needs; the figure
is the three-server time over a third of the one-server time, both measured in this run.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.result import Measured

TASKS = 12
# A short answer from a 7B model on one consumer card: 240 tokens at 60 tokens/s, 4 s. The
# serial part of a task (apply, durable YAML writes) does not shrink with more servers, so
# answers much shorter than real ones would measure the writer, not the pool.
TOKENS_PER_ANSWER = 240
TOKENS_PER_SECOND = 60.0


class _OneStreamServer:
    """An OpenAI-compatible chat server that streams one answer at a time at a fixed rate."""

    def __init__(self, rate: float) -> None:
        turn = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except ConnectionResetError:  # the client closed a kept-alive connection
                    pass

            def do_GET(self) -> None:
                body = json.dumps({"data": [{"id": "bench"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if self.path != "/v1/chat/completions":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                task = re.search(r"task (t\d+)", request["messages"][-1]["content"]).group(1)
                with turn:  # one stream at a time
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    started = time.monotonic()
                    for index, token in enumerate(_answer_tokens(task)):
                        due = started + index / rate
                        time.sleep(max(0.0, due - time.monotonic()))  # the server's own pacing
                        event = {
                            "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]
                        }
                        self._chunk(f"data: {json.dumps(event)}\n\n".encode())
                    done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    self._chunk(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _answer_tokens(task: str) -> list[str]:
    diff = f"```diff\n--- a/{task}.txt\n+++ b/{task}.txt\n@@ -1 +1,2 @@\n base {task}\n+done by {task}\n```\n"
    lines = diff.splitlines(keepends=True)
    words = ["Here "] * (TOKENS_PER_ANSWER - len(lines) - 1) + ["is it:\n"]
    return words + lines


def _runbook(folder: Path, servers: list[_ServerUrl], tasks: int) -> Path:
    work = folder / "work"
    (folder / "prompt_templates").mkdir(parents=True)
    work.mkdir()
    (folder / "prompt_templates/t.j2").write_text("Please do task {{ task.id }}.\n")
    lines = ["name: pool bench", "workdir: work", "defaults: {model: bench, commit: false}", "tasks:"]
    for index in range(1, tasks + 1):
        (work / f"t{index}.txt").write_text(f"base t{index}\n")
        lines.append(
            f"  - {{id: t{index}, name: t{index}, type: AI_ASSISTED, "
            f"ai_details: {{prompt_template: t.j2, files_to_modify: [t{index}.txt]}}}}"
        )
    (folder / "runbook.yaml").write_text("\n".join(lines) + "\n")
    entries = "".join(f"      - {{base_url: {s.base_url}, max_concurrent: 1}}\n" for s in servers)
    (folder / "patchbay.yaml").write_text(
        f"models:\n  bench:\n    backend: openai\n    model: bench\n    servers:\n{entries}"
    )
    return folder


def _run_all(folder: Path, tasks: int) -> float:
    import io

    from tui.autopilot import Autopilot, AutopilotOptions
    from tui.session import Session

    session = Session(folder, driver="bench")
    try:
        started = time.perf_counter()
        code = Autopilot(
            session, AutopilotOptions(parallel=tasks), say=lambda _text: None, out=io.StringIO()
        ).run()
        elapsed = time.perf_counter() - started
    finally:
        session.close()
    if code != 0 or any(
        (folder / f"work/t{i}.txt").read_text().count("done by") != 1 for i in range(1, tasks + 1)
    ):
        raise RuntimeError(f"the run in {folder} did not apply every task exactly once (exit {code})")
    return elapsed


def _serve(rate: float, count: int, ports, stop) -> None:
    """In its own process, as real servers are: `count` servers; their ports go to `ports`."""
    servers = [_OneStreamServer(rate) for _ in range(count)]
    ports.put([server.httpd.server_address[1] for server in servers])
    stop.wait()
    for server in servers:
        server.close()


class _ServerUrl:
    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/v1"


def pool_throughput(quick: bool) -> Measured:
    import multiprocessing

    tasks = 3 if quick else TASKS
    rate = 1000.0 if quick else TOKENS_PER_SECOND
    context = multiprocessing.get_context("spawn")
    ports, stop = context.Queue(), context.Event()
    process = context.Process(target=_serve, args=(rate, 3, ports, stop), daemon=True)
    process.start()
    try:
        servers = [_ServerUrl(port) for port in ports.get(timeout=60)]
        with tempfile.TemporaryDirectory(prefix="patchbay-bench-pool-") as root:
            _run_all(_runbook(Path(root) / "warm-up", servers[:1], 1), 1)  # imports, first connections
            one = _run_all(_runbook(Path(root) / "one", servers[:1], tasks), tasks)
            three = _run_all(_runbook(Path(root) / "three", servers, tasks), tasks)
    finally:
        stop.set()
        process.join(10)
    ratio = three / (one / 3)
    return Measured(
        ratio,
        f"{tasks} tasks: one server {one:.2f} s, three servers {three:.2f} s (each server one stream at "
        f"a time, {TOKENS_PER_ANSWER} tokens at {rate:g}/s)",
    )
