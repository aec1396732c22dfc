"""pmo_nb.atomic: a file is replaced whole or not at all, with the mode asked for."""

from __future__ import annotations

import os

import pytest

from pmo_nb import atomic
from pmo_nb.atomic import umask_mode, write_atomic


def test_text_and_bytes_replace_the_file_with_the_umask_mode(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("old", encoding="utf-8")
    write_atomic(path, "naïve <b>")
    assert path.read_bytes() == "naïve <b>".encode()
    write_atomic(str(path), b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    assert path.stat().st_mode & 0o777 == umask_mode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_a_private_file_gets_the_mode_asked_for(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "model.pkl", b"x", mode=0o600)
        write_atomic(tmp_path / "shared.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "model.pkl").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "shared.json").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    path = tmp_path / "record.json"
    path.write_text("old", encoding="utf-8")

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_a_missing_folder_is_an_error_that_names_it(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nowhere" / "page.html", "x")
