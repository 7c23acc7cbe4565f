"""cigales.cli.output.stream: pieces written as produced, no file for a refused export, no
partial file after a failure."""

from __future__ import annotations

import pytest

from cigales.cli.output import stream
from cigales.errors import OutputNotWritable


class Refused(Exception):
    pass


def test_pieces_of_text_and_bytes_are_written_in_order(tmp_path):
    target = tmp_path / "out.txt"
    stream(iter(["é", "a\r\n"] * 40_000), target)
    assert target.read_bytes() == "éa\r\n".encode() * 40_000
    stream(iter([b"\xef\xbb\xbf", b"x;y\r\n"]), target)
    assert target.read_bytes() == b"\xef\xbb\xbfx;y\r\n"


def test_a_refusal_before_the_first_piece_leaves_no_file(tmp_path):
    def pieces():
        raise Refused
        yield "never"

    target = tmp_path / "out.txt"
    with pytest.raises(Refused):
        stream(pieces(), target)
    assert not target.exists()


def test_a_failure_while_writing_removes_the_partial_file(tmp_path):
    def pieces():
        yield "x" * 100_000
        raise Refused

    target = tmp_path / "out.txt"
    with pytest.raises(Refused):
        stream(pieces(), target)
    assert not target.exists()


def test_an_unwritable_target_is_reported(tmp_path):
    with pytest.raises(OutputNotWritable) as error:
        stream(iter(["x"]), tmp_path / "missing" / "out.txt")
    assert error.value.code == "output_not_writable"


def test_to_stdout(capfdbinary):
    stream(iter(["é", b"\r\n"]), None)
    assert capfdbinary.readouterr().out == "é\r\n".encode()
