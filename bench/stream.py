"""stream-overhead, stream-fps, stream-cpu-200: a replayed answer streaming into the running app.

The real app (run_test, 120×40) on a one-task runbook whose replay model answers with a long,
code-like text; the task is run as `r` would run it, through the runner, so the answer reaches the
real output pane by the same path a model's does. The clock starts at the first chunk the runner
feeds the pane (backdated by that chunk's own pacing) and stops at the first frame that shows the
last token.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import app_driver
from bench.result import Measured

TASK = "stream"
MARK = "END-OF-STREAM"
WORDS_PER_LINE = 12

RUNBOOK = """\
name: bench stream
defaults:
  model: bench
  max_new_tokens: 1000000
  context_budget: 1000000
tasks:
  - id: stream
    name: Stream a long answer
    status: READY
    type: AI_ASSISTED
    ai_details:
      prompt_template: unified_diff.j2
"""
MODELS = """\
models:
  bench:
    backend: replay
    transcript: replay.yaml
"""


def answer_text(tokens: int) -> str:
    """`tokens` replay tokens (runs of non-space characters) ending with MARK, in code-like lines."""
    words = [f"value_{i % 997} = compute({i % 13}, 'x')" for i in range(tokens)]
    words = [*" ".join(words).split()[: tokens - 1], MARK]
    lines = [" ".join(words[i : i + WORDS_PER_LINE]) for i in range(0, len(words), WORDS_PER_LINE)]
    return "\n".join(lines) + "\n"


def write_runbook(folder: Path, tokens: int) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runbook.yaml").write_text(RUNBOOK)
    (folder / "patchbay.yaml").write_text(MODELS)
    transcript = {"answers": [{"task": TASK, "text": answer_text(tokens)}]}
    (folder / "replay.yaml").write_text(yaml.safe_dump(transcript, width=10_000))
    return folder / "runbook.yaml"


@dataclass(frozen=True)
class StreamRun:
    tokens: int
    rate: float
    first_feed: float  # perf_counter of the first chunk fed to the pane, backdated by its pacing
    on_screen: float  # perf_counter of the first frame showing the last token
    frames: int  # frames displayed between the two
    cpu_seconds: float  # CPU time of the whole process between the two

    @property
    def paced(self) -> float:
        return self.tokens / self.rate

    @property
    def elapsed(self) -> float:
        return self.on_screen - self.first_feed


async def stream_once(runbook: Path, tokens: int, rate: float) -> StreamRun:
    app = app_driver.make_app(runbook, replay_rate=rate)
    start: list[tuple[float, float]] = []  # (wall, cpu) at the first chunk
    lock = threading.Lock()

    def on_feed(text: str) -> None:
        with lock:
            if not start:
                backdate = len(text.split()) / rate  # the backend paced this chunk before sending it
                start.append((time.perf_counter() - backdate, time.process_time()))

    async with app.run_test(size=app_driver.SIZE) as pilot:
        await app_driver.wait_for_model(pilot, app)
        app_driver.watch_output_feed(app, on_feed)

        def last_token_shown() -> bool:
            lines = app_driver.output_log_lines(app)
            return any(MARK in line for line in lines[-2:])

        app_driver.run_task(app, TASK)
        on_screen = await app_driver.first_frame_after(app, last_token_shown)
        cpu_end = time.process_time()
        first_feed, cpu_start = start[0]
        frames = sum(1 for t in app.frame_times if first_feed <= t <= on_screen)
        app.exit()
    return StreamRun(tokens, rate, first_feed, on_screen, frames, cpu_end - cpu_start)


def measure(tokens: int, rate: float) -> StreamRun:
    app_driver.isolate_user_config()
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-stream-") as folder:
        runbook = write_runbook(Path(folder) / "runbook", tokens)
        return asyncio.run(stream_once(runbook, tokens, rate))


def fast_stream(quick: bool) -> StreamRun:
    """5,000 tokens/s for 10 s (quick: 2,000 tokens/s for 0.5 s)."""
    return measure(1_000, 2_000.0) if quick else measure(50_000, 5_000.0)


def stream_overhead(quick: bool) -> Measured:
    run = fast_stream(quick)
    return Measured(
        run.elapsed / run.paced,
        f"{run.tokens:,} tokens at {run.rate:,.0f}/s: last token on screen after {run.elapsed:.3f} s, "
        f"paced {run.paced:.3f} s",
    )


def stream_fps(quick: bool) -> Measured:
    run = fast_stream(quick)
    return Measured(
        run.frames / run.elapsed, f"{run.frames} frames in {run.elapsed:.2f} s at {run.rate:,.0f} tokens/s"
    )


def naive_stream(tokens: int, rate: float) -> tuple[float, float]:
    """(CPU seconds, elapsed seconds) of the naive way: a plain Textual `Log` written once per chunk.

    The same answer, split into the same chunks as the replay backend sends, paced at the same rate
    from a thread that hands each chunk to the app with `call_from_thread`: the floor stream-cpu-200
    is judged against.
    """
    from textual.app import App, ComposeResult
    from textual.widgets import Log

    from tui.engine.replay import split_tokens

    chunks = split_tokens(answer_text(tokens))

    class NaiveApp(App):
        def compose(self) -> ComposeResult:
            yield Log()

    async def run() -> tuple[float, float]:
        app = NaiveApp()
        async with app.run_test(size=app_driver.SIZE) as pilot:
            log = app.query_one(Log)
            loop = asyncio.get_running_loop()
            finished = asyncio.Event()
            figures: list[float] = []

            def produce() -> None:
                start, cpu = time.perf_counter(), time.process_time()
                for number, chunk in enumerate(chunks):
                    delay = start + (number + 1) / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)  # the pacing of the stream itself, as the replay backend paces it
                    app.call_from_thread(log.write, chunk)
                figures.extend((time.process_time() - cpu, time.perf_counter() - start))
                loop.call_soon_threadsafe(finished.set)

            threading.Thread(target=produce, daemon=True).start()
            await finished.wait()
            await pilot.pause()
            app.exit()
            return figures[0], figures[1]

    return asyncio.run(run())


def stream_cpu_200(quick: bool) -> Measured:
    tokens = 100 if quick else 2_000
    run = measure(tokens, 200.0)
    naive_cpu, naive_elapsed = naive_stream(tokens, 200.0)
    ours, naive = run.cpu_seconds / run.elapsed, naive_cpu / naive_elapsed
    return Measured(
        ours / naive,
        f"{tokens:,} tokens at 200/s: {ours:.3f} core ({run.cpu_seconds:.2f} s CPU over {run.elapsed:.2f} s, "
        f"{run.frames / run.elapsed:.0f} fps, whole process) vs a plain Textual Log written per chunk "
        f"{naive:.3f} core ({naive_cpu:.2f} s over {naive_elapsed:.2f} s)",
    )
