"""Help for every command, the generated CLI reference, and a start-up that loads nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from cli import main
from cli_commands.reference import REGENERATE, reference, walk

ROOT = Path(__file__).parents[2]
HEAVY = ("sqlalchemy", "eventsourcing", "pydantic", "tabulate", "tqdm", "ledger", "commands", "projections")


def test_every_command_and_group_has_help_with_an_example():
    contexts = list(walk(main))
    assert len(contexts) > 15
    for ctx in contexts:
        assert ctx.command.help and "Example:" in ctx.command.help, f"{ctx.command_path} has no Example: in its help"
        example = ctx.command.help.split("Example:", 1)[1]
        assert ctx.command_path in example, f"the example of {ctx.command_path} does not run it"


def test_docs_cli_md_is_the_help_of_every_command():
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == reference(), f"docs/cli.md differs from the commands' --help: regenerate it with `{REGENERATE}`"


def test_the_reference_has_a_section_per_command_with_its_options():
    text = reference()
    for ctx in walk(main):
        assert f"\n## {ctx.command_path}\n" in text
        for param in ctx.command.params:
            if isinstance(param, click.Option):
                assert param.opts[0] in text


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_start_without_loading_the_ledger(flag):
    code = (
        "import sys\nfrom cli import main\n"
        f"try:\n    main([{flag!r}])\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_command_help_names_the_choices_the_ledger_defines():
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["customers", "--help"])
    assert result.exit_code == 0
    assert "[potential|development|growth|maturity|termination]" in result.output
    assert "--format [table|json|csv]" in result.output
