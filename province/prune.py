"""What the Lambda package leaves out: parts of its libraries no function ever loads.

Chalice packages every requirement whole; three of them carry far more than the app uses, and
together they would take the package past 60 MB unzipped (decision 0015):
- botocore's service descriptions: the functions call five AWS services, not four hundred;
- fontTools' compiled speed-ups: each has its pure-Python module beside it, which fontTools falls
  back to (a receipt subsets one font of a few hundred glyphs);
- Pillow's AVIF codec: the captcha is a PNG; Pillow does without a codec that fails to import.
tests/deploy proves the pruned package still draws a captcha, renders a receipt and makes every
AWS client the functions use, from the package alone.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

# The AWS services the functions call, and what botocore reads to find any endpoint.
KEPT_AWS_SERVICES = ("dynamodb", "dynamodbstreams", "kms", "secretsmanager", "sts", "sso", "sso-oidc")
_BOTOCORE_SERVICE = re.compile(r"botocore/data/([^/]+)/")
_FONTTOOLS_SPEEDUP = re.compile(r"fontTools/.+\.cpython-[^/]+\.so")
_PILLOW_AVIF = re.compile(r"(PIL/_avif\.[^/]+\.so|pillow\.libs/libavif-[^/]+)")


def left_out(name: str, names: set[str]) -> bool:
    service = _BOTOCORE_SERVICE.match(name)
    if service and service.group(1) not in KEPT_AWS_SERVICES:
        return True
    if _FONTTOOLS_SPEEDUP.fullmatch(name):
        return name.split(".cpython-", maxsplit=1)[0] + ".py" in names  # only where the pure-Python module is
    return bool(_PILLOW_AVIF.fullmatch(name))


def prune(package: Path) -> tuple[int, int]:
    """Rewrite the zip without what no function loads; (bytes before, bytes after), unzipped."""
    pruned = package.with_suffix(".pruned.zip")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(pruned, "w", zipfile.ZIP_DEFLATED) as target:
        infos = source.infolist()
        names = {info.filename for info in infos}
        kept = [info for info in infos if not left_out(info.filename, names)]
        for info in kept:
            target.writestr(info, source.read(info))
    pruned.replace(package)
    return sum(i.file_size for i in infos), sum(i.file_size for i in kept)
