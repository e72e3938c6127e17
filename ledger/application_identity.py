"""The application's identity use cases: link and unlink identifiers, resolve them, and say who holds one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from commands.errors import InvalidArgumentError
from commands.identifiers import InvalidIdentifierError
from ledger.application_base import LedgerBase, Moment
from ledger.identity import whois
from ledger.identity.errors import NoHolderError
from ledger.identity.transaction import OnUnknown, unknown_identifiers
from ledger.results import Receipt
from ledger.results_identity import WhoIs

Identifier = str | Mapping[str, str]


class LedgerIdentity(LedgerBase):
    """Identifiers of customers (see docs/identity.md)."""

    def link_identifier(
        self,
        customer: str,
        identifier: Identifier,
        *,
        occurred_at: Moment = None,
        source: str | None = None,
        actor: str | None = None,
    ) -> Receipt:
        """Link an identifier (``"email:ann@example.com"`` or ``{"email": ...}``) to a customer; refused if another holds it."""
        return self._identifier_event("identifier_linked", customer, identifier, occurred_at, source, actor)

    def unlink_identifier(
        self,
        customer: str,
        identifier: Identifier,
        *,
        occurred_at: Moment = None,
        source: str | None = None,
        actor: str | None = None,
    ) -> Receipt:
        """Unlink an identifier from the customer who holds it (it may then be linked to another)."""
        return self._identifier_event("identifier_unlinked", customer, identifier, occurred_at, source, actor)

    def _identifier_event(
        self, event_type: str, customer: str, identifier: Identifier, occurred_at: Moment, source: str | None, actor: str | None
    ) -> Receipt:
        kind, value = self._identifier(identifier)
        data = {"kind": kind, "value": value}
        return self.append(event_type, customer, data, occurred_at=occurred_at, source=source, actor=actor)  # type: ignore[attr-defined, no-any-return]

    def whois(self, identifier: Identifier, *, as_of: Moment = None) -> WhoIs:
        """Say who holds an identifier (or held it as of a date), since when, and who held it before."""
        kind, value = self._identifier(identifier)
        return whois.who_is(self.store, kind, value, self._bound(as_of))

    def resolve_customer(self, customer: Identifier) -> str:
        """Return the key of a customer given by key, or by an identifier (``email:ann@example.com``) that someone holds.

        Text whose part before ``:`` is no identifier kind is a key, returned as it is.
        """
        if isinstance(customer, str) and self.store.identity.split(customer) is None:
            return customer
        kind, value = self._identifier(customer)
        holder = whois.who_is(self.store, kind, value, None).holder
        if holder is None:
            raise NoHolderError(kind)
        return holder

    def customer_reference(self, customer: str) -> str | dict[str, str]:
        """Return a customer given as text as an event names it: a key, or ``{kind: value}`` for ``KIND:VALUE``."""
        split = self.store.identity.split(customer)
        return customer if split is None else {split[0]: split[1]}

    @contextmanager
    def resolving(self, on_unknown: OnUnknown | None) -> Iterator[None]:
        """Within the block, events naming their customer by an identifier nobody holds create that customer or are refused.

        None keeps the configured ``[identity] on_unknown`` (``reject`` unless configured).
        """
        if on_unknown not in (None, "create", "reject"):
            raise InvalidArgumentError(f"on_unknown: expected 'create' or 'reject', got {on_unknown!r}")
        with unknown_identifiers(on_unknown):
            yield

    def _identifier(self, identifier: Identifier) -> tuple[str, str]:
        if isinstance(identifier, str):
            split = self.store.identity.split(identifier)
            if split is None:
                kinds = ", ".join(self.store.identity.kinds)
                raise InvalidIdentifierError("identifier", f"expected KIND:VALUE with a kind of {kinds}, got {identifier!r}")
            return split
        if isinstance(identifier, Mapping) and len(identifier) == 1:
            ((kind, value),) = identifier.items()
            if isinstance(kind, str) and isinstance(value, str):
                return kind, value
        raise InvalidArgumentError(f"identifier: expected KIND:VALUE text or a one-entry mapping, got {identifier!r}")
