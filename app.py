"""FitScore dashboard entry point: `streamlit run app.py`.

Navigation and the shared sidebar; each page is a thin file in pages/ that reads the one
Analysis (ui/state.py) the core produced for the chosen clip.
"""

import streamlit as st

from fitscore_core.config import LIMITS
from ui.state import current_choice

st.set_page_config(page_title="FitScore", page_icon="🏋️", layout="wide")
PAGES = [
    st.Page("pages/analyze.py", title="Analyze", icon=":material/movie:", default=True),
    st.Page("pages/skeletons.py", title="Skeletons", icon=":material/accessibility_new:"),
    st.Page("pages/tensor.py", title="Tensor", icon=":material/grid_on:"),
    st.Page("pages/models.py", title="Models", icon=":material/psychology:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
]
page = st.navigation(PAGES)
with st.sidebar:
    st.markdown("**FitScore** scores exercise videos with two models, a 1D-CNN and an LSTM, "
                "trained on synthetic clips (see README).")
    st.caption(f"Videos up to {LIMITS.max_file_mb:g} MB and {LIMITS.max_duration_s:g} s. The "
               "app runs on this computer only; nothing is uploaded anywhere.")
page.run()
choice = current_choice()   # after the page: it may have just chosen a new clip
if choice is not None:
    st.sidebar.caption(f"Clip: **{choice.label}** · reference: {choice.reference_label}")
