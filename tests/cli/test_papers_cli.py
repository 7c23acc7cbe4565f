"""`cigales report agm|statement` through the real command line, with bad input for each."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests import scratch
from tests.cli.conftest import snapshot
from tests.reports.conftest import SLUG, build_lake_club


@pytest.fixture
def lake_cli(cli, engine, database_url):
    scratch.fill(database_url, build_lake_club)
    return cli


def text_of(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_report_agm_writes_the_pack(lake_cli, tmp_path):
    out = tmp_path / "ag.pdf"
    result = lake_cli("report", "agm", "--club", SLUG, "--year", "2025", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert str(out) in result.stderr
    text = text_of(out)
    assert "Assemblée générale 2025" in text
    assert "Page 1 / " in text
    # Same data, same generation date: same bytes.
    again = tmp_path / "again.pdf"
    assert lake_cli("report", "agm", "--club", SLUG, "--year", "2025", "-o",
                    str(again)).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_report_agm_in_english(lake_cli, tmp_path):
    out = tmp_path / "agm-en.pdf"
    assert lake_cli("report", "agm", "--club", SLUG, "--year", "2025", "-o", str(out),
                    "--lang", "en").exit_code == 0
    assert "General meeting 2025" in text_of(out)


def test_report_statement_for_every_member_into_a_folder(lake_cli, tmp_path):
    folder = tmp_path / "releves"
    result = lake_cli("report", "statement", "--club", SLUG, "--year", "2025", "-o",
                      str(folder))
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{SLUG}-2025-M01.pdf", f"{SLUG}-2025-M02.pdf", f"{SLUG}-2025-M03.pdf"]
    assert "Chloé Diallo (M03)" in text_of(folder / f"{SLUG}-2025-M03.pdf")


def test_report_statement_for_one_member(lake_cli, tmp_path):
    out = tmp_path / "m01.pdf"
    assert lake_cli("report", "statement", "--club", SLUG, "--year", "2025", "--member", "M01",
                    "-o", str(out)).exit_code == 0
    text = text_of(out)
    assert "Anne Martin (M01)" in text
    assert "CIG-M01" in text
    # An existing folder as -o receives the file under its standard name.
    assert lake_cli("report", "statement", "--club", SLUG, "--year", "2025", "--member", "M01",
                    "-o", str(tmp_path)).exit_code == 0
    assert (tmp_path / f"{SLUG}-2025-M01.pdf").exists()


def test_statement_into_a_folder_that_does_not_exist_yet(lake_cli, tmp_path):
    # "-o releves/" names a folder: it is created, never written as a file called "releves".
    folder = tmp_path / "releves"
    assert lake_cli("report", "statement", "--club", SLUG, "--year", "2025", "--member", "M02",
                    "-o", f"{folder}/").exit_code == 0
    assert folder.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == [f"{SLUG}-2025-M02.pdf"]
    assert "Bruno Le Goff (M02)" in text_of(folder / f"{SLUG}-2025-M02.pdf")


@pytest.mark.parametrize(("args", "exit_code", "code"), [
    (("report", "agm", "--club", SLUG, "--year", "2023", "-o", "{tmp}/a.pdf"), 1,
     "year_out_of_range"),
    (("report", "agm", "--club", SLUG, "--year", "2027", "-o", "{tmp}/a.pdf"), 1,
     "year_out_of_range"),
    (("report", "agm", "--club", SLUG, "--year", "2025"), 2, "missing_value"),
    (("report", "agm", "--club", "inconnu", "--year", "2025", "-o", "{tmp}/a.pdf"), 1,
     "unknown_club"),
    (("report", "agm", "--club", SLUG, "--year", "2025", "-o", "{tmp}/none/a.pdf"), 1,
     "output_not_writable"),
    (("report", "agm", "--club", SLUG, "--year", "2025", "-o", "{tmp}/a.pdf", "--lang", "de"),
     2, "invalid_choice"),
    (("report", "statement", "--club", SLUG, "--year", "2025", "--member", "M99", "-o",
      "{tmp}/m.pdf"), 1, "unknown_member"),
    (("report", "statement", "--club", SLUG, "--year", "2025"), 2, "missing_value"),
    (("report", "statement", "--club", SLUG, "--year", "1999", "-o", "{tmp}/f"), 1,
     "year_out_of_range"),
])
def test_bad_input_is_refused_and_writes_nothing(lake_cli, database_url, tmp_path, args,
                                                  exit_code, code):
    before = snapshot(database_url)
    result = lake_cli(*(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code == exit_code, result.stderr
    assert result.error_code == code
    assert snapshot(database_url) == before
    assert not (tmp_path / "a.pdf").exists()


def test_year_that_is_not_a_number(lake_cli, tmp_path):
    result = lake_cli("report", "agm", "--club", SLUG, "--year", "deux", "-o",
                      str(tmp_path / "a.pdf"))
    assert result.exit_code == 2
    assert not (tmp_path / "a.pdf").exists()
