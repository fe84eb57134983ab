"""The sidebar's model folder choice: the shipped models, the trained folders found under
FITSCORE_MODELS_HOME, or any folder typed in; under it, what the chosen models' cards say.

Choosing happens in widget callbacks (before the pages run), so every page of that run
already uses the new folder; a folder that cannot be used leaves the choice where it was.
"""

import streamlit as st

from fitscore_core.errors import FitScoreError
from ui import state
from ui.model_folders import folder_label, folder_lines, folder_options, models_home
from ui.plain import plain

PICK, TYPED, ADDED, PROBLEM = "models_pick", "models_typed", "models_added", "models_problem"


def _picked() -> None:
    problem = state.use_models(st.session_state[PICK])
    st.session_state[PROBLEM] = problem
    if problem:
        st.session_state[PICK] = state.model_folder()   # back to the folder still in use


def _typed() -> None:
    typed = st.session_state[TYPED].strip()
    if not typed:
        return
    problem = state.use_models(typed)
    st.session_state[PROBLEM] = problem
    if problem is None:
        folder = state.model_folder()
        st.session_state[ADDED] = list(dict.fromkeys(st.session_state.get(ADDED, []) + [folder]))
        st.session_state[PICK] = folder
        st.session_state[TYPED] = ""


def model_picker() -> None:
    """Draw the choice and the chosen folder's card figures (inside `with st.sidebar`)."""
    try:
        scorers = state.models()
    except FitScoreError as error:   # the folder broke since it was chosen: back to shipped
        broken = st.session_state.pop("models_dir")
        st.session_state[PICK] = state.model_folder()
        st.session_state[PROBLEM] = (f"{broken} cannot be read any more ({error}); using "
                                     "the shipped models.")
        scorers = state.models()
    options = folder_options(st.session_state.get(ADDED, []))
    if st.session_state.get(PICK) not in options:
        st.session_state[PICK] = state.model_folder()
        if state.model_folder() not in options:     # e.g. its folder was removed
            options.append(state.model_folder())
    st.selectbox("Models", options, key=PICK, format_func=folder_label, on_change=_picked,
                 help="The shipped models, or models you trained (`train --out "
                      "FOLDER/cnn1d.pt` and `--out FOLDER/lstm.pt`): every folder under "
                      f"{plain(models_home())} (set FITSCORE_MODELS_HOME to look elsewhere) that "
                      "holds them. Every page uses the chosen models.")
    st.text_input("Another model folder", key=TYPED, on_change=_typed,
                  placeholder="/path/to/folder with cnn1d.pt and lstm.pt",
                  help="Type a folder's path and press Enter to add it to the list above.")
    if st.session_state.get(PROBLEM):
        st.error(plain(st.session_state[PROBLEM]))
    for lines in folder_lines({name: scorer.card for name, scorer in scorers.items()}):
        st.caption("  \n".join(lines))
