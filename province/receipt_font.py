"""The receipt font (R-PAY-6): WenQuanYi Micro Hei cut down to what a receipt can hold.

`python -m province.receipt_font [SOURCE]` writes chalicelib/receipts/fonts/receipt-sans.ttf from
Debian's fonts-wqy-microhei (Apache-2.0, decision 0015): every GB2312 character (both levels of hanzi,
so rare surnames and school names render) and printable ASCII. The Lambda carries only this file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

from province.description import ROOT

SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# Outside GB2312 as Python decodes it, yet on receipts: the middle dot, the dash.
EXTRA = "·—–"
TARGET = ROOT / "chalicelib" / "receipts" / "fonts" / "receipt-sans.ttf"


def receipt_characters() -> str:
    """GB2312 (rows 0xA1..0xF7, symbols and both hanzi levels), printable ASCII and EXTRA."""
    found = {chr(code) for code in range(0x20, 0x7F)} | set(EXTRA)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(found))


def build(source: Path = SOURCE, target: Path = TARGET) -> int:
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]  # keeps the copyright and licence records
    options.hinting = False
    options.notdef_outline = True
    with tempfile.TemporaryDirectory() as work:
        face = Path(work) / "face.ttf"
        TTCollection(str(source)).fonts[0].save(str(face))  # the proportional face of the collection
        font = subset.load_font(str(face), options)
        cutter = subset.Subsetter(options)
        cutter.populate(text=receipt_characters())
        cutter.subset(font)
        target.parent.mkdir(parents=True, exist_ok=True)
        subset.save_font(font, str(target), options)
    return target.stat().st_size


if __name__ == "__main__":
    size = build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
    print(f"{TARGET.relative_to(ROOT)}: {size} bytes")
