"""Tests that need an optional system tool skip, with one line saying how to get it."""

import shutil

import pytest


def requires(tool: str) -> pytest.MarkDecorator:
    """Skip unless `tool` is on PATH (`make tools` installs the ones the benchmark needs)."""
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not installed (make tools installs it)")
