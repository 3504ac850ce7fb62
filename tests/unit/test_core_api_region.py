"""CoreApiRegion: an inlet (or the OpenID adapter) signs private API calls for the core's region,
which may not be its own."""

from __future__ import annotations

import pytest

from lambdas.catalog import Setting
from lambdas.waiting_room import private_api_settings as settings


@pytest.fixture(autouse=True)
def _deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVATE_API_URL", "https://abc.execute-api.eu-west-1.amazonaws.com/prod")
    monkeypatch.setenv("EVENT_ID", "Sample")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # The client takes the session's credentials when it is built; nothing is called here.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")


def test_the_core_region_is_signed_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Setting.CORE_API_REGION.value, "eu-west-1")
    assert settings.private_api().region == "eu-west-1"


@pytest.mark.parametrize("value", [None, ""])
def test_without_it_the_functions_own_region(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(Setting.CORE_API_REGION.value, raising=False)
    else:
        monkeypatch.setenv(Setting.CORE_API_REGION.value, value)
    assert settings.private_api().region == "us-east-1"
