"""SMS through Tencent Cloud SMS, with its official SDK (decision 0017).

The provider sends only templates it approved: each kind of message has a template id whose
variables are the message's `params`, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.messages import Message, MessageKind, MessageNotSent

SMS_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SmsAccount:
    app_id: str  # SmsSdkAppId
    sign_name: str
    templates: Mapping[str, str]  # message kind -> approved template id
    secret_id: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = "ap-guangzhou"
    endpoint: str = "sms.tencentcloudapi.com"
    scheme: str = "https"  # the tests' local fake of the API speaks http


class TencentSms:
    def __init__(self, account: SmsAccount) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        self._account = account
        http = HttpProfile(protocol=account.scheme, endpoint=account.endpoint, reqTimeout=SMS_TIMEOUT_SECONDS)
        profile = ClientProfile(httpProfile=http)
        self._client = sms_client.SmsClient(
            credential.Credential(account.secret_id, account.secret_key), account.region, profile
        )

    def send(self, message: Message) -> None:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        template = self._account.templates.get(MessageKind(message.kind).value)
        if not template:
            raise MessageNotSent(f"SMS: no approved template for {message.kind.value}", final=True)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{message.to}"]
        request.SmsSdkAppId = self._account.app_id
        request.SignName = self._account.sign_name
        request.TemplateId = template
        request.TemplateParamSet = list(message.params)
        request.SessionContext = message.event_id  # comes back in the provider's delivery reports
        try:
            answer = self._client.SendSms(request)
        except TencentCloudSDKException as error:
            raise MessageNotSent(f"SMS: {error.get_code()}") from error
        statuses = answer.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            raise MessageNotSent(f"SMS: {statuses[0].Code if statuses else 'no status'}")
