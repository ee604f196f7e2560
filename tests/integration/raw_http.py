#!/usr/bin/env python3
"""raw_http.py PORT CERT KEY CA [WAIT]: send stdin as it is over mutual TLS to
127.0.0.1:PORT, then read until the server closes or WAIT seconds pass.

Prints one line: the status codes of every answer seen (space-separated),
"closed" or "open", and the seconds from the last byte sent to the close (or
to WAIT), e.g. "400|closed|0.01". Used by test_http_limits.sh to show that a
refused request gets one answer and the connection is closed at once (no
second answer from bytes a lenient parser would take for another request).
The whole answer goes to the file named by RAW_HTTP_OUT, when set."""
import os
import re
import socket
import ssl
import sys
import time


def answers(got):
    """The status codes of the answers in got, one after the other, each
    head followed by Content-Length bytes of body (every answer of ours has
    one); what does not parse as an answer ends the list with "junk"."""
    codes = []
    while got:
        m = re.match(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n", got)
        if not m:
            codes.append(b"junk")
            break
        codes.append(m.group(1))
        cl = re.search(rb"(?im)^content-length: *(\d+)\r$", m.group(2))
        n = int(cl.group(1)) if cl else 0
        got = got[m.end() + n:]
    return codes


def main():
    port, cert, key, ca = sys.argv[1:5]
    wait = float(sys.argv[5]) if len(sys.argv) > 5 else 3.0
    data = sys.stdin.buffer.read()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10 * wait)
    s = ctx.wrap_socket(raw)
    got = b""
    closed = False
    try:
        s.sendall(data)
    except (ssl.SSLError, OSError):
        closed = True   # the server answered and closed before taking it all
    sent = time.monotonic()
    deadline = sent + wait
    while not closed:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except (ssl.SSLError, OSError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        got += chunk
    took = min(time.monotonic(), deadline) - sent
    s.close()
    if os.environ.get("RAW_HTTP_OUT"):
        with open(os.environ["RAW_HTTP_OUT"], "wb") as f:
            f.write(got)
    codes = answers(got)
    print("%s|%s|%.2f" % (" ".join(c.decode() for c in codes),
                          "closed" if closed else "open", took))


if __name__ == "__main__":
    main()
