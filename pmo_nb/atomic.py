"""Writing a file so that a reader sees the old one or the whole new one, never half.

One helper for every file the package writes in place (report pages and records,
the offline Vega bundle, the forecast's kept models and flags): the text or bytes
go to a temporary file in the same folder, which is then renamed over the target
(:func:`os.replace`, atomic on POSIX within one file system). The standard library
has no such call; a library for it (``atomicwrites``) is archived, so it is ours.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def umask_mode() -> int:
    """The mode a plainly created file gets (:func:`tempfile.mkstemp` would make it 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path | str, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` (UTF-8 text or bytes) to ``path`` through a temporary file and a rename.

    Parameters
    ----------
    path
        The file to write; its folder must exist.
    data
        Text (written as UTF-8) or bytes.
    mode
        The file's permissions; None gives what a plainly created file would get
        under the process's umask. Private files (the forecast's pickles) pass 0o600.

    Raises
    ------
    OSError
        When the folder is not writable or the disk is full; the target is then
        unchanged and no temporary file is left behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, umask_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
