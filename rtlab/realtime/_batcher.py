"""Silero scoring across the server's live sessions: their frames go through the model together.

Every connection owns a :class:`rtlab.vad.ScoreStream`; an append hands (stream, audio) to
the :class:`FrameBatcher` and awaits its probabilities. The batcher gathers what all
connections handed in, waits at most ``max_wait_ms`` for more once a request is waiting
(so a lone session is answered at once, give or take that wait), then runs them as one
batch on a thread (:func:`rtlab.vad.score_streams`: one model call per frame step, one row
per stream). While a batch runs, new requests queue for the next one, so under load the
batches grow by themselves; at most ``n_threads`` batches run at once.

Fairness: a connection hands in at most one slice (0.5 s of audio) at a time and awaits
it, so each batch holds at most one slice per connection, whatever a client sent; a
connection that has gone is dropped from the next batch. The scores are those each stream
would give alone (rows of a batch do not interact), so the events still equal
:func:`rtlab.detect`'s.
"""

from __future__ import annotations

import asyncio
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rtlab.vad import ScoreStream

#: Default longest wait for more sessions' frames before a batch runs (ms).
MAX_WAIT_MS = 2.0

#: Most requests (streams) in one batch.
MAX_STREAMS = 512

#: Fewest requests per batch when the waiting ones are split over free threads.
MIN_SPLIT = 8


@dataclass(eq=False)
class Request:
    """One connection's slice: its stream, its audio, and the future its probabilities go to."""

    stream: ScoreStream
    samples: np.ndarray
    future: asyncio.Future[np.ndarray]
    owner: Any


class FrameBatcher:
    """Scores the slices of many connections in shared batches (see the module notes)."""

    def __init__(self, n_threads: int, *, max_wait_ms: float = MAX_WAIT_MS) -> None:
        self.executor = ThreadPoolExecutor(n_threads, thread_name_prefix="rtlab-serve-vad")
        self.n_threads = n_threads
        self.max_wait_s = max_wait_ms / 1000.0
        self.waiting: list[Request] = []
        self.running = 0
        self.timer: asyncio.TimerHandle | None = None
        # what happened, for benchmarks and tests: batches run and streams scored
        self.n_batches = 0
        self.n_scored = 0
        self.busy_s = 0.0

    async def score(self, owner: Any, stream: ScoreStream, samples: np.ndarray) -> np.ndarray:
        """Add ``samples`` to ``stream`` and score its ready frames in the next batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self.waiting.append(Request(stream, samples, future, owner))
        if len(self.waiting) >= MAX_STREAMS:
            self.start(loop)
        elif self.timer is None and self.running < self.n_threads:
            if self.max_wait_s <= 0:
                self.start(loop)
            else:
                self.timer = loop.call_later(self.max_wait_s, self.start, loop)
        return await future

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the waiting requests as a batch (if a thread is free)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.running >= self.n_threads:
            return  # the batch that finishes next starts this one
        waiting = [r for r in self.waiting[:MAX_STREAMS] if not r.future.done()]
        del self.waiting[:MAX_STREAMS]
        for request in waiting:
            if getattr(request.owner, "closed", False):  # gone: its work is dropped
                request.future.set_result(_empty())
        waiting = [r for r in waiting if not r.future.done()]
        # many requests: split them over the free threads (each half still fills a batch)
        n_parts = max(1, min(self.n_threads - self.running, len(waiting) // MIN_SPLIT))
        for part in range(n_parts):
            batch = waiting[part::n_parts]
            if not batch:
                continue
            self.running += 1
            job = loop.run_in_executor(self.executor, _run_batch, batch)
            job.add_done_callback(functools.partial(self.finished, loop, batch))

    def finished(
        self, loop: asyncio.AbstractEventLoop, batch: list[Request], job: asyncio.Future[Any]
    ) -> None:
        self.running -= 1
        error = None if job.cancelled() else job.exception()
        if job.cancelled() or error is not None:
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error or asyncio.CancelledError())
        else:
            results, busy_s = job.result()
            self.n_batches += 1
            self.n_scored += len(batch)
            self.busy_s += busy_s
            for request, probabilities in zip(batch, results, strict=True):
                if not request.future.done():
                    request.future.set_result(probabilities)
        if self.waiting and self.timer is None:
            self.start(loop)  # what queued meanwhile goes at once: it has waited already

    def shutdown(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)


def _empty() -> Any:
    import numpy as np

    return np.zeros(0, np.float32)


def _run_batch(batch: list[Request]) -> tuple[list[np.ndarray], float]:
    from rtlab.vad import score_streams

    started = time.perf_counter()
    for request in batch:
        request.stream.add(request.samples)
    results = score_streams([request.stream for request in batch])
    return results, time.perf_counter() - started


#: Longest wait for other sessions' Smart Turn windows before a batch runs (ms).
TURN_END_WAIT_MS = 5.0

#: Most windows in one Smart Turn batch: a batch answers all its sessions at once, and
#: Smart Turn gains little from batching (about 25 % per window at 8, 7 % at 2), so small
#: batches keep the first answer early (at 8, ten sessions pausing together waited 0.9 s).
MAX_WINDOWS = 2


#: Threads running Smart Turn batches side by side.
N_TURN_END_THREADS = 2


class WindowBatcher:
    """Smart Turn windows of many sessions' detectors in shared model calls.

    A detector (``semantic_vad``) asks for a turn-end probability at a pause by calling
    this object with its window(s); the call blocks on the caller's thread until a batch
    holding them has run on one of the batcher's own threads (``N_TURN_END_THREADS``, so
    that two sessions pausing together need not wait for each other), which waits at most
    ``max_wait_ms`` for other sessions' windows first. Batching does not change the
    probabilities (Smart Turn's rows do not interact), so events stay those of
    :func:`rtlab.detect`. Each session has at most one window waiting (its detector
    blocks), so a batch serves sessions in the order they paused.
    """

    def __init__(self, *, max_wait_ms: float = TURN_END_WAIT_MS) -> None:
        import threading

        self.max_wait_s = max_wait_ms / 1000.0
        self.condition = threading.Condition()
        self.waiting: list[tuple[Any, Any]] = []
        self.threads: list[Any] = []  # started with the first window
        self.stopped = False
        self.n_batches = 0
        self.n_windows = 0

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        import threading
        from concurrent.futures import Future

        import numpy as np

        futures: list[Future[float]] = []
        with self.condition:
            if self.stopped:
                raise RuntimeError("the server is stopping")
            if not self.threads:
                self.threads = [
                    threading.Thread(
                        target=self.run, name=f"rtlab-serve-smart-turn_{i}", daemon=True
                    )
                    for i in range(N_TURN_END_THREADS)
                ]
                for thread in self.threads:
                    thread.start()
            for window in windows:
                future: Future[float] = Future()
                self.waiting.append((window, future))
                futures.append(future)
            self.condition.notify()
        return np.array([f.result() for f in futures], np.float32)

    def run(self) -> None:
        import numpy as np

        from rtlab import smart_turn

        while True:
            with self.condition:
                while not self.waiting and not self.stopped:
                    self.condition.wait()
                if self.stopped:
                    return
            time.sleep(self.max_wait_s)  # let other sessions' windows join
            with self.condition:
                batch = self.waiting[:MAX_WINDOWS]
                del self.waiting[:MAX_WINDOWS]
            try:
                probabilities = smart_turn.run_model(np.stack([w for w, _ in batch]))
            except Exception as exc:  # handed to the callers, who report it
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.n_batches += 1
            self.n_windows += len(batch)
            for (_, future), p in zip(batch, probabilities.tolist(), strict=True):
                future.set_result(p)

    def shutdown(self) -> None:
        with self.condition:
            self.stopped = True
            waiting, self.waiting = self.waiting, []
            self.condition.notify_all()
        for _, future in waiting:
            future.set_exception(RuntimeError("the server is stopping"))
