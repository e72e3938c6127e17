"""The write side: input models, domain rules and handlers shared by every entry point."""
