"""Business metrics as CloudWatch embedded metric format (EMF) lines, through Powertools Metrics:
each is written at once as one JSON line of the function's log, no API call and no batching to
lose on a crash. Dimensions are outcomes and providers, never a person."""

from __future__ import annotations

import os

NAMESPACE = "CET/Registration"


def count(name: str, value: float = 1, **dimensions: str) -> None:
    # Powertools' own switch (its `single_metric` does not read it): the local stack turns metrics off.
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)
