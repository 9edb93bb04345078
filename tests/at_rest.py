"""What a table holds at rest, read item by item (decision 0013)."""

from __future__ import annotations

import json
import re

import boto3

from chalicelib.config import settings


def no_whole_id_number_at_rest(numbers: frozenset[str] | set[str], endpoint: str | None = None) -> int:
    """Decision 0013: after the test, no key or attribute of any item of any table holds a whole
    ID number of the dataset, nor one a test typed. Returns how many items it read."""
    config = settings()
    client = boto3.client("dynamodb", region_name=config.region, endpoint_url=endpoint or config.dynamodb_endpoint)
    whole = re.compile("|".join(re.escape(n) for n in sorted(numbers, key=len, reverse=True)))
    read = 0
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                read += 1
                held = [name for name, value in item.items() if whole.search(json.dumps(value, ensure_ascii=False))]
                assert not held, f"whole ID number at rest: table {table}, kind {item.get('kind')}, in {held}"
    return read
