"""The HTTP API: an ASGI app over ``ledger.Ledger``, served by ``ledger serve``."""
