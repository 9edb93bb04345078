"""Load a province dataset into the stage's table, all or nothing, showing progress.

    TABLE_NAME=cet-registration-jiangsu python -m devstack.load --dataset province.json [--create-table]

The file is validated completely first (line and field of every problem); nothing is written
unless it is valid. With AWS_ENDPOINT_URL_DYNAMODB unset, the real DynamoDB of the configured
region and credentials is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.dataset import DatasetError, load_dataset


def show(what: str, done: int, total: int) -> None:
    print(f"\r  {what}: {done}/{total}", end="\n" if done >= total else "", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--create-table", action="store_true", help="create the table first if it is missing")
    args = parser.parse_args(argv)
    try:
        data = load_dataset(args.dataset)
    except DatasetError as problems:
        print(f"{args.dataset}: 数据有误，未写入任何数据：\n{problems}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{args.dataset}: 无法读取（{error.strerror}）", file=sys.stderr)
        return 1

    from chalicelib.bootstrap import CLOCK, services
    from chalicelib.config import settings
    from chalicelib.services.province import load_province
    from chalicelib.storage.tables import bind_table, create_table

    config = settings()
    create_table(config) if args.create_table else bind_table(config)
    built = services()
    print(f"载入 {data.catalog.province.name} 到表 {config.table_name}：")
    load_province(built.province, built.accounts.passwords, data, CLOCK.now(), show)
    print("完成。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
