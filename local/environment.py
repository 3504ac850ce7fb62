"""The environment of the handlers: one superset of what every function of the wiring table reads.

On AWS each function gets only the variables its catalog entry names. Here all functions share one
process, so they share the union; every name comes from `Resource`, `Setting` or AWS's own SDK
conventions. The AWS variables point every boto3 client of the process at the moto server with
the local credentials, and shut out a developer's own AWS profile: nothing may reach a real account.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lambdas.catalog import Resource, Setting
from local.options import Options

# What a developer's shell may carry that would send calls elsewhere or sign them differently.
_FOREIGN_AWS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
)


@dataclass(frozen=True)
class Urls:
    base: str

    def api(self, name: str) -> str:
        return f"{self.base}/{name}"


def handler_environment(
    options: Options,
    *,
    provisioned: Mapping[str, str],
    urls: Urls,
    redis_url: str,
    aws_endpoint: str,
) -> dict[str, str]:
    """Every variable the handlers read, and the AWS SDK variables that aim them at moto."""
    env = {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": options.access_key_id,
        "AWS_SECRET_ACCESS_KEY": options.secret_access_key,
        "AWS_REGION": options.region,
        "AWS_DEFAULT_REGION": options.region,
        # No ~/.aws files: their profiles, endpoints or credential processes must not apply here.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "POWERTOOLS_SERVICE_NAME": "waiting-room",
        "POWERTOOLS_METRICS_NAMESPACE": "WaitingRoom",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": options.log_level,
        **provisioned,
        Resource.PRIVATE_API.value: urls.api("private"),
        Setting.EVENT_ID.value: options.event_id,
        Setting.REDIS_URL.value: redis_url,
        Setting.PUBLIC_API_URL.value: urls.api("public"),
        # The public issuer is the public API's base URL (API.md).
        Setting.ISSUER.value: urls.api("public"),
        # The adapter's issuer is configured, as the OpenID stack configures it, never taken from a
        # request's Host header.
        Setting.OIDC_ISSUER.value: urls.api("oidc"),
        # The hosted page of the OpenID adapter, part of the waiting room site.
        Setting.OIDC_PAGE_URL.value: f"{urls.base}/waiting-room/openid/",
    }
    env.update({setting.value: value for setting, value in options.setting_values().items()})
    return env


def apply(env: Mapping[str, str]) -> None:
    """Puts `env` in this process's environment, after removing what would point elsewhere."""
    for name in list(os.environ):
        if name in _FOREIGN_AWS or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(env)
