import asyncio
import time

import pytest

from configsvc.db import deadline

pytestmark = pytest.mark.anyio


async def test_without_a_deadline_a_timeout_is_its_own():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with deadline.timeout(0.05):
            await asyncio.sleep(1)
    assert time.monotonic() - started < 0.5
    async with deadline.timeout(None):
        await asyncio.sleep(0.01)  # no timeout at all


async def test_waits_one_after_another_share_one_deadline():
    started = time.monotonic()
    with deadline.bounded(0.2):
        async with deadline.timeout(0.15):
            await asyncio.sleep(0.1)
        with pytest.raises(TimeoutError):
            async with deadline.timeout(0.15):  # only ~0.1 s of the budget is left
                await asyncio.sleep(1)
    assert time.monotonic() - started < 0.3


async def test_an_inner_budget_never_extends_the_enclosing_one():
    with deadline.bounded(0.05), deadline.bounded(10), pytest.raises(TimeoutError):
        async with deadline.timeout(None):
            await asyncio.sleep(1)


async def test_the_deadline_travels_into_tasks_started_inside_and_ends_with_the_block():
    with deadline.bounded(0.05):
        task = asyncio.ensure_future(asyncio.sleep(0))

        async def guarded() -> None:
            async with deadline.timeout(None):
                await asyncio.sleep(1)

        with pytest.raises(TimeoutError):
            await asyncio.ensure_future(guarded())
        await task
    async with deadline.timeout(None):
        await asyncio.sleep(0.1)  # outside the block: no deadline
