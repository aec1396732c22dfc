"""Charts drawn as SVG measure their text with the fonts vl-convert ships.

vl-convert lays out axes, legends and titles by measuring every text with the
fonts of its font database, and it loads the machine's fonts into that
database as files that it opens and maps again for every glyph it measures
(fontdb's file sources): about 6 ms a label on the machines we measured, most
of a plan page's time in its three charts. vl-convert also carries Liberation
Sans in memory (the metric twin of Arial and Helvetica, which browsers draw
``sans-serif`` with). So before the process's first drawing its font database
is pointed, through ``FONTCONFIG_FILE`` (the one setting it reads, and only
when it first loads), at a fontconfig file whose only folder holds no fonts.
Text is then measured with the shipped fonts, about four times faster, and a
page's layout no longer depends on which fonts a server has installed (where
the installed Liberation Sans is the older 1.07, a chart's frame can come out a
pixel narrower, or an axis keep a label the older widths called overlapping).
The reader's browser still draws the text with its own fonts: only the space
set aside for it is measured here. Text in a script Liberation Sans lacks
(Hebrew, CJK) is measured as its fallback glyph, as on a server with no font
for it.

The variable is put back as soon as the fonts are loaded, so nothing else in
the process (Chromium, ``fc-list``) sees it, and a ``FONTCONFIG_FILE`` the
user set is left alone (their fonts are then loaded, and measured, as before).

Why our own: vl-convert's Python API can add font folders but not leave the
machine's out, nor keep them in memory.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from xml.sax.saxutils import escape

#: The variable vl-convert's font database reads for its list of font folders.
FONTCONFIG_ENV = "FONTCONFIG_FILE"

_loaded = False
_lock = threading.Lock()

#: The smallest drawing that makes vl-convert load its font database (one text mark).
_FIRST_DRAWING = {"mark": "text", "data": {"values": [{}]}, "encoding": {"text": {"value": "x"}}}


def _no_fonts_config(folder: Path) -> Path:
    """A fontconfig file in ``folder`` whose only font folder is ``folder`` (no fonts)."""
    conf = folder / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><dir>{escape(str(folder))}</dir></fontconfig>\n",
                    encoding="utf-8")
    return conf


def vl_convert():
    """The ``vl_convert`` module, its fonts loaded as this module says (once a process)."""
    global _loaded
    import vl_convert as vlc  # lazy: vl-convert loads only when a chart is drawn

    if _loaded:
        return vlc
    with _lock:
        if not _loaded:
            _load_shipped_fonts(vlc)
            _loaded = True
    return vlc


def _load_shipped_fonts(vlc) -> None:
    """Make ``vlc`` load its fonts with no folder of the machine's, unless the user chose one."""
    if os.environ.get(FONTCONFIG_ENV):
        return
    with tempfile.TemporaryDirectory(prefix="pmo-fonts-") as tmp:
        os.environ[FONTCONFIG_ENV] = str(_no_fonts_config(Path(tmp)))
        try:
            vlc.vegalite_to_svg(_FIRST_DRAWING)
        finally:
            del os.environ[FONTCONFIG_ENV]
