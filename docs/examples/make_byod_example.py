"""Write the bring-your-own-data example exports (riskkit/datasets/files/byod/).

A made-up firm's ERP exports, shaped like real ones and unlike the data model on purpose:
a customer master with its own column names and category codes, an accounts-receivable
ledger with several lines per invoice document, credit notes as negative lines naming the
invoice they credit, two currencies, and a receipts file with partial and split payments.
Run from the repository root: ``python docs/examples/make_byod_example.py``; the output
is deterministic (seed 7).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "riskkit" / "datasets" / "files" / "byod"
EXPORT_DATE = date(2024, 12, 31)
SECTORS = ["Manufacturing", "Wholesale", "Construction", "Logistics", "Retail", "Chemicals"]
PROVINCES = ["Guangdong", "Jiangsu", "Zhejiang", "Shandong", "Sichuan", "Hubei"]
OWNERSHIP = ["SOE-C", "SOE-L", "PRIV", "PRIV", "PRIV", "FDI"]


def _d(day: date, fmt: str) -> str:
    return day.strftime(fmt)


def main() -> None:
    rng = np.random.default_rng(7)
    OUT.mkdir(parents=True, exist_ok=True)
    customers, ledger, receipts = [], [], []
    doc_no, rcpt_no = 90000001, 1
    for i in range(36):
        cust = f"K{1000 + 7 * i:05d}"
        person = i % 12 == 11
        foreign = not person and i % 9 == 4
        curr = "USD" if foreign else "CNY"
        own = "IND" if person else OWNERSHIP[i % len(OWNERSHIP)]
        state = {"SOE-C": 100.0, "SOE-L": 51.0}.get(own, 0.0)
        founded = date(1995 + int(rng.integers(0, 25)), int(rng.integers(1, 13)), int(rng.integers(1, 28)))
        opened = date(2021 + int(rng.integers(0, 2)), int(rng.integers(1, 13)), int(rng.integers(1, 28)))
        terms = int(rng.choice([30, 45, 60, 90]))
        scale = 1 / 7.1 if foreign else 1.0
        limit = round(float(rng.choice([200, 500, 800, 1500])) * 1000 * scale, 2)
        customers.append({
            "CustNo": cust,
            "CustName": f"Person {i:02d}" if person else f"{PROVINCES[i % 6]} {SECTORS[i % 6]} Co., Ltd. {i:02d}",
            "CustType": "PERS" if person else "CORP",
            "Sector": SECTORS[(i * 5) % 6],
            "Province": PROVINCES[i % 6],
            "Ownership": own,
            "StatePct": f"{state:.0f}",
            "RegCapital": f"{round(float(rng.integers(5, 500)) * 100000 * scale, 2):.2f}" if not person else "0",
            "Founded": "" if person else _d(founded, "%d/%m/%Y"),
            "OpenDate": _d(opened, "%d/%m/%Y"),
            "TermsDays": str(terms),
            "CreditLimit": f"{limit:.2f}",
            "Curr": curr,
        })
        day = max(opened, date(2023, 1, 1))
        for _ in range(int(rng.integers(3, 8))):
            day = day + timedelta(days=int(rng.integers(20, 90)))
            if day > EXPORT_DATE - timedelta(days=5):
                break
            doc = str(doc_no)
            doc_no += 1
            due = day + timedelta(days=terms)
            n_lines = int(rng.integers(1, 4))
            total = 0.0
            for line in range(1, n_lines + 1):
                amount = round(float(rng.integers(20, 400)) * 100 * scale + float(rng.integers(0, 100)) / 100, 2)
                total += amount
                ledger.append({"DocNo": doc, "LineNo": str(line), "DocType": "RV", "CustNo": cust,
                               "DocDate": _d(day, "%Y%m%d"), "DueDate": _d(due, "%Y%m%d"), "Curr": curr,
                               "LineAmount": f"{amount:.2f}", "RefDoc": "", "Product": f"P-{int(rng.integers(100, 999))}"})
            total = round(total, 2)
            draw = rng.random()
            credit = 0.0
            if draw < 0.12:  # a credit note for a returned line or a price correction
                credit = round(total * float(rng.choice([0.1, 0.25])), 2)
                if draw < 0.03:
                    credit = total  # the whole invoice is cancelled by a credit note
                cn = str(doc_no)
                doc_no += 1
                cn_day = min(day + timedelta(days=int(rng.integers(3, 20))), EXPORT_DATE)
                ledger.append({"DocNo": cn, "LineNo": "1", "DocType": "DG", "CustNo": cust,
                               "DocDate": _d(cn_day, "%Y%m%d"), "DueDate": "", "Curr": curr,
                               "LineAmount": f"{-credit:.2f}", "RefDoc": doc, "Product": ""})
            net = round(total - credit, 2)
            if net <= 0:
                continue
            late = int(rng.choice([-5, 0, 3, 10, 25, 60, 120]))
            pay_day = due + timedelta(days=late)
            behaviour = rng.random()
            if pay_day > EXPORT_DATE or behaviour < 0.08:
                continue  # still open, unpaid
            if behaviour < 0.2:  # paid in part only, remainder still open
                parts = [round(net * 0.4, 2)]
            elif behaviour < 0.35:  # paid in full in two instalments
                first = round(net * 0.5, 2)
                parts = [first, round(net - first, 2)]
            else:
                parts = [net]
            for k, part in enumerate(parts):
                when = min(pay_day + timedelta(days=15 * k), EXPORT_DATE)
                receipts.append({"ReceiptNo": f"R{rcpt_no:06d}", "DocNo": doc, "ValueDate": _d(when, "%d.%m.%Y"),
                                 "Amount": f"{part:.2f}", "Curr": curr})
                rcpt_no += 1
    for name, rows in (("customer_master.csv", customers), ("ar_ledger.csv", ledger), ("receipts.csv", receipts)):
        with open(OUT / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
