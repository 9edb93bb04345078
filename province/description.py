"""A province's stack described in one small file: `deploy/provinces/<name>.json`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import botocore
import botocore.session

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = ROOT / "deploy" / "provinces"

NAME = re.compile(r"[a-z][a-z0-9-]{1,30}")
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
TABLE = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
SECRET = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# CloudFront takes an ACM certificate from us-east-1 in the `aws` partition, and only an IAM
# server certificate (its id, ASCA…) in `aws-cn`, where CloudFront does not use ACM (docs/deploy.md).
ACM_CERTIFICATE = r"arn:{partition}:acm:{region}:\d{{12}}:certificate/[0-9a-f-]{{36}}"
IAM_SERVER_CERTIFICATE_ID = re.compile(r"ASCA[A-Z0-9]{17}")
# The partitions a province's stack may live in: AWS's global regions and AWS China's.
PARTITIONS = ("aws", "aws-cn")


class DescriptionError(ValueError):
    """What is wrong with a province's description, in words a province engineer can act on."""


@dataclass(frozen=True)
class Opening:
    """When an opening's rush comes (R-QUEUE): its queue opens, then its seats; the stack keeps the
    API warm around them (decision 0037). The same times as the dataset's opening."""

    opens_at: datetime
    queue_opens_at: datetime | None = None


@dataclass(frozen=True)
class Province:
    name: str
    display_name: str
    region: str
    table: str
    public_api_url: str
    payment_secret: str
    alarm_email: str | None
    # Where the province is reached (docs/deploy.md, "Reaching the province"): the page's domain on
    # CloudFront and its certificate, the API's own domain and its certificate; each pair is given
    # together or not at all, and nothing of it is made until it is given.
    site_domain: str = ""
    site_certificate: str = ""
    api_domain: str = ""
    api_certificate: str = ""
    openings: tuple[Opening, ...] = ()
    # A staging stack a province rehearses its opening on (decision 0038): its captchas answer to a
    # key only the rehearsal holds. Only a province named `…-staging` may say so.
    rehearsal: bool = False

    @property
    def stack_name(self) -> str:
        return f"cet-registration-{self.name}"

    @property
    def identity_secret(self) -> str:
        """The secret the stack makes: the keys of the ID numbers' keyed hashes (decision 0013)."""
        return f"{self.stack_name}/identity"

    @property
    def edge_secret(self) -> str:
        """The secret the stack makes: the key CloudFront adds to each API request (decision 0034)."""
        return f"{self.stack_name}/edge"

    @property
    def messaging_secret(self) -> str:
        """The secret the province makes: its SMTP relay and SMS account (docs/deploy.md)."""
        return f"{self.stack_name}/messaging"

    @property
    def ticket_secret(self) -> str:
        """The secret the province makes: the admission tickets' signing keys (decision 0028)."""
        return f"{self.stack_name}/tickets"

    @property
    def rehearsal_secret(self) -> str:
        """The staging stack's rehearsal key (decision 0038): {"value": …}, made by the stack."""
        return f"{self.stack_name}/rehearsal"

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region.startswith("cn-") else "aws"


@cache
def lambda_regions(partition: str) -> tuple[str, ...]:
    """The regions of `partition` that offer Lambda, from botocore's endpoint data (no network)."""
    return tuple(botocore.session.get_session().get_available_regions("lambda", partition_name=partition))


def region_problem(region: str) -> str | None:
    """Why `region` cannot hold a province's stack, or None: it must be a Lambda region of a partition."""
    if any(region in lambda_regions(partition) for partition in PARTITIONS):
        return None
    china = ", ".join(lambda_regions("aws-cn"))
    return (
        f"region {region!r} is not a region of AWS ({' or '.join(PARTITIONS)}) that offers Lambda, "
        f"as botocore {botocore.__version__} knows them; China's are {china}"
    )


def load(name: str, region: str) -> Province:
    """The description of `name`, checked, for a deployment to `region`."""
    problem = region_problem(region)
    if problem:
        raise DescriptionError(f"{problem}: check REGION=")
    if not NAME.fullmatch(name):
        raise DescriptionError(f"province name {name!r}: lower-case letters, digits and '-', e.g. zhejiang")
    path = PROVINCES / f"{name}.json"
    if not path.is_file():
        raise DescriptionError(
            f"{path.relative_to(ROOT)} does not exist: copy deploy/provinces/zhejiang.json and edit it"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DescriptionError(f"{path.relative_to(ROOT)}: not JSON ({error})") from None
    province = parse(data)
    if province.name != name:
        raise DescriptionError(f"{path.relative_to(ROOT)} names province {province.name!r}, not {name!r}")
    if province.region != region:
        raise DescriptionError(
            f"{path.relative_to(ROOT)} says region {province.region}, the command says {region}: "
            "a province's stack lives in one region; change the file if it is moving"
        )
    return province


def reach_problems(province: Province) -> list[str]:
    """What is wrong with the domains and certificates the province is reached by, if given."""
    problems: list[str] = []
    for domain, certificate in (("site_domain", "site_certificate"), ("api_domain", "api_certificate")):
        if bool(getattr(province, domain)) != bool(getattr(province, certificate)):
            problems.append(f"{domain} and {certificate}: give both or neither")
    china = province.partition == "aws-cn"
    site_certificate = (
        IAM_SERVER_CERTIFICATE_ID if china else re.compile(ACM_CERTIFICATE.format(partition="aws", region="us-east-1"))
    )
    if province.site_certificate and not site_certificate.fullmatch(province.site_certificate):
        problems.append(
            "site_certificate: in the China regions CloudFront takes the id of an IAM server certificate "
            "(ASCA…, `aws iam upload-server-certificate --path /cloudfront/…`)"
            if china
            else "site_certificate: CloudFront takes the ARN of an ACM certificate in us-east-1"
        )
    domains = {d for d in (province.site_domain, province.api_domain) if d}
    if domains and urlsplit(province.public_api_url).hostname not in domains:
        problems.append(
            "public_api_url: payment notifications come back to it, so it is on the province's own domain: "
            + " or ".join(f"https://{d}/api" for d in sorted(domains))
        )
    api_certificate = re.compile(ACM_CERTIFICATE.format(partition=province.partition, region=province.region))
    if province.api_certificate and not api_certificate.fullmatch(province.api_certificate):
        problems.append(f"api_certificate: the ARN of an ACM certificate in {province.region}, the API's region")
    return problems


def openings(data: object, problems: list[str]) -> tuple[Opening, ...]:
    """`openings`: a list of {"opens_at": ISO 8601 with its offset, "queue_opens_at": optional}."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        problems.append('openings: a list of {"opens_at": "2027-09-01T10:00:00+08:00"}')
        return ()
    found: list[Opening] = []
    for number, item in enumerate(data, 1):
        times: dict[str, datetime | None] = {}
        for key in ("opens_at", "queue_opens_at"):
            value = item.get(key)
            times[key] = None
            if value is None and key == "queue_opens_at":
                continue
            try:
                moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                problems.append(f"openings[{number}].{key}: a time with its offset, e.g. 2027-09-01T10:00:00+08:00")
            times[key] = moment
        if unknown := sorted(set(item) - {"opens_at", "queue_opens_at"}):
            problems.append(f"openings[{number}]: unknown keys: {', '.join(unknown)}")
        opens_at, queue_opens_at = times["opens_at"], times["queue_opens_at"]
        if opens_at is not None and opens_at.tzinfo is not None:
            found.append(Opening(opens_at, queue_opens_at if queue_opens_at and queue_opens_at.tzinfo else None))
    return tuple(found)


STAGING_SUFFIX = "-staging"


def rehearsal(data: dict[str, object], problems: list[str]) -> bool:
    """`rehearsal`: true only for a staging stack, named `<province>-staging` (decision 0038)."""
    value = data.get("rehearsal", False)
    if not isinstance(value, bool):
        problems.append("rehearsal: true or false")
        return False
    name = data.get("name")
    if value and not (isinstance(name, str) and name.endswith(STAGING_SUFFIX)):
        problems.append(
            f"rehearsal: only a staging stack, named '<province>{STAGING_SUFFIX}', answers the rehearsal's "
            "captchas (decision 0038); the province's real stack never does"
        )
        return False
    secret = data.get("payment_secret")
    if value and not (isinstance(secret, str) and "staging" in secret):
        problems.append(
            "rehearsal: a staging stack reads a staging payment secret (its name says staging), never the real one"
        )
        return False
    return value


def parse(data: object) -> Province:
    if not isinstance(data, dict):
        raise DescriptionError("a province description is a JSON object")
    problems: list[str] = []

    def text(key: str, pattern: re.Pattern[str] | None = None, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value:
            problems.append(f"{key}: required, a string")
            return ""
        if pattern and not pattern.fullmatch(value):
            problems.append(f"{key}: {value!r} is not valid")
        return value

    province = Province(
        name=text("name", NAME),
        display_name=text("display_name"),
        region=text("region", REGION),
        table=text("table", TABLE),
        public_api_url=text("public_api_url").rstrip("/"),
        payment_secret=text("payment_secret", SECRET),
        alarm_email=text("alarm_email", EMAIL, required=False) or None,
        site_domain=text("site_domain", DOMAIN, required=False),
        site_certificate=text("site_certificate", required=False),
        api_domain=text("api_domain", DOMAIN, required=False),
        api_certificate=text("api_certificate", required=False),
        openings=openings(data.get("openings", []), problems),
        rehearsal=rehearsal(data, problems),
    )
    if province.region and REGION.fullmatch(province.region):
        if problem := region_problem(province.region):
            problems.append(f"region: {problem}")
        else:
            problems.extend(reach_problems(province))
    if province.public_api_url and not re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?(/[\w./-]*)?", province.public_api_url):
        problems.append("public_api_url: the API's public https address, e.g. https://cet.example.gov.cn/api")
    if {"environment", "TEST_MODE", "STACK"} & set(data) or "TEST_MODE" in json.dumps(data):
        problems.append(
            "TEST_MODE: test mode is the local stack's only (decision 0026); a province's stage never sets it"
        )
    unknown = sorted(set(data) - set(Province.__dataclass_fields__))
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)}")
    if problems:
        raise DescriptionError("; ".join(problems))
    return province
