"""The committed report notebooks, rendered to the HTML a reviewer reads (no execution: they
are committed with their outputs), meet the report rules of issue #12:

- the first section after the title is the key findings, with no table or figure before it;
- a provenance block with the riskkit version, a data fingerprint and the as-of date;
- no table cell shows a number with more than four decimals;
- no traceback or error output;
- no unmasked personal data (e-mail address, phone number, identity number).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import riskkit as rk

NOTEBOOKS = Path(__file__).resolve().parents[1] / "riskkit" / "notebooks"
REPORTS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))

_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.DOTALL)
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d[\d,]*\.\d{5,}(?!\w)")
_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+*-]+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"\+\d{2,3}[ -]?\d{2,4}[ -]?\d{4}[ -]?\d{4}")
_ID_NUMBER = re.compile(r"\b\d{6}(?:19|20)\d{9}[\dXx]\b|\b9\d{16}[0-9A-Z]\b")


def _text(fragment: str) -> str:
    return html.unescape(_TAG.sub(" ", fragment))


@pytest.fixture(scope="module", params=REPORTS)
def report(request):
    path = NOTEBOOKS / f"{request.param}.ipynb"
    return request.param, path, rk.reports.notebook_html(path)


def test_there_are_reports():
    assert len(REPORTS) >= 7


def test_key_findings_come_first(report):
    name, _, page = report
    body = page[page.index("<body"):]
    h1 = re.search(r"<h1[^>]*>", body)
    h2 = re.search(r"<h2[^>]*>(.*?)</h2>", body, re.DOTALL)
    assert h1 and h2, name
    assert "Key findings" in _text(h2.group(1)), f"{name}: first section is {_text(h2.group(1))!r}"
    before = body[h1.end():h2.start()]
    assert "<table" not in before and "<img" not in before, f"{name}: a table or figure before the key findings"
    findings = body[h2.end():]
    next_h2 = findings.find("<h2")
    sentences = re.findall(r"<li>(.*?)</li>", findings[:next_h2], re.DOTALL)
    assert 3 <= len(sentences) <= 7, f"{name}: {len(sentences)} key findings"


def test_provenance_block(report):
    name, _, page = report
    text = _text(page[page.index("<body"):])
    assert "Provenance" in text
    assert re.search(rf"riskkit version\s+{re.escape(rk.__version__)}", text), name
    assert re.search(r"data fingerprint\s+[0-9a-f]{16}\b", text), name
    assert re.search(r"as of\s+(\d{4}-\d{2}-\d{2}|not given)", text), name
    assert "/work/" not in text and "/home/" not in text and "/tmp/" not in text, f"{name}: a machine path"


def test_no_number_with_more_than_four_decimals_in_tables(report):
    name, _, page = report
    long = [m.group(0) for cell in _CELL.findall(page) for m in _LONG_DECIMAL.finditer(_text(cell))]
    assert not long, f"{name}: {long[:10]}"


def test_no_traceback_or_error_output(report):
    name, path, page = report
    nb = json.loads(path.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    stderr = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not errors and not stderr, name
    assert "Traceback" not in page, name


def test_personal_data_masked(report):
    name, _, page = report
    text = _text(_IMAGE.sub("", page[page.index("<body"):]))
    emails = [m.group(0) for m in _EMAIL.finditer(text) if "***" not in m.group(1)]
    assert not emails, f"{name}: unmasked e-mail addresses {emails[:5]}"
    assert not _PHONE.findall(text), f"{name}: unmasked phone numbers {_PHONE.findall(text)[:5]}"
    assert not _ID_NUMBER.findall(text), f"{name}: unmasked identity numbers {_ID_NUMBER.findall(text)[:5]}"


def test_the_checks_catch_what_they_look_for():
    """The patterns find an unmasked e-mail, phone and id number and a long decimal, and pass
    their masked and rounded forms (so that the checks above can fail)."""
    assert _EMAIL.search("wang.wei@example.com") and "***" in _EMAIL.search("w***@example.com").group(1)
    assert _PHONE.search("+86 138 0000 0303") and not _PHONE.search("****0303")
    assert _ID_NUMBER.search("110101199001011234") and _ID_NUMBER.search("91110000100000001X")
    assert not _ID_NUMBER.search("110*************34")
    assert _LONG_DECIMAL.search("0.123456") and not _LONG_DECIMAL.search("0.1235 1,234.5 12.34%")
