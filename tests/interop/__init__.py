"""Interop tests (a package, so their helpers import as ``interop.clients``)."""
