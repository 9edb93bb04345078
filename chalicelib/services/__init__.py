"""Use cases: each takes its stores, clock and gateways as arguments and returns domain objects."""
