"""Ctrl-C and SIGTERM as a request to stop at the next safe point, not a crash.

Long commands (train, synth) check the flag between steps or batches, finish the one in hand,
save what they have and tell the user how to continue.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def stop_on_signals(flag: threading.Event, escalate: bool = True) -> Iterator[None]:
    """Ctrl-C / SIGTERM ask the loop to stop at the end of the current step (and save).

    Alone, a second Ctrl-C means "now". Under torchrun it does not: a worker gets Ctrl-C from the
    terminal *and* from the launcher, and must still reach the step where all ranks agree to stop
    (torchrun kills what is left after its own grace period).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame):  # noqa: ARG001
        if flag.is_set() and escalate:
            raise KeyboardInterrupt
        flag.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, h in previous.items():
            signal.signal(sig, h)
