"""The work of POST /v1/events, off the event loop: check each event, then store them with the Ledger."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from http_api.metrics import EVENTS
from http_api.models import AppendResponse, ItemResult
from http_api.problems import HttpProblemError, field_problems
from http_api.settings import ApiSettings
from ledger import InvalidEventError, Ledger
from ledger.api_keys import ApiKey


@dataclass
class Outcome:
    """Each event's result, in request order."""

    results: list[ItemResult] = field(default_factory=list)

    @property
    def all_rejected(self) -> bool:
        """Whether there were events and none was stored or known."""
        return bool(self.results) and all(r.status == "rejected" for r in self.results)

    def response(self) -> AppendResponse:
        """Return the response body with the counts."""
        counts = {status: sum(r.status == status for r in self.results) for status in ("stored", "duplicate", "rejected")}
        return AppendResponse(
            stored=counts["stored"], duplicates=counts["duplicate"], rejected=counts["rejected"], results=self.results
        )

    def detail(self) -> str:
        """Say why the events were rejected, the first one's problems in full."""
        first = next(r for r in self.results if r.problems)
        reasons = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in first.problems or [])
        rejected = sum(r.status == "rejected" for r in self.results)
        return (
            reasons
            if len(self.results) == 1
            else f"{rejected} of {len(self.results)} events rejected; event {first.index}: {reasons}"
        )


class Appender:
    """Appends the events of one request on behalf of one API key.

    Its writes take the process's write_lock first: threads of one worker then queue on a Python lock,
    woken at once, rather than in SQLite's busy handler, which sleeps between tries for growing
    intervals (1, 2, 5, 10 ... 100 ms), far longer than the single appends it waits for.
    """

    def __init__(self, ledger: Ledger, settings: ApiSettings, key: ApiKey, write_lock: threading.Lock):
        self.ledger, self.settings, self.key, self.write_lock = ledger, settings, key, write_lock

    def append(self, items: list[Any], *, batch: bool, strict: bool, expected_version: int | None) -> Outcome:
        """Check, parse and store the events; rejected ones are reported, or with strict, reject the whole request."""
        base = (lambda i: ("events", i)) if batch else (lambda i: ())
        parsed: dict[int, Any] = {}
        rejected: dict[int, ItemResult] = {}
        for index, item in enumerate(items):
            try:
                parsed[index] = self.ledger.parse(self._checked(item))
            except InvalidEventError as error:
                rejected[index] = ItemResult(
                    index=index,
                    event_id=_event_id(item),
                    status="rejected",
                    problems=field_problems(error.problems, base(index)),
                )
        if strict and rejected:
            return self._count(Outcome([rejected[i] for i in sorted(rejected)]))
        if expected_version is not None and parsed:
            # The version itself is checked by the Ledger inside the write transaction, under the log's lock.
            self._check_one_customer({event.customer for event in parsed.values()})
        if not batch and parsed:
            return self._count(self._append_one(self._checked(items[0]), parsed[0].event_id, expected_version))
        order = sorted(parsed)
        try:
            with self.write_lock:
                result = self.ledger.append_many([parsed[i] for i in order], strict=strict, expected_version=expected_version)
        except InvalidEventError as error:  # strict: a rule violation stored nothing
            failed = getattr(error, "rejection", None)
            index = order[failed.index] if failed is not None else 0
            problem = ItemResult(
                index=index,
                event_id=_event_id(items[index]),
                status="rejected",
                problems=field_problems(error.problems, base(index)),
            )
            return self._count(Outcome([problem]))
        for rejection in result.rejected:
            index = order[rejection.index]
            rejected[index] = ItemResult(
                index=index,
                event_id=rejection.event_id,
                status="rejected",
                problems=field_problems(rejection.error.problems, base(index)),
            )
        stored = {event.event_id: event.position for event in result.stored}
        claimed: set[str] = set()
        outcome = Outcome()
        for index in range(len(items)):
            if index in rejected:
                outcome.results.append(rejected[index])
                continue
            event_id = parsed[index].event_id
            status: Literal["stored", "duplicate"] = "stored" if event_id in stored and event_id not in claimed else "duplicate"
            claimed.add(event_id)
            outcome.results.append(ItemResult(index=index, event_id=event_id, status=status, position=stored.get(event_id)))
        return self._count(outcome)

    def _append_one(self, item: dict[str, Any], event_id: str, expected_version: int | None) -> Outcome:
        """Append a single event through ``Ledger.append``, whose receipt gives a duplicate's position too."""
        try:
            with self.write_lock:
                receipt = self.ledger.append(
                    item["type"],
                    item["customer"],
                    item.get("data"),
                    occurred_at=item.get("occurred_at"),
                    event_id=event_id,
                    source=item["source"],
                    actor=item["actor"],
                    correlation_id=item.get("correlation_id"),
                    expected_version=expected_version,
                )
        except InvalidEventError as error:
            return Outcome([ItemResult(index=0, event_id=event_id, status="rejected", problems=field_problems(error.problems))])
        status: Literal["stored", "duplicate"] = "duplicate" if receipt.duplicate else "stored"
        return Outcome([ItemResult(index=0, event_id=receipt.event_id, status=status, position=receipt.position)])

    def _checked(self, item: Any) -> dict[str, Any]:
        """Return the event with the key's actor and source, or raise InvalidEventError on what the Ledger does not check."""
        if not isinstance(item, dict):
            raise InvalidEventError([("event", "not a JSON object")])
        size = len(orjson.dumps(item))
        if size > self.settings.max_event_bytes:
            raise InvalidEventError(
                [("event", f"{size} bytes of JSON, the most one event may have is {self.settings.max_event_bytes}")]
            )
        actor = item.get("actor")
        if actor is not None and actor != self.key.name:
            raise InvalidEventError([("actor", f"is the API key's name ({self.key.name!r}); a request cannot claim another")])
        return {**item, "actor": self.key.name, "source": item.get("source") or self.key.name}

    @staticmethod
    def _check_one_customer(customers: set[str]) -> None:
        if len(customers) != 1:
            raise HttpProblemError(
                400, "invalid-request", "Invalid request", "expected_version needs the events to be of exactly one customer"
            )

    @staticmethod
    def _count(outcome: Outcome) -> Outcome:
        for result in outcome.results:
            EVENTS.labels(outcome=result.status).inc()
        return outcome


def _event_id(item: Any) -> str | None:
    event_id = item.get("event_id") if isinstance(item, dict) else None
    return event_id if isinstance(event_id, str) else None
