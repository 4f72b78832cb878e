#!/usr/bin/env python3
"""Writes the committed seed corpora in fuzz/corpus/<target>/ from spec-vectors/.

Run from the repository root after adding vectors: python3 fuzz/seed_corpus.py
Each seed file is named after the vector id it comes from.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def vectors(file):
    return json.loads((ROOT / "spec-vectors" / file).read_text())["vectors"]


def tlv():
    for v in vectors("tlv.json"):
        data = bytes.fromhex(v["hex"])
        for t in ("tlv_parse", "tlv_roundtrip"):
            write(t, v["id"], data)


def merchant():
    doc = json.loads((ROOT / "spec-vectors" / "merchant.json").read_text())
    for v in doc["merchant_numbers"]:
        write("merchant_no_parse", v["id"], v["merchant_no"].encode())
    for v in doc["checks"]:
        o = v["observation"]
        keys = ("slip_merchant_no", "network_merchant_no", "field42", "tag_9f16", "field41")
        write("merchant_no_parse", "check-" + v["id"], "|".join(o.get(k, "") for k in keys).encode())
    for v in doc["mccs"]:
        data = bytes.fromhex(v["bcd"]) if "bcd" in v else v["ascii"].encode()
        write("mcc_parse", v["id"], data)
    for g in ("hotel", "health-education-government"):
        write("mcc_parse", "group-" + g, g.encode())
    statement = (ROOT / "spec-vectors" / "merchant_statement.csv").read_bytes()
    header, _, rows = statement.partition(b"\n")
    write("statement_row", "merchant_statement", rows)
    for i, row in enumerate(rows.splitlines()):
        write("statement_row", f"merchant_statement-line{i + 2}", row + b"\n")


# Later vector sets add a function here and to SEEDERS.
SEEDERS = [tlv, merchant]

if __name__ == "__main__":
    for seed in SEEDERS:
        seed()
