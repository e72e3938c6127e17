"""Identifiers of customers: their blind index, the holders table and resolution of events named by an identifier."""
