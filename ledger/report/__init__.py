"""The HTML report: the ledger's figures as plotly charts in one self-contained page, and as PNG files."""
