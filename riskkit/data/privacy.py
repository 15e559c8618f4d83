"""Masking of personal data (PII) for reports.

Reports mask by default: identity numbers, phone numbers, e-mail addresses, and the names
of individual (natural-person) customers.  Company names are public register data and are
shown.  Masking keeps just enough to recognise a record (a few leading/trailing characters,
the e-mail domain) without disclosing it.

Columns outside the data model whose name looks like personal data (``contact_phone``,
``e_mail``, ``tax_id``, ``passport_no``, ... see :func:`looks_like_pii`) are masked too: a
column a source system adds must not escape masking because the data model does not know it.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["mask_pii", "PII_COLUMNS", "looks_like_pii"]

PII_COLUMNS = ("id_number", "phone", "email")

# a word of a column name that marks personal data; words are split at anything that is not
# a letter and at camelCase humps, so "contact_phone", "PhoneNo" and "mobile2" match, "hotel" does not
_PII_WORDS = re.compile(
    r"(?<![a-z])(?:phone|mobile|cell|fax|tel|telephone|e?-?mail|id_?(?:number|no|card)|national_?id|"
    r"tax(?:_?(?:id|no|number|code))?|passport|ssn|social_?security|birth|dob|address|iban|"
    r"account_?(?:number|no)|bank_?account|licen[cs]e_?(?:number|no))(?:s|no|nr|num|number)?(?![a-z])")
_EMAIL_WORDS = re.compile(r"(?<![a-z])e?-?mail(?![a-z])")
_PHONE_WORDS = re.compile(r"(?<![a-z])(?:phone|mobile|cell|fax|tel|telephone)(?![a-z])")


def _mask_keep(s: pd.Series, head: int, tail: int) -> pd.Series:
    text = s.astype("str")
    lengths = text.str.len()
    hidden = (lengths - head - tail).clip(lower=0)
    masked = text.str[:head] + hidden.map(lambda n: "*" * int(n) if pd.notna(n) else "") + text.str[-tail:]
    short = lengths <= head + tail
    return masked.where(~short, "*" * (head + tail)).where(text.notna())


def _mask_phone(s: pd.Series) -> pd.Series:
    text = s.astype("str")
    last4 = text.str.replace(r"\D", "", regex=True).str[-4:]
    return ("****" + last4).where(text.notna())


def _mask_email(s: pd.Series) -> pd.Series:
    text = s.astype("str")
    parts = text.str.split("@", n=1)
    out = parts.str[0].str[:1] + "***@" + parts.str[1]
    return out.where(text.str.contains("@", regex=False), "***").where(text.notna())


def _mask_person_name(s: pd.Series) -> pd.Series:
    # first letter of each word: "Wang Wei" -> "W*** W**"
    return s.astype("str").str.replace(r"(?<=\w)\w", "*", regex=True)


def _words(column) -> str:
    """``"contactPhone No"`` -> ``"contact_phone_no"``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(column)).lower().replace(" ", "_")


def looks_like_pii(column) -> bool:
    """Whether a column name looks like personal data (phone, e-mail, identity, tax or
    passport number, birth date, address, bank account), e.g. ``contact_mobile``,
    ``E-Mail``, ``tax_id``; ``customer_id`` and ``name`` do not (``name`` is masked by
    customer kind)."""
    text = _words(column)
    return bool(_PII_WORDS.search(text)) or text in PII_COLUMNS


def _mask_other(s: pd.Series, column) -> pd.Series:
    """Mask a PII-looking column outside the data model by what its name says it holds."""
    text = _words(column)
    if _EMAIL_WORDS.search(text):
        return _mask_email(s)
    if _PHONE_WORDS.search(text):
        return _mask_phone(s)
    return _mask_keep(s, head=1, tail=1)


def mask_pii(df: pd.DataFrame, unmask: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with personal data masked.

    Parameters
    ----------
    df : DataFrame
        Any frame; the columns ``id_number``, ``phone``, ``email`` are masked where present,
        ``name`` where ``kind == "individual"``, and any other column whose name looks like
        personal data (:func:`looks_like_pii`): e-mail-like names as e-mail, phone-like
        names as phone numbers, the rest keeping the first and last character.
    unmask : bool, default False
        Return the frame unchanged; an explicit opt-out for authorised internal use.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_pii(pd.DataFrame({"id_number": ["110101199001011234"], "phone": ["+86 138 0000 0303"],
    ...                        "email": ["wang.wei@example.com"]})).iloc[0].tolist()
    ['110*************34', '****0303', 'w***@example.com']
    """
    if unmask:
        return df.copy()
    out = df.copy()
    if "id_number" in out:
        out["id_number"] = _mask_keep(out["id_number"], head=3, tail=2)
    if "phone" in out:
        out["phone"] = _mask_phone(out["phone"])
    if "email" in out:
        out["email"] = _mask_email(out["email"])
    for column in out.columns:
        if column not in PII_COLUMNS and looks_like_pii(column):
            out[column] = _mask_other(out[column], column)
    if "name" in out and "kind" in out:
        person = out["kind"] == "individual"
        out.loc[person, "name"] = _mask_person_name(out.loc[person, "name"])
    return out
