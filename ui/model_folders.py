"""Which trained models the dashboard can switch to, and what their model cards say.

    >>> from ui.model_folders import folder_options, card_lines
    >>> folder_options()                    # doctest: +SKIP
    ['/app/models', '/home/ana/fitscore-models/my-gym']
    >>> card_lines("cnn1d", scorer.card)    # doctest: +SKIP

A model folder holds cnn1d.pt and lstm.pt with their cards (cnn1d.json, lstm.json), as
`train --out FOLDER/cnn1d.pt` writes them. Offered: the shipped `models/`, every subfolder of
FITSCORE_MODELS_HOME (default ~/fitscore-models) holding at least one checkpoint (one with a
model missing is listed, so choosing it can say what is missing), and folders the user adds.
Pure functions, no Streamlit: the sidebar (ui/model_picker.py) draws what they return.
"""

import math
import os
from pathlib import Path

from fitscore_core.analysis import MODEL_NAMES
from fitscore_core.config import MODELS_DIR
from ui.plain import plain

SHIPPED = str(MODELS_DIR.resolve())
CARD_SECTIONS = ("cross_validation", "small_data")   # shown generically: their keys may grow
MAX_FIGURES = 12                                     # per section, in the sidebar


def models_home() -> Path:
    env = os.environ.get("FITSCORE_MODELS_HOME")
    return Path(env).expanduser() if env else Path.home() / "fitscore-models"


def has_checkpoint(folder: Path) -> bool:
    return any((folder / f"{name}.pt").is_file() for name in MODEL_NAMES)


def trained_folders(home: Path | None = None) -> list[str]:
    """Subfolders of the models home with at least one checkpoint, by name."""
    home = models_home() if home is None else home
    if not home.is_dir():
        return []
    return [str(p.resolve()) for p in sorted(home.iterdir())
            if p.is_dir() and has_checkpoint(p)]


def folder_options(added: list[str] = (), home: Path | None = None) -> list[str]:
    """The shipped folder first, then those found under the home, then those added."""
    return list(dict.fromkeys([SHIPPED, *trained_folders(home), *added]))


def folder_label(folder: str, home: Path | None = None) -> str:
    """'shipped models', a folder under the home by its name, any other by its path."""
    if folder == SHIPPED:
        return "shipped models (models/)"
    home = models_home() if home is None else home
    path = Path(folder)
    return path.name if path.parent == home.resolve() else folder


def stamp(folder: str) -> str:
    """Changes when a checkpoint or card in the folder is rewritten (a retrained model),
    so results cached for the folder are not reused for different weights."""
    parts = []
    for name in MODEL_NAMES:
        for suffix in (".pt", ".json"):
            path = Path(folder) / f"{name}{suffix}"
            if path.is_file():
                st = path.stat()
                parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3g}"


def figures(section: dict, prefix: str = "") -> list[str]:
    """Every number (and short word) in a card section, as 'key: value', nested keys joined
    with ' › '; a list of numbers is shown whole, a list of anything else by its length."""
    lines = []
    for key, value in section.items():
        name = prefix + str(key).replace("_", " ")
        if isinstance(value, bool):
            lines.append(f"{name}: {'yes' if value else 'no'}")
        elif isinstance(value, (int, float)):
            if math.isfinite(value):
                lines.append(f"{name}: {_number(value)}")
        elif isinstance(value, str) and len(value) <= 40:
            lines.append(f"{name}: {value}")
        elif isinstance(value, dict):
            lines += figures(value, name + " › ")
        elif isinstance(value, list) and value:
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                lines.append(f"{name}: " + ", ".join(_number(v) for v in value[:10])
                             + (" …" if len(value) > 10 else ""))
            else:
                lines.append(f"{name}: {len(value)} entries (in the model card)")
    return lines


def _clips(data: dict) -> str:
    parts = [f"{data['clips']:,} clips" if isinstance(data.get("clips"), int) else ""]
    split = [f"{data[k]:,} {w}" for k, w in (("train_clips", "training"),
                                             ("validation_clips", "validation"),
                                             ("test_clips", "test"))
             if isinstance(data.get(k), int)]
    if split:
        parts.append("(" + ", ".join(split) + ")")
    per = data.get("clips_per_exercise")
    if isinstance(per, dict) and per:
        parts.append("— " + ", ".join(f"{e.replace('_', ' ')} {n}" for e, n in per.items()))
    return " ".join(p for p in parts if p)


def _headline(metrics: dict) -> str:
    """Exercise accuracy and score MAE on the held-out test clips, when the card has them."""
    m = metrics.get("all", metrics) if isinstance(metrics, dict) else {}
    shown = []
    if isinstance(m.get("exercise_accuracy"), (int, float)):
        shown.append(f"exercise accuracy {m['exercise_accuracy']:.1%}")
    if isinstance(m.get("score_mae"), (int, float)):
        shown.append(f"score MAE {m['score_mae']:.1f} points")
    if not shown:
        return "no held-out test figures"
    clips = f" on {m['clips']:,} test clips" if isinstance(m.get("clips"), int) else ""
    return "test: " + ", ".join(shown) + clips


def card_sections(card: dict) -> dict[str, dict]:
    """The cross-validation / small-data sections, at the card's top level or under its
    training data (where `train --cv` writes them)."""
    data = card.get("training_data") if isinstance(card.get("training_data"), dict) else {}
    found = {}
    for key in CARD_SECTIONS:
        section = card.get(key, data.get(key))
        if isinstance(section, dict) and section:
            found[key] = section
    return found


def card_lines(name: str, card: dict) -> list[str]:
    """One model's card in a few Markdown lines (the card's own text made plain): what it was trained on, how many clips,
    its test figures, and the numbers of any cross-validation or small-data section."""
    title = {"cnn1d": "1D-CNN", "lstm": "LSTM"}.get(name, name)
    if not card:
        return [f"**{title}**: no model card beside the checkpoint"]
    data = card.get("training_data") if isinstance(card.get("training_data"), dict) else {}
    what = plain(data.get("description") or "not recorded")   # a card is the user's text
    kind = f" ({plain(data['kind'])})" if data.get("kind") else ""
    lines = [f"**{title}** trained on: {what}{kind}"]
    clips = plain(_clips(data))
    if clips:
        lines.append(clips)
    lines.append(_headline(card.get("test_metrics") or {}))
    for key, section in card_sections(card).items():
        shown = [plain(line) for line in figures(section)]
        more = len(shown) - MAX_FIGURES
        lines.append(f"{key.replace('_', ' ')}: " + " · ".join(shown[:MAX_FIGURES])
                     + (f" · … {more} more on the Models page" if more > 0 else ""))
    return lines


def folder_lines(cards: dict[str, dict]) -> list[list[str]]:
    """card_lines for each model of a folder; a model trained on the same data as the one
    before it says so instead of repeating the description and clip counts."""
    shown, previous = [], None
    for name, card in cards.items():
        lines = card_lines(name, card)
        data = card.get("training_data") if card else None
        if data and previous is not None and data == previous and len(lines) > 2:
            lines = [lines[0].split(" trained on: ")[0] + ": trained on the same clips",
                     *lines[2:]]
        previous = data or None
        shown.append(lines)
    return shown
