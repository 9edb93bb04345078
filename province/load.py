"""Load a province dataset into the stage's table, all or nothing, showing progress.

    TABLE_NAME=cet-registration-jiangsu python -m province load --catalog province.json [--create-table]

The file is validated completely first (line and field of every problem); nothing is written
unless it is valid. With AWS_ENDPOINT_URL_DYNAMODB unset, the real DynamoDB of the configured
region and credentials is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chalicelib.services.ports import Conversion
from province.dataset import DatasetError, load_dataset


def show(what: str, done: int, total: int) -> None:
    print(f"\r  {what}: {done}/{total}", end="\n" if done >= total else "", flush=True)


KIND_NAMES = {
    "roll": "学籍记录",
    "cet4": "四级成绩记录",
    "review": "复核申请",
    "registration": "报名信息",
    "binding": "证件绑定",
    "order": "订单",
}


def tell_conversion(conversion: Conversion | None) -> None:
    """Say what converting the table's ID numbers changed (decision 0013), if it was due."""
    if conversion is None:
        return
    why = "表中仍有明文证件号码（旧格式）" if conversion.old_form else "表中证件号码摘要使用旧版本密钥"
    done = "，".join(f"{KIND_NAMES.get(kind, kind)} {count} 条" for kind, count in sorted(conversion.converted.items()))
    print(f"{why}，已转换为新格式：{done or '无需改动的记录'}。", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m province load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", "--dataset", dest="dataset", type=Path, required=True)
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

    from chalicelib.bootstrap import CLOCK, MissingSetting, services
    from chalicelib.config import settings
    from chalicelib.domain.errors import IdentityKeyUnavailable
    from chalicelib.services.province import load_province
    from chalicelib.storage.tables import bind_table, create_table

    config = settings()
    create_table(config) if args.create_table else bind_table(config)
    built = services()
    print(f"载入 {data.catalog.province.name} 到表 {config.table_name}：")
    try:
        tell_conversion(load_province(built.loading, data, CLOCK.now(), show))
    except MissingSetting as missing:
        print(f"未设置 {missing}：真实的表只能用本省的身份密钥与 KMS 密钥载入（见 docs/deploy.md）。", file=sys.stderr)
        return 1
    except IdentityKeyUnavailable as refused:
        print(f"未载入：{refused.message}", file=sys.stderr)
        return 1
    print("完成。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
