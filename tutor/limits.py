"""Time limits for work whose cost a user's input decides (a student's formula), on the
command line and in the server's workers alike.

``time_limit(seconds)`` interrupts the Python code inside it with ``TimeLimit`` (an interval
timer and SIGALRM, so only in a main thread on Unix; elsewhere it does nothing). Limits nest:
an inner limit never outlasts the outer one, and the outer timer is re-armed on the way out.
Work in C that no signal interrupts (a huge integer power) is bounded before it starts, by
the input limits of the module that builds it.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager

from .errors import TutorError


class TimeLimit(TutorError):
    """Work ran past its time limit."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float):
    if not _usable():
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_left and outer_left <= seconds:
        yield      # the outer limit comes first and is the one that holds
        return
    def alarm(signum, frame):
        raise TimeLimit(f"took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            left = outer_left - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6))
