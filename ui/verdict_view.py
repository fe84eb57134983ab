"""The Analyze page's headline: the verdict a trainer can say aloud (fitscore_core/verdict.py)
and the camera-setup check (fitscore_core/setup_check.py), in words, all user text plain.

    >>> from ui.verdict_view import show_verdict
    >>> verdict = show_verdict(analysis, video_path)          # doctest: +SKIP
"""

import streamlit as st

from fitscore_core.analysis import Analysis
from fitscore_core.setup_check import SetupCheck, check_setup, sample_frames
from fitscore_core.verdict import Verdict, make_verdict
from ui.plain import plain


@st.cache_data(show_spinner=False, max_entries=32)
def _setup(_analysis: Analysis, video: str | None, key: str) -> SetupCheck:
    """The setup check of one analysis (`key`: the clip and models it belongs to)."""
    frames = sample_frames(video) if video else None
    return check_setup(_analysis.sequence, _analysis.exercise, frames=frames,
                       view=_analysis.view)


def show_verdict(result: Analysis, video: str | None, key: str) -> Verdict:
    """Headline, the one or two cues, what the camera could not show, the disagreement, and
    what to change in the camera setup (the analysis is shown all the same)."""
    verdict = make_verdict(result)
    st.subheader(plain(verdict.headline))
    if verdict.known:
        for cue in verdict.cues:
            st.markdown(f"- **{plain(cue.say())}**")
        if not verdict.cues:
            st.success("Nothing to fix: keep it up.")
    else:
        st.warning("This does not look like one of the exercises FitScore knows, so it gets "
                   "no score, no cues and no comparison. If it is one of them, choose it "
                   "under Exercise and press Analyze.")
    if verdict.disagreement:
        st.warning(plain(verdict.disagreement))
    if verdict.unjudged:                      # one box: what this camera angle cannot show
        st.info("  \n".join(plain(sentence) for sentence in verdict.unjudged))
    if result.known:
        problems = _setup(result, video, key).problems
        if problems:
            st.warning("**Camera setup** for the next recording: " + " ".join(
                plain(p.instruction) for p in problems))
    return verdict


def show_feedback(feedback) -> None:
    """The written feedback (compare/feedback.py), one bullet per line with where it comes
    from in small print: the same list on Analyze (model details) and Compare."""
    for line in feedback:
        st.markdown(f"- {plain(line.text)}" + (f"  \n  <small>({plain(line.source)})</small>"
                                              if line.source else ""), unsafe_allow_html=True)
