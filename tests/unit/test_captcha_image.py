"""The captcha image (R-ACC-1, R-ACC-2): large enough to read on a phone, glyphs inside the frame,
never pale on pale. Checked on the PNGs the service sends, over many draws."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.services.security import ImageCaptchas, contrast_ratio, random_captcha_text, relative_luminance

DRAWS = 40
BAND = 8  # pixels along each edge that no glyph, dot or curve may reach


def drawn() -> list[Image.Image]:
    painter = ImageCaptchas()
    return [Image.open(io.BytesIO(painter.paint(random_captcha_text()))).convert("RGB") for _ in range(DRAWS)]


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    return drawn()


Colour = tuple[int, int, int]


def colours(image: Image.Image) -> list[tuple[int, Colour]]:
    """(pixel count, colour) for each colour of the image."""
    found = image.getcolors(maxcolors=image.width * image.height)
    assert found is not None
    return found  # type: ignore[return-value]


def background_of(image: Image.Image) -> Colour:
    return max(colours(image))[1]


def test_r_acc_1_the_captcha_is_320_by_120(images: list[Image.Image]) -> None:
    assert {image.size for image in images} == {(320, 120)}


def test_r_acc_1_glyphs_contrast_with_the_background_at_least_4_5_to_1(images: list[Image.Image]) -> None:
    """WCAG 2 AA contrast between the ink (the darkest pixel) and the background, on every draw."""
    for image in images:
        background = background_of(image)
        ink = min((colour for _, colour in colours(image)), key=relative_luminance)
        assert contrast_ratio(background, ink) >= 4.5, (background, ink)
        strong = sum(count for count, colour in colours(image) if contrast_ratio(background, colour) >= 4.5)
        assert strong > 300, f"only {strong} pixels of full ink: the glyphs are faint"  # four glyphs, not a dot


def test_r_acc_1_a_band_along_every_edge_is_free_of_glyph_pixels(images: list[Image.Image]) -> None:
    for image in images:
        width, height = image.size
        background = background_of(image)
        edges = {
            "top": (0, 0, width, BAND),
            "bottom": (0, height - BAND, width, height),
            "left": (0, 0, BAND, height),
            "right": (width - BAND, 0, width, height),
        }
        for edge, box in edges.items():
            assert {colour for _, colour in colours(image.crop(box))} == {background}, f"something touches the {edge}"


def test_contrast_ratio_is_wcags() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio((238, 238, 238), (240, 240, 240)) < 1.1
