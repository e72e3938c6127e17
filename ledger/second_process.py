"""A second process for CPU-bound work on half of the log (verify, rebuild), and its queue of results."""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from commands.errors import LedgerError


@dataclass(frozen=True, slots=True)
class SecondProcess:
    """The running process, named for messages, and the queue it puts its results on."""

    name: str
    process: BaseProcess
    results: Queue[Any]

    def next_result(self, *, block: bool = True) -> Any:
        """Return the next result; raise if the process ended without one (``queue.Empty`` when not blocking)."""
        while True:
            try:
                return self.results.get(timeout=1) if block else self.results.get_nowait()
            except queue.Empty:
                if not block:
                    raise
                if not self.process.is_alive():  # nothing more can come
                    exit_code = self.process.exitcode
                    raise RuntimeError(f"{self.name} ended without a result (exit code {exit_code})") from None


@contextmanager
def second_process(name: str, target: Callable[..., None], *args: Any) -> Iterator[SecondProcess]:
    """Run target(*args, results) in another process meanwhile; stop it on the way out.

    Forked where the platform can (it starts in milliseconds). A failure in this process
    need not wait for the other one, which is terminated. The other process ignores
    Ctrl-C, which reaches every process of the terminal: one traceback, from this one.
    """
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    results: Queue[Any] = context.Queue()
    process = context.Process(target=_ignoring_interrupts, args=(target, *args, results), daemon=True)
    process.start()
    try:
        yield SecondProcess(name, process, results)
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        results.close()


def _ignoring_interrupts(target: Callable[..., None], *args: Any) -> None:
    """Run target in the second process with Ctrl-C ignored: the first process handles it, and stops this one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    target(*args)


def as_result(name: str, error: Exception) -> Exception:
    """Return an error of a second process as it can cross to the first (driver errors may not pickle)."""
    return error if isinstance(error, LedgerError) else RuntimeError(f"{name} failed: {error!r}")
