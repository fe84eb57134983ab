"""FitScore core library: video or OpenPose JSON -> skeletons -> features -> scores.

Importable without Streamlit; see README.md and ../shared/DESIGN.md for the data flow.
"""

import os

# FFmpeg (inside OpenCV) prints lines like "moov atom not found" for broken files; the user
# gets our own clear FitScoreError instead. Read when a capture opens, so set it up front.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from fitscore_core.errors import FitScoreError  # noqa: E402

__all__ = ["FitScoreError"]
