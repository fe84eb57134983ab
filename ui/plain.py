"""User text shown as text: names, file names and notes never turn into Markdown or HTML.

    >>> from ui.plain import plain
    >>> plain("**Zoë** [x](javascript:1) <b>")
    '\\\\*\\\\*Zoë\\\\*\\\\* \\\\[x\\\\]\\\\(javascript\\\\:1\\\\) \\\\<b\\\\>'

For st.markdown, st.caption, st.success and the like, whose strings are Markdown: every
character Markdown (or Streamlit's extensions: colours, emoji shortcodes, LaTeX) gives a
meaning is escaped with a backslash. Where a whole line is user text, st.text is simpler.
"""

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def plain(text: object) -> str:
    """`text` with every Markdown special character backslash-escaped, newlines as
    spaces (one line)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
