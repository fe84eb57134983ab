"""Pose backends (frame -> BODY_25 keypoints) and whole-clip extraction.

    >>> from fitscore_core.bench.demo_clip import write_demo_clip
    >>> from fitscore_core.pose.backends import MediaPipeBackend, extract_poses
    >>> _ = write_demo_clip("/tmp/demo.mp4", n_frames=30)
    >>> frames = extract_poses("/tmp/demo.mp4", progress=lambda done, total: None)
    >>> frames.n_frames, frames.people[0].shape, frames.backend
    (30, (1, 25, 3), 'mediapipe-pose-full')
    >>> from fitscore_core.pose.video import iter_frames
    >>> _, frame, _ = next(iter_frames("/tmp/demo.mp4"))
    >>> with MediaPipeBackend() as body:          # a backend is a small callable
    ...     body(frame).shape                     # (P, 25, 3)
    (1, 25, 3)

A backend returns the people in one frame as (P, 25, 3) float32 BODY_25 pixels of that frame
plus a confidence (P = 0 when nobody is found). extract_poses decodes in a background thread
while the backend runs, so decoding and inference overlap on a 2-core machine;
estimate_poses(..., parts=2) poses the two halves of a clip side by side, one MediaPipe each.
"""

import os
import queue
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import cv2
import numpy as np

from fitscore_core.config import LIMITS, Limits
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.rate import pose_every
from fitscore_core.pose.sequence import MultiPoseFrames
from fitscore_core.pose.skeletons import blazepose_to_body25
from fitscore_core.pose.video import iter_frames, probe_video

Progress = Callable[[int, int], None]
T = TypeVar("T")

PREFETCH_FRAMES = 8  # decoded frames waiting for the backend; bounds memory at 4K too
DEFAULT_BACKEND_NAME = "mediapipe-pose-full"  # what MediaPipeBackend() is called
MIN_PART_FRAMES = 30  # posed frames a stretch needs to be worth its own MediaPipe start-up


class PoseBackend(Protocol):
    """Anything that maps one BGR frame to (P, 25, 3) float32 BODY_25 pixels + confidence."""

    name: str

    def __call__(self, frame_bgr: np.ndarray) -> np.ndarray: ...


# MediaPipe's C++ start-up chatter, printed straight to file descriptor 2 (absl, TFLite).
_STARTUP_NOISE = ("Created TensorFlow Lite XNNPACK delegate", "absl::InitializeLog()",
                  "inference_feedback_manager.cc", "landmark_projection_calculator.cc")
_FD2_LOCK = threading.Lock()  # one redirection of fd 2 at a time, or they would tangle


@contextmanager
def _without_startup_noise() -> Iterator[None]:
    """Catch what native code writes to stderr meanwhile; replay all but the known chatter.

    Why not an environment switch: MediaPipe 0.10.21 logs via absl before absl is set up,
    which ignores GLOG_minloglevel / TF_CPP_MIN_LOG_LEVEL. Real errors are still printed.
    """
    with _FD2_LOCK, tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(ln for ln in lines if not any(n in ln for n in _STARTUP_NOISE))
            if kept:
                os.write(2, kept.encode())


class MediaPipeBackend:
    """MediaPipe BlazePose (legacy solutions API) in tracking mode, one clip at a time.

    Tracking carries state from frame to frame: call reset() (extract_poses does) before a
    new clip so one clip's last pose never seeds the next one's first frame.
    """

    _NAMES = {0: "lite", 1: "full", 2: "heavy"}

    def __init__(self, model_complexity: int = 1, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5):
        if model_complexity not in self._NAMES:
            raise ValueError(f"model_complexity must be 0, 1 or 2, got {model_complexity}")
        import mediapipe as mp  # slow import: only when a backend is really made

        self.name = f"mediapipe-pose-{self._NAMES[model_complexity]}"
        with _without_startup_noise():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=False, model_complexity=model_complexity,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
            self._wait_until_open()
        self._starting = True  # until the landmark model has run once, filter its chatter

    def _wait_until_open(self) -> None:
        """The graph opens its models in background threads (and logs while doing so); one
        tiny blank frame makes this wait for that, inside the noise filter."""
        self._pose.process(np.zeros((64, 64, 3), np.uint8))

    def reset(self) -> None:
        """Forget the tracked person: the next frame is searched from scratch."""
        with _without_startup_noise():
            self._pose.reset()
            self._wait_until_open()
        self._starting = True

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> "MediaPipeBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, frame_bgr: np.ndarray) -> np.ndarray:
        """(H, W, 3) BGR frame -> (P, 25, 3) float32, P in {0, 1} (BlazePose finds one)."""
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)  # MediaPipe reads RGB
        if self._starting:
            with _without_startup_noise():
                result = self._pose.process(rgb)
        else:
            result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return np.zeros((0, 25, 3), np.float32)
        self._starting = False
        h, w = frame_bgr.shape[:2]
        blaze = np.array([(lm.x * w, lm.y * h, lm.visibility)
                          for lm in result.pose_landmarks.landmark], np.float32)
        return blazepose_to_body25(blaze)[None]


def prefetch(items: Iterator[T], depth: int = PREFETCH_FRAMES) -> Iterator[T]:
    """Iterate items in a background thread, up to depth ahead of the consumer.

    Why: OpenCV decoding and MediaPipe inference both release the GIL, so on 2 cores they
    run side by side. An exception in the thread is re-raised here; stopping early (break,
    an error in the consumer) stops the thread and closes items.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as exc:  # handed to the consumer, who raises it
            put((None, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="fitscore-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is end:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def extract_poses(path: str | Path, backend: PoseBackend | None = None,
                  progress: Progress | None = None, limits: Limits = LIMITS) -> MultiPoseFrames:
    """Everyone found in every frame of the clip, in the clip's original pixels; a clip with
    nobody in it is the user's error (FitScoreError)."""
    return require_person(estimate_poses(path, backend, progress, limits))


def require_person(frames: MultiPoseFrames) -> MultiPoseFrames:
    if not any(len(p) for p in frames.people):
        raise FitScoreError(f"No person was found in any frame of {Path(frames.source).name} "
                            f"({frames.n_frames} frames). Film the whole body, well lit, "
                            "facing or side-on to the camera.")
    return frames


def estimate_poses(path: str | Path, backend: PoseBackend | None = None,
                   progress: Progress | None = None, limits: Limits = LIMITS,
                   every: int | None = 1, parts: int = 1) -> MultiPoseFrames:
    """extract_poses without the check that someone was found (what a cache keeps).

    Frames are shrunk to limits.pose_max_side before the backend (pose models work at a few
    hundred pixels anyway) and keypoints are scaled back. progress(done, total) is called as
    frames complete, in the calling thread; its last call has done == total.

    every: run the backend on every `every`-th frame only (0, k, 2k, ...): the result is
    at fps / every (pose/rate.py interpolates it back to the video's frames); None: at the
    models' rate, pose_every(the video's fps).

    parts: pose the clip as this many consecutive stretches side by side, each with its own
    MediaPipe (the default backend only; one MediaPipe uses about one core): on 2 cores one
    clip is posed in about half the time. A stretch after the first finds the person afresh
    at its first frame, as MediaPipe does at a clip's start, so the poses next to a join
    differ a little from one pass's (cached under their own key, pose/cache.py).
    """
    info = probe_video(path, limits)
    every = pose_every(info.fps) if every is None else int(every)
    total = max(-(-info.frame_count // every), 1)
    parts = 1 if backend is not None else max(1, min(int(parts), total // MIN_PART_FRAMES))
    if parts == 1:
        own = MediaPipeBackend() if backend is None else None
        pose: PoseBackend = own if own is not None else backend
        if own is None and hasattr(pose, "reset"):
            pose.reset()
        people: list[np.ndarray] = []

        def found(kps: np.ndarray) -> None:
            people.append(kps)
            if progress is not None:
                progress(min(len(people), total), total)
        try:
            decoded = _pose_stretch(path, 0, None, every, limits, pose, found)
        finally:
            if own is not None:
                own.close()
        stretch_people = [people]
    else:
        starts = [round(total * i / parts) * every for i in range(parts)]
        stretches = list(zip(starts, starts[1:] + [None]))     # video frames [start, stop)
        stretch_people, decoded = _pose_side_by_side(path, stretches, every, limits,
                                                     progress, total)
    people = [kps for stretch in stretch_people for kps in stretch]
    if progress is not None and len(people) != total:
        progress(len(people), len(people))  # the header's count was a little off
    return MultiPoseFrames(people=people, fps=info.fps / every, size=(info.width, info.height),
                           source=str(path), backend=DEFAULT_BACKEND_NAME if backend is None
                           else backend.name, every=every,
                           video_frames=decoded if every > 1 else 0)


def _pose_stretch(path: str | Path, start: int, stop: int | None, every: int, limits: Limits,
                  pose: PoseBackend, found: Callable[[np.ndarray], None],
                  cancelled: threading.Event | None = None) -> int:
    """Pose video frames start, start + every, ... before stop (None: to the end), handing
    each frame's people to found(); returns how many video frames were decoded."""
    decoded = 0
    # closing(): if the backend raises, stop the decoder now, not when the traceback is freed
    with closing(prefetch(iter_frames(path, limits.pose_max_side, limits, first=start))
                 ) as stream:
        for index, frame, scale in stream:
            if (stop is not None and index >= stop) or (cancelled and cancelled.is_set()):
                break
            decoded = index + 1
            if index % every:
                continue
            kps = np.array(pose(frame), np.float32).reshape(-1, 25, 3)
            kps[..., :2] /= scale
            found(kps)
    return decoded


def _pose_side_by_side(path, stretches, every, limits, progress, total):
    """Each stretch in its own thread with its own MediaPipe (both release the GIL while they
    work); progress is reported here, in the caller's thread (Streamlit draws only from it).
    The first error stops every stretch and is raised here."""
    people: list[list[np.ndarray]] = [[] for _ in stretches]
    decoded = [0] * len(stretches)
    events: queue.Queue = queue.Queue()
    cancelled = threading.Event()

    def work(k: int, start: int, stop: int | None) -> None:
        try:
            with MediaPipeBackend() as pose:
                decoded[k] = _pose_stretch(path, start, stop, every, limits, pose,
                                           lambda kps: (people[k].append(kps), events.put(1)),
                                           cancelled)
        except BaseException as exc:  # handed to the caller, who raises it
            events.put(exc)
        else:
            events.put(None)

    threads = [threading.Thread(target=work, args=(k, *s), name=f"fitscore-pose-{k}",
                                daemon=True) for k, s in enumerate(stretches)]
    for t in threads:
        t.start()
    done = finished = 0
    try:
        while finished < len(threads):
            event = events.get()
            if isinstance(event, BaseException):
                raise event
            if event is None:
                finished += 1
            else:
                done += 1
                if progress is not None:
                    progress(min(done, total), total)
    finally:
        cancelled.set()
        for t in threads:
            t.join()
    return people, decoded[-1]
