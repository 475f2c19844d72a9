"""Knowing at once that the server was told to stop, so that held requests can be answered first.

uvicorn answers SIGTERM and SIGINT by stopping to accept, then waiting for the requests in flight,
and only then runs the lifespan's shutdown: a request held for 50 s would hold the restart too.
Its handlers are chained here: ours runs first (on the event loop), then uvicorn's as before.
"""

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_stop_signal(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` on the running loop when SIGINT or SIGTERM arrives, before the handler that
    was there (uvicorn's); returns what undoes it. Outside the main thread, signals are not ours."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def chained(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        handler = previous[sig]
        if callable(handler):
            handler(sig, frame)
        elif handler == signal.SIG_DFL:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    for sig in SIGNALS:
        signal.signal(sig, chained)

    def undo() -> None:
        for sig, handler in previous.items():
            if signal.getsignal(sig) is chained:
                signal.signal(sig, handler)

    return undo
