"""The README's two commands: the first must run the main job end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_readme_starts_with_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert first_block is not None
    assert first_block.group(1).splitlines() == ["make demo", "make test"]
    assert readme.index("```sh") < readme.index("\n## ")


@pytest.mark.slow
def test_first_readme_command_imports_rebuilds_and_queries(tmp_path):
    """Run `make demo` in a temporary folder with this test's interpreter as the environment."""
    venv = Path(sys.prefix)
    env = {k: v for k, v in os.environ.items() if k not in ("LEDGER_DB", "LEDGER_CONFIG")}
    result = subprocess.run(
        ["make", "-C", str(ROOT), "demo", f"VENV={venv}", f"DEMO_DIR={tmp_path}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "stored" in result.stderr
    assert "rejected 0" in result.stderr
    lines = result.stdout.splitlines()
    header = next(
        i for i, line in enumerate(lines) if line.split()[:5] == ["position", "event_id", "occurred_at", "customer", "type"]
    )
    assert any("C-000001" in line for line in lines[header + 2 :])
    assert (tmp_path / "ledger.db").exists()
    assert "rebuilt all projections" in result.stderr
    assert re.search(r"^stage\s+(potential|development|growth|maturity|termination)$", result.stdout, re.M)
    assert re.search(r"^period\s+nps\s", result.stdout, re.M)
    sample_lines = len((tmp_path / "sample.jsonl").read_bytes().splitlines())
    assert re.search(rf"^ok: {sample_lines} events in 300 streams", result.stdout, re.M)
