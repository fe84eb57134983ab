"""Resumable training: after every epoch the whole loop state goes to one file beside the
checkpoint; a job started again on the same data and settings continues from there.

    >>> from fitscore_core.scorers.resume import job_fingerprint, load_state, resume_path
    >>> key = job_fingerprint("cnn1d", cfg, train, val, exercises, faults)   # doctest: +SKIP
    >>> state = load_state(resume_path(out), key)    # None: start afresh  # doctest: +SKIP

A 40-epoch run takes an hour on 2 cores; a session that ends, a reboot or a Ctrl-C should
cost one epoch, not the run. The state holds the network, optimizer, scheduler, both random
generators, the best epoch so far and the history, so a resumed run ends exactly where the
uninterrupted one would have. The fingerprint covers the model, the settings and every
training and validation value: a state left by another job is never continued.
"""

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np
import torch


def resume_path(out: str | Path) -> Path:
    """Where the loop state of the job writing `out` lives (removed when the job ends)."""
    out = Path(out)
    return out.with_name(out.name + ".resume")


def job_fingerprint(name: str, cfg, train: list, val: list, exercises: list[str],
                    faults: list[str]) -> str:
    """A digest of what decides the run: model, settings, vocabularies and every example."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((name, dataclasses.asdict(cfg), list(exercises), list(faults),
                   len(train), len(val))).encode())
    for ex in (*train, *val):
        h.update(repr((ex.exercise, ex.score, ex.group, ex.values.shape)).encode())
        h.update(np.ascontiguousarray(ex.values).tobytes())
        h.update(np.ascontiguousarray(ex.rep_scores).tobytes())
        h.update(np.ascontiguousarray(ex.rep_faults).tobytes())
    return h.hexdigest()


def save_state(path: Path, state: dict) -> None:
    """Write atomically: a crash while saving leaves the previous epoch's state whole."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_state(path: Path, fingerprint: str) -> dict | None:
    """The saved state of this very job, or None (no file, another job's, or unreadable)."""
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # tensors, no code
    except Exception:            # a torn or foreign file: the run starts afresh
        return None
    return state if isinstance(state, dict) and state.get("fingerprint") == fingerprint \
        else None


__all__ = ["resume_path", "job_fingerprint", "save_state", "load_state"]
