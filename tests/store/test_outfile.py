"""`kneadback.outfile`: a name is written as what it is. A regular file is replaced whole, a link
is written through, a FIFO, a device or a descriptor is written in place, `-` is stdout; every
mistake is one `InputError` naming the path."""

from __future__ import annotations

import os
import stat

import pytest

from kneadback.errors import InputError
from kneadback.outfile import check_out, is_stdout, open_out, write_out

from .special_files import fifo_reader, leftovers, umask


def test_a_regular_file_is_replaced_whole_and_keeps_its_mode(tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    inode = out.stat().st_ino
    with open_out(out) as f:
        f.write("new\n")
        assert out.read_text() == "old\n"  # nothing shows under the name until the file is whole
    assert out.read_text() == "new\n"
    assert out.stat().st_ino != inode and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_file_follows_the_umask_or_the_mode_asked(tmp_path):
    with umask(0o022):
        write_out(tmp_path / "shared.html", "<p>")
        write_out(tmp_path / "private.json", "{}", new_mode=0o600)
    assert stat.S_IMODE((tmp_path / "shared.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_part_file(tmp_path):
    out = tmp_path / "a.json"
    out.write_text("complete\n")
    with pytest.raises(RuntimeError), open_out(out) as f:
        f.write("half")
        raise RuntimeError("the export broke")
    assert out.read_text() == "complete\n" and leftovers(tmp_path) == []
    with pytest.raises(InputError, match=r"a\.json: cannot write: No space left on device"), open_out(out) as f:
        raise OSError(28, os.strerror(28))  # a full disk while writing
    assert out.read_text() == "complete\n" and leftovers(tmp_path) == []


def test_a_symlink_stays_a_link_and_its_file_is_written(tmp_path):
    (tmp_path / "data").mkdir()
    real = tmp_path / "data" / "session.csv"
    real.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to("data/session.csv")  # relative, from another folder
    chain = tmp_path / "chain.csv"
    chain.symlink_to(link)
    write_out(link, "via the link\n")
    assert link.is_symlink() and os.readlink(link) == "data/session.csv"
    assert real.read_text() == "via the link\n"
    write_out(chain, "via two links\n")
    assert chain.is_symlink() and link.is_symlink() and real.read_text() == "via two links\n"
    assert leftovers(tmp_path) == leftovers(tmp_path / "data") == []


def test_a_dangling_symlink_makes_its_file(tmp_path):
    link = tmp_path / "next.csv"
    link.symlink_to("made.csv")
    write_out(link, "x\n")
    assert link.is_symlink() and (tmp_path / "made.csv").read_text() == "x\n"


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    data = "".join(f"{k},{k * 3}\n" for k in range(50_000))  # more than a pipe holds at once
    with fifo_reader(fifo) as got:
        write_out(fifo, data)
    assert got == [data.encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and leftovers(tmp_path) == []


def test_a_device_is_written_in_place():
    write_out("/dev/null", b"\x00" * 1000)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_a_descriptor_name_writes_to_the_descriptor():
    r, w = os.pipe()
    try:
        write_out(f"/dev/fd/{w}", "through fd\n")
        write_out(f"/proc/self/fd/{w}", "and again\n")
        os.close(w)
        w = -1
        assert os.read(r, 100) == b"through fd\nand again\n"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_dash_is_stdout(capsysbinary):
    print("before", flush=False)
    write_out("-", "ü text\n")
    write_out("-", b"\x00\xffbytes")
    assert capsysbinary.readouterr().out == "before\nü text\n".encode() + b"\x00\xffbytes"
    assert is_stdout("-")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("{d}", r"^{d}: is a directory, not a file$"),
        ("{d}/missing/x.csv", r"^{d}/missing/x.csv: the directory {d}/missing does not exist$"),
        ("{d}/file/x.csv", r"^{d}/file/x.csv: {d}/file is not a directory$"),
        ("{d}/loop", r"^{d}/loop: cannot write: Too many levels of symbolic links$"),
    ],
    ids=["directory", "missing-folder", "file-as-folder", "link-loop"],
)
def test_mistakes_are_one_line_naming_the_path(tmp_path, name, message):
    (tmp_path / "file").write_text("")
    (tmp_path / "loop").symlink_to("loop")
    name, message = name.format(d=tmp_path), message.format(d=tmp_path)
    with pytest.raises(InputError, match=message):
        write_out(name, "x")
    with pytest.raises(InputError, match=message):
        check_out(name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "loop"]


def test_permission_denied_is_one_line(tmp_path, monkeypatch):
    real_open = os.open

    def refusing(path, flags, mode=0o777, **kw):  # what an unwritable folder does (root is never refused)
        if str(path).endswith(".part"):
            raise PermissionError(13, os.strerror(13))
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", refusing)
    with pytest.raises(InputError, match=r"x\.csv: cannot write: Permission denied$"):
        write_out(tmp_path / "x.csv", "x")
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(InputError, match=r"x\.csv: cannot write: Permission denied$"):
        check_out(tmp_path / "x.csv")


def test_check_out_makes_no_folders(tmp_path):
    with pytest.raises(InputError, match=r"the directory .*docs/shots does not exist"):
        check_out(tmp_path / "docs" / "shots" / "a.png")
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="file is not a directory"):
        check_out(tmp_path / "file" / "a.png")
    check_out("-")
    check_out("/dev/null")
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]  # checking writes nothing


def test_is_stdout_only_for_what_stdout_is(tmp_path):
    assert not is_stdout(tmp_path / "a.csv")
    assert not is_stdout("/dev/null")
