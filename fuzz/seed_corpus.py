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


def iso8583():
    for file in ("iso8583.json", "iso8583-cups.json", "iso8583-errors.json"):
        for v in vectors(file):
            data = bytes.fromhex(v["hex"])
            if v.get("framed"):
                write("frame_reader", v["id"], data)
                continue
            write("iso8583_decode", v["id"], data)
            if "error" not in v:
                write("iso8583_roundtrip", v["id"], data)
                # A CUPS message framed as a terminal sends it.
                if v["spec"] == "cups":
                    body = bytes.fromhex("6000030000603100310208") + data
                    write("frame_reader", v["id"], len(body).to_bytes(2, "big") + body)


# Later vector sets add a function here and to SEEDERS.
SEEDERS = [tlv, iso8583]

if __name__ == "__main__":
    for seed in SEEDERS:
        seed()
