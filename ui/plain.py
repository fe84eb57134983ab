"""Text from users shown as text, never as Markdown: Streamlit renders the body of st.error,
st.caption, st.markdown, st.info… as Markdown, so a file name such as
`![p](http://host/p.png)` would make the browser fetch an image and draw a link.

    >>> print(plain("![p](p.png) *hi*"))
    \\!\\[p\\]\\(p\\.png\\) \\*hi\\*

`plain(x)` goes around every piece of text a user controls (file and folder names, error
messages that quote them, labels and exercise names from a LABELS.csv, model cards) before
it is put into a Markdown string; the literal Markdown of the page stays as it is.
"""

import re
import string

_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")   # CommonMark escapes
# GFM turns bare URLs and e-mail addresses into links after escapes are undone; it only
# does so after a space or punctuation (or before "@"), so an invisible word joiner there
# leaves the text as it reads and stops the link.
_AUTOLINK = re.compile(r"(?i)(https?\\?:|www\\?\.|\\?@)")
JOINER = "\u2060"
_ESCAPED = re.compile(r"\\([" + re.escape(string.punctuation) + "])")


def plain(text: object) -> str:
    """`text` as Markdown that renders to exactly that text: every ASCII punctuation mark
    backslash-escaped (CommonMark allows it for all of them), so no link, image, emphasis,
    HTML, LaTeX ($) or colour directive (:red[…]) can form, and a word joiner before URLs and
    "@" so no bare-URL or e-mail autolink either; line breaks become spaces (a message is
    one paragraph)."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _AUTOLINK.sub(JOINER + r"\1", escaped)


def unplain(markdown: str) -> str:
    """What a string built with plain() reads as on screen: the escapes and joiners undone
    (tests compare it with the text the user should see)."""
    return _ESCAPED.sub(r"\1", markdown.replace(JOINER, ""))
