"""Saving and loading scorer checkpoints: a state dict plus what is needed to trust it.

    >>> from fitscore_core.scorers.checkpoints import load_scorer
    >>> scorer = load_scorer("models/cnn1d.pt")       # doctest: +SKIP
    >>> scorer.exercises[:2], scorer.card["test_metrics"]["exercise_accuracy"]  # doctest: +SKIP

A checkpoint is a plain dict saved with torch.save and read back with weights_only=True (never
unpickled blindly): format tag, architecture, its constructor arguments, the exercise and
fault vocabularies, the feature settings it was trained with, and the state dict. The model
card (same name, .json) is the human-readable side: data, size, metrics, time, seed, commit.
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from fitscore_core.config import FEATURES, FeatureSettings
from fitscore_core.errors import FitScoreError
from fitscore_core.scorers.learner import Learner
from fitscore_core.scorers.networks import ARCHITECTURES

FORMAT = "fitscore-scorer"
VERSION = 1


@dataclass
class Scorer:
    """A loaded network and the vocabularies its outputs refer to."""

    name: str                      # "cnn1d" or "lstm"
    net: torch.nn.Module
    exercises: list[str]
    faults: list[str]              # "exercise.fault" columns
    settings: FeatureSettings
    config: dict
    card: dict
    temperature: float = 1.0       # exercise logits are divided by it (calibration)
    learner: Learner | None = None  # a gym's own standard on top of the frozen net


def card_path(checkpoint: str | Path) -> Path:
    return Path(checkpoint).with_suffix(".json")


def _atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_scorer(scorer: Scorer, path: str | Path) -> None:
    """Checkpoint and model card, each written atomically."""
    path = Path(path)
    payload = {"format": FORMAT, "version": VERSION, "architecture": scorer.name,
               "config": scorer.config, "exercises": list(scorer.exercises),
               "faults": list(scorer.faults), "features": asdict(scorer.settings),
               "temperature": float(scorer.temperature), "state_dict": scorer.net.state_dict()}
    if scorer.learner is not None:
        payload["learner"] = scorer.learner.state()
    _atomic_write(path, lambda tmp: torch.save(payload, tmp))
    _atomic_write(card_path(path),
                  lambda tmp: Path(tmp).write_text(json.dumps(scorer.card, indent=2) + "\n"))


def build_net(name: str, n_exercises: int, n_faults: int, config: dict) -> torch.nn.Module:
    if name not in ARCHITECTURES:
        raise FitScoreError(f"unknown model {name!r}; choose one of: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name](n_exercises, n_faults, **config)


def load_scorer(path: str | Path, settings: FeatureSettings = FEATURES) -> Scorer:
    """Read a checkpoint written by save_scorer; refuse anything else with a clear message."""
    path = Path(path)
    if not path.is_file():
        raise FitScoreError(f"No checkpoint at {path}.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for foreign or damaged files
        raise FitScoreError(f"{path.name} is not a FitScore checkpoint "
                            f"(it could not be read safely: {str(error).splitlines()[0]})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FitScoreError(f"{path.name} is not a FitScore checkpoint.")
    if payload.get("version") != VERSION:
        raise FitScoreError(f"{path.name} is checkpoint version {payload.get('version')}; "
                            f"this FitScore reads version {VERSION}.")
    trained = FeatureSettings(**payload["features"])
    if trained != settings:
        raise FitScoreError(f"{path.name} was trained with other feature settings ({trained}) "
                            f"than this FitScore uses ({settings}); retrain it.")
    net = build_net(payload["architecture"], len(payload["exercises"]), len(payload["faults"]),
                    payload["config"])
    try:
        net.load_state_dict(payload["state_dict"])
    except RuntimeError as error:
        raise FitScoreError(f"{path.name} does not match its architecture: "
                            f"{str(error).splitlines()[0]}") from None
    net.eval()
    learner = None
    if payload.get("learner") is not None:
        try:
            learner = Learner.from_state(payload["learner"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise FitScoreError(f"{path.name}: its small-data learner is damaged ({error})."
                                ) from None
    card = json.loads(card_path(path).read_text()) if card_path(path).is_file() else {}
    return Scorer(payload["architecture"], net, list(payload["exercises"]),
                  list(payload["faults"]), trained, payload["config"], card,
                  float(payload.get("temperature", 1.0)), learner)
