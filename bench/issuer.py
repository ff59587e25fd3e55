#!/usr/bin/python3
"""A minimal issuer for the HTTP benchmarks: serves discovery and a JWKS for one RS256 key and
writes two tokens (with and without read:messages) minted by PyJWT, an implementation independent
of ours. With a fourth argument N it also writes N distinct tokens (read:messages, one per line)
to "tokens_many". With DPOP_URL and DPOP_PROOFS=N in the environment it also writes "token_dpop",
bound to a fresh ES256 key (cnf.jkt, RFC 9449 §6.1), and N distinct proofs of that key for GET
DPOP_URL with that token's ath, one per line, to "dpop_proofs". Loopback only."""
import base64
import hashlib
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
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


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


if os.environ.get("DPOP_PROOFS"):
    proof_key = ec.generate_private_key(ec.SECP256R1())
    numbers = proof_key.public_key().public_numbers()
    # RFC 7518 §6.2.1.2: coordinates are exactly 32 bytes (Debian's PyJWT would drop zero bytes).
    proof_jwk = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
                 "y": b64url(numbers.y.to_bytes(32, "big"))}
    canonical = json.dumps(proof_jwk, separators=(",", ":"), sort_keys=True)  # RFC 7638
    claims = {"iss": issuer, "sub": "bench@clients", "aud": audience, "iat": now,
              "exp": now + 86400, "scope": "read:messages", "gty": "client-credentials",
              "azp": "bench", "cnf": {"jkt": b64url(hashlib.sha256(canonical.encode()).digest())}}
    bound = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench-1"})
    with open(f"{out_dir}/token_dpop", "w") as f:
        f.write(bound)
    ath = b64url(hashlib.sha256(bound.encode()).digest())
    with open(f"{out_dir}/dpop_proofs", "w") as f:
        for i in range(int(os.environ["DPOP_PROOFS"])):
            proof = {"jti": f"bench-{i}", "htm": "GET", "htu": os.environ["DPOP_URL"], "iat": now,
                     "ath": ath}
            f.write(jwt.encode(proof, proof_key, algorithm="ES256",
                               headers={"typ": "dpop+jwt", "jwk": proof_jwk}) + "\n")


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
