"""Peers: what a user would build with the plain eventsourcing library and eventsourcing-sqlalchemy.

One aggregate per customer, one library event per generated event, carrying
the same data. Library defaults throughout, as a newcomer would run it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder
from sqlalchemy import text

from bench.context import RunContext, read_events
from bench.measure import Measurement, check, rate

BATCH_EVENTS = 1000
RUNNER_TIMEOUT_S = 600
RUNNER_POLL_S = 0.02


class CustomerStory(Aggregate):
    """A customer's interactions, started by the first one."""

    @event("Started")
    def __init__(self, customer: str, kind: str, occurred_at: str, data: dict[str, Any]) -> None:
        self.customer = customer

    @event("Recorded")
    def record(self, kind: str, occurred_at: str, data: dict[str, Any]) -> None:
        """Record one more interaction."""


class Stories(Application[UUID]):
    """Stores customer stories."""


class EventCountsView(SQLAlchemyTrackingRecorder):
    """A read model of one table: how many events of each kind, updated with its tracking record."""

    def create_table(self) -> None:
        """Create the tracking table and the counts table."""
        super().create_table()
        with self.transaction(commit=True) as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS event_counts (kind TEXT PRIMARY KEY, count BIGINT NOT NULL)"))

    def count(self, kind: str, tracking: Tracking) -> None:
        """Add one event of a kind and track it, in one transaction."""
        with self.transaction(commit=True) as session:
            session.execute(
                text(
                    "INSERT INTO event_counts VALUES (:kind, 1) ON CONFLICT (kind) DO UPDATE SET count = event_counts.count + 1"
                ),
                {"kind": kind},
            )
            self._insert_tracking(session, tracking)

    def total(self) -> int:
        """Return how many events were counted."""
        with self.transaction(commit=False) as session:
            return int(session.execute(text("SELECT coalesce(sum(count), 0) FROM event_counts")).scalar_one())


class EventCountsProjection(Projection[EventCountsView]):
    """Count every event of the stories application."""

    name = "eventcounts"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Count the event by its class."""
        self.view.count(type(domain_event).__name__, tracking)


def save_one_by_one(context: RunContext) -> Measurement:
    """Save each event on its own: one ``Application.save`` per event."""
    events = read_events(context.events_file, context.size.library_single_saves)
    with _stories(context) as (app, _env):
        started = time.perf_counter()
        for story in _tell(events):
            app.save(story)
        seconds = time.perf_counter() - started
        _check_stored(app, len(events))
    return rate(len(events), seconds)


def save_in_batches(context: RunContext) -> Measurement:
    """Save events in batches of 1,000: one ``Application.save`` of the stories they touched."""
    events = read_events(context.events_file, context.size.library_batched_saves)
    with _stories(context) as (app, _env):
        started = time.perf_counter()
        _save_in_batches(app, events)
        seconds = time.perf_counter() - started
        _check_stored(app, len(events))
    return rate(len(events), seconds)


def projection_runner(context: RunContext) -> Measurement:
    """Project stored events into one counts table with ``ProjectionRunner``, from the first event to the last."""
    events = read_events(context.events_file, context.size.projection_runner_events)
    with _stories(context) as (app, env):
        _save_in_batches(app, events)
        last = app.recorder.max_notification_id() or 0
        started = time.perf_counter()
        with ProjectionRunner(
            application_class=Stories, projection_class=EventCountsProjection, view_class=EventCountsView, env=env
        ) as runner:
            _wait_until_tracked(runner, last)
            seconds = time.perf_counter() - started
            check(runner.view.total() == len(events), f"projected {runner.view.total()} events of {len(events)}")
    return rate(len(events), seconds)


@contextmanager
def _stories(context: RunContext) -> Iterator[tuple[Stories, dict[str, str]]]:
    with context.fresh_database() as url:
        env = {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": url}
        app = Stories(env=env)
        try:
            yield app, env
        finally:
            app.close()


def _tell(events: list[dict[str, Any]]) -> Iterator[CustomerStory]:
    """Apply each event to its customer's story and yield the story, which then has one new pending event."""
    stories: dict[str, CustomerStory] = {}
    for line in events:
        story = stories.get(line["customer"])
        if story is None:
            story = stories[line["customer"]] = CustomerStory(line["customer"], line["type"], line["occurred_at"], line["data"])
        else:
            story.record(line["type"], line["occurred_at"], line["data"])
        yield story


def _save_in_batches(app: Stories, events: list[dict[str, Any]]) -> None:
    touched: dict[UUID, CustomerStory] = {}
    pending = 0
    for story in _tell(events):
        touched[story.id] = story
        pending += 1
        if pending == BATCH_EVENTS:
            app.save(*touched.values())
            touched.clear()
            pending = 0
    if touched:
        app.save(*touched.values())


def _check_stored(app: Stories, expected: int) -> None:
    stored = app.recorder.max_notification_id() or 0
    check(stored == expected, f"stored {stored} events of {expected}")


def _wait_until_tracked(runner: ProjectionRunner[Any, EventCountsView], last: int) -> None:
    """Poll the view's position every 20 ms (the library's wait() backs off to 800 ms, too coarse to time)."""
    deadline = time.monotonic() + RUNNER_TIMEOUT_S
    while (runner.view.max_tracking_id(Stories.name) or 0) < last:
        if runner.is_interrupted.is_set():
            runner.run_forever(timeout=0)  # re-raises the runner's error
        check(time.monotonic() < deadline, f"the runner did not reach position {last} in {RUNNER_TIMEOUT_S} s")
        time.sleep(RUNNER_POLL_S)
