"""Which customer segments a filter may name: those some customer's details give (the profiles read model)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.errors import UnknownSegmentError
from ledger.queries.read_models import read_models
from ledger.storage.store import EventStore

# Known segments listed in the error, at most.
LISTED = 10


def check_segment(store: EventStore, connection: Connection, segment: str) -> None:
    """Raise UnknownSegmentError when no customer has this segment (checked once the profiles are built)."""
    models = read_models(store, connection, ["profiles"])
    if not models.built:
        return
    customers = models.tables("profiles")["customers"]
    found = select(customers.c.segment).where(customers.c.segment == segment).limit(1)
    if connection.execute(found).first() is not None:
        return
    known = select(customers.c.segment).where(customers.c.segment.is_not(None)).distinct().order_by(customers.c.segment)
    names = [row.segment for row in connection.execute(known.limit(LISTED + 1))]
    raise UnknownSegmentError(segment, names[:LISTED] + (["..."] if len(names) > LISTED else []))
