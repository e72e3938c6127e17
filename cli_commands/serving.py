"""The HTTP API's commands: ``serve`` and the ``api-keys`` that requests authenticate with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli_commands.options import LedgerContext, format_options

if TYPE_CHECKING:
    from ledger.output import OutputFormat


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1). Config: [http] host.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default 8080). Config: [http] port.")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default 1). Config: [http] workers.")
@click.option("--batch-limit", type=click.IntRange(1), help="Most events per POST (default 1000). Env: LEDGER_HTTP_BATCH_LIMIT.")
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    help="Requests per second per key, over all workers (0: none). Env: LEDGER_HTTP_RATE_LIMIT.",
)
@click.option(
    "--rate-burst", type=click.IntRange(0), help="Burst above the rate (default one second's worth). Env: LEDGER_HTTP_RATE_BURST."
)
@click.pass_obj
def serve(
    obj: LedgerContext,
    host: str | None,
    port: int | None,
    workers: int | None,
    batch_limit: int | None,
    rate_limit: float | None,
    rate_burst: int | None,
) -> None:
    """Serve the HTTP API (/v1; the OpenAPI document at /openapi.json, pages at /docs).

    Several workers on one database are safe, and a key's rate limit holds
    for all of them together. SIGTERM finishes the requests under way, then
    stops. Settings come from the options, then LEDGER_HTTP_<NAME> variables,
    then the configuration's [http] table (README); other limits:
    LEDGER_HTTP_MAX_BODY_BYTES, LEDGER_HTTP_MAX_EVENT_BYTES, LEDGER_HTTP_READY_MAX_LAG.
    There is no access log (paths hold customers' keys): /metrics counts
    requests and their latencies by route.

    Example:

        ledger serve --port 8080 --workers 2 --rate-limit 50
    """
    from http_api.server import serve as run_server
    from http_api.settings import ApiSettings

    http = obj.ledger.config.http
    settings = ApiSettings.from_environ(base=ApiSettings.from_config(http)).with_overrides(
        batch_limit=batch_limit, rate_limit=rate_limit, rate_burst=rate_burst
    )
    obj.ledger.close()  # fail here, once, on a database that cannot be opened, rather than in every worker
    run_server(
        host=host or http.host,
        port=http.port if port is None else port,
        workers=workers or http.workers,
        db=obj.ledger.url,
        config_path=obj.config_path,
        settings=settings,
    )


@click.group("api-keys")
def api_keys() -> None:
    """Create, list and revoke the keys of the HTTP API.

    Example:

        ledger api-keys create shop --scope append,read
    """


@api_keys.command("create")
@click.argument("name")
@click.option("--scope", "scopes", required=True, help="Comma-separated scopes: append, read, pii, audit, admin.")
@click.pass_obj
def create_key(obj: LedgerContext, name: str, scopes: str) -> None:
    """Create a key and print its token once: the ledger keeps only its hash.

    Example:

        ledger api-keys create shop --scope append,read
    """
    from ledger import output

    created = obj.ledger.create_api_key(name, scopes)
    output.write_text(created.token)
    output.message(f"created API key {name!r} ({created.key.prefix}…) with scopes {','.join(created.key.scopes)}")
    output.message("keep the token now: it cannot be shown again")


@api_keys.command("list")
@format_options()
@click.pass_obj
def list_keys(obj: LedgerContext, output_format: OutputFormat) -> None:
    """List keys: name, prefix, scopes, created, last used, revoked (never a token).

    Example:

        ledger api-keys list --format json
    """
    from ledger import output

    output.write_rows(obj.ledger.api_keys(), output_format)


@api_keys.command("revoke")
@click.argument("name_or_prefix", metavar="NAME|PREFIX")
@click.pass_obj
def revoke_key(obj: LedgerContext, name_or_prefix: str) -> None:
    """Revoke a key by name or prefix: requests with it are refused at once.

    Example:

        ledger api-keys revoke shop
    """
    from ledger import output

    key = obj.ledger.revoke_api_key(name_or_prefix)
    output.message(f"revoked API key {key.name!r} ({key.prefix}…)")
