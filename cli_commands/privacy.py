"""Privacy commands: erase a customer's personal data, create a master key."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli_commands.identity import customer_key
from cli_commands.options import LedgerContext, format_options

if TYPE_CHECKING:
    from ledger.output import OutputFormat


@click.command()
@click.argument("customer", callback=customer_key)
@click.option("--reason", required=True, help="Why: the request it answers (kept in the receipt; no personal data).")
@click.option("--actor", help="Who erased (kept in the receipt).")
@format_options()
@click.pass_obj
def erase(obj: LedgerContext, customer: str, reason: str, actor: str | None, output_format: OutputFormat) -> None:
    """Erase a customer's personal data: destroy their data key and append a customer_erased receipt.

    Figures (purchases, scores, channels, times) stay; personal fields read [erased]
    everywhere, and verify still passes. Events stored in clear before encryption was
    configured are listed in the receipt: their bytes stay in the log (docs/privacy.md).

    Example:

        ledger erase C-000001 --reason "GDPR Art. 17 request 2024-118" --actor dpo@example.com
    """
    from ledger import output

    receipt = obj.ledger.erase(customer, reason, actor=actor)
    if output_format != "table":
        output.write_one(receipt, output_format)
        return
    destroyed = "data key destroyed" if receipt.key_destroyed else "no data key existed"
    output.write_text(f"erased {customer} at position {receipt.position} ({destroyed}); fields: {', '.join(receipt.fields)}")
    if receipt.clear_events:
        listed = ", ".join(str(position) for position in receipt.clear_events)
        output.message(f"note: events stored before encryption keep personal data in clear in the log: positions {listed}")


@click.group()
def keys() -> None:
    """Manage the master key that wraps every customer's data key.

    Example:

        ledger keys init /etc/ledger/master.key
    """


@keys.command("init")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keys_init(path: Path) -> None:
    """Create a new random master key in a new file (mode 0600); an existing file is never overwritten.

    Then point LEDGER_MASTER_KEY_FILE or [privacy] master_key_file at it, and keep a copy
    offline: without it no personal data can be read again.

    Example:

        ledger keys init /etc/ledger/master.key
    """
    from ledger import output
    from ledger.privacy.master_key import create_key_file

    key = create_key_file(path)
    output.message(f"master key {key.key_id} written to {path}; set LEDGER_MASTER_KEY_FILE={path} to use it")


@keys.command("rotate-master")
@click.option(
    "--new-key-file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The new master key (made by ledger keys init); the current one is the configured key.",
)
@click.pass_obj
def keys_rotate_master(obj: LedgerContext, new_key_file: Path) -> None:
    """Rewrap every customer's data key under a new master key, in one transaction; events are not touched.

    An interruption leaves every key under the old master key. Afterwards configure the
    new key (LEDGER_MASTER_KEY_FILE) everywhere, then destroy the old key and its copies:
    backups taken before the rotation then no longer open, erased customers' keys included.

    Example:

        ledger keys init /etc/ledger/master-2.key
        LEDGER_MASTER_KEY_FILE=/etc/ledger/master-1.key ledger keys rotate-master --new-key-file /etc/ledger/master-2.key
    """
    from ledger import output

    result = obj.ledger.rotate_master_key(new_key_file)
    output.message(
        f"rewrapped {result.rewrapped} data keys from master key {result.old_master_key_id} to {result.new_master_key_id};"
        f" now set LEDGER_MASTER_KEY_FILE={new_key_file} and destroy the old key"
    )


@click.command(name="customer")
@click.argument("customer", callback=customer_key)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@format_options()
@click.pass_obj
def customer_export(obj: LedgerContext, customer: str, directory: Path, output_format: OutputFormat) -> None:
    """Write everything about one customer, decrypted, into a new directory: JSON, CSV per event type, a manifest.

    The manifest lists each event's position and hashes and the log's root hash, to check
    the export against the audit export and a published digest (docs/privacy.md). After an
    erasure it holds the receipt and the non-personal facts only. Needs the master key.

    Example:

        ledger export customer C-000001 ./C-000001-export
    """
    from ledger import output

    done = obj.ledger.export_customer(customer, directory)
    if output_format != "table":
        output.write_one(done, output_format)
        return
    erased = " (erased: personal fields left out)" if done.erased else ""
    output.write_text(f"wrote {done.events} events of {customer} to {directory}: {', '.join(done.files)}{erased}")
