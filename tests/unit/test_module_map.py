"""docs/architecture.md maps every module of the layers to the product's parts: a module added
without a place on the map fails here, so the map a newcomer reads stays the house as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "services", "storage", "api", "jobs")


def modules() -> list[str]:
    return [
        f"{layer}/{path.name}"
        for layer in LAYERS
        for path in sorted((ROOT / "chalicelib" / layer).glob("*.py"))
        if path.name != "__init__.py"
    ]


@pytest.mark.parametrize("module", modules())
def test_every_module_of_the_layers_is_on_the_map(module: str) -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"`{module.split('/')[1]}`" in text or f"`{module}`" in text, f"{module} is not on docs/architecture.md"
