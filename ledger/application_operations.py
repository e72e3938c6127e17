"""The application's operator use cases: projections, audit digests and verification, API keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from ledger import api_keys as key_store
from ledger import projection_operations
from ledger.application_base import LedgerBase
from ledger.audit.digest import DigestDocument, take_digest
from ledger.audit.verify import Digest, VerificationReport, verify_log
from ledger.results import (
    ProjectionStatus,
    RebuildResult,
)


class LedgerOperations(LedgerBase):
    """Operate the read models and the audit trail; these commands may write."""

    # --- operating the projections ---

    def projections_status(self) -> list[ProjectionStatus]:
        """Return where each projection stands against the log (a read: it works on a read-only database)."""
        return projection_operations.status(self.store)

    def rebuild(self, names: Iterable[str] = (), *, progress: bool = False) -> RebuildResult:
        """Rebuild projections (all by default) into new tables and switch to them at once."""
        chosen = list(names)
        started = time.monotonic()
        events = projection_operations.rebuild(self.store, self.config, chosen, progress=progress)
        built = chosen or [status.name for status in self.projections_status()]
        return RebuildResult(built, events, time.monotonic() - started)

    def catch_up(self, names: Iterable[str] = (), *, progress: bool = False) -> int:
        """Bring projections up to the head of the log (building any never built); return events applied."""
        return projection_operations.run(self.store, self.config, list(names), progress=progress)

    def follow(self, names: Iterable[str] = (), *, stop: threading.Event, progress: bool = False) -> int:
        """Catch projections up, then keep them current until stop is set; return events applied."""
        return projection_operations.run(self.store, self.config, list(names), stop=stop, progress=progress)

    # --- audit ---

    def verify(self, digest: Digest | None = None) -> VerificationReport:
        """Check the raw stored log (chains, positions, checkpoints, an outside digest); raise VerificationFailedError."""
        return verify_log(self.store, digest)

    def digest(self) -> DigestDocument:
        """Return a digest of the whole log to keep outside the database, and checkpoint it."""
        return take_digest(self.store)

    # --- API keys of the HTTP API ---

    def create_api_key(self, name: str, scopes: str | Iterable[str]) -> key_store.NewApiKey:
        """Create an API key with these scopes; its token is in the result only, never stored."""
        return key_store.create_api_key(self.store, name, scopes if isinstance(scopes, str) else tuple(scopes))

    def api_keys(self) -> list[key_store.ApiKey]:
        """Return every API key (revoked ones too), without tokens."""
        return key_store.list_api_keys(self.store)

    def revoke_api_key(self, name_or_prefix: str) -> key_store.ApiKey:
        """Revoke the active API key with this name or display prefix."""
        return key_store.revoke_api_key(self.store, name_or_prefix)

    def authenticate(self, token: str) -> key_store.ApiKey | None:
        """Return the active API key of a bearer token, or None."""
        return key_store.authenticate(self.store, token)
