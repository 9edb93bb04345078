"""Gateways to the libraries that keep secrets: argon2 for passwords, `captcha` for images."""

from __future__ import annotations

import hashlib
import io
import secrets

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

# Letters and digits that cannot be mistaken for one another on a phone screen.
CAPTCHA_ALPHABET = "ACDEFHJKLMNPRTUVWXY345789"
CAPTCHA_LENGTH = 4


class Argon2Passwords:
    """R-ACC-2: argon2id, memory-hard; parameters come from the stage settings (decision 0018)."""

    def __init__(self, memory_kib: int, time_cost: int) -> None:
        self._hasher = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
        self._decoy = self._hasher.hash(secrets.token_hex(16))

    @property
    def parameters(self) -> str:
        """The current parameters, as a log line may show them."""
        return hash_parameters(self._decoy)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Made with other parameters (or another variant) than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False  # never verifies either: nothing to rehash

    def spend_time(self, password: str) -> None:
        """Verify against a decoy so an unknown login costs as much as a wrong password."""
        self.verify(self._decoy, password)


def hash_parameters(password_hash: str) -> str:
    """`argon2id m=19456 t=2 p=1`: the parameters of an encoded hash, never its salt or digest."""
    try:
        found = extract_parameters(password_hash)
    except InvalidHashError:
        return "unknown"
    return f"argon2{found.type.name.lower()} m={found.memory_cost} t={found.time_cost} p={found.parallelism}"


CAPTCHA_SIZE = (320, 120)
# A blank frame around the drawing: rotated or warped glyphs never touch the image's edges.
CAPTCHA_MARGIN = 12
CAPTCHA_FONT_SIZES = (60, 68, 76)  # for the 96-pixel-high drawing inside the frame
MIN_CONTRAST = 4.5  # WCAG 2 AA for text
Colour = tuple[int, int, int]


def relative_luminance(colour: Colour) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Colour, b: Colour) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def captcha_colours() -> tuple[Colour, Colour]:
    """A pale background and a dark ink at least MIN_CONTRAST apart: never pale on pale."""
    while True:
        background = tuple(238 + secrets.randbelow(18) for _ in range(3))
        ink = tuple(30 + secrets.randbelow(61) for _ in range(3))  # not black: see ink_mask
        if contrast_ratio(background, ink) >= MIN_CONTRAST:  # type: ignore[arg-type]
            return background, ink  # type: ignore[return-value]


def ink_mask(ink: Colour) -> list[int]:
    """The library pastes each glyph through its own grey level (`lookup_table`): a dark ink would
    paste faintly, pale on pale. Scaled to the ink, the mask is the glyph's coverage: full ink."""
    grey = max(1, (ink[0] * 299 + ink[1] * 587 + ink[2] * 114) // 1000)
    return [min(255, level * 255 // grey) for level in range(256)]


class ImageCaptchas:
    def paint(self, text: str) -> bytes:
        from captcha.image import ImageCaptcha  # Pillow loads only when an image is drawn
        from PIL import Image

        width, height = CAPTCHA_SIZE
        background, ink = captcha_colours()
        drawing = ImageCaptcha(
            width=width - 2 * CAPTCHA_MARGIN, height=height - 2 * CAPTCHA_MARGIN, font_sizes=CAPTCHA_FONT_SIZES
        )
        drawing.lookup_table = ink_mask(ink)
        inner = drawing.generate_image(text, bg_color=background, fg_color=(*ink, 255))
        image = Image.new("RGB", CAPTCHA_SIZE, background)
        image.paste(inner, (CAPTCHA_MARGIN, CAPTCHA_MARGIN))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()


def random_captcha_text() -> str:
    return "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    """256 random bits; only its digest is stored."""
    return secrets.token_urlsafe(32)
