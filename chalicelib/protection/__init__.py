"""Protecting ID numbers at rest (decision 0013): keyed hashes to find them, envelope encryption
to keep them, the keys read from the province's secret store."""
