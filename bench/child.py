"""Run one scenario once in this fresh process: ``python -m bench.child NAME CONTEXT_JSON RESULT_JSON``.

A process of its own per run gives each scenario its own peak memory and a
cold start, whatever ran before it.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench.context import RunContext
from bench.measure import Measurement, TreeMemory, largest_process_peak_mib
from bench.registry import by_name


def resolve(topic: str) -> Callable[[RunContext], Measurement]:
    """Import ``module:function``."""
    module_name, _, function_name = topic.partition(":")
    function: Callable[[RunContext], Measurement] = getattr(importlib.import_module(module_name), function_name)
    return function


def main(argv: list[str]) -> None:
    """Run the named scenario and write its measurement and peak memory, or its error, as JSON."""
    name, context_file, result_file = argv
    context = RunContext.from_json(Path(context_file).read_text())
    try:
        with TreeMemory() as memory:
            measurement = resolve(by_name(name).function)(context)
    except Exception as error:
        traceback.print_exc()
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        Path(result_file).write_text(json.dumps({"error": f"{type(error).__name__}: {message}"}))
        sys.exit(1)
    # The run's processes together (sampled), never less than its largest process's own peak.
    result = {**asdict(measurement), "peak_memory_mib": max(memory.peak_mib, largest_process_peak_mib())}
    Path(result_file).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
