import asyncio
import signal

import pytest

from configsvc.shutdown import on_stop_signal

pytestmark = pytest.mark.anyio


async def test_a_stop_signal_runs_the_callback_then_the_handler_that_was_there():
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda sig, frame: seen.append("uvicorn"))
    try:
        undo = on_stop_signal(lambda: seen.append("ours"))
        signal.raise_signal(signal.SIGTERM)
        await asyncio.sleep(0.05)  # ours runs on the loop
        undo()
        signal.raise_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert seen == ["uvicorn", "ours", "uvicorn"]  # uvicorn's at once, ours on the loop; undone after
