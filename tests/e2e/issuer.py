"""A small OAuth 2.0 / OpenID issuer for signet's end-to-end tests.

Independent of signet on purpose: keys come from `cryptography`, tokens from PyJWT, and the
metadata is served by the standard library's http.server. It serves

  /.well-known/openid-configuration   {"issuer", "jwks_uri"} (or 404 when discovery is off)
  /.well-known/jwks.json              the public keys, each with kid, alg and use
  <jwks_path>                         the same keys, when the discovery document points elsewhere

counts the requests it gets per path (thread-safe), can add and rotate keys, set a Cache-Control
header, be stopped and restarted on the same port, and serve HTTPS with a certificate from its own
throw-away CA (ca.pem is written next to the server certificate).
"""

from __future__ import annotations

import base64
import collections
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

AUDIENCE = "https://quickstarts/api"
WELL_KNOWN_CONFIG = "/.well-known/openid-configuration"
WELL_KNOWN_JWKS = "/.well-known/jwks.json"
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _uint(n: int, length: int | None = None) -> bytes:
    length = length or max(1, (n.bit_length() + 7) // 8)
    return n.to_bytes(length, "big")


# RFC 7638 §3.2: the required members of each key type, the only ones a thumbprint hashes.
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"),
                      "RSA": ("e", "kty", "n")}


def jwk_of(key, *, private: bool = False) -> dict:
    """The JWK of a `cryptography` RSA, P-256 or Ed25519 key: its public members, and with
    `private` its private ones too. Built here rather than by PyJWT's to_jwk, which drops the
    leading zero bytes of P-256 members (one key in 128); RFC 7518 §6.2.1.2/§6.2.2.1 make them
    exactly 32 bytes, and signet rightly refuses shorter ones."""
    public = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(public, rsa.RSAPublicKey):
        nums = public.public_numbers()
        jwk = {"kty": "RSA", "n": b64url(_uint(nums.n)), "e": b64url(_uint(nums.e))}
        if private:
            p = key.private_numbers()
            jwk.update({name: b64url(_uint(getattr(p, attr))) for name, attr in
                        (("d", "d"), ("p", "p"), ("q", "q"), ("dp", "dmp1"), ("dq", "dmq1"),
                         ("qi", "iqmp"))})
        return jwk
    if isinstance(public, ec.EllipticCurvePublicKey):
        nums = public.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(_uint(nums.x, 32)),
               "y": b64url(_uint(nums.y, 32))}
        if private:
            jwk["d"] = b64url(_uint(key.private_numbers().private_value, 32))
        return jwk
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    if private:
        jwk["d"] = b64url(key.private_bytes(serialization.Encoding.Raw,
                                            serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption()))
    return jwk


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace; written here
    independently of signet's."""
    required = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


class Key:
    """One signing key: the private half for minting, the public half as a JWK."""

    def __init__(self, alg: str, kid: str | None = None):
        if alg not in ALGORITHMS:
            raise ValueError(f"unsupported algorithm {alg}")
        self.alg = alg
        self.kid = kid or f"{alg.lower()}-{uuid.uuid4().hex[:12]}"
        if alg in ("RS256", "PS256"):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
        self.public = self.private.public_key()

    def jwk(self) -> dict:
        return {**jwk_of(self.public), "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class TlsFiles:
    """A throw-away CA and a server certificate (by default for 127.0.0.1 and localhost), as PEM
    files: ca.pem, server.pem, server-key.pem."""

    def __init__(self, directory: str, names: tuple[str, ...] = ("localhost", "127.0.0.1")):
        os.makedirs(directory, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signet e2e test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        server_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = os.path.join(directory, "ca.pem")
        self.cert_file = os.path.join(directory, "server.pem")
        self.key_file = os.path.join(directory, "server-key.pem")
        with open(self.ca_file, "wb") as f:
            f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
        with open(self.cert_file, "wb") as f:
            f.write(server_cert.public_bytes(serialization.Encoding.PEM))
        with open(self.key_file, "wb") as f:
            f.write(server_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, issuer: "TestIssuer"):
        self.issuer = issuer
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # TLS handshakes happen here, on the request's own thread, so that a client that never
        # completes one cannot stall the accept loop.
        ctx = self.issuer._tls_context
        if ctx is None:
            return super().finish_request(request, client_address)
        try:
            request.settimeout(10)
            tls = ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.issuer._count("<tls handshake failed>")
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "signet-e2e-issuer"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: pytest shows failures, not traffic
        pass

    def _send(self, status: int, body: dict, cache_control: str | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        if cache_control:
            self.send_header("Cache-Control", cache_control)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def do_GET(self):
        issuer: TestIssuer = self.server.issuer
        path = self.path.split("?", 1)[0]
        issuer._count(path)
        if path == WELL_KNOWN_CONFIG:
            if not issuer.discovery:
                return self._send(404, {"error": "not_found"})
            return self._send(200, issuer.discovery_document())
        if path in (WELL_KNOWN_JWKS, issuer.jwks_path):
            if issuer.jwks_delay:
                time.sleep(issuer.jwks_delay)
            if issuer.jwks_status != 200:
                return self._send(issuer.jwks_status, {"error": "server_error"})
            return self._send(200, issuer.jwks(), issuer.cache_control)
        return self._send(404, {"error": "not_found"})


class TestIssuer:
    """The issuer: keys, metadata, counters and token minting."""

    __test__ = False  # not a pytest test class

    def __init__(self, tls_dir: str | None = None, algorithms=ALGORITHMS,
                 tls_names: tuple[str, ...] = ("localhost", "127.0.0.1")):
        self._lock = threading.Lock()
        self._counts: collections.Counter[str] = collections.Counter()
        self._keys: list[Key] = []
        self._current: dict[str, Key] = {}
        self.tls = TlsFiles(tls_dir, tls_names) if tls_dir else None
        self._tls_context = self.tls.server_context() if self.tls else None
        self.discovery = True           # serve the discovery document (else 404 it)
        self.discovery_issuer = None    # the issuer the document claims (default: ours)
        self.jwks_path = WELL_KNOWN_JWKS  # where the discovery document says the keys are
        self.jwks_uri = None  # when set, the discovery document's jwks_uri verbatim
        self.cache_control = None       # Cache-Control of the JWKS response
        self.jwks_status = 200          # anything else: the JWKS answers this status, no keys
        self.jwks_delay = 0.0           # seconds the JWKS response waits (a slow issuer)
        self.port = 0
        self._server = None
        self._thread = None
        for alg in algorithms:
            self.add_key(alg)

    # --- lifecycle

    def start(self) -> "TestIssuer":
        server = _Server(("127.0.0.1", self.port), _Handler, self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"issuer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops serving; the port is closed (connections are refused) until restart()."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self._thread.join(timeout=10)

    def restart(self) -> "TestIssuer":
        """Serves again on the same port, with the same keys."""
        self.stop()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._server is not None

    # --- URLs and documents

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """The issuer identifier, with its trailing slash, as in the tokens' iss."""
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    def url_of(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def discovery_document(self) -> dict:
        return {
            "issuer": self.discovery_issuer or self.url,
            "jwks_uri": self.jwks_uri or self.url_of(self.jwks_path),
            "token_endpoint": self.url_of("/oauth/token"),
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
        }

    def jwks(self) -> dict:
        with self._lock:
            return {"keys": [k.jwk() for k in self._keys]}

    # --- keys

    def add_key(self, alg: str) -> Key:
        """Publishes a new key (new kid) and makes it the one mint() uses for `alg`."""
        key = Key(alg)
        with self._lock:
            self._keys.append(key)
            self._current[alg] = key
        return key

    def rotate(self, alg: str, retire_old: bool = False) -> Key:
        """A new current key for `alg`; the old one stays published unless `retire_old`."""
        old = self.key(alg)
        new = self.add_key(alg)
        if retire_old:
            self.remove_key(old.kid)
        return new

    def remove_key(self, kid: str):
        with self._lock:
            self._keys = [k for k in self._keys if k.kid != kid]

    def key(self, alg: str) -> Key:
        with self._lock:
            return self._current[alg]

    @property
    def kids(self) -> list[str]:
        with self._lock:
            return [k.kid for k in self._keys]

    # --- counters

    def _count(self, path: str):
        with self._lock:
            self._counts[path] += 1

    def count(self, path: str) -> int:
        with self._lock:
            return self._counts[path]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    # --- tokens

    def claims(self, **overrides) -> dict:
        """Auth0-shaped access token claims for the quickstart API; None in overrides removes."""
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "e2e-client@clients",
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3600,
            "azp": "e2e-client",
            "gty": "client-credentials",
            "jti": uuid.uuid4().hex,
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def mint(self, alg: str = "RS256", claims: dict | None = None, kid: str | None = None,
             typ: str | None = "JWT", key: Key | None = None, headers: dict | None = None,
             with_kid: bool = True) -> str:
        """A signed JWT. `key` signs (default: the current key for alg); `kid` defaults to the
        signing key's kid (with_kid=False leaves it out); typ None leaves typ out."""
        key = key or self.key(alg)
        header = {"typ": typ or ""}  # PyJWT drops an empty typ
        if with_kid:
            header["kid"] = kid or key.kid
        if headers:
            header.update(headers)
        return jwt.encode(claims if claims is not None else self.claims(), key.private,
                          algorithm=alg, headers=header)


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free on 127.0.0.1 now that this process has never handed out before. The kernel
    may give the same port to two binds in a row once the first socket is closed, so without the
    set a server's --listen and --metrics-listen (taken one after the other) could be the same
    port, which serve refuses (seen once in CI; the suite takes thousands of pairs)."""
    for _ in range(1000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise AssertionError("no port this process has not handed out already in 1000 binds")


# --- forged tokens, built by hand where PyJWT (rightly) refuses to help


def unsigned_token(claims: dict, signature: str = "") -> str:
    """alg "none": header.payload. with an empty (or the given) signature segment."""
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}.{signature}"


def hs256_confused_token(claims: dict, key: Key) -> str:
    """The algorithm-confusion attack: HS256 with the issuer's public key PEM as the HMAC secret.
    PyJWT refuses to use a PEM as an HMAC secret, so this is built with hmac."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def tamper_payload(token: str, **changes) -> str:
    """The same header and signature over a payload with `changes` applied."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64url_json(claims)}.{signature}"


def truncate_signature(token: str, drop_bytes: int = 1) -> str:
    """The same token with the last `drop_bytes` bytes of its signature removed (canonically
    re-encoded, so that only the length is wrong)."""
    signing_input, _, signature = token.rpartition(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return f"{signing_input}.{b64url(raw[:-drop_bytes])}"
