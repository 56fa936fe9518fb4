"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.settings import DEFAULT_ALLOWED_HOSTS
from server.speech.models import SpeechModels, load_default_models


@pytest.fixture(scope="session", autouse=True)
def test_client_host() -> Iterator[None]:
    """The in-process test client calls the app as "testserver", a name no deployment
    allows by default: settings made in the tests allow it too. Real server processes
    keep the real default (their MOCKLOOP_* variables are each test's own)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOCKLOOP_ALLOWED_HOSTS", ",".join([*DEFAULT_ALLOWED_HOSTS, "testserver"]))
        yield


@pytest.fixture(scope="session")
def speech_models() -> SpeechModels:
    """The real default speech models (VAD, Whisper, piper), loaded once per test run."""
    return load_default_models()
