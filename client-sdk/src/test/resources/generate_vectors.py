#!/usr/bin/env python3
"""Writes ciphertext-format-v1-vectors.json from docs/ciphertext-format.md alone.

An implementation of the Keyward ciphertext format v1 independent of the Java SDK
(Python 3 + the `cryptography` package), so that the vectors pin the spec, not
the SDK's reading of it. Deterministic: DEKs, nonces and salts come from fixed
labels. Run from this directory: python3 generate_vectors.py
"""
import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def det(label, n):
    """Deterministic test bytes: SHA-256 in counter mode over a label."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def derive(dek):
    return (hkdf(dek, None, b"keyward v1 aes-256-gcm key"),
            hkdf(dek, None, b"keyward v1 key commitment"))


def canonical(ctx):
    items = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in ctx.items())
    out = struct.pack(">H", len(items))
    for k, v in items:
        out += struct.pack(">H", len(k)) + k + struct.pack(">H", len(v)) + v
    return out


def header(alg, name, version, wrapped, commitment):
    n = name.encode("utf-8")
    return (bytes([1, alg, len(n)]) + n + struct.pack(">IH", version, len(wrapped))
            + wrapped + commitment)


def aad(alg, name, commitment, stream_fields, ctx):
    """Every header field except key version and wrapped DEK, then the canonical context."""
    n = name.encode("utf-8")
    return bytes([1, alg, len(n)]) + n + commitment + stream_fields + canonical(ctx)


def message(dek, name, version, wrapped, ctx, plaintext, prefix, index):
    k_msg, commitment = derive(dek)
    h = header(1, name, version, wrapped, commitment)
    nonce = prefix + struct.pack(">Q", index)
    return h + nonce + AESGCM(k_msg).encrypt(nonce, plaintext, aad(1, name, commitment, b"", ctx))


def stream(dek, name, version, wrapped, ctx, plaintext, seg, salt):
    k_msg, commitment = derive(dek)
    stream_fields = struct.pack(">I", seg) + salt
    h = header(2, name, version, wrapped, commitment) + stream_fields
    k_stream = hkdf(k_msg, salt, b"keyward v1 stream segment key")
    ad = aad(2, name, commitment, stream_fields, ctx)
    chunks = [plaintext[i:i + seg] for i in range(0, len(plaintext), seg)] or [b""]
    out = h
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        nonce = bytes(7) + struct.pack(">I", i) + (b"\x01" if last else b"\x00")
        out += AESGCM(k_stream).encrypt(nonce, chunk, ad)
    return out


def text(ct):
    return "kw1." + base64.urlsafe_b64encode(ct).decode().rstrip("=")


vectors = []


def add(comment, result, kind, dek, name, version, wrapped, ctx, plaintext, ct):
    k_msg, commitment = derive(dek)
    # The AAD a decoder builds from this ciphertext's header (meaningful for valid vectors).
    n = ct[2]
    w = int.from_bytes(ct[3 + n + 4:3 + n + 6], "big")
    after_wrapped = 3 + n + 6 + w
    tail = ct[after_wrapped:after_wrapped + (32 + 36 if kind == "stream" else 32)]
    associated = ct[:3 + n] + tail + canonical(ctx)
    v = {
        "id": len(vectors) + 1, "comment": comment, "result": result, "kind": kind,
        "dek": dek.hex(), "keyName": name, "keyVersion": version, "wrappedDek": wrapped.hex(),
        "context": ctx, "canonicalContext": canonical(ctx).hex(),
        "messageKey": k_msg.hex(), "commitment": commitment.hex(),
        "associatedData": associated.hex(),
        "plaintext": plaintext.hex(), "ciphertext": ct.hex(),
    }
    if kind == "message":
        v["text"] = text(ct)
    vectors.append(v)


dek1, dek2 = det("dek-1", 32), det("dek-2", 32)
w1 = det("wrapped-1", 60)
ctx2 = {"tenant": "acme", "a": ""}
pt2 = b"hello keyward"

ct = message(dek1, "payments", 1, w1, {}, b"", det("prefix-1", 4), 0)
add("empty plaintext, empty context", "valid", "message", dek1, "payments", 1, w1, {}, b"", ct)

ct2 = message(dek1, "payments", 1, w1, ctx2, pt2, det("prefix-1", 4), 1)
add("small context, message index 1", "valid", "message", dek1, "payments", 1, w1, ctx2, pt2, ct2)

ctx3 = {"\uff61": "halfwidth", "\U0001F600": "emoji", "\u00e9": "", "Z": "upper"}
pt3 = det("plaintext-3", 100)
w3 = det("wrapped-3", 97)
ct = message(dek2, "team/\u00fcber-key", 4000000000, w3, ctx3, pt3, det("prefix-3", 4), 41)
add("non-ASCII key name and context (UTF-8 byte order), version above 2^31", "valid", "message",
    dek2, "team/\u00fcber-key", 4000000000, w3, ctx3, pt3, ct)

name4 = "k" * 255
w4 = det("wrapped-4", 512)
pt4 = det("plaintext-4", 1024)
ct = message(dek2, name4, 2, w4, {"x": "y"}, pt4, det("prefix-4", 4), 0)
add("largest key name and wrapped DEK", "valid", "message", dek2, name4, 2, w4, {"x": "y"}, pt4, ct)

pt5 = det("plaintext-5", 2500)
salt5 = det("salt-5", 32)
ct5 = stream(dek1, "payments", 3, w1, ctx2, pt5, 1024, salt5)
add("stream, three segments, the last partial", "valid", "stream", dek1, "payments", 3, w1, ctx2,
    pt5, ct5)

pt6 = det("plaintext-6", 2048)
ct = stream(dek1, "payments", 3, w1, {}, pt6, 1024, det("salt-6", 32))
add("stream, two full segments", "valid", "stream", dek1, "payments", 3, w1, {}, pt6, ct)

ct = stream(dek2, "payments", 3, w1, {}, b"", 65536, det("salt-7", 32))
add("stream, empty plaintext (one 16-byte segment)", "valid", "stream", dek2, "payments", 3, w1,
    {}, b"", ct)

add("context differs (entry missing)", "invalid", "message", dek1, "payments", 1, w1,
    {"tenant": "acme"}, pt2, ct2)
bad = bytearray(ct2)
bad[-1] ^= 0x01
add("tag bit flipped", "invalid", "message", dek1, "payments", 1, w1, ctx2, pt2, bytes(bad))
add("a different DEK: the commitment does not match", "invalid", "message", dek2, "payments", 1,
    w1, ctx2, pt2, ct2)
bad = bytearray(ct2)
bad[0] = 0x02
add("unknown format version", "invalid", "message", dek1, "payments", 1, w1, ctx2, pt2, bytes(bad))

# Rewrap: only the key version and the wrapped DEK change; the payload bytes stay as they are.
w13 = det("wrapped-13", 77)
ct = message(dek1, "payments", 7, w13, ctx2, pt2, det("prefix-1", 4), 1)
assert ct[-(12 + len(pt2) + 16):] == ct2[-(12 + len(pt2) + 16):]
add("rewrapped: vector 2 with key version 7 and another wrapped DEK, same nonce and body",
    "valid", "message", dek1, "payments", 7, w13, ctx2, pt2, ct)
h2 = len(ct2) - (12 + len(pt2) + 16)
renamed = header(1, "paymentz", 1, w1, derive(dek1)[1]) + ct2[h2:]
add("key name changed (authenticated, unlike the version)", "invalid", "message", dek1,
    "paymentz", 1, w1, ctx2, pt2, renamed)
ct = stream(dek1, "payments", 9, w13, ctx2, pt5, 1024, salt5)
assert ct[-(2 * 1040 + 452 + 16):] == ct5[-(2 * 1040 + 452 + 16):]
add("rewrapped stream: vector 5 with key version 9 and another wrapped DEK", "valid", "stream",
    dek1, "payments", 9, w13, ctx2, pt5, ct)

h5 = len(ct5) - (2 * (1024 + 16) + (2500 - 2048 + 16))
segs = [ct5[h5:h5 + 1040], ct5[h5 + 1040:h5 + 2080], ct5[h5 + 2080:]]
add("stream, final segment dropped", "invalid", "stream", dek1, "payments", 3, w1, ctx2, pt5,
    ct5[:h5] + segs[0] + segs[1])
add("stream, first two segments swapped", "invalid", "stream", dek1, "payments", 3, w1, ctx2, pt5,
    ct5[:h5] + segs[1] + segs[0] + segs[2])
add("stream, a byte appended", "invalid", "stream", dek1, "payments", 3, w1, ctx2, pt5,
    ct5 + b"\x00")

with open("ciphertext-format-v1-vectors.json", "w", encoding="utf-8") as f:
    json.dump({"format": "keyward ciphertext v1", "spec": "docs/ciphertext-format.md",
               "generator": "client-sdk/src/test/resources/generate_vectors.py",
               "vectors": vectors}, f, indent=2, ensure_ascii=True)
    f.write("\n")
print(len(vectors), "vectors")
