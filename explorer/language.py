"""The session's language: chosen in the sidebar, carried in the link, guessed from the browser.

Order of precedence on a session's first run: the link's ``lang`` parameter, then the browser's
language (``st.context.locale``, else the ``Accept-Language`` header) when it is one of
:data:`~simulation.display.text.LANGUAGE_NAMES`, then English. After that the sidebar switch
decides. :func:`activate` hands the choice to :func:`simulation.display.text.set_language`,
the one place every lookup reads it; call it at the start of every script run and fragment.
"""

from __future__ import annotations

import streamlit as st

from simulation.display.text import ENGLISH, LANGUAGE_NAMES, preferred, set_language, supported

KEY = "lang"
QUERY_KEY = "lang"


def _browser() -> str | None:
    try:
        return supported(st.context.locale) or preferred(st.context.headers.get("Accept-Language"))
    except Exception:
        return None


def current() -> str:
    """The session's language code (decided on the first run, then the switch's value)."""
    if KEY not in st.session_state:
        st.session_state[KEY] = supported(st.query_params.get(QUERY_KEY)) or _browser() or ENGLISH
    lang = supported(st.session_state[KEY]) or ENGLISH
    return lang


def activate() -> str:
    """Make the session's language the one every text lookup of this run uses; returns it."""
    lang = current()
    set_language(lang)
    return lang


def choose(lang: str | None) -> None:
    """Switch the session to ``lang`` (a saved file's language); unknown codes are ignored."""
    if (code := supported(lang)) is not None:
        st.session_state[KEY] = code


def switch() -> None:
    """The sidebar's language selector, each language named in itself."""
    current()
    st.selectbox("Language / ภาษา / Ngôn ngữ / Bahasa", list(LANGUAGE_NAMES), key=KEY,
                 format_func=LANGUAGE_NAMES.__getitem__, label_visibility="collapsed")


def sync_link() -> None:
    """Put the language in the address bar beside the scenario (English: no parameter)."""
    lang = current()
    if lang == ENGLISH:
        if QUERY_KEY in st.query_params:
            del st.query_params[QUERY_KEY]
    elif st.query_params.get(QUERY_KEY) != lang:
        st.query_params[QUERY_KEY] = lang
