"""The dashboard's one source of truth: which clip and which model folder are chosen, and
their cached Analysis.

Pages call `current()` (or `analysis_or_stop()`) and draw what it returns; they never compute
scores, features or alignments. Results are cached per (clip content, model folder)
(st.cache_data), each folder's models are loaded once (st.cache_resource), and poses go
through the pose cache (FITSCORE_POSE_CACHE), so moving between pages, back to a clip, or
back to a model folder never re-extracts.
"""

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st

from fitscore_core.analysis import (Analysis, analyze, load_scorers, with_attributions,
                                    with_reference)
from fitscore_core.annotate import annotated_video_bytes, has_video
from fitscore_core.config import ONE_CLIP_POSE_PARTS
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.cache import PoseCache
from ui.model_folders import SHIPPED, stamp
from ui.plain import plain
from ui.uploads import save_upload

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"
DEFAULT_SAMPLE = "squat_knees_caving_in.mp4"
UPLOAD_TYPES = ["mp4", "mov", "avi", "webm", "mkv", "zip"]
BUILTIN = "builtin"


@dataclass(frozen=True)
class Choice:
    """What the user asked for: a clip (by content digest), its exercise, its reference."""

    path: str                 # a sample, or the upload (ui/uploads.py)
    label: str                # what the user sees (file name)
    digest: str
    exercise: str | None = None
    reference: str = BUILTIN  # "builtin" or a path
    reference_label: str = "built-in"


@st.cache_resource(show_spinner="Loading the models…", max_entries=8)
def scorers_in(folder: str, folder_stamp: str) -> dict:
    """A folder's models, loaded once per version of its files (`folder_stamp`)."""
    return load_scorers(folder)


def model_folder() -> str:
    """The model folder every page uses: the last one chosen that loaded, else the shipped."""
    return st.session_state.get("models_dir", SHIPPED)


def models_key() -> str:
    folder = model_folder()
    return f"{folder}|{stamp(folder)}"


def models() -> dict:
    """The chosen folder's scorers ("cnn1d", "lstm")."""
    folder = model_folder()
    return scorers_in(folder, stamp(folder))


def use_models(folder: str) -> str | None:
    """Make `folder` the model folder of every page; when it lacks a model or a checkpoint
    cannot be read, say why and keep the previous one."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        return f"{folder} is not a folder."
    folder = str(path.resolve())
    try:
        scorers_in(folder, stamp(folder))
    except FitScoreError as error:
        return f"Could not use {folder}: {error} Still using the previous models."
    st.session_state["models_dir"] = folder
    return None


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.mp4"))


def sample_choice(name: str) -> Choice:
    path = SAMPLES / name
    return Choice(str(path), name, digest_of(path.read_bytes()))


def saved_upload(name: str, data: bytes) -> Choice:
    """Keep an upload on disk, privately, under the user's file name (ui/uploads.py): the
    Skeletons page reads its frames and every message names the file the user knows."""
    digest = digest_of(data)
    return Choice(str(save_upload(name, data, digest)), name, digest)


@st.cache_data(show_spinner=False, max_entries=16)
def analysis_for(digest: str, exercise: str | None, reference: str, reference_digest: str,
                 folder: str, folder_stamp: str, _path: str, _label: str) -> Analysis:
    """The Analysis of a clip: both models, the comparison (attributions: `explained`). Keyed by
    the clip's content, the exercise override, the reference (by content too) and the model
    folder (and the version of its files). The progress bar lives and dies inside, so a
    cache hit in another session replays nothing."""
    scorers, poses = scorers_in(folder, folder_stamp), PoseCache()
    bar = ProgressBar(f"Finding the pose in {plain(_label)}")
    try:
        result = analyze(_path, scorers, exercise=exercise, progress=bar, cache=poses,
                         parts=ONE_CLIP_POSE_PARTS)
    finally:
        bar.close()
    return with_reference(result, reference, scorers, cache=poses, parts=ONE_CLIP_POSE_PARTS)


@st.cache_data(show_spinner="Working out what drove each score…", max_entries=16)
def _attributions(key: tuple, _result: Analysis) -> dict:
    folder, folder_stamp = key[-2:]
    return with_attributions(_result, scorers_in(folder, folder_stamp)).attributions


def explained(result: Analysis) -> Analysis:
    """The current analysis with each model's attribution map, for the Models and Tensor
    pages: worked out when a page first needs it, so the verdict never waits for it, and
    cached under the analysis' own key."""
    key = st.session_state.get("analysis_key")
    if key is None or result.attributions:
        return result
    return replace(result, attributions=_attributions(key, result))


class ProgressBar:
    """`progress(done, total)` for the core: frames done / total and time left."""

    EVERY_S = 0.25   # one update a quarter second at most: each is a message the browser draws

    def __init__(self, label: str):
        self.label, self.bar, self.started = label, st.progress(0.0, text=label), time.time()
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.time()
        if done < total and now - self.shown < self.EVERY_S:
            return
        self.shown = now
        share = done / max(total, 1)
        left = (time.time() - self.started) * (1 - share) / share if share > 0 else 0.0
        self.bar.progress(min(share, 1.0), text=f"{self.label}: frame {done} of {total}, "
                          f"about {left:.0f} s left")

    def close(self) -> None:
        self.bar.empty()


def run(choice: Choice) -> Analysis | None:
    """Analyse the choice with the chosen models (or fetch it from the cache) and make it the
    current analysis; a FitScoreError becomes a friendly message on the page, never a
    traceback."""
    ref_digest = "" if choice.reference == BUILTIN else digest_of(
        Path(choice.reference).read_bytes())
    folder = model_folder()
    st.session_state["attempt"] = (choice, models_key())
    key = (choice.digest, choice.exercise, choice.reference, ref_digest, folder, stamp(folder))
    try:
        result = analysis_for(*key, choice.path, choice.label)
    except FitScoreError as error:
        for name in ("analysis", "analysis_key"):
            st.session_state.pop(name, None)
        st.session_state["error"] = str(error)
        return None
    st.session_state["analysis"], st.session_state["analysis_key"] = result, key
    st.session_state["choice"] = choice
    st.session_state.pop("error", None)
    return result


def current() -> Analysis | None:
    """The analysis the pages show: the last clip asked for, with the chosen models (run
    again when another model folder was chosen since), or the default sample's (so a first
    visit on any page shows results without uploading anything)."""
    attempt = st.session_state.get("attempt")
    if attempt is None and "analysis" not in st.session_state \
            and "error" not in st.session_state:
        run(sample_choice(DEFAULT_SAMPLE))
    elif attempt is not None and attempt[1] != models_key():
        run(attempt[0])
    return st.session_state.get("analysis")


@st.cache_data(show_spinner=False, max_entries=8)
def _annotated(digest: str, models: str, skeleton: str, _seq, _video: str | None) -> bytes:
    bar = ProgressBar("Drawing the skeleton on the video")
    try:
        return annotated_video_bytes(_seq, _video, progress=bar)
    finally:
        bar.close()


def annotated_video(result: Analysis, choice: Choice | None) -> bytes:
    """The clip with its skeleton as an H.264 mp4 (fitscore_core.annotate), rendered once
    per (clip content, model folder, skeleton): switching pages or coming back to the clip
    never encodes it again. A keypoint import is drawn on a blank canvas."""
    seq = result.sequence
    video = choice.path if choice is not None and has_video(choice.path) else None
    return _annotated(choice.digest if choice is not None else "", models_key(),
                      digest_of(seq.keypoints.tobytes()), seq, video)


def current_choice() -> Choice | None:
    return st.session_state.get("choice")


def analysis_or_stop() -> Analysis:
    """For pages other than Analyze: the current Analysis; when there is none, say why and
    stop the page there."""
    result = current()
    if result is None:
        st.warning(plain(st.session_state.get("error", "No clip analysed yet: choose one on "
                                                       "the Analyze page.")))
        st.stop()
    return result
