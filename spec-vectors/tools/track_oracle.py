#!/usr/bin/env python3
"""Writes spec-vectors/track.json: track data enciphered under a CUPS track data key (TDK),
field 35/36 with 53.3 = 1, computed here independently of cardwire.

    python3 -m venv /tmp/gm && /tmp/gm/bin/pip install gmssl 'cryptography<48'
    /tmp/gm/bin/python spec-vectors/tools/track_oracle.py > spec-vectors/track.json

The construction (doc.xrtinfo.com/docs/ss_api/ss_api-1cb9530kl7sa4 §4.4): pack the track as
BCD (separator `=` as nibble D, an odd count padded on the right), take the cipher block of
bytes that ends one byte before the last byte, encipher it under the TDK (double-length TDES,
ECB) and put it back in place; a track too short for that is padded on the right with F.
Under SM4 (16-byte block) the same rule with 16 bytes, and the short-track padding to exactly
a block and one byte, are this project's choices (no public source fixes them).

An oracle for making vectors, never a dependency: the tests read the JSON and need no Python.
"""

import json
from importlib.metadata import version

from cryptography.hazmat.primitives.ciphers import Cipher, modes
from gmssl import sm4

try:  # cryptography >= 43 keeps TDES among the "decrepit" algorithms
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
SM4_KEY = bytes.fromhex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF")


def tdes(key, block):
    e = Cipher(TripleDES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def sm4_block(key, block):
    c = sm4.CryptSM4(padding_mode=None)
    c.set_key(key, sm4.SM4_ENCRYPT)
    return c.crypt_ecb(block)


def encipher(track, block_len, cipher):
    digits = track.replace("=", "D")
    minimum = 2 * (block_len + 1)
    if len(digits) < minimum:
        digits += "F" * (minimum - len(digits))
    packed = bytes.fromhex(digits + ("0" if len(digits) % 2 else ""))
    end = len(packed) - 1
    start = end - block_len
    out = packed[:start] + cipher(packed[start:end]) + packed[end:]
    return out.hex().upper()[: len(digits)]


CASES = [
    ("track-tdes-guide", "tdes", "1234567890123456789=0508201781999168302",
     "the track 2 of the guide's §4.4 example (its key is not published: ours)"),
    ("track-tdes-37", "tdes", "6225880123456789=25122011234567890123", "a 37-digit track 2"),
    ("track-tdes-even", "tdes", "6225880123456789=2512201123456789012", "a 36-digit track 2"),
    ("track-tdes-short", "tdes", "62258801=2512", "a track shorter than a block and a byte"),
    ("track-tdes-track3", "tdes",
     "99" + "1234567890" * 5 + "=" + "0" * 51, "a 104-digit track 3"),
    ("track-sm4-37", "sm4", "6225880123456789=25122011234567890123",
     "a 37-digit track 2 under SM4 (the 16-byte rule is this project's choice)"),
    ("track-sm4-short", "sm4", "6225880123456789=2512201",
     "a 24-digit track 2 under SM4, padded with F to 34 digits (this project's choice)"),
    ("track-sm4-track3", "sm4", "99" + "1234567890" * 5 + "=" + "0" * 51,
     "a 104-digit track 3 under SM4 (this project's choice)"),
]


def main():
    vectors = []
    for vid, alg, clear, what in CASES:
        if alg == "tdes":
            key, enc = KEY, encipher(clear, 8, lambda b: tdes(KEY, b))
            oracle = f"cryptography {version('cryptography')} TripleDES"
        else:
            key, enc = SM4_KEY, encipher(clear, 16, lambda b: sm4_block(SM4_KEY, b))
            oracle = f"gmssl {version('gmssl')} SM4"
        vectors.append({
            "id": vid,
            "kind": f"track-{alg}",
            "key": key.hex().upper(),
            "clear": clear,
            "enciphered": enc,
            "source": f"{what}; construction of doc.xrtinfo.com/docs/ss_api/ss_api-1cb9530kl7sa4 §4.4, "
                      f"computed by spec-vectors/tools/track_oracle.py with {oracle}",
        })
    print(json.dumps({
        "description": "Track data enciphered in place under a CUPS track data key (fields 35 and 36 "
                       "with 53.3 = 1), TDES and SM4, computed independently by "
                       "spec-vectors/tools/track_oracle.py.",
        "vectors": vectors,
    }, indent=1, ensure_ascii=False))


main()
