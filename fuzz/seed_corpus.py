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
        for t in ("tlv_parse", "tlv_roundtrip", "tlv_walk"):
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


def crypto():
    """PIN blocks, TR-31 blocks, field 62 layouts, KSNs and round-trip inputs from the crypto
    vector files."""
    for v in vectors("pinblock.json") + vectors("crypto_more.json"):
        fmt = v.get("format")
        if fmt is None:
            continue
        block = v.get("expected_clear_block") or v.get("pin_block") or v.get("expected_plain_pin_field")
        if block:
            pan = (v.get("pan") or "").encode()
            body = bytes.fromhex(block)
            write("pinblock_decode", v["id"], bytes([fmt]) + body.ljust(16, b"\0") + pan)
    for file in ("tr31.json", "tr31_more.json"):
        for v in vectors(file):
            write("tr31_unwrap", v["id"], v["key_block"].encode())
    for v in vectors("crypto_more.json"):
        if v.get("group") == "field62":
            write("cups_field62", v["id"], bytes.fromhex(v["field62"]))
    for file in ("dukpt_tdes.json", "dukpt_tdes_rollover.json", "dukpt_aes.json", "dukpt_aes256.json"):
        for v in vectors(file):
            ksn = v.get("ksn") or v.get("iksn")
            if ksn:
                write("ksn_parse", v["id"], bytes.fromhex(ksn))
    for i, v in enumerate(vectors("tr31.json")):
        write("tr31_roundtrip", v["id"], bytes([i % 5, i, i * 7 % 256, i % 2, i * 13 % 256]) + bytes.fromhex(v.get("expected_key", "00" * 16)))


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


def iso8583():
    for file in ("iso8583.json", "iso8583-cups.json", "iso8583-errors.json"):
        for v in vectors(file):
            data = bytes.fromhex(v["hex"])
            if v.get("framed"):
                write("frame_reader", v["id"], data)
                continue
            write("iso8583_decode", v["id"], data)
            write("iso8583_walks_agree", v["id"], data)
            if "error" not in v:
                write("iso8583_roundtrip", v["id"], data)
                # A CUPS message framed as a terminal sends it.
                if v["spec"] == "cups":
                    body = bytes.fromhex("6000030000603100310208") + data
                    write("frame_reader", v["id"], len(body).to_bytes(2, "big") + body)


def pos():
    """terminal_reply: host replies to each request the target puts in flight (they carry MACs
    under the session key); card_read: the simulated card's answers to the chip flow, a
    consumer-presented code and a track 2. The terminal's tests build them
    (crates/testkit/tests/it/fuzz_seeds.rs, from spec-vectors/pos-fixtures.json) and write them
    here."""
    import os
    import subprocess

    env = dict(os.environ, CARDWIRE_FUZZ_SEEDS=str(CORPUS))
    subprocess.run(
        ["cargo", "test", "-q", "-p", "cardwire-testkit", "--test", "it", "fuzz_seeds"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def pos_host():
    """Request frames built by the test kit (cardwire-testkit) under the deterministic seed session: each
    seed is mode byte 0 (frames as they are) plus the frame, and one seed with every frame
    in a row (a whole session)."""
    frames = vectors("pos-host-requests.json")
    for v in frames:
        write("host_handler", v["id"], b"\x00" + bytes.fromhex(v["hex"]))
    write("host_handler", "session", b"\x00" + b"".join(bytes.fromhex(v["hex"]) for v in frames))


def crypto_more():
    """Headers with optional blocks (short and extended), PIN translation inputs, and the
    text the crate parses (hex keys and KSNs, PANs, CVV inputs)."""
    for file in ("tr31.json", "tr31_more.json"):
        for v in vectors(file):
            block = v["key_block"]
            count = int(block[12:14]) if block[12:14].isdigit() else 0
            if count:
                # The header part: as many characters as the blocks take, by the parse.
                at, ok = 16, True
                for _ in range(count):
                    n = int(block[at + 2:at + 4], 16)
                    if n == 0:
                        ll = int(block[at + 4:at + 6], 16) * 2
                        n = int(block[at + 6:at + 6 + ll], 16)
                    at += n
                write("tr31_header", v["id"], block[:at].encode())
    write("tr31_header", "fixed-only", b"D0000P0AE00E0000")
    for v in vectors("pin_translate.json"):
        pin, pan = v["pin"], v["pan"]
        body = bytes(int(c) for c in pin + pan + "0123456789")
        write("pin_translate", v["id"], bytes([v["from_format"], v["to_format"], len(pin) - 4, len(pan) - 12, 7]) + body)
    for v in vectors("dukpt_tdes.json")[:3] + vectors("dukpt_aes.json")[:3]:
        write("crypto_text", "ksn-" + v["id"], v.get("ksn", v.get("iksn", "")).encode())
        write("crypto_text", "bdk-" + v["id"], v["bdk"].encode())
    write("crypto_text", "pan", b"4012345678909")
    write("crypto_text", "cvv", b"1234567890123456,9912,220")
    write("crypto_text", "table", b"0123456789012345")


# Later vector sets add a function here and to SEEDERS.
def reconcile():
    """The reconciliation scenarios: the three files of each as one input (NUL between them)
    for reconcile_csv, and each of their lines for reconcile_rows."""
    root = ROOT / "spec-vectors" / "reconcile"
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [d / f for f in ("journal.csv", "statement.csv", "settlement.csv")]
        parts = [f.read_bytes() if f.exists() else b"" for f in files]
        if not files[2].exists():
            parts.pop()
        write("reconcile_csv", d.name, b"\0".join(parts))
        for f in sorted(d.glob("*.csv")):
            for i, line in enumerate(f.read_bytes().splitlines()):
                write("reconcile_rows", f"{d.name}-{f.stem}-line{i + 1}", line)


SEEDERS = [tlv, merchant, reconcile, crypto, crypto_more, dol, qr, bits, iso8583, pos, pos_host]

if __name__ == "__main__":
    for seed in SEEDERS:
        seed()
