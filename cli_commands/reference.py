"""The CLI reference, docs/cli.md, generated from every command's own --help.

Regenerate it with ``python -m cli_commands.reference > docs/cli.md`` (``make docs``);
a test fails when the file and the commands differ.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click

from cli import main

# What `ledger --help` prints in a terminal at least as wide as the group's max_content_width (100, less 2).
WIDTH = 98
REGENERATE = "python -m cli_commands.reference > docs/cli.md"


def walk(command: click.Command, parent: click.Context | None = None, name: str = "ledger") -> Iterator[click.Context]:
    """Yield a context for the command and for each of its subcommands, depth first, in the order they were added."""
    ctx = command.make_context(name, [], parent=parent, resilient_parsing=True, terminal_width=WIDTH)
    yield ctx
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            yield from walk(sub, ctx, sub_name)


def reference() -> str:
    """Return the Markdown reference: one section per command with its --help."""
    sections = [
        "# CLI reference\n",
        f"Generated from the commands' `--help` by `{REGENERATE}` (`make docs`); do not edit by hand.\n",
    ]
    for ctx in walk(main):
        sections.append(f"## {ctx.command_path}\n\n```text\n{ctx.get_help()}\n```\n")
    return "\n".join(sections)


if __name__ == "__main__":
    sys.stdout.write(reference())
