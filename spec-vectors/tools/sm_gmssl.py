#!/usr/bin/env python3
"""Writes spec-vectors/sm.json: the published SM2/SM3/SM4 examples, each re-checked here with
the pure-Python `gmssl` package, and SM2 cases crossed both ways between gmssl and cardwire.

    python3 -m venv /tmp/gm && /tmp/gm/bin/pip install gmssl 'cryptography<48'
    cargo build -p cardwire-cli
    /tmp/gm/bin/python spec-vectors/tools/sm_gmssl.py target/debug/cardwire > spec-vectors/sm.json

An oracle for making vectors, never a dependency: the tests read the JSON and need no Python.
`openssl` (3.x, which has SM3 and SM4) checks the SM4-CMAC and HMAC-SM3 values when present.
"""

import hashlib
import hmac
import json
import secrets
import shutil
import subprocess
import sys
from importlib.metadata import version

from gmssl import func, sm2, sm3, sm4

CARDWIRE = sys.argv[1] if len(sys.argv) > 1 else "target/debug/cardwire"
GMSSL = f"checked with gmssl {version('gmssl')}"
N = int(sm2.default_ecc_table["n"], 16)
G = sm2.default_ecc_table["g"]


def h(b):
    return b.hex().upper()


def run(*args, ok=(0,)):
    p = subprocess.run([CARDWIRE, *args], capture_output=True, text=True)
    assert p.returncode in ok, (args, p.returncode, p.stderr)
    return p.stdout.strip()


def sm3_hex(b):
    return sm3.sm3_hash(list(b)).upper()


def sm4_ecb(key, data, encrypt=True):
    c = sm4.CryptSM4(padding_mode=None)
    c.set_key(key, sm4.SM4_ENCRYPT if encrypt else sm4.SM4_DECRYPT)
    return c.crypt_ecb(data)


def sm4_cbc(key, iv, data):
    out, chain = b"", iv
    for i in range(0, len(data), 16):
        chain = sm4_ecb(key, bytes(a ^ b for a, b in zip(data[i : i + 16], chain)))
        out += chain
    return out


def gm(d_hex, mode=1):
    """A gmssl key object; gmssl strips a leading "04" with lstrip, so pass x ‖ y bare."""
    public = gm_public(d_hex)
    return sm2.CryptSM2(private_key=d_hex, public_key=public, mode=mode)


def gm_public(d_hex):
    c = sm2.CryptSM2(private_key=d_hex, public_key="00" * 64)
    return c._kg(int(d_hex, 16), G)


def za(public_xy, ident=b"1234567812345678"):
    t = sm2.default_ecc_table
    z = (len(ident) * 8).to_bytes(2, "big") + ident
    z += bytes.fromhex(t["a"] + t["b"] + t["g"] + public_xy)
    return sm3_hex(z)


def key_from(label):
    """A private key in [1, n - 2] from a label, so the file can be remade with the same keys."""
    d = int(hashlib.sha256(label.encode()).hexdigest(), 16) % (N - 2) + 1
    return "%064X" % d


vectors = []


def add(**v):
    vectors.append(v)


# --- SM4, GB/T 32907-2016 Appendix A ------------------------------------------------------
K = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
one = sm4_ecb(K, K)
assert h(one) == "681EDF34D206965E86B3E94F536E4246"
add(id="sm4-gbt32907-a1", kind="sm4-ecb", key=h(K), plaintext=h(K), ciphertext=h(one),
    source="GB/T 32907-2016 Appendix A example 1; " + GMSSL)
block = K
c = sm4.CryptSM4(padding_mode=None)
c.set_key(K, sm4.SM4_ENCRYPT)
for _ in range(1_000_000):
    block = bytes(c.one_round(c.sk, list(block)))
assert h(block) == "595298C7C6FD271F0402F804C33D3F66"
add(id="sm4-gbt32907-a2", kind="sm4-ecb-iterated", key=h(K), plaintext=h(K), iterations=1000000,
    ciphertext=h(block), source="GB/T 32907-2016 Appendix A example 2; " + GMSSL)

# SM4-CBC, CBC-MAC, CMAC, PIN block and field 62: no published SM4 examples; computed with
# gmssl's SM4 (and OpenSSL where it has the mode).
iv = bytes(range(16))
plain = bytes(range(0x20, 0x60))
add(id="sm4-cbc-gmssl", kind="sm4-cbc", key=h(K), iv=h(iv), plaintext=h(plain),
    ciphertext=h(sm4_cbc(K, iv, plain)), source="computed with gmssl SM4 (CBC chained here); " + GMSSL)

for i, (data, pad) in enumerate([(b"", 1), (bytes(range(16)), 1), (bytes(range(20)), 1),
                                 (bytes(range(20)), 2), (bytes(range(32)), 2), (bytes(range(5)), 3)]):
    if pad == 1:
        padded = data + bytes(-len(data) % 16) if data else bytes(16)
    elif pad == 2:
        padded = data + b"\x80" + bytes(-(len(data) + 1) % 16)
    else:
        padded = (len(data) * 8).to_bytes(16, "big") + data + bytes(-len(data) % 16)
    mac = sm4_cbc(K, bytes(16), padded)[-16:]
    add(id=f"sm4-cbcmac-{i}", kind="sm4-cbc-mac", key=h(K), padding=pad, data=h(data), mac=h(mac),
        source="GB/T 15852.1 MAC algorithm 1 with SM4, computed with gmssl SM4; " + GMSSL)

if shutil.which("openssl"):
    for i, data in enumerate([b"", bytes(range(16)), bytes(range(40))]):
        mac = subprocess.run(["openssl", "mac", "-cipher", "SM4-CBC", "-macopt", "hexkey:" + h(K), "CMAC"],
                             input=data, capture_output=True, check=True).stdout.decode().strip()
        add(id=f"sm4-cmac-{i}", kind="sm4-cmac", key=h(K), data=h(data), mac=mac.upper(),
            source="computed with OpenSSL 3 (openssl mac -cipher SM4-CBC CMAC)")

# HMAC-SM3: Python's hmac over gmssl's SM3, and OpenSSL.
class GmSm3:
    digest_size, block_size, name = 32, 64, "sm3"

    def __init__(self, data=b""):
        self.buf = bytes(data)

    def update(self, data):
        self.buf += data

    def digest(self):
        return bytes.fromhex(sm3.sm3_hash(list(self.buf)))

    def hexdigest(self):
        return self.digest().hex()

    def copy(self):
        return GmSm3(self.buf)


for i, (key, data) in enumerate([(b"key", b"data"), (bytes(range(64)), b"abc"),
                                 (bytes(range(100)), bytes(range(200)))]):
    tag = hmac.new(key, data, GmSm3).hexdigest().upper()
    if shutil.which("openssl"):
        ossl = subprocess.run(["openssl", "mac", "-digest", "SM3", "-macopt", "hexkey:" + h(key), "HMAC"],
                              input=data, capture_output=True, check=True).stdout.decode().strip()
        assert ossl.upper() == tag, (ossl, tag)
    add(id=f"hmac-sm3-{i}", kind="hmac-sm3", key=h(key), data=h(data), mac=tag,
        source="RFC 2104 HMAC over gmssl SM3 (Python hmac), and OpenSSL 3; " + GMSSL)

# ISO 9564-1 format 4 structure under SM4.
for i, (pin, pan, fill) in enumerate([("1234", "4111111111111111", "2F69ADDE2E9E7ACE"),
                                      ("123456789012", "6222021234567890123", "0011223344556677")]):
    field = bytes.fromhex(("4%X%s" % (len(pin), pin)).ljust(16, "A") + fill)
    m = max(len(pan) - 12, 0)
    pan_field = bytes.fromhex((("%X" % m) + pan.rjust(12, "0")).ljust(32, "0"))
    block = sm4_ecb(K, bytes(a ^ b for a, b in zip(sm4_ecb(K, field), pan_field)))
    add(id=f"sm4-pin-{i}", kind="sm4-pin-block", key=h(K), pin=pin, pan=pan, fill=fill,
        pin_field=h(field), block=h(block),
        source="ISO 9564-1 format 4 construction with SM4, computed with gmssl SM4; " + GMSSL)

# CUPS field 62 under an SM4 master key.
tmk = bytes.fromhex("1F2E3D4C5B6A79880123456789ABCDEF")
keys = [bytes.fromhex(x) for x in ("00112233445566778899AABBCCDDEEFF",
                                   "FEDCBA98765432100123456789ABCDEF",
                                   "A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8")]
for n in (2, 3):
    f62 = b"".join(sm4_ecb(tmk, k) + sm4_ecb(k, bytes(16))[:4] for k in keys[:n])
    add(id=f"sm4-field62-{n}", kind="sm4-field62", tmk=h(tmk), pik=h(keys[0]), mak=h(keys[1]),
        tdk=h(keys[2]) if n == 3 else None, field62=h(f62),
        source="CUPS field 62 layout with SM4 (ECB key, 4-byte check value), computed with gmssl SM4; " + GMSSL)

# --- SM3, GB/T 32905-2016 Appendix A --------------------------------------------------------
for name, msg, digest in [("a1", b"abc", "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0"),
                          ("a2", b"abcd" * 16, "DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293DCBA39C0C5732")]:
    assert sm3_hex(msg) == digest
    add(id=f"sm3-gbt32905-{name}", kind="sm3", data=h(msg), digest=digest,
        source=f"GB/T 32905-2016 Appendix A example {name[1]}; " + GMSSL)

# --- SM2, GB/T 32918.5-2017 (GM/T 0003.5-2012) annex examples on the recommended curve --------
D = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
KA = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
pub = gm_public(D).upper()
assert pub == ("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
               "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
z = za(pub)
assert z == "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
e = gm(D)._sm3_z(b"message digest").upper()
assert e == "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
sig = gm(D).sign_with_sm3(b"message digest", KA).upper()
assert sig == ("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
               "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
add(id="sm2-gbt32918.5-sign", kind="sm2-sign-known-k", private=D, public="04" + pub,
    user_id="1234567812345678", message=h(b"message digest"), za=z, e=e, k=KA, signature=sig,
    source="GB/T 32918.5-2017 / GM/T 0003.5-2012 signature example (recommended curve); " + GMSSL)

func.random_hex = lambda _n: KA.lower()
ct = gm(D, mode=1).encrypt(b"encryption standard")
expected = ("04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
            "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
            "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
            "21886CA989CA9C7D58087307CA93092D651EFA")
assert h(ct) == expected
func.random_hex = lambda n: "".join(secrets.choice("0123456789abcdef") for _ in range(n))
add(id="sm2-gbt32918.5-encrypt", kind="sm2-encrypt-known-k", private=D, public="04" + pub,
    message=h(b"encryption standard"), k=KA, ciphertext="04" + expected,
    source="GB/T 32918.5-2017 / GM/T 0003.5-2012 encryption example, C1 ‖ C3 ‖ C2 (recommended curve); " + GMSSL)

# --- SM2 across implementations -------------------------------------------------------------
messages = [b"", b"abc", bytes(range(64)), b"\x5a" * 1000]
for i, msg in enumerate(messages):
    d = key_from(f"cardwire sm2 gmssl signs {i}")
    pub = gm_public(d).upper()
    s = gm(d).sign_with_sm3(msg).upper()
    assert gm(d).verify_with_sm3(s, msg)
    # and ours accepts it
    assert json.loads(run("sm2", "verify", "--public", "04" + pub, "--data", h(msg),
                          "--signature", s)) == {"valid": True}
    add(id=f"sm2-gmssl-signed-{i}", kind="sm2-verify", public="04" + pub, user_id="1234567812345678",
        message=h(msg), signature=s, valid=True, source="signed by gmssl, verified by cardwire; " + GMSSL)

for i, msg in enumerate(messages):
    d = key_from(f"cardwire sm2 cardwire signs {i}")
    pub = gm_public(d).upper()
    s = run("sm2", "sign", "--private", d, "--data", h(msg))
    assert gm(d).verify_with_sm3(s.lower(), msg), (i, s)
    add(id=f"sm2-cardwire-signed-{i}", kind="sm2-verify", public="04" + pub, user_id="1234567812345678",
        message=h(msg), signature=s, valid=True, source="signed by cardwire, verified by gmssl; " + GMSSL)

# Other identifiers: gmssl fixes the default ID in sign_with_sm3, so sign e directly.
for i, ident in enumerate([b"ALICE123@YAHOO.COM", b"terminal-12345678"]):
    d = key_from(f"cardwire sm2 id {i}")
    pub = gm_public(d).upper()
    msg = b"remote key download"
    e_hex = sm3_hex(bytes.fromhex(za(pub, ident)) + msg)
    s = gm(d).sign(bytes.fromhex(e_hex), func.random_hex(64)).upper()
    assert json.loads(run("sm2", "verify", "--public", "04" + pub, "--data", h(msg), "--signature", s,
                          "--id", ident.decode())) == {"valid": True}
    assert json.loads(run("sm2", "verify", "--public", "04" + pub, "--data", h(msg), "--signature", s,
                          ok=(1,))) == {"valid": False}
    add(id=f"sm2-gmssl-signed-id-{i}", kind="sm2-verify", public="04" + pub, user_id=ident.decode(),
        message=h(msg), signature=s, valid=True,
        source="signed by gmssl over its own Z_A with this identifier, verified by cardwire; " + GMSSL)

for i, msg in enumerate([b"\x01", bytes(range(16)), bytes(range(33)), b"\xa5" * 300]):
    d = key_from(f"cardwire sm2 gmssl encrypts {i}")
    pub = gm_public(d).upper()
    for mode, kind in [(1, "sm2-decrypt"), (0, "sm2-decrypt-c1c2c3")]:
        c = "04" + h(gm(d, mode=mode).encrypt(msg))
        if mode == 1:
            assert run("sm2", "decrypt", "--private", d, "--data", c) == h(msg)
        add(id=f"sm2-gmssl-encrypted-{i}-{'c1c3c2' if mode else 'c1c2c3'}", kind=kind, private=d,
            public="04" + pub, message=h(msg), ciphertext=c,
            source="encrypted by gmssl (mode=%d), decrypted by cardwire; %s" % (mode, GMSSL))

for i, msg in enumerate([b"\x01", bytes(range(16)), bytes(range(33)), b"\xa5" * 300]):
    d = key_from(f"cardwire sm2 cardwire encrypts {i}")
    pub = gm_public(d).upper()
    c = run("sm2", "encrypt", "--public", "04" + pub, "--data", h(msg))
    raw = bytes.fromhex(c)
    assert raw[0] == 4
    plain = gm(d, mode=1).decrypt(raw[1:])
    assert plain == msg, i
    # gmssl does not check C3 itself: do it with its SM3 and [d]C1.
    xy = sm2.CryptSM2(private_key=d, public_key="00" * 64)._kg(int(d, 16), raw[1:65].hex())
    assert sm3_hex(bytes.fromhex(xy[:64]) + msg + bytes.fromhex(xy[64:])) == h(raw[65:97])
    add(id=f"sm2-cardwire-encrypted-{i}", kind="sm2-decrypt", private=d, public="04" + pub,
        message=h(msg), ciphertext=c, source="encrypted by cardwire, decrypted by gmssl (mode=1); " + GMSSL)

json.dump({
    "description": "国密 vectors: SM4 (GB/T 32907), SM3 (GB/T 32905), SM2 (GB/T 32918) and their payment "
                   "uses (SM4 MACs, HMAC-SM3, format 4 PIN blocks under SM4, CUPS field 62 under SM4), each "
                   "with its source. Made by spec-vectors/tools/sm_gmssl.py.",
    "vectors": vectors,
}, sys.stdout, indent=1, ensure_ascii=False)
print()
