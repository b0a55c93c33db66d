"""Shared test setup: nothing may reach a hub; reference data is read from ../shared when present."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

# Shared 2-core CI machines stall now and then: a slow example is no failure (the properties are)
settings.register_profile("relecture", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("relecture")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"
SEEDS = SHARED / "seeds"
CASES = REFERENCE / "iaa_reference_cases.json"  # published agreement values


def need(path: Path) -> Path:
    """Skip (with the reason) when a piece of ../shared is absent, as in a user's clone."""
    if not path.exists():
        pytest.skip(f"reference data not available: {path} (it lives in ../shared beside the repo)")
    return path


@pytest.fixture
def reference() -> Path:
    return need(REFERENCE)


@pytest.fixture(scope="module")
def cases() -> dict[str, Any]:
    """The published agreement values of `iaa_reference_cases.json`."""
    data: dict[str, Any] = json.loads(need(CASES).read_text("utf-8"))
    return data
