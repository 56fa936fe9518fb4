"""Fixtures for the speech tests."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from speech_helpers import JFK

from server.speech.models import SpeechModels, load_default_models


@pytest.fixture(scope="session")
def jfk_path() -> Path:
    assert JFK.is_file(), f"reference audio missing: {JFK.resolve()}"
    return JFK


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-test")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def models() -> SpeechModels:
    """The real default models, loaded once for all slow tests."""
    return load_default_models()
