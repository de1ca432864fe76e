#!/usr/bin/env python3
"""The baseline: a TLS echo server on Python's ssl module (the same system OpenSSL), a thread per
connection, blocking recv(65536) / sendall: what a minimal OpenSSL echo server holds per connection."""
import argparse, socket, ssl, sys, threading

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, default=0)
p.add_argument("--cert", required=True)
p.add_argument("--key", required=True)
a = p.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)
srv = socket.create_server(("127.0.0.1", a.port), backlog=1024)
print(f"listening {srv.getsockname()[1]}", flush=True)


def echo(raw):
    try:
        with ctx.wrap_socket(raw, server_side=True) as s:
            while data := s.recv(65536):
                s.sendall(data)
    except (ssl.SSLError, OSError):
        pass


while True:
    raw, _ = srv.accept()
    threading.Thread(target=echo, args=(raw,), daemon=True).start()
