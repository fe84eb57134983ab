"""FitScore dashboard entry point: `streamlit run app.py`.

A placeholder home page until the dashboard lands; it already reads the core library.
"""

import streamlit as st

from fitscore_core.config import FEATURES, LIMITS
from fitscore_core.features import ROW_LABELS

st.set_page_config(page_title="FitScore", page_icon="🏋️", layout="wide")
st.title("FitScore")
st.write(
    "Scores fitness-exercise videos: a pose estimator turns every frame into an OpenPose "
    "BODY_25 skeleton, each clip becomes a normalized, zero-padded (30 × N) tensor, and two "
    "deep models (a 1D-CNN and an LSTM) score it side by side."
)
st.info("The analysis pages are on their way. Meanwhile the command line works: "
        "`python -m fitscore_core info|extract|tensor|bench`.")
col1, col2 = st.columns(2)
col1.metric("Model input", f"30 × {FEATURES.n_frames}", help="15 joints × (x, y) by N frames")
col2.metric("Longest clip accepted", f"{LIMITS.max_duration_s:g} s")
with st.expander("The 30 rows of the tensor, in order"):
    st.write(", ".join(ROW_LABELS))
