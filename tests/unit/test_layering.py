"""The layering of the architecture notes: domain ← services ← api/jobs, one composition root."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for source in sorted((CHALICELIB / package).glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[source.name] = names
    return found


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_jobs_build_their_services_from_the_composition_root_never_from_api() -> None:
    for module, names in imported_modules("jobs").items():
        assert not [n for n in names if within(n, ("chalicelib.api",))], module
    assert any("chalicelib.bootstrap" in names for names in imported_modules("jobs").values())


@pytest.mark.parametrize("package", ["storage", "protection", "payments", "receipts", "tickets"])
def test_the_edges_never_reach_back_into_the_api_the_jobs_or_the_composition_root(package: str) -> None:
    outer = ("chalicelib.api", "chalicelib.jobs", "chalicelib.bootstrap", "chalice")
    for module, names in imported_modules(package).items():
        assert not [n for n in names if within(n, outer)], f"{package}/{module}"


@pytest.mark.parametrize("package", ["storage", "messaging", "protection", "payments", "receipts", "tickets", "domain"])
def test_the_adapters_and_the_domain_never_import_the_services(package: str) -> None:
    """Storage, messaging and protection fill the services' ports with the domain's types: the data
    they read and write lives in `domain/`, the protocols beside the services that use them."""
    for module, names in imported_modules(package).items():
        assert not [n for n in names if within(n, ("chalicelib.services",))], f"{package}/{module}"


@pytest.mark.parametrize("package", ["domain", "services"])
def test_the_inner_layers_import_no_outer_one(package: str) -> None:
    outer = ("chalicelib.api", "chalicelib.jobs", "chalicelib.bootstrap", "chalice", "pynamodb")
    for module, names in imported_modules(package).items():
        assert not [n for n in names if within(n, outer)], f"{package}/{module}"


def test_every_item_class_shares_the_tables_binding() -> None:
    """One table, one connection (storage/tables.py): an item class left out of ALL_MODELS would
    open a botocore client of its own."""
    import importlib
    import pkgutil

    from chalicelib import storage
    from chalicelib.storage import models, tables

    modules = [importlib.import_module(f"chalicelib.storage.{m.name}") for m in pkgutil.iter_modules(storage.__path__)]
    defined = {
        item
        for module in modules
        for item in vars(module).values()
        if isinstance(item, type) and issubclass(item, models.TableItem) and item.__module__ == module.__name__
    }
    assert defined - set(tables.ALL_MODELS) == set()
