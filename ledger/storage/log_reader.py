"""The one reader of the stored log: every SELECT on the library's ``ledger_events`` table.

Projections (log pages, touched streams, whole-log scans by stream), the audit (raw pages,
one raw row), the library's recorder interface (notifications, a stream's events), the
timeline and the log's head all read here; the write transaction takes its statements
(the head, stream heads, targets' states) from here to run on its own cursor. Plain driver SQL on the DB-API cursor of the
caller's connection: SQLAlchemy's per-row result processing (the UUID type above all) costs
more than the scan. Stream ids stay in the driver's form (16 bytes on SQLite, UUID on
PostgreSQL) unless a function says it returns UUIDs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ledger.errors import DatabaseUnavailableError
from ledger.storage.side_tables import event_ids_table
from projections.facts import Fact, decode

IN_CHUNK = 500
# Rows per page of a whole-log scan: large enough to amortise the query, small enough for constant memory.
SCAN_PAGE = 10_000
ROW_COLUMNS = "id, originator_id, originator_version, topic, state"

Streams = dict[Any, tuple[str, list[Fact]]]


class LogSource(Protocol):
    """What the reader needs of a store or recorder: the events table and the driver's parameter placeholder."""

    events_table: Table
    mark: str


def head_statement(events_table: str) -> str:
    """Return the query of the log's newest position (0 when empty): the one way the head is read."""
    return f"SELECT COALESCE(MAX(id), 0) FROM {events_table}"


def stream_heads_statement(events_table: str, mark: str, is_postgres: bool, count: int) -> str:
    """Return the query of the last event (stream_id, version, state) of each of ``count`` streams that has one.

    One seek of the (stream, version) index per stream, from its end: a MAX or DISTINCT ON
    over the stream's rows would read its whole history. The write transaction runs it.
    """
    wanted = ", ".join([f"({mark})"] * count)
    if is_postgres:
        return (
            f"SELECT e.originator_id, e.originator_version, e.state FROM (VALUES {wanted}) AS w (id)"
            f" CROSS JOIN LATERAL (SELECT originator_id, originator_version, state FROM {events_table}"
            " WHERE originator_id = w.id ORDER BY originator_version DESC LIMIT 1) AS e"
        )
    return (
        f"SELECT e.originator_id, e.originator_version, e.state FROM (VALUES {wanted}) AS w"
        f" JOIN {events_table} AS e ON e.originator_id = w.column1 AND e.originator_version ="
        f" (SELECT m.originator_version FROM {events_table} AS m WHERE m.originator_id = w.column1"
        " ORDER BY m.originator_version DESC LIMIT 1)"
    )


def states_at_statement(events_table: str, mark: str, count: int) -> str:
    """Return the query of the stored states (position, state) at ``count`` log positions (the write transaction's targets)."""
    return f"SELECT id, state FROM {events_table} WHERE id IN ({', '.join([mark] * count)})"


def log_head(source: LogSource, connection: Connection) -> int:
    """Return the newest log position (0 when empty), read in the caller's connection or transaction."""
    return int(_rows(connection, head_statement(source.events_table.name), ())[0][0])


def as_uuid(stream_id: Any) -> UUID:
    """Return a stream id from the driver (16 bytes on SQLite) as a UUID."""
    return stream_id if isinstance(stream_id, UUID) else UUID(bytes=bytes(stream_id))


def notifications(
    source: LogSource,
    connection: Connection,
    start: int | None,
    limit: int,
    stop: int | None = None,
    topics: Sequence[str] = (),
    *,
    inclusive_of_start: bool = True,
) -> list[Notification]:
    """Return up to limit events from a position on (after it, unless inclusive) up to stop, as the library's notifications."""
    mark, conditions = source.mark, []
    parameters: list[Any] = []
    if start is not None:
        conditions.append(f"id {'>=' if inclusive_of_start else '>'} {mark}")
        parameters.append(start)
    if stop is not None:
        conditions.append(f"id <= {mark}")
        parameters.append(stop)
    if topics:
        conditions.append(f"topic IN ({', '.join([mark] * len(topics))})")
        parameters.extend(topics)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"SELECT {ROW_COLUMNS} FROM {source.events_table.name}{where} ORDER BY id LIMIT {int(limit)}"
    return [
        Notification(id=row[0], originator_id=as_uuid(row[1]), originator_version=row[2], topic=row[3], state=bytes(row[4]))
        for row in _rows(connection, sql, parameters)
    ]


def stream_rows(
    source: LogSource,
    connection: Connection,
    stream_id: Any,
    *,
    gt: int | None = None,
    lte: int | None = None,
    desc: bool = False,
    limit: int | None = None,
) -> list[Any]:
    """Return one stream's raw rows (id, originator_id, originator_version, topic, state) in version order, within bounds."""
    mark, conditions = source.mark, [f"originator_id = {source.mark}"]
    parameters: list[Any] = [stream_id]
    for operator, bound in ((">", gt), ("<=", lte)):
        if bound is not None:
            conditions.append(f"originator_version {operator} {mark}")
            parameters.append(bound)
    order = "DESC" if desc else "ASC"
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    sql = (
        f"SELECT {ROW_COLUMNS} FROM {source.events_table.name} WHERE {' AND '.join(conditions)}"
        f" ORDER BY originator_version {order}{cap}"
    )
    return _rows(connection, sql, parameters)


def raw_pages(
    source: LogSource,
    connection: Connection,
    after: int = 0,
    until: int | None = None,
    *,
    stream_id: Any = None,
    page_size: int = SCAN_PAGE,
) -> Iterator[list[Any]]:
    """Yield pages of raw rows (id, originator_id, originator_version, topic, state) after a position, in log order.

    Up to until, if given; of one stream (in the driver's form), if given.
    """
    mark = source.mark
    stream, stream_parameter = ("", ()) if stream_id is None else (f" AND originator_id = {mark}", (stream_id,))
    bound = "" if until is None else f" AND id <= {int(until)}"
    sql = (
        f"SELECT {ROW_COLUMNS} FROM {source.events_table.name}"
        f" WHERE id > {mark}{stream}{bound} ORDER BY id LIMIT {int(page_size)}"
    )
    while True:
        rows = _rows(connection, sql, (after, *stream_parameter))
        if rows:
            yield rows
        if len(rows) < page_size:
            return
        after = rows[-1][0]


def raw_row_at(source: LogSource, connection: Connection, position: int) -> Any:
    """Return the raw row (id, originator_id, originator_version, topic, state) at a position, or None."""
    rows = _rows(connection, f"SELECT {ROW_COLUMNS} FROM {source.events_table.name} WHERE id = {source.mark}", (position,))
    return rows[0] if rows else None


def state_of_event(source: LogSource, connection: Connection, event_id: str) -> bytes | None:
    """Return the stored state of the event with this event_id, found through the event-id index, or None."""
    sql = (
        f"SELECT e.state FROM {event_ids_table.name} AS i JOIN {source.events_table.name} AS e ON e.id = i.position"
        f" WHERE i.event_id = {source.mark}"
    )
    rows = _rows(connection, sql, (event_id,))
    return bytes(rows[0][0]) if rows else None


def log_page(source: LogSource, connection: Connection, after: int, limit: int) -> list[tuple[int, Any]]:
    """Return (position, stream id) of up to limit events after a position, in log order."""
    sql = f"SELECT id, originator_id FROM {source.events_table.name} WHERE id > {source.mark} ORDER BY id LIMIT {int(limit)}"
    return [(row[0], row[1]) for row in _rows(connection, sql, (after,))]


def read_streams(source: LogSource, connection: Connection, stream_ids: list[Any], upto: int | None = None) -> Streams:
    """Return the customer and facts (up to a position, if given, in stream order) of each of these streams."""
    mark = source.mark
    bound, bound_parameter = ("", ()) if upto is None else (f" AND id <= {mark}", (upto,))
    streams: Streams = {}
    # The DB-API cursor and fetchall: iterating SQLAlchemy's result took half of an as-of profile's replay.
    cursor = connection.connection.cursor()
    for start in range(0, len(stream_ids), IN_CHUNK):
        chunk = stream_ids[start : start + IN_CHUNK]
        sql = (
            f"SELECT originator_id, id, state FROM {source.events_table.name} "
            f"WHERE originator_id IN ({', '.join([mark] * len(chunk))}){bound} "
            "ORDER BY originator_id, originator_version"
        )
        cursor.execute(sql, (*chunk, *bound_parameter))
        for stream_id, position, state in cursor.fetchall():
            customer, fact = decode(position, bytes(state))
            entry = streams.get(stream_id)
            if entry is None:
                streams[stream_id] = (customer, [fact])
            else:
                entry[1].append(fact)
    return streams


def scan_streams(
    source: LogSource, connection: Connection, upto: int, *, low: Any = None, high: Any = None
) -> Iterator[tuple[str, list[Fact]]]:
    """Yield every stream's customer and facts up to a position, one stream at a time, in constant memory.

    With low and high (stream ids in the driver's form), only the streams with low <= id < high.
    """
    table, mark = source.events_table.name, source.mark
    columns = f"SELECT originator_id, id, state FROM {table}"
    below = "" if high is None else f" AND originator_id < {mark}"
    order = f"ORDER BY originator_id, originator_version LIMIT {SCAN_PAGE}"
    first = f"{columns} WHERE id <= {mark}{'' if low is None else f' AND originator_id >= {mark}'}{below} {order}"
    after = f"{columns} WHERE originator_id > {mark} AND id <= {mark}{below} {order}"
    one = f"{columns} WHERE originator_id = {mark} AND id <= {mark} ORDER BY originator_version"
    bound = () if high is None else (high,)
    # The DB-API cursor directly: SQLAlchemy's result wrapper took a fifth of a rebuild's time.
    cursor = connection.connection.cursor()
    last: Any = None
    while True:
        if last is None:
            cursor.execute(first, (upto, *(() if low is None else (low,)), *bound))
        else:
            cursor.execute(after, (last, upto, *bound))
        rows = cursor.fetchall()
        if not rows:
            return
        complete = len(rows) < SCAN_PAGE
        if not complete and rows[0][0] == rows[-1][0]:
            # One stream longer than a page: read it whole on its own.
            cursor.execute(one, (rows[0][0], upto))
            rows = cursor.fetchall()
        elif not complete:
            # The page's last stream may go on in the next page: leave it for then.
            cut = rows[-1][0]
            rows = [row for row in rows if row[0] != cut]
        yield from _group(rows)
        last = rows[-1][0]
        if complete:
            return


def _group(rows: Sequence[Any]) -> Iterator[tuple[str, list[Fact]]]:
    current: Any = None
    customer = ""
    facts: list[Fact] = []
    for stream_id, position, state in rows:
        if stream_id != current:
            if facts:
                yield customer, facts
            current, facts = stream_id, []
        customer, fact = decode(position, bytes(state))
        facts.append(fact)
    if facts:
        yield customer, facts


def _rows(connection: Connection, sql: str, parameters: Sequence[Any]) -> list[Any]:
    """Run a query on the connection's DB-API cursor and return its rows as the driver gives them."""
    dbapi = connection.dialect.loaded_dbapi
    try:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    except (dbapi.OperationalError, dbapi.InterfaceError) as error:  # the raw cursor bypasses SQLAlchemy's translation
        connection.invalidate()  # the pool replaces a lost connection instead of handing it out again
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatabaseUnavailableError(f"database read failed: {message}") from None
