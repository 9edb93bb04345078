"""What a table holds at rest, read item by item (decision 0013)."""

from __future__ import annotations

import json
import re
from collections import Counter

import boto3

from chalicelib.config import settings


def no_whole_id_number_at_rest(
    numbers: frozenset[str] | set[str], endpoint: str | None = None, tables: list[str] | None = None
) -> Counter[str]:
    """Decision 0013: no key or attribute of any item of `tables` (every table when None) holds a
    whole ID number of `numbers`. Returns how many items of each kind it read."""
    config = settings()
    client = boto3.client("dynamodb", region_name=config.region, endpoint_url=endpoint or config.dynamodb_endpoint)
    whole = re.compile("|".join(re.escape(n) for n in sorted(numbers, key=len, reverse=True)))
    read: Counter[str] = Counter()
    for table in tables if tables is not None else client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                read[item.get("kind", {}).get("S", "")] += 1
                held = [name for name, value in item.items() if whole.search(json.dumps(value, ensure_ascii=False))]
                assert not held, f"whole ID number at rest: table {table}, kind {item.get('kind')}, in {held}"
    return read
