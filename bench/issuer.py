#!/usr/bin/python3
"""A minimal issuer for the HTTP benchmarks: serves discovery and a JWKS for one RS256 key and
writes two tokens (with and without read:messages) minted by PyJWT, an implementation independent
of ours. With a fourth argument N it also writes N distinct tokens (read:messages, one per line)
to "tokens_many". Loopback only."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

port, out_dir, audience = int(sys.argv[1]), sys.argv[2], sys.argv[3]
issuer = f"http://127.0.0.1:{port}/"
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
jwk.update(kid="bench-1", use="sig", alg="RS256")
now = int(time.time())
for name, scope in (("token_scoped", "read:messages"), ("token", "openid")):
    claims = {"iss": issuer, "sub": "bench@clients", "aud": audience, "iat": now,
              "exp": now + 86400, "scope": scope, "gty": "client-credentials", "azp": "bench"}
    with open(f"{out_dir}/{name}", "w") as f:
        f.write(jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench-1"}))
if len(sys.argv) > 4:
    with open(f"{out_dir}/tokens_many", "w") as f:
        for i in range(int(sys.argv[4])):
            claims = {"iss": issuer, "sub": f"bench-{i}@clients", "aud": audience, "iat": now,
                      "exp": now + 86400, "scope": "read:messages", "gty": "client-credentials",
                      "azp": f"bench-{i}", "jti": str(i)}
            f.write(jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench-1"}) + "\n")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        docs = {"/.well-known/openid-configuration": {"issuer": issuer,
                                                      "jwks_uri": issuer + ".well-known/jwks.json"},
                "/.well-known/jwks.json": {"keys": [jwk]}}
        if self.path not in docs:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(docs[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


with open(f"{out_dir}/issuer_ready", "w") as f:
    f.write(issuer)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
