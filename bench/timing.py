"""Interleaved timing shared by the bench sections.

Contenders are timed in turn inside each round (the order flips every
round), so drift in CPU clock or machine load hits all of them alike;
the figure kept is the median over rounds. Each sample runs one function
over a batch of inputs long enough to last `target` seconds, with the
garbage collector paused as timeit does, and is divided by the batch size.

The clock is the thread's CPU time, not wall time: the work is CPU-bound
and single-threaded, and on a shared machine wall time also counts the
moments another process held the core.
"""

import gc
import math
import os
import statistics
import time

# BENCH_QUICK=1: a smoke run (few rounds, short samples); figures are rough.
QUICK = os.environ.get("BENCH_QUICK") == "1"
ROUNDS = 3 if QUICK else 9
TARGET_SECONDS = 0.002 if QUICK else 0.025

_clock = time.thread_time


def _seconds_per_item(fn, batch):
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = _clock()
        fn(batch)
        elapsed = _clock() - start
    finally:
        if was_enabled:
            gc.enable()
    return elapsed / len(batch)


def _batch(fn, items, target):
    """`items` repeated so that fn(batch) takes about `target` seconds."""
    fn(items)  # warm-up: caches, lazily built validators
    once = _seconds_per_item(fn, items) * len(items)
    repeat = max(1, math.ceil(target / max(once, 1e-9)))
    return list(items) * repeat


def compare(contenders, rounds=None, target=None):
    """contenders: {name: (fn, items)} where fn(list) processes each item.

    Returns {name: {"median": s, "min": s, "max": s, "batch": n}} in
    seconds per item.
    """
    rounds = ROUNDS if rounds is None else rounds
    target = TARGET_SECONDS if target is None else target
    batches = {name: _batch(fn, items, target) for name, (fn, items) in contenders.items()}
    samples = {name: [] for name in contenders}
    names = list(contenders)
    for round_index in range(rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            samples[name].append(_seconds_per_item(contenders[name][0], batches[name]))
    return {
        name: {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "batch": len(batches[name]),
        }
        for name, values in samples.items()
    }
