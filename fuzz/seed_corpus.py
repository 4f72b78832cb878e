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


def dol():
    # dol_parse: first byte = DOL length, then the DOL, then a pool of value bytes.
    for v in vectors("dol.json"):
        d = bytes.fromhex(v["dol"])
        if len(d) > 255:
            continue
        write("dol_parse", v["id"], bytes([len(d)]) + d + bytes.fromhex(v["tlv"]))


def qr():
    for v in vectors("qr.json"):
        data = v["payload"].encode("utf-8")
        for t in ("qr_decode", "qr_roundtrip"):
            write(t, v["id"], data)
    # CPM payloads also as decoded bytes, which qr_roundtrip reads directly.
    import base64
    for v in vectors("qr.json"):
        if v["kind"] == "cpm" and v["expect"] == "ok":
            write("qr_roundtrip", v["id"] + "-bytes", base64.b64decode(v["payload"]))


def bits():
    for v in vectors("bits.json"):
        write("bits_roundtrip", v["id"], bytes.fromhex(v["hex"]))


# Later vector sets add a function here and to SEEDERS.
SEEDERS = [tlv, dol, qr, bits]

if __name__ == "__main__":
    for seed in SEEDERS:
        seed()
