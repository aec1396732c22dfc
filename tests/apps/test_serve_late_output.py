"""A loaded server: a dashboard's output that arrives late still reaches the page,
and a kernel still executing it is not culled.

Ten viewers at once left every page blank (issue #12): under load the
dashboard's output reached Voila more than nbclient's 4 s after the cell's
reply, and Voila dropped it. Here a kernel holds back every IOPub message
(output and status) for :data:`DELAY` seconds while its replies go at once,
which is what an overloaded server sees, deterministically. Real Voila, run
with ``pmo serve``'s options on a folder of test notebooks, on 127.0.0.1.
"""

from __future__ import annotations

import json
import urllib.request
from html.parser import HTMLParser

import nbformat
import pytest

from pmo_nb.apps.serve import LATE_OUTPUT_MESSAGE
from tests.browser_util import VoilaServer

pytestmark = pytest.mark.slow

#: Seconds the kernel holds back its IOPub messages: beyond nbclient's default 4 s.
DELAY = 6

#: Kernel side: replies go at once, every IOPub message DELAY seconds later, in order.
HOLD_BACK_IOPUB = f"""
import queue, threading, time
_session = get_ipython().kernel.session
_send = _session.send
_held = queue.Queue()

def _deliver():
    while True:
        due, args, kwargs = _held.get()
        time.sleep(max(0.0, due - time.monotonic()))
        _send(*args, **kwargs)

threading.Thread(target=_deliver, daemon=True).start()

def _send_late(stream, msg_or_type, *args, **kwargs):
    kind = msg_or_type if isinstance(msg_or_type, str) else msg_or_type["header"]["msg_type"]
    if kind.endswith("_reply"):
        return _send(stream, msg_or_type, *args, **kwargs)
    _held.put((time.monotonic() + {DELAY}, (stream, msg_or_type, *args), kwargs))

_session.send = _send_late
"""

SHOW = """from IPython.display import HTML, display
display(HTML('<p class="late-output">rendered</p>'))"""


class _Page(HTMLParser):
    """A Voila page's cell outputs (JSON in ``vnd.voila.cell-output`` scripts) and text."""

    MIME = "application/vnd.voila.cell-output+json"

    def __init__(self):
        super().__init__()
        self.outputs: list[dict] = []
        self.text: list[str] = []
        self._tag: tuple[str, str | None] = ("", None)

    def handle_starttag(self, tag, attrs):
        self._tag = (tag, dict(attrs).get("type"))

    def handle_endtag(self, tag):
        self._tag = ("", None)

    def handle_data(self, data):
        if self._tag == ("script", self.MIME):
            self.outputs.append(json.loads(data))
        elif self._tag[0] not in ("script", "style"):
            self.text.append(data.strip())

    def html(self) -> str:
        """Every text/html output, joined."""
        return "".join(o.get("data", {}).get("text/html", "") for o in self.outputs)

    def shown(self) -> str:
        """The page's text outside scripts and styles (error outputs are shown as text)."""
        return " ".join(t for t in self.text if t)


def _dashboard(folder, *cells: str) -> None:
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "late.ipynb")


def _page(tmp_path, *extra: str, cells=(HOLD_BACK_IOPUB, SHOW)) -> tuple[_Page, str]:
    """GET late.ipynb from Voila run as ``pmo serve`` runs it (plus ``extra`` options).

    Returns the page and Voila's log until the page arrived.
    """
    folder = tmp_path / "apps"
    _dashboard(folder, *cells)
    server = VoilaServer(str(tmp_path / "unused.db"), tmp_path / "jupyter-config",
                         folder=folder, extra=extra)
    try:
        server.wait_ready()
        with urllib.request.urlopen(f"{server.base}/voila/render/late.ipynb",
                                    timeout=120) as reply:
            parser = _Page()
            parser.feed(reply.read().decode())
        log = "".join(server.log)  # up to the page's arrival
    finally:
        server.stop()
    return parser, log


def test_output_arriving_after_the_reply_still_reaches_the_page(tmp_path):
    page, _ = _page(tmp_path)
    assert 'class="late-output"' in page.html()  # nbclient's default 4 s wait drops it
    assert LATE_OUTPUT_MESSAGE not in page.shown()


def test_output_later_than_the_wait_says_busy_instead_of_a_blank_page(tmp_path):
    page, _ = _page(tmp_path, "--VoilaExecutor.iopub_timeout=2")
    assert "late-output" not in page.html()
    assert LATE_OUTPUT_MESSAGE in page.shown()  # not a blank page


def test_a_kernel_still_executing_is_not_culled(tmp_path):
    # silent for 8 s, four times the idle limit, while no browser is connected yet
    page, log = _page(tmp_path, "--BoundedKernelManager.cull_idle_timeout=2",
                      "--BoundedKernelManager.cull_interval=1",
                      cells=("import time\ntime.sleep(8)", SHOW))
    assert 'class="late-output"' in page.html()
    assert "Culling kernels with idle durations > 2 seconds" in log  # the culler was on
    assert "Culling 'idle'" not in log, log
