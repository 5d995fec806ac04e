"""Subcommands: one module each, discovered by `kneadback.cli`."""
