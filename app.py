"""FitScore dashboard entry point: `streamlit run app.py`.

Navigation and the shared sidebar (with the model folder choice, ui/model_picker.py); each
page is a thin file in pages/ that reads the one Analysis (ui/state.py) the core produced
for the chosen clip and models.
"""

import streamlit as st

from fitscore_core.config import LIMITS
from ui.model_folders import folder_label
from ui.model_picker import model_picker
from ui.plain import plain
from ui.uploads import KEEP_HOURS
from ui.state import current_choice, model_folder

st.set_page_config(page_title="FitScore", page_icon="🏋️", layout="wide")
PAGES = [
    st.Page("pages/analyze.py", title="Analyze", icon=":material/movie:", default=True),
    st.Page("pages/skeletons.py", title="Skeletons", icon=":material/accessibility_new:"),
    st.Page("pages/tensor.py", title="Tensor", icon=":material/grid_on:"),
    st.Page("pages/models.py", title="Models", icon=":material/psychology:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/progress.py", title="Progress", icon=":material/trending_up:"),
]
page = st.navigation(PAGES)
with st.sidebar:
    st.markdown("**FitScore** scores exercise videos with two models, a 1D-CNN and an LSTM: "
                "the shipped ones, trained on synthetic clips (see README), or yours.")
    st.caption(f"Videos up to {LIMITS.max_file_mb:g} MB and {LIMITS.max_duration_s:g} s. The "
               "app runs on this computer only; nothing is sent anywhere. An upload is kept "
               f"in a private folder for {KEEP_HOURS} h after it was last uploaded (to show "
               "its frames), then deleted; the skeletons found in it stay in the pose cache "
               "(`~/.cache/fitscore/poses`, FITSCORE_POSE_CACHE) until you empty it.")
    model_picker()          # before the page, so the page uses the folder just chosen
page.run()
choice = current_choice()   # after the page: it may have just chosen a new clip
if choice is not None:
    st.sidebar.caption(f"Clip: **{plain(choice.label)}** · reference: "
                       f"{plain(choice.reference_label)} · "
                       f"models: {plain(folder_label(model_folder()))}")
