"""What encryption of personal data costs: an import with a master key, and an as-of timeline decrypted.

Each scenario runs in a subprocess of its own, so the master key is set in its environment
here. A profile holds no personal data and decrypts nothing: the as-of read that does
decrypt is the timeline with its personal values.
"""

from __future__ import annotations

import base64
import os
import random
import time
from collections import Counter

import orjson

from bench.context import RunContext
from bench.measure import Measurement, check, p99_latency, rate
from bench.sizes import SEED
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.privacy.cipher import new_key
from ledger.privacy.master_key import KEY_ENV

AS_OF = "2030-12-31"  # after every event of the data: the whole stream, replayed and shown


def import_encrypted(context: RunContext) -> Measurement:
    """Import the growth file as ``import_growth_file`` does, with a master key: every personal value sealed."""
    assert context.growth_file is not None
    os.environ[KEY_ENV] = base64.b64encode(new_key()).decode()
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger, open(context.growth_file, "rb") as file:
        started = time.perf_counter()
        summary = ledger.import_file(file)
        seconds = time.perf_counter() - started
    check(summary.rejected == 0, f"{summary.rejected} lines rejected")
    return rate(summary.stored, seconds)


def as_of_timeline_decrypted(context: RunContext) -> Measurement:
    """Read busy customers' timelines as of a date with personal values, each decrypted with the customer's key."""
    os.environ[KEY_ENV] = base64.b64encode(new_key()).decode()
    return _as_of_timelines(context)


def as_of_timeline_in_clear(context: RunContext) -> Measurement:
    """The same reads on the same data imported without a master key: personal values stored in clear."""
    os.environ.pop(KEY_ENV, None)
    return _as_of_timelines(context)


def _as_of_timelines(context: RunContext) -> Measurement:
    assert context.growth_file is not None
    with open(context.growth_file, "rb") as file:
        counts = Counter(orjson.loads(line)["customer"] for line in file)
    busiest = [customer for customer, _ in counts.most_common(200)]
    sample = random.Random(SEED).choices(busiest, k=context.size.query_samples)
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger:
        with open(context.growth_file, "rb") as file:
            ledger.import_file(file)
        ledger.timeline(sample[0], as_of=AS_OF, personal=True)
        latencies = []
        for customer in sample:
            started = time.perf_counter()
            ledger.timeline(customer, as_of=AS_OF, personal=True)
            latencies.append(time.perf_counter() - started)
    return p99_latency(latencies)
