"""The benchmark suite: the ledger against the raw database and the plain library, in one run (``python -m bench``)."""
