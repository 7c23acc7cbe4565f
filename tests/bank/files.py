"""Bank files written by the tests, byte for byte as banks produce them."""

from __future__ import annotations

import codecs
from pathlib import Path

OFX_V1 = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240131120000[+1:CET]
<LANGUAGE>FRA</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>0<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>30004<BRANCHID>00001<ACCTID>0001234567
<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20240101<DTEND>20240131
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240105000000[+1:CET]<TRNAMT>30,00<FITID>F0001
<NAME>VIR ANNE MARTIN<MEMO>CIG-M01 épargne janvier
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>-4,50<FITID>F0002<NAME>FRAIS TENUE COMPTE
</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>25,50<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS>
</BANKMSGSRSV1></OFX>
"""

OFX_V2 = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<DTSERVER>20240131</DTSERVER><LANGUAGE>FRA</LANGUAGE></SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY>
</STATUS><STMTRS><CURDEF>EUR</CURDEF><BANKACCTFROM><BANKID>30004</BANKID><ACCTID>123</ACCTID>
<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM><BANKTRANLIST><DTSTART>20240101</DTSTART>
<DTEND>20240131</DTEND>
<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20240106</DTPOSTED><TRNAMT>25.00</TRNAMT>
<FITID>X1</FITID><NAME>VIR PAUL DURAND</NAME></STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>25.00</BALAMT><DTASOF>20240131</DTASOF></LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def camt(version: str = "02", *, entries: str | None = None, doctype: str = "") -> bytes:
    party = ("<Dbtr><Pty><Nm>ANNE MARTIN</Nm></Pty></Dbtr>" if version == "08"
             else "<Dbtr><Nm>ANNE MARTIN</Nm></Dbtr>")
    status = "<Sts><Cd>BOOK</Cd></Sts>" if version == "08" else "<Sts>BOOK</Sts>"
    pending = "<Sts><Cd>PDNG</Cd></Sts>" if version == "08" else "<Sts>PDNG</Sts>"
    body = entries or f"""
<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>{status}
<BookgDt><Dt>2024-01-05</Dt></BookgDt><ValDt><Dt>2024-01-05</Dt></ValDt>
<AcctSvcrRef>REF-0001</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>CIG-M01</EndToEndId></Refs>
<RltdPties>{party}<DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct>
</RltdPties><RmtInf><Ustrd>Epargne janvier</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">4.50</Amt><CdtDbtInd>DBIT</CdtDbtInd>{status}
<BookgDt><Dt>2024-01-10</Dt></BookgDt><AcctSvcrRef>REF-0002</AcctSvcrRef>
<AddtlNtryInf>FRAIS TENUE DE COMPTE</AddtlNtryInf></Ntry>
<Ntry><Amt Ccy="EUR">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>{pending}
<BookgDt><Dt>2024-01-31</Dt></BookgDt><AddtlNtryInf>PENDING</AddtlNtryInf></Ntry>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId><CreDtTm>2024-02-01T08:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>FR7630004000031234567890143</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">25.50</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-31</Dt></Dt></Bal>
{body}
</Stmt></BkToCstmrStmt></Document>""".encode()


def write(folder: Path, name: str, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    path = folder / name
    data = text.replace("\n", "\r\n").encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


def signed_csv(rows: list[tuple[str, str, str]]) -> str:
    return "Date;Libellé;Montant\n" + "".join(f"{d};{lab};{a}\n" for d, lab, a in rows)
