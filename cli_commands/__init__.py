"""The ledger's CLI commands, one module per area; ``cli.py`` assembles them into the ``ledger`` group."""
