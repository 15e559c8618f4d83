"""Masking of personal data (PII) for reports.

Reports mask by default: identity numbers, phone numbers, e-mail addresses, and the names
of individual (natural-person) customers.  Company names are public register data and are
shown.  Masking keeps just enough to recognise a record (a few leading/trailing characters,
the e-mail domain) without disclosing it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["mask_pii", "PII_COLUMNS"]

PII_COLUMNS = ("id_number", "phone", "email")


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


def mask_pii(df: pd.DataFrame, unmask: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with personal data masked.

    Parameters
    ----------
    df : DataFrame
        Any frame; the columns ``id_number``, ``phone``, ``email`` are masked where present,
        and ``name`` where ``kind == "individual"``.
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
    if "name" in out and "kind" in out:
        person = out["kind"] == "individual"
        out.loc[person, "name"] = _mask_person_name(out.loc[person, "name"])
    return out
