"""Skeletons drawn over frames: one frame, or a whole annotated video; frame-index mapping.

    >>> import numpy as np
    >>> from fitscore_core.annotate import blank_canvas, comparison_frame, draw_skeleton
    >>> from fitscore_core.pose.sequence import PoseSequence
    >>> seq = PoseSequence(np.zeros((60, 25, 3), np.float32), fps=30.0, size=(320, 240))
    >>> image = draw_skeleton(blank_canvas(seq.size), seq.keypoints[0])
    >>> image.shape, comparison_frame(45, 30.0, 15.0, 30)
    ((240, 320, 3), 22)

Drawing follows OpenPose's renderer: each limb in the colour of its second joint
(skeletons.Layout.limb_color, RGB), a dot on every joint. A joint below LOW_CONFIDENCE is
drawn thin and faded (a limb is as sure as its weaker end), so a guessed wrist does not look
as certain as a tracked one; a joint not found (confidence 0) is not drawn at all.

Frame indices: the dashboard's frame slider counts the video's own frames (PoseSequence at
its source fps); the comparison counts frames at the models' rate (Comparison.fps). The two
mapping functions convert between them by time, clipped to the target's range.

Images are OpenCV's BGR uint8 (H, W, 3); colours passed in are RGB, as in skeletons.py.

Annotated videos are H.264 (libx264, yuv420p, even width and height, the index at the front
of the file: `+faststart`), written with PyAV, whose wheel carries its own FFmpeg and
libx264: what Chromium, Safari and phones play inline, with no system ffmpeg. Frame t of the
video carries the skeleton of PoseSequence frame t (the video's own frames, one for one), so
the overlay lines up with the picture at any seek.
"""

import tempfile
from fractions import Fraction
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from fitscore_core.config import LIMITS
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.inputs import Progress, input_kind
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import BODY_25, Layout
from fitscore_core.pose.video import downscale, iter_frames, open_capture

LOW_CONFIDENCE = 0.3          # below this a joint is drawn thin and faded
FADE = 0.35                   # opacity of low-confidence joints and limbs
CANVAS_BGR = (46, 46, 46)     # neutral dark grey when there is no video frame (JSON input)
DEFAULT_SIZE = (640, 480)     # canvas when neither the clip nor the keypoints tell a size
VIDEO_MAX_SIDE = 1280         # annotated videos are shrunk to this long side
CODEC = "libx264"             # H.264, in PyAV's own FFmpeg build
PIXEL_FORMAT = "yuv420p"      # the one H.264 profile every browser and phone decodes
X264_OPTIONS = {"preset": "superfast", "crf": "23"}  # fast; ~0.3 MB per 10 s at 640x480


def comparison_frame(source_frame: int, source_fps: float, comparison_fps: float,
                     n_comparison: int) -> int:
    """The comparison frame shown at video frame `source_frame` (nearest in time)."""
    k = round(source_frame * comparison_fps / source_fps)
    return int(min(max(k, 0), max(n_comparison - 1, 0)))


def source_frame(comparison_frame: int, comparison_fps: float, source_fps: float,
                 n_source: int) -> int:
    """The video frame at comparison frame `comparison_frame` (e.g. a worst moment)."""
    t = round(comparison_frame * source_fps / comparison_fps)
    return int(min(max(t, 0), max(n_source - 1, 0)))


def features_to_pixels(values: np.ndarray, centre: tuple[float, float], scale: float
                       ) -> np.ndarray:
    """(30,) normalized model joints (torso lengths, y up; NaN = unknown) -> (15, 3) pixel
    keypoints (x, y, confidence 1, or 0 where unknown) in a frame whose hip centre is
    `centre` and torso `scale` pixels long: the inverse of features.normalize."""
    xy = np.asarray(values, np.float64).reshape(15, 2)
    known = np.isfinite(xy).all(axis=1)
    pixels = np.column_stack([xy[:, 0] * scale + centre[0], -xy[:, 1] * scale + centre[1]])
    out = np.zeros((15, 3), np.float32)
    out[known, :2] = pixels[known]
    out[known, 2] = 1.0
    return out


def within_limit(width: int, height: int) -> tuple[int, int]:
    """(width, height) cut to LIMITS.max_resolution (long side, short side either way up):
    no size a file claims can make a drawing allocate more than a 4K frame."""
    max_long, max_short = LIMITS.max_resolution
    if width >= height:
        return min(width, max_long), min(height, max_short)
    return min(width, max_short), min(height, max_long)


def frame_size(seq: PoseSequence) -> tuple[int, int]:
    """(width, height) to draw the clip on: its frame size, or for a keypoint import
    without one, the extent of its keypoints plus a margin; never beyond the limit."""
    if seq.size:
        return within_limit(int(seq.size[0]), int(seq.size[1]))
    found = seq.keypoints[..., 2] > 0
    if not found.any():
        return DEFAULT_SIZE
    xy = seq.keypoints[..., :2][found]
    return within_limit(int(np.ceil(xy[:, 0].max() * 1.1)) + 1,
                        int(np.ceil(xy[:, 1].max() * 1.1)) + 1)


def blank_canvas(size: tuple[int, int], colour: tuple[int, int, int] = CANVAS_BGR
                 ) -> np.ndarray:
    """(H, W, 3) BGR image of one colour; size is (width, height), cut to the limit."""
    width, height = within_limit(*size)
    canvas = np.empty((max(height, 1), max(width, 1), 3), np.uint8)
    canvas[:] = colour
    return canvas


def _bgr(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return int(rgb[2]), int(rgb[1]), int(rgb[0])


def draw_skeleton(image: np.ndarray, keypoints: np.ndarray, layout: Layout = BODY_25,
                  color: tuple[int, int, int] | None = None, thickness: int | None = None,
                  min_conf: float = LOW_CONFIDENCE, highlight: int | None = None
                  ) -> np.ndarray:
    """A copy of `image` (BGR) with the skeleton `keypoints` (J, 3) of `layout` drawn on it.

    color: one RGB colour for the whole skeleton (default: the layout's per-limb colours).
    thickness: limb width in pixels (default: grows with the image). Joints below min_conf
    are drawn 1 px wide at FADE opacity; joints not found (confidence <= 0 or NaN) are
    skipped. highlight: a joint index circled in white and black (e.g. the worst joint).
    """
    kps = np.asarray(keypoints, np.float64)
    h, w = image.shape[:2]
    width = thickness or max(2, round(max(h, w) / 220))
    conf = np.nan_to_num(kps[:, 2], nan=0.0)
    conf[~np.isfinite(kps[:, :2]).all(axis=1)] = 0.0
    pts = np.round(np.nan_to_num(kps[:, :2])).astype(np.int32)
    out = image.copy()
    faint = image.copy()
    any_faint = False

    def colour_of(joint: int) -> tuple[int, int, int]:
        return _bgr(color if color is not None else layout.colors[joint])

    for a, b in layout.limbs:
        sure = min(conf[a], conf[b])
        if sure <= 0:
            continue
        target, size = (out, width) if sure >= min_conf else (faint, 1)
        any_faint |= target is faint
        cv2.line(target, tuple(pts[a]), tuple(pts[b]), colour_of(b), size, cv2.LINE_AA)
    for j in range(len(kps)):
        if conf[j] <= 0:
            continue
        target, radius = (out, width + 1) if conf[j] >= min_conf else (faint, 2)
        any_faint |= target is faint
        cv2.circle(target, tuple(pts[j]), radius, colour_of(j), -1, cv2.LINE_AA)
    if any_faint:  # faint strokes at FADE opacity, under the confident ones
        faded = (faint != image).any(axis=2) & (out == image).all(axis=2)
        out[faded] = cv2.addWeighted(faint, FADE, image, 1 - FADE, 0)[faded]
    if highlight is not None and conf[highlight] > 0:
        ring = 3 * width + 4
        cv2.circle(out, tuple(pts[highlight]), ring + 1, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.circle(out, tuple(pts[highlight]), ring, (255, 255, 255), 2, cv2.LINE_AA)
    return out


def read_frame(path: str | Path, index: int, max_side: int | None = None) -> np.ndarray:
    """Frame `index` (0-based, as iter_frames counts) of a video, BGR, shrunk to max_side."""
    cap = open_capture(Path(path))
    try:
        if not cap.isOpened():
            raise FitScoreError(f"{Path(path).name} cannot be opened as a video.")
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok or frame is None:
        raise FitScoreError(f"Frame {index} of {Path(path).name} could not be read; the "
                            "file may be truncated.")
    return downscale(frame, max_side)[0]


def has_video(path: str | Path | None) -> bool:
    """Whether `path` is a video the frames can be read from (not an OpenPose JSON import)."""
    try:
        return path is not None and input_kind(path) == "video"
    except FitScoreError:
        return False


def person_box(keypoints: np.ndarray, size: tuple[int, int], margin: float = 0.25,
               aspect: float | None = None) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixels around the found joints of (J, 3) keypoints, widened by
    `margin` of the person's larger side each way and clipped to the (width, height) frame;
    with aspect (width / height), grown to that shape instead, shrunk if it would not fit
    (margin is given up first) and slid inside the frame. The whole frame when nobody was
    found."""
    width, height = size
    found = keypoints[:, 2] > 0
    if not found.any():
        return 0, 0, width, height
    (x0, y0), (x1, y1) = keypoints[found, :2].min(axis=0), keypoints[found, :2].max(axis=0)
    pad = margin * max(x1 - x0, y1 - y0, 1.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    if aspect:
        w, h = x1 - x0, y1 - y0
        w, h = max(w, h * aspect), max(h, w / aspect)
        fit = min(1.0, width / w, height / h)      # keep the shape: give up some margin
        w, h = w * fit, h * fit
        cx = min(max((x0 + x1) / 2, w / 2), width - w / 2)
        cy = min(max((y0 + y1) / 2, h / 2), height - h / 2)
        x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    return (max(0, int(round(x0))), max(0, int(round(y0))),
            min(width, int(round(x1))), min(height, int(round(y1))))


def frame_image(seq: PoseSequence, t: int, video: str | Path | None = None,
                max_side: int | None = None, crop: float | None = None, **draw
                ) -> np.ndarray:
    """Video frame t (or a blank canvas of the clip's size) with its skeleton, BGR; with
    crop = an aspect ratio (width / height), only the person in a box of that shape
    (person_box). `draw` goes to draw_skeleton."""
    if has_video(video):
        image = read_frame(video, t)
    else:
        image = blank_canvas(frame_size(seq))
    kps = seq.keypoints[t].astype(np.float64)
    if crop:
        x0, y0, x1, y1 = person_box(kps, (image.shape[1], image.shape[0]), aspect=crop)
        image = image[y0:y1, x0:x1]
        kps[:, :2] -= (x0, y0)
    small, scale = downscale(image, max_side)
    kps[:, :2] *= scale
    return draw_skeleton(small, kps, **draw)


def annotated_frames(seq: PoseSequence, video: str | Path | None = None,
                     max_side: int | None = VIDEO_MAX_SIDE) -> Iterator[np.ndarray]:
    """Every frame of the clip with its skeleton (BGR); a blank canvas without a video.
    Frames beyond the sequence (none, normally) are passed through undrawn."""
    if has_video(video):
        for t, frame, scale in iter_frames(video, max_side):
            if t >= seq.n_frames:
                yield frame
                continue
            kps = seq.keypoints[t].astype(np.float64)
            kps[:, :2] *= scale
            yield draw_skeleton(frame, kps)
    else:
        base, scale = downscale(blank_canvas(frame_size(seq)), max_side)
        for t in range(seq.n_frames):
            kps = seq.keypoints[t].astype(np.float64)
            kps[:, :2] *= scale
            yield draw_skeleton(base, kps)


def video_rate(fps: float) -> Fraction:
    """A frame rate as the exact fraction containers store: 30 -> 30, 29.97 -> 30000/1001
    (the NTSC rates phones record at), 12.5 -> 25/2."""
    ntsc = round(fps * 1.001)
    if ntsc > 0 and abs(fps - ntsc / 1.001) < 0.005 and abs(fps - round(fps)) > 0.005:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(float(fps)).limit_denominator(1001)


def even_size(frame: np.ndarray) -> np.ndarray:
    """The frame cut to an even width and height (yuv420p halves both): at most one pixel
    column and one row off the right and bottom edges, so no point moves."""
    h, w = frame.shape[:2]
    return frame[:max(2, h - h % 2), :max(2, w - w % 2)]


def write_annotated_video(seq: PoseSequence, out_path: str | Path,
                          video: str | Path | None = None,
                          progress: Progress | None = None,
                          max_side: int | None = VIDEO_MAX_SIDE) -> Path:
    """The annotated clip as an H.264 .mp4 (yuv420p, faststart) at the clip's frame rate."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    rate = video_rate(seq.fps)
    container = stream = None
    try:
        for t, frame in enumerate(annotated_frames(seq, video, max_side)):
            frame = np.ascontiguousarray(even_size(frame))
            if stream is None:
                container = av.open(str(out_path), mode="w", format="mp4",
                                    options={"movflags": "+faststart"})
                stream = container.add_stream(CODEC, rate=rate, options=X264_OPTIONS)
                stream.height, stream.width = frame.shape[:2]
                stream.pix_fmt = PIXEL_FORMAT
                stream.time_base = 1 / rate
            picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
            picture.pts = t
            container.mux(stream.encode(picture))
            if progress:
                progress(t + 1, seq.n_frames)
        if stream is not None:
            container.mux(stream.encode(None))     # flush the encoder's delayed frames
    except av.FFmpegError as error:
        raise FitScoreError(f"The annotated clip could not be written ({error}).") from None
    finally:
        if container is not None:
            container.close()
    if stream is None:
        raise FitScoreError("The clip has no frames, so there is no video to annotate.")
    return out_path


def annotated_video_bytes(seq: PoseSequence, video: str | Path | None = None,
                          progress: Progress | None = None,
                          max_side: int | None = VIDEO_MAX_SIDE) -> bytes:
    """write_annotated_video into a temporary file, returned as bytes (a download)."""
    with tempfile.TemporaryDirectory(prefix="fitscore-annotate-") as folder:
        path = write_annotated_video(seq, Path(folder) / "annotated.mp4", video, progress,
                                     max_side)
        return path.read_bytes()
