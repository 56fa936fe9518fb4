"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from server.speech.models import SpeechModels, load_default_models


@pytest.fixture(scope="session")
def speech_models() -> SpeechModels:
    """The real default speech models (VAD, Whisper, piper), loaded once per test run."""
    return load_default_models()
