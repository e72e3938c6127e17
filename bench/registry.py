"""Every scenario of the suite, in the order of the table. Adding one: a function in a module, a line here."""

from __future__ import annotations

from bench.scenarios import Comparison, Group, Need, Scenario, absolute, ratio

__all__ = ["SCENARIOS", "Comparison", "Group", "Need", "Scenario", "absolute", "by_name", "ratio"]

RAW_BULK = "raw bulk insert"
RAW_BULK_PG = "raw bulk insert (PostgreSQL)"
RAW_ROW = "raw per-row commit"
RAW_ROW_PG = "raw per-row commit (PostgreSQL)"
RAW_SCAN_HASH = "raw scan + sha256"
RAW_SCAN_DECODE = "raw scan + orjson"
RAW_COPY_PG = "raw COPY (PostgreSQL)"
RAW_BATCHED = "raw batched commit"
SQL_IMPORT = "ledger SQL of an import"
SQL_APPEND = "ledger SQL of single appends"
SQL_IMPORT_PG = "ledger SQL of an import (PostgreSQL)"
SQL_APPEND_PG = "ledger SQL of single appends (PostgreSQL)"
LEAST_IMPORT = "least work of an import"
LEAST_APPEND = "least work of single appends"
LIBRARY_BATCHED = "library save, batches of 1,000"
IMPORT = "import"
APPEND = "append"
IMPORT_GROWTH = "import, growth size"
AS_OF_CLEAR = "as-of timeline, in clear, p99"
APPEND_PG = "append (PostgreSQL)"
IMPORT_PG = "import (PostgreSQL)"
LIBRARY_RUNNER = "library ProjectionRunner (PostgreSQL)"
REBUILD = "rebuild"
COMMAND_BASELINE = "python importing sqlalchemy, pydantic"
CUSTOMERS_QUERY = "customers query, in process"
HTTP_RAW = "raw ASGI app, single-event POST"
HTTP_IN_PROCESS = "append_many of 100, in process"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(RAW_BULK, "bench.raw:bulk_insert", "raw"),
    Scenario(RAW_ROW, "bench.raw:per_row_commit", "raw"),
    Scenario(RAW_BATCHED, "bench.raw:batched_commit", "raw", (ratio(RAW_BULK),)),
    # The database's own cost growth, for ``import, growth size``: the same two files, no ledger.
    Scenario(
        "raw batched commit, growth size",
        "bench.raw:batched_commit_growth",
        "raw",
        (ratio(RAW_BATCHED),),
        needs=("growth file",),
    ),
    Scenario(RAW_SCAN_DECODE, "bench.raw:scan_and_decode", "raw", needs=("populated database",)),
    Scenario(RAW_SCAN_HASH, "bench.raw:scan_and_hash", "raw", needs=("populated database",)),
    Scenario(RAW_BULK_PG, "bench.raw:bulk_insert", "raw", backend="postgres"),
    Scenario(RAW_ROW_PG, "bench.raw:per_row_commit", "raw", backend="postgres"),
    Scenario(RAW_COPY_PG, "bench.raw:copy_insert", "raw", backend="postgres"),
    # The ledger's statements with no Python around them: the floor under import and append (bench/floor.py).
    Scenario(SQL_IMPORT, "bench.floor:import_statements", "raw", (ratio(RAW_BULK),)),
    Scenario(SQL_APPEND, "bench.floor:single_append_statements", "raw", (ratio(RAW_ROW),)),
    Scenario(
        "ledger SQL of an import, growth size",
        "bench.floor:import_statements_growth",
        "raw",
        (ratio(SQL_IMPORT),),
        needs=("growth file",),
    ),
    Scenario(SQL_IMPORT_PG, "bench.floor:import_statements", "raw", (ratio(RAW_BULK_PG),), backend="postgres"),
    Scenario(SQL_APPEND_PG, "bench.floor:single_append_statements", "raw", (ratio(RAW_ROW_PG),), backend="postgres"),
    Scenario("library save, 1 event each", "bench.library:save_one_by_one", "library"),
    Scenario(LIBRARY_BATCHED, "bench.library:save_in_batches", "library"),
    Scenario(LIBRARY_RUNNER, "bench.library:projection_runner", "library", backend="postgres"),
    # What no write can skip (validation, the sealed state and its chained hash) with those statements: the targets' floor.
    Scenario(LEAST_IMPORT, "bench.floor:import_least_work", "raw", (ratio(RAW_BULK), ratio(LIBRARY_BATCHED))),
    Scenario(LEAST_APPEND, "bench.floor:single_append_least_work", "raw", (ratio(RAW_ROW), ratio(SQL_APPEND))),
    # The same with validation free, as if another core did it: the import's writer alone.
    Scenario(
        "least work of an import, validated beforehand",
        "bench.floor:import_sealing_validated",
        "raw",
        (ratio(RAW_BULK), ratio(LIBRARY_BATCHED)),
    ),
    Scenario(
        IMPORT,
        "bench.ledger_scenarios:import_file",
        "ledger",
        (ratio(RAW_BULK, 0.30), ratio(LIBRARY_BATCHED, 5), ratio(SQL_IMPORT)),
    ),
    Scenario(APPEND, "bench.ledger_scenarios:append_one_by_one", "ledger", (ratio(RAW_ROW, 0.33), ratio(LEAST_APPEND))),
    Scenario("append, 4 processes", "bench.ledger_scenarios:append_concurrently", "ledger", (ratio(APPEND),)),
    # The hash chain costs at most 15%: without it, at most 1 / 0.85 times as fast.
    Scenario("append, hash chain off", "bench.ledger_scenarios:append_without_chain", "ledger", (ratio(APPEND, None, 1.18),)),
    Scenario(
        IMPORT_PG,
        "bench.ledger_scenarios:import_file",
        "ledger",
        (ratio(RAW_BULK_PG, 0.30), ratio(SQL_IMPORT_PG)),
        backend="postgres",
    ),
    Scenario(
        APPEND_PG,
        "bench.ledger_scenarios:append_one_by_one",
        "ledger",
        (ratio(RAW_ROW_PG, 0.33), ratio(SQL_APPEND_PG)),
        backend="postgres",
    ),
    Scenario(
        "append, 4 processes (PostgreSQL)",
        "bench.ledger_scenarios:append_concurrently",
        "ledger",
        (ratio(APPEND_PG),),
        backend="postgres",
    ),
    # Within 20% either way: no hidden quadratic path between the two sizes.
    Scenario(
        IMPORT_GROWTH,
        "bench.ledger_scenarios:import_growth_file",
        "ledger",
        (ratio(IMPORT, 0.8, 1.25),),
        needs=("growth file",),
    ),
    # Every event naming its customer by an identifier instead of a key (bench/identity_scenarios.py).
    Scenario(
        "import, growth size, by identifier",
        "bench.identity_scenarios:import_identified",
        "ledger",
        (ratio(IMPORT_GROWTH, 0.9),),
        needs=("growth file",),
    ),
    Scenario("append, by identifier", "bench.identity_scenarios:append_identified", "ledger", (ratio(APPEND, 0.9),)),
    # Encryption of personal data: an import with a master key, and an as-of read that decrypts (bench/privacy_scenarios.py).
    Scenario(
        "import, growth size, encrypted",
        "bench.privacy_scenarios:import_encrypted",
        "ledger",
        (ratio(IMPORT_GROWTH, 0.85),),
        needs=("growth file",),
    ),
    Scenario(AS_OF_CLEAR, "bench.privacy_scenarios:as_of_timeline_in_clear", "ledger", needs=("growth file",)),
    Scenario(
        "as-of timeline, decrypted, p99",
        "bench.privacy_scenarios:as_of_timeline_decrypted",
        "ledger",
        (ratio(AS_OF_CLEAR, None, 1.2),),
        needs=("growth file",),
    ),
    # The hash chain's cost on an import, on the growth file: compared with that file's import.
    Scenario(
        "import, hash chain off",
        "bench.ledger_scenarios:import_file_without_chain",
        "ledger",
        (ratio(IMPORT_GROWTH, None, 1.18),),
        needs=("growth file",),
    ),
    Scenario("verify", "bench.ledger_scenarios:verify", "ledger", (ratio(RAW_SCAN_HASH, 0.5),), needs=("populated database",)),
    # verify checks the second half of a large log in a second process; this is it in one process.
    Scenario(
        "verify, one process",
        "bench.ledger_scenarios:verify_in_one_process",
        "ledger",
        (ratio(RAW_SCAN_HASH),),
        needs=("populated database",),
    ),
    Scenario("timeline, p99", "bench.ledger_scenarios:timeline_latency", "ledger", needs=("populated database",)),
    Scenario(
        REBUILD,
        "bench.projection_scenarios:rebuild",
        "ledger",
        (absolute(at_least=100_000), ratio(LIBRARY_RUNNER, 30)),
        needs=("projected database",),
    ),
    # Whole commands in a process of their own, as a user waits for them (bench/whole_commands.py).
    Scenario(
        "ledger import command",
        "bench.whole_commands:import_command",
        "ledger",
        (ratio(RAW_BULK, 0.30), ratio(IMPORT)),
    ),
    Scenario(
        "ledger import command (PostgreSQL)",
        "bench.whole_commands:import_command",
        "ledger",
        (ratio(RAW_COPY_PG, 0.30), ratio(IMPORT_PG)),
        backend="postgres",
    ),
    Scenario(
        "ledger projections rebuild command",
        "bench.whole_commands:rebuild_command",
        "ledger",
        (ratio(RAW_SCAN_DECODE, 0.60), ratio(REBUILD)),
        needs=("projected database",),
    ),
    # Within 20% either way: no hidden quadratic path between a tenth of the log and all of it.
    Scenario("rebuild, tenth size", "bench.projection_scenarios:rebuild_tenth", "ledger", (ratio(REBUILD, 0.8, 1.25),)),
    Scenario("follow, median latency", "bench.projection_scenarios:follow_latency", "ledger", (absolute(at_most=1_000),)),
    Scenario(
        "profile, p99",
        "bench.projection_scenarios:profile_latency",
        "ledger",
        (absolute(at_most=5),),
        needs=("projected database",),
    ),
    Scenario(
        "as-of profile of 1,000 events, p99",
        "bench.projection_scenarios:as_of_profile_latency",
        "ledger",
        (absolute(at_most=20),),
        needs=("projected database",),
    ),
    Scenario(
        "as-of profile of 1,000 events, p99, no gc.freeze",
        "bench.projection_scenarios:as_of_profile_latency_without_freeze",
        "ledger",
        needs=("projected database",),
    ),
    Scenario(
        "monthly trends, p99",
        "bench.projection_scenarios:monthly_trends_latency",
        "ledger",
        (absolute(at_most=200),),
        needs=("projected database",),
    ),
    *(
        Scenario(
            name, f"bench.analytics_scenarios:{function}", "ledger", (absolute(at_most=2_000),), needs=("projected database",)
        )
        for name, function in (
            ("cohorts by month, median", "cohorts_latency"),
            ("revenue cohorts in USD, median", "cohorts_revenue_latency"),
            ("monthly trends in USD, median", "trends_in_currency_latency"),
        )
    ),
    Scenario(
        "export rfm --as-of",
        "bench.projection_scenarios:export_rfm_rate",
        "ledger",
        (absolute(at_least=100_000),),
        needs=("projected database",),
    ),
    Scenario(
        "export warehouse",
        "bench.warehouse_scenarios:export_warehouse",
        "ledger",
        (absolute(at_least=100_000),),
        needs=("populated database",),
    ),
    # The HTTP API on a real server against a raw ASGI app on the same server settings, and against append_many.
    Scenario(HTTP_RAW, "bench.http_scenarios:raw_single_posts", "raw"),
    Scenario("http single-event POST", "bench.http_scenarios:single_posts", "ledger", (ratio(HTTP_RAW, 0.5),)),
    Scenario("http single-event POST, p99", "bench.http_scenarios:single_post_latency", "ledger", (absolute(at_most=20),)),
    Scenario(HTTP_IN_PROCESS, "bench.http_scenarios:append_many_in_process", "ledger"),
    Scenario("http batch POST of 100", "bench.http_scenarios:batch_posts", "ledger", (ratio(HTTP_IN_PROCESS, 0.5),)),
    # Start-up and queries as whole processes, beside Python importing SQLAlchemy and pydantic (bench/command_scenarios.py).
    Scenario(COMMAND_BASELINE, "bench.command_scenarios:baseline_imports", "raw"),
    Scenario("ledger --help", "bench.command_scenarios:help_command", "ledger", (absolute(at_most=300), ratio(COMMAND_BASELINE))),
    Scenario(
        "ledger --version", "bench.command_scenarios:version_command", "ledger", (absolute(at_most=300), ratio(COMMAND_BASELINE))
    ),
    Scenario(
        "ledger profile",
        "bench.command_scenarios:profile_command",
        "ledger",
        (ratio(COMMAND_BASELINE, at_most=1.5),),
        needs=("projected database",),
    ),
    Scenario(
        "ledger trends",
        "bench.command_scenarios:trends_command",
        "ledger",
        (ratio(COMMAND_BASELINE, at_most=1.5),),
        needs=("projected database",),
    ),
    Scenario(CUSTOMERS_QUERY, "bench.command_scenarios:customers_query", "ledger", needs=("projected database",)),
    Scenario(
        "ledger customers",
        "bench.command_scenarios:customers_command",
        "ledger",
        (ratio(CUSTOMERS_QUERY, at_most=2.0), ratio(COMMAND_BASELINE)),
        needs=("projected database",),
    ),
)


def by_name(name: str) -> Scenario:
    """Return the scenario called name."""
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(name)
