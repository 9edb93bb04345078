"""The registration rules of the product, as plain Python: no I/O, no framework."""
