"""Report charts measure their text with vl-convert's own fonts, not the machine's.

vl-convert loads its fonts once a process, so every case runs in a fresh
interpreter. The machine's fonts are stood in for by a font of our own in
``$HOME/.fonts`` (a folder vl-convert's font lookup includes) whose every
glyph is a wide box: labels measured with it make a wider SVG (up to the
axis's label limit).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # five fresh interpreters

WIDE_FAMILY = "PMO Wide Test"

#: A bar chart whose y-axis labels are laid out in WIDE_FAMILY when that font is found.
CHART = f"""
import altair as alt, pandas as pd
labels = pd.DataFrame({{"task": ["Kick-off", "User acceptance testing", "Go-live"],
                        "days": [3, 9, 1]}})
chart = alt.Chart(labels).mark_bar().encode(y="task:N", x="days:Q").configure(
    font={WIDE_FAMILY!r})
"""

THROUGH_PMO = CHART + """
import json, os
from pmo_nb.charts import to_svg
print(json.dumps({"svg": to_svg(chart), "env": "FONTCONFIG_FILE" in os.environ}))
"""

THROUGH_VL_CONVERT = CHART + """
import json, os, vl_convert
from altair.utils._importers import vl_version_for_vl_convert
svg = vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=vl_version_for_vl_convert())
print(json.dumps({"svg": svg, "env": "FONTCONFIG_FILE" in os.environ}))
"""


def _wide_font(path: Path) -> None:
    """A TrueType font named WIDE_FAMILY: a box 2,400 units wide for every ASCII letter."""
    fb = pytest.importorskip("fontTools.fontBuilder")
    pens = pytest.importorskip("fontTools.pens.ttGlyphPen")
    chars = {c: f"g{c}" for c in range(0x20, 0x7F)}
    order = [".notdef", *chars.values()]
    builder = fb.FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(chars)
    glyphs = {}
    for name in order:
        pen = pens.TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((2300, 700))
        pen.lineTo((2300, 0))
        pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (2400, 100) for name in order})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": WIDE_FAMILY, "styleName": "Regular",
                            "fullName": WIDE_FAMILY, "psName": "PMOWideTest-Regular"})
    builder.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    path.parent.mkdir(parents=True, exist_ok=True)
    builder.save(str(path))


def _draw(code: str, home: Path, **env) -> dict:
    """Run ``code`` in a fresh interpreter with ``HOME=home``; its JSON line as a dict."""
    environ = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    environ.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), **env)
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _width(svg: str) -> float:
    return float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    _wide_font(home / ".fonts" / "pmo-wide-test.ttf")
    return home


def test_report_charts_measure_labels_with_the_shipped_fonts_not_the_machines(home):
    machine = _draw(THROUGH_VL_CONVERT, home)
    ours = _draw(THROUGH_PMO, home)
    assert _width(machine["svg"]) > _width(ours["svg"]) + 30  # the wide font was found...
    # ...and ours is what vl-convert draws with no font folder at all
    empty = home / "no-fonts"
    empty.mkdir(exist_ok=True)
    conf = empty / "fonts.conf"
    conf.write_text(f"<fontconfig><dir>{empty}</dir></fontconfig>", encoding="utf-8")
    shipped = _draw(THROUGH_VL_CONVERT, home, FONTCONFIG_FILE=str(conf))
    assert ours["svg"] == shipped["svg"]
    assert not ours["env"]  # the setting was put back for the rest of the process


def test_a_fontconfig_file_the_user_set_is_respected(home):
    conf = home / "user-fonts.conf"
    conf.write_text(f"<fontconfig><dir>{home / '.fonts'}</dir></fontconfig>", encoding="utf-8")
    ours = _draw(THROUGH_PMO, home, FONTCONFIG_FILE=str(conf))
    machine = _draw(THROUGH_VL_CONVERT, home, FONTCONFIG_FILE=str(conf))
    assert ours["svg"] == machine["svg"]
    assert ours["env"]
