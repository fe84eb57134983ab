"""A row function for the crash tests: it kills its own process on a clip named `dies...`.

Passed to run_batch(score=...) by tests only; a module (not a test-local function) so the
spawned worker processes and Ray workers can import it by name.
"""

import os

from fitscore_core.batch_clip import score_clip


def dies_on_its_clip(label, path, scorers, exercise=None, cache=None):
    if label.startswith("dies"):
        os._exit(3)                    # what a segfault in the pose estimator looks like
    return score_clip(label, path, scorers, exercise, cache)


def no_setup() -> None:
    """A worker setup with nothing to load."""


def doubled(job: int) -> int:
    return 2 * job
