"""What the commands share: the context with its lazily opened ledger, option types and option decorators.

Nothing here imports the ledger at module level: ``ledger --help`` and ``ledger
--version`` must start without SQLAlchemy, eventsourcing or pydantic. Choices the
ledger defines (event types, stages, segments, output formats) are read from it
only when a value is checked or a command's help is shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])
# The commands that may create the ledger's tables; every other one on a database without them says "no ledger".
CREATING_COMMANDS = {("append",), ("import",), ("link",), ("unlink",), ("serve",), ("api-keys", "create")}
# The group's options, also accepted after the subcommand (``ledger log --db other.db``).
GROUP_OPTIONS = ("--db", "--config")


class LedgerContext:
    """What every command needs: the database URL and configuration, and a ledger opened on first use."""

    def __init__(self, db: str | None, config_path: str | None):
        self.db = db
        self.config_path = config_path
        self._ledger: Ledger | None = None

    @property
    def ledger(self) -> Ledger:
        """Open the ledger on first use; only commands that store events create one where there is none."""
        if self._ledger is None:
            from ledger import Ledger
            from ledger.config import load_config

            path = tuple(click.get_current_context().command_path.split()[1:])
            self._ledger = Ledger(self.db, config=load_config(self.config_path), create=path in CREATING_COMMANDS)
        return self._ledger

    def close(self) -> None:
        """Close the ledger if it was opened."""
        if self._ledger is not None:
            self._ledger.close()


def hoist_group_options(args: list[str], commands: Iterable[str]) -> list[str]:
    """Move --db and --config given after the subcommand to before it, where the group parses them."""
    names, start, index = set(commands), None, 0
    while index < len(args) and start is None:
        if args[index] in names:
            start = index
        index += 2 if args[index] in GROUP_OPTIONS else 1
    if start is None:
        return args
    head, tail, moved = args[: start + 1], [], []
    rest = iter(args[start + 1 :])
    for arg in rest:
        if arg == "--":
            tail += [arg, *rest]
            break
        if arg in GROUP_OPTIONS:
            moved += [arg, next(rest, "")]
        elif arg.startswith(tuple(f"{name}=" for name in GROUP_OPTIONS)):
            moved.append(arg)
        else:
            tail.append(arg)
    return moved + head + tail if moved else args


def check_range(start: date | datetime | None, end: date | datetime | None, start_option: str, end_option: str) -> None:
    """Fail as a usage error naming both options when a range ends before it starts."""
    if start is not None and end is not None and _comparable(start) > _comparable(end):
        raise click.BadParameter(f"{start} is after {end_option} {end}", param_hint=start_option)


def _comparable(moment: date | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(moment, time.min, tzinfo=UTC)


def _channels() -> Iterable[str]:
    from ledger import EVENT_TYPES

    # The contact event's channel field is the catalogue's one list of channels.
    return [channel.value for channel in EVENT_TYPES["contact"].model_fields["channel"].annotation]  # type: ignore[union-attr]


class DeferredChoice(click.Choice[str]):
    """A choice among names the ledger defines, read from it when a value is checked or help is shown."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        super().__init__(())
        self._load = load
        self._loaded: tuple[str, ...] | None = None

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        """Return the names, loading them on first use."""
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded

    @choices.setter
    def choices(self, names: Iterable[str]) -> None:
        self._loaded = tuple(names) or None


def _event_types() -> Iterable[str]:
    from ledger import EVENT_TYPES

    return EVENT_TYPES


def _stages() -> Iterable[str]:
    from ledger import STAGES

    return STAGES


def _segments() -> Iterable[str]:
    from ledger import SEGMENTS

    return SEGMENTS


def _output_formats() -> Iterable[str]:
    from ledger.output import OUTPUT_FORMATS

    return OUTPUT_FORMATS


CHANNEL = DeferredChoice(_channels)
EVENT_TYPE = DeferredChoice(_event_types)
STAGE = DeferredChoice(_stages)
SEGMENT = DeferredChoice(_segments)


def _hint(param: click.Parameter | None) -> str | None:
    return param.opts[0] if param is not None and param.opts else None


FIRST_BOUND_YEAR, LAST_BOUND_YEAR = 1900, 9998


class MomentType(click.ParamType):
    """An ISO 8601 date (meaning its whole day where a bound is asked for) or date and time."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime | date:
        """Parse the text, or fail as a usage error naming the option."""
        if isinstance(value, datetime | date):
            return value
        from ledger import parse_time_text

        try:
            moment = parse_time_text(value)
        except ValueError as error:
            raise click.BadParameter(str(error), ctx=ctx, param=param, param_hint=_hint(param)) from None
        # Bounds are widened to whole days and converted between zones: the calendar's last years overflow.
        if not FIRST_BOUND_YEAR <= moment.year <= LAST_BOUND_YEAR:
            reason = f"{value!r} is outside the years {FIRST_BOUND_YEAR}..{LAST_BOUND_YEAR}"
            raise click.BadParameter(reason, ctx=ctx, param=param, param_hint=_hint(param))
        return moment


class DayType(click.ParamType):
    """An ISO 8601 calendar date."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        """Parse the text, or fail as a usage error naming the option."""
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"not an ISO date: {value!r}", ctx=ctx, param=param, param_hint=_hint(param)) from None


MOMENT = MomentType()
DAY = DayType()


def format_options(
    default: str = "table", *, choices: Callable[[], Iterable[str]] = _output_formats, aliases: bool = True
) -> Callable[[F], F]:
    """Add --format with its aliases --json and --csv; the command receives the chosen one as output_format."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def choose(*args: Any, output_format: str | None, as_json: bool = False, as_csv: bool = False, **kwargs: Any) -> Any:
            chosen = {name for name, given in (("json", as_json), ("csv", as_csv), (output_format, bool(output_format))) if given}
            if len(chosen) > 1:
                raise click.UsageError(f"choose one output format, not {' and '.join(sorted(map(str, chosen)))}")
            return command(*args, output_format=chosen.pop() if chosen else default, **kwargs)

        decorated: Any = choose
        if aliases:
            decorated = click.option("--csv", "as_csv", is_flag=True, help="Same as --format csv.")(decorated)
            decorated = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(decorated)
        option = click.option(
            "--format", "output_format", type=DeferredChoice(choices), help=f"Output format (default: {default})."
        )
        return option(decorated)  # type: ignore[no-any-return]

    return decorate


def quiet_option(command: F) -> F:
    """Add --quiet (-q): no progress bar and no summary on stderr; data, notes and errors still print."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary: only data, notes and errors.")(
        command
    )


def as_of_options(command: F) -> F:
    """Add --as-of and --known-at, the two time bounds of a query."""
    command = click.option("--known-at", type=MOMENT, help="Only what the ledger had recorded by this date or time.")(command)
    return click.option("--as-of", type=MOMENT, help="Only events that occurred on or before this date (the whole day) or time.")(
        command
    )


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """Turn KEY=VALUE arguments into a mapping; dotted keys fill nested mappings (attributes.tier=gold)."""
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {pair!r}", param_hint="FIELDS")
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return data
