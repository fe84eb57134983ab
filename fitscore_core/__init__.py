"""FitScore core library: video or OpenPose JSON -> skeletons -> features -> scores.

Importable without Streamlit; see README.md and ../shared/DESIGN.md for the data flow.
"""

from .errors import FitScoreError

__all__ = ["FitScoreError"]
