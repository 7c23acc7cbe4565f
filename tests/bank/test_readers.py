"""Readers: every shipped profile, OFX 1.x/2.x, camt.053, encodings and malformed files."""

from __future__ import annotations

import datetime as dt

import pytest

from cigales.bank import camt, iban, ofx, profiles
from cigales.bank import rules as rules_mod
from cigales.bank.fingerprint import fingerprints
from cigales.bank.lines import BankLine
from cigales.services.bank import read, read_bytes
from ledger.errors import UserError
from ledger.money import Money
from tests.bank.files import OFX_V1, OFX_V2, signed_csv, write
from tests.bank.files import camt as camt_file


def m(text: str) -> Money:
    return Money.parse(text)


def amounts(statement) -> list[str]:
    return [line.amount.plain() for line in statement.lines]


def code_of(call) -> str:
    with pytest.raises(UserError) as info:
        call()
    return info.value.code


# -- one file per shipped profile, detected from its header ---------------------------------------

PROFILE_FILES = {
    "fr-generic": ("cp1252", False,
                   ("Date;Libellé;Débit;Crédit\n"
                   "05/01/2024;VIR ANNE MARTIN CIG-M01 épargne;;30,00\n"
                   "10/01/2024;FRAIS 5 € carte;4,50;\n"
                   "11/01/2024;Achat matériel;1 234,56;\n")),
    "fr-signed": ("utf-8", True,
                  ("Date;Libellé;Montant\n"
                  "05/01/2024;VIR ANNE MARTIN CIG-M01 épargne;30,00\n"
                  "10/01/2024;FRAIS 5 € carte;-4,50\n"
                  "11/01/2024;Achat matériel;-1 234,56\n")),
    "societe-generale": ("cp1252", False,
                         ('="0201900016400270";01/01/2024;31/01/2024;\n'
                         "date_comptabilisation;libellé_complet_operation;montant_operation;"
                         "devise;\n"
                         "05/01/2024;VIR RECU ANNE MARTIN CIG-M01 épargne;30,00;EUR;\n"
                         "10/01/2024;FRAIS 5 € carte    ;-4,50;EUR;\n"
                         "11/01/2024;CARTE X7527 Achat matériel;-1 234,56;EUR;\n")),
    "societe-generale-classic": ("cp1252", False,
                                 ('="0201900016400270";01/01/2024;31/01/2024;\n'
                                 "Date de l'opération;Libellé;Détail de l'écriture;"
                                 "Montant de l'opération;Devise\n"
                                 "05/01/2024;VIR RECU;ANNE MARTIN CIG-M01 épargne;30,00;EUR\n"
                                 "10/01/2024;FRAIS;5 € carte;-4,50;EUR\n"
                                 "11/01/2024;CARTE;Achat matériel;-1 234,56;EUR\n")),
    "la-banque-postale": ("cp1252", False,
                          ("Numéro Compte ;0000000S000\nType ;CCP\nCompte tenu en ;euros\n"
                          "Date ;31/01/2024\nSolde (EUROS) ;+1234,56\n;\n"
                          "Date;Libellé;Montant(EUROS);Montant(FRANCS)\n"
                          '05/01/2024;"VIREMENT DE ANNE MARTIN CIG-M01 épargne";+30,00;196,79\n'
                          '10/01/2024;"FRAIS 5 € carte";-4,50;-29,52\n'
                          '11/01/2024;"Achat matériel";-1 234,56;-8098,04\n')),
    "credit-mutuel": ("iso-8859-15", False,
                      ("Date;Date de valeur;Débit;Crédit;Libellé;Solde\n"
                      "05/01/2024;05/01/2024;;30,00;VIR ANNE MARTIN CIG-M01 épargne;1030,00\n"
                      "10/01/2024;10/01/2024;-4,50;;FRAIS 5 € carte;1025,50\n"
                      "11/01/2024;11/01/2024;-1 234,56;;Achat matériel;-209,06\n")),
    "credit-mutuel-montant": ("iso-8859-15", False,
                              ("Date;Date de valeur;Montant;Libellé;Solde\n"
                              "05/01/2024;05/01/2024;30,00;VIR ANNE MARTIN CIG-M01 épargne;1\n"
                              "10/01/2024;10/01/2024;-4,50;FRAIS 5 € carte;1\n"
                              "11/01/2024;11/01/2024;-1 234,56;Achat matériel;1\n")),
    "credit-agricole": ("cp1252", False,
                        ("Les Fourmis\nCompte courant n° 12345678901\nSolde au 31/01/2024 "
                        "1 000,00 €\n\nListe des opérations du 01/01/2024 au 31/01/2024\n\n"
                        "Date;Libellé;Débit euros;Crédit euros;\n"
                        '05/01/2024;"VIREMENT EN VOTRE FAVEUR\nANNE MARTIN CIG-M01 épargne";'
                        ";30,00;\n"
                        '10/01/2024;"FRAIS 5 € carte";4,50;;\n'
                        '11/01/2024;"Achat matériel";1 234,56;;\n')),
    "bnp-paribas": ("utf-8", False,
                    ("Compte de chèques;****1234;31/01/2024;1000,00\n"
                    "Date operation;Libelle court;Type operation;Libelle operation;"
                    "Montant operation en euro\n"
                    "05/01/2024;VIR;VIREMENT;VIR ANNE MARTIN CIG-M01 épargne;30,00\n"
                    "10/01/2024;FRAIS;FRAIS;FRAIS 5 € carte;-4,50\n"
                    "11/01/2024;CB;CARTE;Achat matériel;-1 234,56\n")),
}


@pytest.mark.parametrize("name", sorted(PROFILE_FILES))
def test_each_shipped_profile_reads_its_bank_file(tmp_path, name):
    encoding, bom, text = PROFILE_FILES[name]
    path = write(tmp_path, f"{name}.csv", text, encoding, bom)
    for chosen in (name, None):  # named, and detected from the header
        statement, sha = read(path, chosen)
        assert amounts(statement) == ["30.00", "-4.50", "-1234.56"]
        assert statement.lines[0].date == dt.date(2024, 1, 5)
        assert "épargne" in statement.lines[0].label
        assert "€" in statement.lines[1].label
        assert "matériel" in statement.lines[2].label
        assert len(sha) == 64
    assert name in profiles.shipped_names()


def test_detection_picks_the_bank_profile(tmp_path):
    encoding, bom, text = PROFILE_FILES["la-banque-postale"]
    statement, _ = read(write(tmp_path, "lbp.csv", text, encoding, bom))
    assert statement.profile == "la-banque-postale"
    assert statement.lines[0].line_no == 8


def test_thousands_and_trailing_separators_and_blank_lines(tmp_path):
    text = "Date;Libellé;Débit;Crédit;;\n\n05/01/2024;A;;12 345,67;;\n;;;;\n06/01/2024;B;1,5;;\n"
    statement, _ = read(write(tmp_path, "x.csv", text), "fr-generic")
    assert amounts(statement) == ["12345.67", "-1.50"]


def test_zero_amount_lines_are_skipped_and_counted(tmp_path):
    text = "Date;Libellé;Montant\n01/08/2024;Nouveau taux du livret;0,00\n02/08/2024;A;1,00\n"
    statement, _ = read(write(tmp_path, "x.csv", text), "fr-signed")
    assert amounts(statement) == ["1.00"]
    assert statement.skipped == 1


# -- malformed CSV files: clear errors naming the line --------------------------------------------

def test_bad_date_names_the_line(tmp_path):
    text = "Date;Libellé;Montant\n05/01/2024;A;1,00\n31/02/2024;B;2,00\n"
    with pytest.raises(UserError) as info:
        read(write(tmp_path, "x.csv", text), "fr-signed")
    assert info.value.code == "bank_invalid_date"
    assert info.value.params["line"] == 3
    assert info.value.exit_code == 2


def test_ambiguous_dot_in_a_comma_profile_names_the_line(tmp_path):
    text = "Date;Libellé;Montant\n05/01/2024;A;1,00\n06/01/2024;B;1.234\n"
    with pytest.raises(UserError) as info:
        read(write(tmp_path, "x.csv", text), "fr-signed")
    assert info.value.code == "bank_ambiguous_amount"
    assert info.value.params["line"] == 3
    assert "1.234" in str(info.value)


@pytest.mark.parametrize(("cell", "code"), [("abc", "bank_invalid_amount"),
                                            ("1,234", "bank_invalid_amount"),
                                            ("", "bank_missing_value")])
def test_unreadable_amounts(tmp_path, cell, code):
    text = f"Date;Libellé;Montant\n05/01/2024;A;{cell}\n"
    assert code_of(lambda: read(write(tmp_path, "x.csv", text), "fr-signed")) == code


def test_debit_and_credit_on_one_line_is_refused(tmp_path):
    text = "Date;Libellé;Débit;Crédit\n05/01/2024;A;1,00;2,00\n"
    assert code_of(lambda: read(write(tmp_path, "x.csv", text), "fr-generic")) == \
        "bank_debit_and_credit"


def test_wrong_header_is_refused(tmp_path):
    path = write(tmp_path, "x.csv", "Quand;Quoi;Combien\n05/01/2024;A;1,00\n")
    assert code_of(lambda: read(path, "fr-signed")) == "bank_header_not_found"
    assert code_of(lambda: read(path)) == "bank_profile_not_detected"


def test_undecodable_byte_names_the_line(tmp_path):
    profile = tmp_path / "strict.toml"
    profile.write_text('name = "strict"\nencoding = "utf-8"\ndate_column = "Date"\n'
                       'label_columns = ["Libellé"]\namount_column = "Montant"\n',
                       encoding="utf-8")
    path = write(tmp_path, "x.csv", "Date;Libelle;Montant\n05/01/2024;A;1\n06/01/2024;é;2\n",
                 "cp1252")
    with pytest.raises(UserError) as info:
        read(path, str(profile))
    assert info.value.code == "bank_file_encoding"
    assert info.value.params["line"] == 3


def test_missing_file(tmp_path):
    assert code_of(lambda: read(tmp_path / "nope.csv")) == "bank_file_unreadable"


# -- profiles: treasurers' own, validation naming the key -----------------------------------------

def test_own_profile_folder_and_path(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "ma-banque.toml").write_text(
        'name = "ma-banque"\nencoding = "utf-8"\ndelimiter = ","\ndate_column = "When"\n'
        'date_format = "%Y-%m-%d"\ndecimal_separator = "."\nthousands_separator = ","\n'
        'label_columns = ["What", "Who"]\namount_column = "Amount"\n'
        'reference_column = "Ref"\nheader_line = 2\n', encoding="utf-8")
    path = write(tmp_path, "x.csv", "export\nWhen,What,Who,Amount,Ref\n"
                                     '2024-01-05,Saving,Anne,"1,030.50",CIG-M01\n')
    statement = read_bytes(path.read_bytes(), str(path), "ma-banque", folder)
    line = statement.lines[0]
    assert (line.amount, line.label, line.reference) == (m("1030.50"), "Saving Anne", "CIG-M01")
    assert "ma-banque" in profiles.available(folder)
    assert read(path, str(folder / "ma-banque.toml"))[0].lines == statement.lines


@pytest.mark.parametrize(("extra", "key"), [
    ('colour = "red"\n', "colour"),
    ('encoding = "ebcdic"\n', "encoding"),
    ('decimal_separator = ";"\n', "decimal_separator"),
    ('date_format = "%Y"\n', "date_format"),
    ('header_line = -1\n', "header_line"),
])
def test_profile_errors_name_the_key(tmp_path, extra, key):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\ndate_column = "Date"\nlabel_columns = ["L"]\n'
                    'amount_column = "M"\n' + extra, encoding="utf-8")
    with pytest.raises(UserError) as info:
        profiles.load_file(path)
    assert info.value.code == "invalid_bank_profile"
    assert info.value.params["key"] == key


def test_profile_needs_amount_or_debit_and_credit(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\ndate_column = "Date"\nlabel_columns = ["L"]\n'
                    'debit_column = "D"\n', encoding="utf-8")
    with pytest.raises(UserError) as info:
        profiles.load_file(path)
    assert info.value.params["key"] == "amount_column"
    assert code_of(lambda: profiles.resolve("no-such-bank")) == "unknown_bank_profile"


# -- OFX ------------------------------------------------------------------------------------------

def test_ofx_v1_with_french_quirks(tmp_path):
    path = tmp_path / "x.ofx"
    path.write_bytes(OFX_V1.encode("cp1252"))  # CHARSET:1252, comma decimals, unclosed STMTTRN
    statement, _ = read(path)
    assert statement.format == "ofx"
    assert amounts(statement) == ["30.00", "-4.50"]
    assert statement.lines[0].date == dt.date(2024, 1, 5)  # not moved by the +1 zone
    assert statement.lines[0].bank_id == "F0001"
    assert "épargne" in statement.lines[0].label
    assert statement.closing_balance == m("25.50")


def test_ofx_v1_utf8_bytes_under_a_1252_header(tmp_path):
    path = tmp_path / "x.ofx"
    path.write_bytes(OFX_V1.encode("utf-8"))
    assert "épargne" in read(path)[0].lines[0].label


def test_ofx_v2_xml(tmp_path):
    path = tmp_path / "x.ofx"
    path.write_bytes(OFX_V2.encode("utf-8"))
    statement, _ = read(path)
    assert amounts(statement) == ["25.00"]
    assert statement.lines[0].label == "VIR PAUL DURAND"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_ofx_is_refused(tmp_path, cut):
    path = tmp_path / "x.ofx"
    data = OFX_V1.encode("cp1252")
    path.write_bytes(data[: int(len(data) * cut)])
    assert code_of(lambda: read(path)) == "invalid_ofx"
    assert ofx.looks_like_ofx(data)


def test_broken_ofx_is_refused(tmp_path):
    path = tmp_path / "x.ofx"
    path.write_bytes(OFX_V1.replace("<TRNAMT>30,00", "<TRNAMT>trente").encode("cp1252"))
    assert code_of(lambda: read(path)) == "invalid_ofx"


# -- camt.053 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_camt053_versions(tmp_path, version):
    path = tmp_path / "x.xml"
    path.write_bytes(camt_file(version))
    statement, _ = read(path)
    assert statement.format == "camt.053"
    assert amounts(statement) == ["30.00", "-4.50"]  # the pending entry is not read
    assert statement.skipped == 1
    first = statement.lines[0]
    assert first.iban == "FR7630006000011234567890189"
    assert first.reference == "CIG-M01"
    assert first.bank_id == "REF-0001"
    assert first.counterparty == "ANNE MARTIN"
    assert statement.closing_balance == m("25.50")


def test_camt_with_entities_is_refused(tmp_path):
    path = tmp_path / "x.xml"
    path.write_bytes(camt_file(doctype='<!DOCTYPE d [<!ENTITY lol "lol">]>'))
    assert code_of(lambda: read(path)) == "unsafe_xml"


def test_camt_unknown_version_and_broken_xml(tmp_path):
    path = tmp_path / "x.xml"
    path.write_bytes(camt_file("02").replace(b"camt.053.001.02", b"camt.053.001.01"))
    assert code_of(lambda: read(path)) == "invalid_camt"
    path.write_bytes(camt_file("02")[:-40])
    assert code_of(lambda: read(path)) == "invalid_camt"
    assert camt.__name__  # module imported


# -- fingerprints, IBANs, rules -------------------------------------------------------------------

def line(day: int, amount: str, label: str, bank_id: str | None = None) -> BankLine:
    return BankLine(dt.date(2024, 1, day), m(amount), label, day, bank_id=bank_id)


def test_identical_lines_get_different_fingerprints_and_overlaps_agree():
    january = [line(5, "30", "VIR A"), line(5, "30", "VIR A"), line(6, "4", "X")]
    overlap = [line(5, "30", "vir  a"), line(5, "30", "VIR A"), line(6, "4", "X"),
               line(7, "1", "Y")]
    first, second = fingerprints(january), fingerprints(overlap)
    assert len(set(first)) == 3
    assert second[:3] == first
    assert fingerprints([line(5, "30", "A", "ID1")]) == fingerprints([line(6, "31", "B", "ID1")])


def test_iban_validation_and_masking():
    assert iban.validate("FR76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    assert iban.mask("FR7630006000011234567890189") == "FR76 **** **** **** **** **** 189"
    with pytest.raises(UserError) as info:
        iban.validate("FR76 3000 6000 0112 3456 7890 188")
    assert info.value.code == "invalid_iban"
    assert "7890" not in str(info.value)


def test_shipped_rules_and_own_rules(tmp_path):
    shipped = rules_mod.rules()
    assert rules_mod.first_match(shipped, "COTISATION CARTE VISA", -3500).account == "6270"
    assert rules_mod.first_match(shipped, "Frais tenue de compte", -450).account == "6270"
    assert rules_mod.first_match(shipped, "AGIOS", -100).account == "6270"
    assert rules_mod.first_match(shipped, "COTISATION CIGALES IDF", -15000).account == "6281"
    assert rules_mod.first_match(shipped, "FRAIS", 450) is None  # a credit is not a fee
    own = tmp_path / "rules.toml"
    own.write_text('[[rule]]\npattern = "ASSURANCE"\naccount = "6160"\nsign = "debit"\n',
                   encoding="utf-8")
    mine = rules_mod.rules(own)
    assert rules_mod.first_match(mine, "FRAIS ASSURANCE MAIF", -5000).account == "6160"


@pytest.mark.parametrize(("text", "where"), [
    ('[[rule]]\npattern = "("\naccount = "6270"\n', "pattern"),
    ('[[rule]]\npattern = "X"\naccount = "1011-M01"\n', "account"),
    ('[[rule]]\npattern = "X"\naccount = "6270"\nsign = "up"\n', "sign"),
    ('[[rule]]\npattern = "X"\naccount = "6270"\ncolour = 1\n', "colour"),
])
def test_bad_rules_name_the_key(tmp_path, text, where):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        rules_mod.load(path)
    assert info.value.code == "invalid_bank_rules"
    assert where in info.value.params["where"]


def test_signed_csv_helper_round_trips(tmp_path):
    path = write(tmp_path, "x.csv", signed_csv([("05/01/2024", "A", "-1 234,50")]))
    assert amounts(read(path)[0]) == ["-1234.50"]
