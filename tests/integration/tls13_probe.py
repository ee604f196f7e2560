#!/usr/bin/env python3
"""tls13_probe.py: a minimal TLS 1.3 client that does what real clients will
not, to see how the server answers (python3-cryptography; test_tls_conformance.sh).

  tls13_probe.py PORT cv SCHEME CERT_CHAIN KEY
      a full handshake with a client certificate whose CertificateVerify uses
      SCHEME (hex, e.g. 0403) whatever the server asked for, then a request.
  tls13_probe.py PORT big-hello LENGTH
      a ClientHello in one record of LENGTH bytes (padding extension).

Prints what came back: "http STATUS", "alert NAME", or "closed".
Only TLS_AES_128_GCM_SHA256 and X25519: enough for a probe."""
import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALERTS = {0: "close notify", 10: "unexpected message", 20: "bad record mac",
          22: "record overflow", 40: "handshake failure", 42: "bad certificate",
          43: "unsupported certificate", 47: "illegal parameter", 48: "unknown ca",
          50: "decode error", 51: "decrypt error", 70: "protocol version",
          80: "internal error", 86: "inappropriate fallback", 109: "missing extension",
          116: "certificate required"}


def u16(n):
    return struct.pack(">H", n)


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return u16(len(b)) + b


def vec24(b):
    return struct.pack(">I", len(b))[1:] + b


def ext(t, body):
    return u16(t) + vec16(body)


def client_hello(pub, pad_to=0):
    exts = (ext(43, vec8(b"\x03\x04")) + ext(10, vec16(b"\x00\x1d")) +
            ext(51, vec16(b"\x00\x1d" + vec16(pub))) +
            ext(13, vec16(b"\x04\x03\x05\x03\x08\x04\x08\x05\x08\x06")))
    body = b"\x03\x03" + os.urandom(32) + vec8(os.urandom(32)) + vec16(b"\x13\x01") + b"\x01\x00"
    if pad_to:
        # record = 5 + 4 (handshake header) + body + 2 (ext length) + exts + 4 + padding
        n = pad_to - (4 + len(body) + 2 + len(exts) + 4)
        exts += ext(21, b"\x00" * max(n, 0))
    return b"\x01" + vec24(body + vec16(exts))


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret, label, ctx, n):
    info = u16(n) + vec8(b"tls13 " + label) + vec8(ctx)
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def derive(secret, label, transcript):
    return hkdf_expand_label(secret, label, hashlib.sha256(transcript).digest(), 32)


class Keys:
    def __init__(self, secret):
        self.aead = AESGCM(hkdf_expand_label(secret, b"key", b"", 16))
        self.iv = hkdf_expand_label(secret, b"iv", b"", 12)
        self.seq = 0

    def nonce(self):
        n = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        self.seq += 1
        return n


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def record(self):
        """(type, body) of the next record, or None at EOF."""
        while len(self.buf) < 5 or len(self.buf) < 5 + struct.unpack(">H", self.buf[3:5])[0]:
            try:
                d = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                d = b""
            if not d:
                return None
            self.buf += d
        n = struct.unpack(">H", self.buf[3:5])[0]
        r = (self.buf[0], self.buf[5:5 + n])
        self.buf = self.buf[5 + n:]
        return r

    def send_plain(self, typ, body):
        self.s.sendall(bytes([typ]) + b"\x03\x03" + vec16(body))

    def send_enc(self, keys, typ, body):
        inner = body + bytes([typ])
        hdr = b"\x17\x03\x03" + u16(len(inner) + 16)
        self.s.sendall(hdr + keys.aead.encrypt(keys.nonce(), inner, hdr))


def verdict_of(typ, body):
    if typ == 21 and len(body) >= 2:
        return "alert " + ALERTS.get(body[1], str(body[1]))
    return None


def big_hello(port, length):
    c = Conn(port)
    pub = x25519.X25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    c.send_plain(22, client_hello(pub, length))
    while True:
        r = c.record()
        if r is None:
            return "closed"
        v = verdict_of(*r)
        if v:
            return v
        if r[0] == 22:
            return "handshake continues (ServerHello)"


def decrypt(keys, body):
    hdr = b"\x17\x03\x03" + u16(len(body))
    inner = keys.aead.decrypt(keys.nonce(), body, hdr).rstrip(b"\x00")
    return inner[-1], inner[:-1]


def cv(port, scheme, chain_pem, key_pem):
    scheme = bytes.fromhex(scheme)
    with open(chain_pem, "rb") as f:
        pem = f.read()
    # one at a time: Debian 12's python3-cryptography (38) has no
    # load_pem_x509_certificates
    end = b"-----END CERTIFICATE-----"
    certs = [x509.load_pem_x509_certificate(block + end)
             for block in pem.split(end) if b"-----BEGIN CERTIFICATE-----" in block]
    with open(key_pem, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    c = Conn(port)
    priv = x25519.X25519PrivateKey.generate()
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ch = client_hello(pub)
    c.send_plain(22, ch)
    r = c.record()
    if r is None:
        return "closed"
    if verdict_of(*r):
        return verdict_of(*r)
    sh = r[1]
    transcript = ch + sh
    # ServerHello: type, len(3), version(2), random(32), session id, suite(2), comp(1), exts
    p = 4 + 2 + 32
    p += 1 + sh[p]
    p += 3
    exts, end = p + 2, p + 2 + struct.unpack(">H", sh[p:p + 2])[0]
    server_pub = None
    while exts < end:
        t, n = struct.unpack(">HH", sh[exts:exts + 4])
        if t == 51:
            server_pub = sh[exts + 8:exts + 8 + struct.unpack(">H", sh[exts + 6:exts + 8])[0]]
        exts += 4 + n
    shared = priv.exchange(x25519.X25519PublicKey.from_public_bytes(server_pub))
    early = hkdf_extract(b"\x00" * 32, b"\x00" * 32)
    hs = hkdf_extract(derive(early, b"derived", b""), shared)
    c_hs, s_hs = derive(hs, b"c hs traffic", transcript), derive(hs, b"s hs traffic", transcript)
    master = hkdf_extract(derive(hs, b"derived", b""), b"\x00" * 32)
    skeys, ckeys = Keys(s_hs), Keys(c_hs)
    # the server's encrypted flight, up to its Finished
    hsbuf, req_ctx, done = b"", b"", False
    while not done:
        r = c.record()
        if r is None:
            return "closed"
        if r[0] == 20:
            continue   # middlebox-compatibility ChangeCipherSpec
        if r[0] != 23:
            return verdict_of(*r) or "unexpected record %d" % r[0]
        typ, data = decrypt(skeys, r[1])
        if typ == 21:
            return verdict_of(typ, data)
        hsbuf += data
        while len(hsbuf) >= 4:
            n = struct.unpack(">I", b"\x00" + hsbuf[1:4])[0]
            if len(hsbuf) < 4 + n:
                break
            msg, hsbuf = hsbuf[:4 + n], hsbuf[4 + n:]
            if msg[0] == 13:
                req_ctx = msg[5:5 + msg[4]]
            transcript += msg
            if msg[0] == 20:
                done = True
    s_ap, c_ap = derive(master, b"s ap traffic", transcript), derive(master, b"c ap traffic", transcript)
    # our Certificate, CertificateVerify (with SCHEME, whatever was asked), Finished
    entries = b"".join(vec24(x.public_bytes(serialization.Encoding.DER)) + u16(0) for x in certs)
    cert_msg = b"\x0b" + vec24(vec8(req_ctx) + vec24(entries))
    transcript += cert_msg
    signed = b" " * 64 + b"TLS 1.3, client CertificateVerify\x00" + hashlib.sha256(transcript).digest()
    hash_of = {1: hashes.SHA1(), 2: hashes.SHA1(), 3: hashes.SHA224(), 4: hashes.SHA256(),
               5: hashes.SHA384(), 6: hashes.SHA512()}
    if scheme[1] == 3 and isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(signed, ec.ECDSA(hash_of[scheme[0]]))
    elif scheme[0] == 8 and isinstance(key, rsa.RSAPrivateKey):
        h = hash_of[scheme[1]]  # 0x0804..0x0806: SHA-256..512
        sig = key.sign(signed, padding.PSS(padding.MGF1(h), h.digest_size), h)
    elif scheme[1] == 1 and isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(signed, padding.PKCS1v15(), hash_of[scheme[0]])
    else:
        return "probe: scheme %s does not fit the key" % scheme.hex()
    cv_msg = b"\x0f" + vec24(scheme + vec16(sig))
    transcript += cv_msg
    fin_key = hkdf_expand_label(c_hs, b"finished", b"", 32)
    fin = b"\x14" + vec24(hmac.new(fin_key, hashlib.sha256(transcript).digest(), hashlib.sha256).digest())
    c.send_plain(20, b"\x01")
    c.send_enc(ckeys, 22, cert_msg + cv_msg + fin)
    # the verdict: an alert (under the server's application keys, which it
    # writes with after its Finished), or the answer to a request
    skeys = Keys(s_ap)
    c.send_enc(Keys(c_ap), 23, b"GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    while True:
        r = c.record()
        if r is None:
            return "closed"
        if r[0] != 23:
            return verdict_of(*r) or "unexpected record %d" % r[0]
        try:
            typ, data = decrypt(skeys, r[1])
        except Exception:
            return "undecryptable record"
        if typ == 21:
            return verdict_of(typ, data)
        if typ == 23 and data.startswith(b"HTTP/1.1 "):
            return "http " + data[9:12].decode()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "cv":
        print(cv(port, *sys.argv[3:6]))
    elif mode == "big-hello":
        print(big_hello(port, int(sys.argv[3])))
    else:
        sys.exit("usage: tls13_probe.py PORT cv SCHEME CHAIN KEY | PORT big-hello LENGTH")


if __name__ == "__main__":
    main()
