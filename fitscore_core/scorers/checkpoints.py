"""Saving and loading scorer checkpoints: a state dict plus what is needed to trust it.

    >>> from fitscore_core.scorers.checkpoints import load_scorer
    >>> scorer = load_scorer("models/cnn1d.pt")       # doctest: +SKIP
    >>> scorer.exercises[:2], scorer.card["test_metrics"]["exercise_accuracy"]  # doctest: +SKIP

A checkpoint is a plain dict saved with torch.save and read back with weights_only=True (never
unpickled blindly): format tag, architecture, its constructor arguments, the exercise and
fault vocabularies, the feature settings it was trained with, and the state dict. The model
card (same name, .json) is the human-readable side: data, size, metrics, time, seed, commit.

Why the checks at load: a checkpoint is a file a user may be handed, so every entry is checked
against what FitScore writes (and the network's size against bounds) before anything is
built: a crafted `width=200000` would otherwise try to allocate 800 GB. Why the digest: the
checkpoint and its card are written one after the other, so a save killed in between would
leave new weights under an old card; the card records the SHA-256 of its checkpoint and load
names the stale file. Temporary files of a killed save are removed by the next save.
"""

import hashlib
import json
import math
import os
import pickle
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from fitscore_core.config import FEATURES, FeatureSettings
from fitscore_core.errors import FitScoreError
from fitscore_core.scorers.familiarity import Familiarity
from fitscore_core.scorers.learner import Learner
from fitscore_core.scorers.networks import ARCHITECTURES

FORMAT = "fitscore-scorer"
VERSION = 1
PAIR = "checkpoint"            # the card's entry naming the checkpoint it describes
REQUIRED = ("architecture", "config", "exercises", "faults", "features", "state_dict")
MAX_NAMES = {"exercises": 1000, "faults": 10_000}   # far beyond any real vocabulary
# Every constructor argument a checkpoint may set, (low, high): the largest network these
# allow stays in the hundreds of MB (the shipped ones are width 96, hidden 64 x 2 layers).
NET_BOUNDS = {"cnn1d": {"width": (1, 512), "dilations": (1, 64), "kernel": (1, 15),
                        "dropout": (0.0, 0.9)},
              "lstm": {"hidden": (1, 512), "layers": (1, 8), "dropout": (0.0, 0.9)}}
MAX_DILATIONS = 8


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
    familiarity: Familiarity | None = None  # how far a clip is from the training clips


def card_path(checkpoint: str | Path) -> Path:
    return Path(checkpoint).with_suffix(".json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _temp_beside(path: Path) -> Path:
    """An empty temporary file beside path; its name carries this process's id, so a later
    save can tell a dead writer's leftover from a save running right now."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                               suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temps(path: Path) -> None:
    """Delete the temporary files killed saves of path (and its card) left: ours whose writer
    is gone, and the older unnamed `.<name>.xxxxxxxx` kind."""
    for target in (path, card_path(path)):
        prefix = f".{target.name}."
        for leftover in target.parent.iterdir():
            rest = leftover.name[len(prefix):] if leftover.name.startswith(prefix) else ""
            pid = rest.split(".", 1)[0]
            ours = rest.endswith(".tmp") and pid.isdigit()
            if (ours and not _alive(int(pid))) or (len(rest) == 8 and "." not in rest):
                try:
                    leftover.unlink(missing_ok=True)
                except OSError:
                    pass              # not ours to remove after all: the save goes on


def save_scorer(scorer: Scorer, path: str | Path) -> None:
    """Checkpoint and model card as one unit: both written to temporary files first, then
    renamed (weights first); the card records the checkpoint's SHA-256, so a crash between
    the renames is caught at load, never trusted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    saved = time.time_ns()
    payload = {"format": FORMAT, "version": VERSION, "architecture": scorer.name,
               "config": scorer.config, "exercises": list(scorer.exercises),
               "faults": list(scorer.faults), "features": asdict(scorer.settings),
               "temperature": float(scorer.temperature), "saved_ns": saved,
               "state_dict": scorer.net.state_dict()}
    if scorer.learner is not None:
        payload["learner"] = scorer.learner.state()
    if scorer.familiarity is not None:
        payload["familiarity"] = scorer.familiarity.state()
    temps = [_temp_beside(path), _temp_beside(card_path(path))]
    try:
        torch.save(payload, temps[0])
        card = dict(scorer.card) | {PAIR: {"file": path.name, "sha256": file_sha256(temps[0]),
                                           "saved_ns": saved}}
        temps[1].write_text(json.dumps(card, indent=2) + "\n")
        os.replace(temps[0], path)
        os.replace(temps[1], card_path(path))
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def build_net(name: str, n_exercises: int, n_faults: int, config: dict) -> torch.nn.Module:
    if name not in ARCHITECTURES:
        raise FitScoreError(f"unknown model {name!r}; choose one of: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name](n_exercises, n_faults, **config)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def config_problem(name: str, config) -> str | None:
    """What is wrong with a network's constructor arguments, or None: unknown keys, wrong
    types, values outside NET_BOUNDS (checked before any memory is allocated)."""
    if not isinstance(config, dict):
        return "'config' is not a table of settings"
    bounds = NET_BOUNDS[name]
    unknown = [str(k) for k in config if k not in bounds]
    if unknown:
        return (f"unknown setting(s) {', '.join(unknown)} for a {name} (it takes: "
                f"{', '.join(bounds)})")
    for key, value in config.items():
        low, high = bounds[key]
        if key == "dilations":
            if (not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_DILATIONS
                    or not all(_whole(d) and low <= d <= high for d in value)):
                return (f"dilations {value!r} must be 1-{MAX_DILATIONS} whole numbers from "
                        f"{low} to {high}")
        elif key == "dropout":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"dropout {value!r} is not a number"
            if not low <= value <= high:
                return f"dropout {value:g} is outside {low:g}-{high:g}"
        elif not _whole(value):
            return f"{key} {value!r} is not a whole number"
        elif not low <= value <= high:
            return f"{key} {value} is outside {low}-{high}"
        elif key == "kernel" and value % 2 == 0:
            return f"kernel {value} must be odd (the output keeps the input's length)"
    return None


def payload_problem(payload: dict) -> str | None:
    """What is wrong with a payload carrying our format tag, or None."""
    missing = [k for k in REQUIRED if k not in payload]
    if missing:
        return f"{', '.join(map(repr, missing))} {'is' if len(missing) == 1 else 'are'} missing"
    if payload["architecture"] not in ARCHITECTURES:
        return (f"unknown architecture {str(payload['architecture'])[:40]!r} (FitScore has "
                f"{', '.join(ARCHITECTURES)})")
    for key, most in MAX_NAMES.items():
        names = payload[key]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return f"{key!r} is not a list of names"
        if len(names) > most or (key == "exercises" and not names):
            return f"{len(names)} {key} (from {int(key == 'exercises')} to {most})"
    features = payload["features"]
    if not isinstance(features, dict):
        return "its feature settings are not a table"
    expected = [f.name for f in fields(FeatureSettings)]
    unknown = [str(k) for k in features if k not in expected]
    if unknown:
        return f"its feature settings hold unknown entries ({', '.join(unknown)})"
    missing = [k for k in expected if k not in features]
    if missing:
        return f"its feature settings are incomplete (missing: {', '.join(missing)})"
    temperature = payload.get("temperature", 1.0)
    if (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
            or not math.isfinite(temperature) or temperature <= 0):
        return f"its temperature {temperature!r} is not a positive number"
    state = payload["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        return "'state_dict' is not a table of tensors"
    return config_problem(payload["architecture"], payload["config"])


def _read_payload(path: Path) -> dict:
    """torch.load with weights_only=True, every failure worded for a user (never torch's own
    advice, which suggests loading unsafely)."""
    if path.stat().st_size == 0:
        raise FitScoreError(f"{path.name} is empty (0 bytes): the save or copy did not finish; "
                            "copy it again, or train it again.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "unsupported global" not in str(error).lower():   # no foreign object: garbage
            raise FitScoreError(f"{path.name} is not a FitScore checkpoint: it is damaged or "
                                "not a PyTorch file.") from None
        raise FitScoreError(f"{path.name} is not a FitScore checkpoint (it could not be read "
                            "safely: it holds Python objects other than tensors and numbers, "
                            "which FitScore never loads).") from None
    except Exception as error:  # torch raises many types for foreign or damaged files
        raise FitScoreError(f"{path.name} is not a FitScore checkpoint: it is damaged or not "
                            f"a PyTorch file ({type(error).__name__}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FitScoreError(f"{path.name} is not a FitScore checkpoint.")
    if payload.get("version") != VERSION:
        version = str(payload.get("version"))[:20]
        raise FitScoreError(f"{path.name} is checkpoint version {version}; this FitScore "
                            f"reads version {VERSION}.")
    problem = payload_problem(payload)
    if problem:
        raise FitScoreError(f"{path.name} is not a usable FitScore checkpoint: {problem}.")
    return payload


def read_card(path: Path, payload: dict) -> dict:
    """The model card beside the checkpoint ({} when there is none), checked to describe this
    very checkpoint when it records a digest (cards from before digests are trusted)."""
    card_file = card_path(path)
    if not card_file.is_file():
        return {}
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError):
        card = None
    pair = card.pop(PAIR, None) if isinstance(card, dict) else None
    if not isinstance(card, dict) or not isinstance(pair, (dict, type(None))):
        raise FitScoreError(f"{card_file.name}, the model card of {path.name}, is damaged (not "
                            "the JSON FitScore writes); put back the card saved with it, or "
                            "train the model again.")
    if pair is None or pair.get("sha256") == file_sha256(path):
        return card
    card_saved, saved = pair.get("saved_ns"), payload.get("saved_ns")
    again = "train again, or put back the two files saved together."
    if _whole(card_saved) and _whole(saved) and card_saved > saved:
        raise FitScoreError(f"{path.name} is stale: {card_file.name} describes a later save (a "
                            f"save was interrupted, or {card_file.name} was copied without its "
                            f"checkpoint); {again}")
    raise FitScoreError(f"{card_file.name} is stale: it describes an earlier save than "
                        f"{path.name} (a save was interrupted, or {path.name} was copied "
                        f"without its card); {again}")


def load_scorer(path: str | Path, settings: FeatureSettings = FEATURES) -> Scorer:
    """Read a checkpoint written by save_scorer; refuse anything else with a clear message."""
    path = Path(path)
    if not path.is_file():
        raise FitScoreError(f"No checkpoint at {path}.")
    payload = _read_payload(path)
    trained = FeatureSettings(**payload["features"])
    if trained != settings:
        raise FitScoreError(f"{path.name} was trained with other feature settings ({trained}) "
                            f"than this FitScore uses ({settings}); retrain it.")
    card = read_card(path, payload)
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
    familiarity = None
    if payload.get("familiarity") is not None:
        try:
            familiarity = Familiarity.from_state(payload["familiarity"])
        except (KeyError, TypeError, ValueError) as error:
            raise FitScoreError(f"{path.name}: its familiarity check is damaged ({error})."
                                ) from None
    return Scorer(payload["architecture"], net, list(payload["exercises"]),
                  list(payload["faults"]), trained, payload["config"], card,
                  float(payload.get("temperature", 1.0)), learner, familiarity)
