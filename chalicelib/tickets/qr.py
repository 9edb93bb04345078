"""The ticket's QR code as a PNG, drawn by segno (decision 0029): no Pillow, no native code."""

from __future__ import annotations

import io

import segno

# Error correction M (15% of the code may be lost to a fold or a smudge): about 400 characters of
# signed text make a version 15 code, 77 modules wide.
ERROR_CORRECTION = "m"
BORDER_MODULES = 4  # the quiet zone the standard asks for
# 340 pixels across 45 mm (190 dpi): a reader that smooths the image when scaling blurs a quarter of
# a module at most; 8 pixels cost 13 ms more per ticket (PNG writing and embedding) for nothing.
PIXELS_PER_MODULE = 4


def qr_png(text: str) -> bytes:
    code = segno.make(text, error=ERROR_CORRECTION, micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=PIXELS_PER_MODULE, border=BORDER_MODULES)
    return out.getvalue()
