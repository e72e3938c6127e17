"""The second process of verify and rebuild: its result, its failures, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import time
from multiprocessing.queues import Queue
from typing import Any

import pytest

from ledger.second_process import second_process


def _wait_then_answer(delay: float, results: Queue[Any]) -> None:
    results.put(os.getpid())
    time.sleep(delay)
    results.put("done")


def test_the_second_process_ignores_ctrl_c_and_still_answers():
    with second_process("the helper", _wait_then_answer, 0.5) as second:
        os.kill(second.next_result(), signal.SIGINT)  # as Ctrl-C sends it to every process of the terminal
        assert second.next_result() == "done"
        second.process.join(5)
        assert second.process.exitcode == 0


def _exit_at_once(results: Queue[Any]) -> None:
    os._exit(3)


def test_a_second_process_that_ends_without_a_result_is_named_with_its_exit_code():
    with second_process("the helper", _exit_at_once) as second, pytest.raises(RuntimeError) as error:
        second.next_result()
    assert str(error.value) == "the helper ended without a result (exit code 3)"
