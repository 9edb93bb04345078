"""What the province's stack adds to Chalice's SAM template: the table, roles, guards and alarms.

Chalice writes the functions, the API and the schedules (province/package.py); everything else is
declared in this package, one module per concern, and deep-merged over it, so that the template
deploys as written. docs/deploy.md says why each piece is there.

- `table`: the table, the key that encrypts it, the identity secret and data keys;
- `functions` and `roles`: each function's name, log group and stream events, and its role;
- `guards`: the API's throttling and web ACL, the failure queues and the jobs' destinations;
- `observability`: log groups, alarms and their topic, the dashboard;
- `room_plan`: the room plan's state machine, its schedule and their roles (decision 0030);
- `site`: the page's bucket and distribution, the API's own domain (decision 0035);
- `release`: the API's alias, its canary and the alarms that roll it back (decision 0037);
- `rehearsal`: a staging stack's rehearsal key (decision 0038).
"""

from __future__ import annotations

import copy

from province.cfn import Json, get_att, ref
from province.description import Province
from province.template.functions import function_overrides
from province.template.guards import api_guards, failure_queue, job_destinations
from province.template.observability import alarm_topic, alarms, dashboard, log_groups, named_alarms
from province.template.rehearsal import rehearsal_key, rehearsal_outputs
from province.template.release import api_release, invoke_the_alias, warm_at_openings
from province.template.roles import FUNCTIONS, roles
from province.template.room_plan import room_plan
from province.template.site import conditions, parameters, site
from province.template.site import outputs as site_outputs
from province.template.table import data_at_rest

__all__ = ["FUNCTIONS", "additions", "stack_template"]


def merge(base: Json, over: Json) -> Json:
    """`over` deep-merged into a copy of `base`: mappings merge, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not _intrinsic(value):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _intrinsic(value: Json) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def stack_template(province: Province, sam: Json) -> Json:
    template = invoke_the_alias(merge(sam, additions(province)))
    template["Description"] = f"CET online registration, {province.display_name} ({province.name})"
    return template


def additions(province: Province) -> Json:
    resources: Json = {
        **data_at_rest(province),
        "StreamFailures": failure_queue(),
        "JobFailures": failure_queue(),
        "AlarmTopic": alarm_topic(province),
        **roles(province),
        **log_groups(province),
        **function_overrides(province),
        **job_destinations(),
        **api_guards(province),
        **alarms(province),
        **room_plan(province),
        "Dashboard": dashboard(province),
        **site(province),
        **warm_at_openings(province),
        **rehearsal_key(province),
    }
    resources = merge(resources, api_release())
    named_alarms(province, resources)
    outputs = {
        "ProvinceTableName": {"Value": ref("ProvinceTable")},
        "ProvinceTableStreamArn": {"Value": get_att("ProvinceTable", "StreamArn")},
        "AlarmTopicArn": {"Value": ref("AlarmTopic")},
        # What the province's loader is given (docs/deploy.md): IDENTITY_SECRET_NAME, IDENTITY_KMS_KEY_ID.
        "IdentitySecretName": {"Value": province.identity_secret},
        "IdentityDataKeysArn": {"Value": get_att("IdentityDataKeys", "Arn")},
        "DashboardName": {"Value": ref("Dashboard")},
        # The room plan (docs/deploy.md): what `aws stepfunctions start-execution` takes, and the
        # hourly rule that `aws events disable-rule --name` pauses.
        "RoomPlanStateMachineArn": {"Value": ref("RoomPlan")},
        "RoomPlanScheduleName": {"Value": ref("RoomPlanSchedule")},
        **site_outputs(province),
        **rehearsal_outputs(province),
    }
    return {"Parameters": parameters(province), "Conditions": conditions(), "Resources": resources, "Outputs": outputs}
