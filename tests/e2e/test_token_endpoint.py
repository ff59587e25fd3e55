"""End-to-end tests of POST /oauth/token on a real `signet serve`: the client_credentials grant,
client authentication (client_secret_post and client_secret_basic, form and JSON bodies), the
tokens it issues (checked with PyJWT against the served JWKS), every request error with its status
and RFC 6749 §5.2 body, admin changes reaching the running server, and hostile input.
"""

from __future__ import annotations

import base64
import http.client
import json
import shlex
import socket
import time
import urllib.parse

import jwt
import pytest

from conftest import HTTP_TIMEOUT
from serve_fixtures import (Tenant, assert_no_store, assert_oauth_error, assert_token_response,
                            client_credentials, module_serve, unverified,  # noqa: F401
                            verify_with_jwks, wait_for_status)

LIFETIME = 3600
SCOPES = ("read:messages", "write:messages")
GRANT_NOT_ALLOWED = "Grant type 'password' not allowed for the client."
CLAIMS = {"iss", "sub", "aud", "iat", "exp", "azp", "scope", "gty", "jti"}


class Setup:
    """One server with an API, a client pinned to client_secret_post and one pinned to
    client_secret_basic, both granted every scope of the API. (A client made with defaults takes
    either: tests/e2e/test_client_authentication.py.)"""

    def __init__(self, server):
        self.server = server
        self.tenant = Tenant(server)
        self.api = self.tenant.api(scopes=SCOPES, lifetime=LIFETIME)
        self.audience = self.api["identifier"]
        self.post_client = self.tenant.client(auth_method="client_secret_post")
        self.tenant.grant(self.post_client, self.audience, SCOPES)
        self.basic_client = self.tenant.client(auth_method="client_secret_basic")
        self.tenant.grant(self.basic_client, self.audience, SCOPES)
        self.tenant.sync()

    def form(self, **params) -> dict:
        """A client_credentials form of the post client, with `params` added (None removes)."""
        data = {"grant_type": "client_credentials", "audience": self.audience,
                **self.post_client.creds(), **params}
        return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve())


def check_token_claims(s: Setup, token: str, client_id: str, scope: str, typ: str = "JWT",
                       audience: str | None = None, lifetime: int = LIFETIME) -> dict:
    header, _ = unverified(token)
    assert header["typ"] == typ
    jwks = s.server.jwks()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = verify_with_jwks(token, jwks, audience or s.audience, s.server.issuer)
    assert claims["iss"] == s.server.issuer and claims["iss"].endswith("/")
    assert claims["sub"] == f"{client_id}@clients"
    assert claims["aud"] == (audience or s.audience)
    assert claims["azp"] == client_id
    assert claims["scope"] == scope
    assert claims["gty"] == "client-credentials"
    assert claims["exp"] - claims["iat"] == lifetime
    assert abs(claims["iat"] - time.time()) < 60
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    return claims


# --- client_credentials: successful requests


def test_form_body_with_client_secret_post(s):
    body = assert_token_response(s.server.token(s.form()))
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["expires_in"] == LIFETIME
    assert body["scope"] == " ".join(SCOPES)
    claims = check_token_claims(s, body["access_token"], s.post_client.client_id,
                                " ".join(SCOPES))
    assert set(claims) == CLAIMS


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON"])
def test_json_body_with_client_secret_post(s, content_type):
    res = s.server.token(data=json.dumps(s.form()), headers={"Content-Type": content_type})
    body = assert_token_response(res)
    assert body["expires_in"] == LIFETIME
    check_token_claims(s, body["access_token"], s.post_client.client_id, " ".join(SCOPES))


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_http_basic_client_secret_basic(s, encoding):
    params = {"grant_type": "client_credentials", "audience": s.audience}
    headers = s.basic_client.basic()
    res = (s.server.token(params, headers=headers) if encoding == "form"
           else s.server.token(json=params, headers=headers))
    body = assert_token_response(res)
    check_token_claims(s, body["access_token"], s.basic_client.client_id, " ".join(SCOPES))


def test_basic_credentials_are_form_urlencoded_before_base64(s):
    # RFC 6749 §2.3.1: a client may percent-encode every byte of id and secret.
    client = s.basic_client
    encoded = ":".join("".join(f"%{b:02X}" for b in part.encode())
                       for part in (client.client_id, client.client_secret))
    header = "Basic " + base64.b64encode(encoded.encode()).decode()
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience},
                         headers={"Authorization": header})
    assert_token_response(res)


def test_basic_client_id_may_be_repeated_in_the_body(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience,
                          "client_id": s.basic_client.client_id}, headers=s.basic_client.basic())
    assert_token_response(res)


def test_resource_instead_of_audience(s):
    body = assert_token_response(s.server.token(s.form(audience=None, resource=s.audience)))
    check_token_claims(s, body["access_token"], s.post_client.client_id, " ".join(SCOPES))


def test_audience_and_resource_naming_different_apis(s):
    res = s.server.token(s.form(resource="https://other.example/"))
    assert_oauth_error(res, 400, "invalid_target")


def test_rfc9068_profile_has_at_jwt_type_and_client_id(s):
    api = s.tenant.api(scopes=("read:messages",), profile="rfc9068", lifetime=600)
    client = s.tenant.client()
    s.tenant.grant(client, api["identifier"], ("read:messages",))
    s.tenant.sync()
    body = assert_token_response(client_credentials(s.server, client, api["identifier"]))
    assert body["expires_in"] == 600
    claims = check_token_claims(s, body["access_token"], client.client_id, "read:messages",
                                typ="at+jwt", audience=api["identifier"], lifetime=600)
    assert claims["client_id"] == client.client_id


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_signature_verifies_with_pyjwt_for_each_algorithm(s, alg):
    api, client = s.tenant.m2m(scopes=("read:messages",), alg=alg)
    s.tenant.sync()
    body = assert_token_response(client_credentials(s.server, client, api["identifier"]))
    header, _ = unverified(body["access_token"])
    assert header["alg"] == alg
    jwks = s.server.jwks()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert jwk["alg"] == alg and jwk["use"] == "sig"
    claims = verify_with_jwks(body["access_token"], jwks, api["identifier"], s.server.issuer)
    assert claims["sub"] == f"{client.client_id}@clients"
    # And a flipped signature byte is refused by the same independent validator.
    head, payload, sig = body["access_token"].split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    forged = f"{head}.{payload}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"
    with pytest.raises(jwt.InvalidSignatureError):
        verify_with_jwks(forged, jwks, api["identifier"], s.server.issuer)


def test_every_token_has_its_own_jti(s):
    jtis = set()
    for _ in range(5):
        body = assert_token_response(s.server.token(s.form()))
        jtis.add(unverified(body["access_token"])[1]["jti"])
    assert len(jtis) == 5


def test_requested_subset_of_the_granted_scopes(s):
    body = assert_token_response(s.server.token(s.form(scope="write:messages")))
    assert body["scope"] == "write:messages"
    assert unverified(body["access_token"])[1]["scope"] == "write:messages"


def test_scope_beyond_the_grant_is_invalid_scope(s):
    res = s.server.token(s.form(scope="read:messages delete:messages"))
    assert_oauth_error(res, 400, "invalid_scope", contains="delete:messages")


# --- request errors


def test_missing_grant_type(s):
    assert_oauth_error(s.server.token(s.form(grant_type=None)), 400, "invalid_request",
                       contains="grant_type")


def test_unknown_grant_type(s):
    res = s.server.token(s.form(grant_type="urn:ietf:params:oauth:grant-type:device_code"))
    assert_oauth_error(res, 400, "unsupported_grant_type", contains="authorization_code")


def test_text_plain_body_is_invalid_request(s):
    res = s.server.token(data=urllib.parse.urlencode(s.form()),
                         headers={"Content-Type": "text/plain"})
    assert_oauth_error(res, 400, "invalid_request", contains="text/plain")


def test_no_body_is_invalid_request(s):
    assert_oauth_error(s.server.post("/oauth/token"), 400, "invalid_request")


def test_repeated_form_parameter(s):
    body = urllib.parse.urlencode(s.form()) + "&audience=https%3A%2F%2Fother.example%2F"
    res = s.server.token(data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(res, 400, "invalid_request", contains="audience")


def test_repeated_json_member(s):
    text = json.dumps(s.form())[:-1] + ', "audience": "https://other.example/"}'
    res = s.server.token(data=text, headers={"Content-Type": "application/json"})
    assert_oauth_error(res, 400, "invalid_request", contains="repeated")


@pytest.mark.parametrize("value", [3600, True, None, ["a"], {"a": "b"}],
                         ids=["number", "bool", "null", "array", "object"])
def test_json_member_that_is_not_a_string(s, value):
    res = s.server.token(json={**s.form(), "scope": value})
    assert_oauth_error(res, 400, "invalid_request", contains="scope")


@pytest.mark.parametrize("text", ['{"grant_type": "client_credentials"', "[]", "not json", "",
                                  '{"a": "b"} trailing'],
                         ids=["truncated", "array", "garbage", "empty", "trailing"])
def test_malformed_json(s, text):
    res = s.server.token(data=text, headers={"Content-Type": "application/json"})
    assert_oauth_error(res, 400, "invalid_request")


@pytest.mark.parametrize("bad", ["%", "%4", "%zz", "%G1"])
def test_invalid_percent_encoding(s, bad):
    body = urllib.parse.urlencode(s.form()) + f"&scope=read{bad}"
    res = s.server.token(data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(res, 400, "invalid_request", contains="percent")


def test_unknown_client_with_post(s):
    res = s.server.token(s.form(client_id="no-such-client"))
    assert_oauth_error(res, 401, "invalid_client", contains="Unknown client or wrong client secret")


def test_wrong_secret_with_post(s):
    res = s.server.token(s.form(client_secret="x" * 43))
    assert_oauth_error(res, 401, "invalid_client", contains="Unknown client or wrong client secret")


def test_wrong_secret_with_basic_is_challenged(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience},
                         headers=s.basic_client.basic(secret="y" * 43))
    assert_oauth_error(res, 401, "invalid_client", basic_challenge=True)


def test_unknown_client_with_basic_is_challenged(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience},
                         headers={"Authorization": "Basic " +
                                  base64.b64encode(b"nobody:secret").decode()})
    assert_oauth_error(res, 401, "invalid_client", basic_challenge=True)


@pytest.mark.parametrize("authorization", ["Basic !!!not-base64!!!", "Basic bm9jb2xvbg==",
                                           "Basic ", "Bearer some.access.token"],
                         ids=["bad-base64", "no-colon", "empty", "bearer"])
def test_malformed_authorization_header_is_challenged(s, authorization):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience},
                         headers={"Authorization": authorization})
    assert_oauth_error(res, 401, "invalid_client", basic_challenge=True)


def test_two_authorization_headers_are_invalid_request(s):
    conn = http.client.HTTPConnection("127.0.0.1", s.server.port, timeout=HTTP_TIMEOUT)
    try:
        body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "audience": s.audience})
        conn.putrequest("POST", "/oauth/token")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Authorization", s.basic_client.basic()["Authorization"])
        conn.putheader("Authorization", s.basic_client.basic()["Authorization"])
        conn.endheaders(body.encode())
        res = conn.getresponse()
        doc = json.loads(res.read())
        assert res.status == 400, doc
        assert doc["error"] == "invalid_request"
        assert res.getheader("Cache-Control") == "no-store"
    finally:
        conn.close()


def test_missing_client_secret(s):
    res = s.server.token(s.form(client_secret=None))
    assert_oauth_error(res, 401, "invalid_client", contains="client_secret")


def test_basic_and_body_secret_together(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience,
                          "client_secret": s.basic_client.client_secret},
                         headers=s.basic_client.basic())
    assert_oauth_error(res, 400, "invalid_request", contains="exactly one")


def test_basic_used_by_a_client_secret_post_client(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience},
                         headers=s.post_client.basic())
    description = assert_oauth_error(res, 401, "invalid_client", contains="client_secret_post",
                                     basic_challenge=True)
    assert "--auth-method client_secret_basic_or_post" in description


def test_post_used_by_a_client_secret_basic_client(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience,
                          **s.basic_client.creds()})
    description = assert_oauth_error(res, 401, "invalid_client", contains="client_secret_basic")
    assert "--auth-method client_secret_basic_or_post" in description


def test_missing_audience(s):
    assert_oauth_error(s.server.token(s.form(audience=None)), 400, "invalid_request",
                       contains="audience")


def test_unknown_audience(s):
    res = s.server.token(s.form(audience="https://nowhere.example/"))
    assert_oauth_error(res, 400, "invalid_target", contains="https://nowhere.example/")


@pytest.mark.parametrize("audience", [
    "it's", "$(rm -rf ~)", "`id`", "a b  c", "'; rm -rf ~; echo '", "\"x\" \\ !1 ~ *", "ü api",
], ids=["quote", "command-substitution", "backquotes", "spaces", "breakout", "mixed", "utf8"])
def test_unknown_audience_hint_pastes_into_a_shell_as_that_audience(s, audience):
    res = s.server.token(s.form(audience=audience))
    description = assert_oauth_error(res, 400, "invalid_target")
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in description), description
    command = description[description.index("signet apis create"):]
    assert shlex.split(command) == ["signet", "apis", "create", "--identifier", audience,
                                    "--name", "NAME"], description


def test_audience_trailing_slash_is_significant(s):
    res = s.server.token(s.form(audience=s.audience.rstrip("/")))
    assert_oauth_error(res, 400, "invalid_target")


def test_client_without_grant_is_access_denied(s):
    client = s.tenant.client()
    s.tenant.sync()
    res = client_credentials(s.server, client, s.audience)
    assert_oauth_error(res, 403, "access_denied", contains="signet grants create")


def test_grant_type_not_enabled_for_the_client(s):
    res = s.server.token(s.form(grant_type="password", username="a@example.com",
                                password="whatever-long"))
    assert_oauth_error(res, 400, "unauthorized_client", contains=GRANT_NOT_ALLOWED)


def test_error_counters_count_errors(s):
    invalid_target = ("signet_token_endpoint_errors_total", {"error": "invalid_target"})
    issued = ("signet_tokens_issued_total", {"grant": "client_credentials", "alg": "RS256"})
    before = s.server.scrape_metrics()
    s.server.token(s.form(audience="https://nowhere.example/"))
    after = s.server.scrape_metrics()
    assert after.value(*invalid_target) == before.value(*invalid_target) + 1
    assert_token_response(s.server.token(s.form()))
    assert s.server.scrape_metrics().value(*issued) > before.value(*issued)


# --- admin changes reach the running server


def test_rotated_secret_replaces_the_old_one(s):
    api, client = s.tenant.m2m()
    s.tenant.sync()
    assert_token_response(client_credentials(s.server, client, api["identifier"]))
    rotated = s.tenant.cli_json("clients", "rotate-secret", client.client_id)
    new_secret = rotated["client_secret"]
    assert new_secret != client.client_secret
    new = type(client)(client.client_id, new_secret, client.auth_method)
    wait_for_status(lambda: client_credentials(s.server, new, api["identifier"]), 200,
                    timeout=2.0, what="the new secret to work")
    res = client_credentials(s.server, client, api["identifier"])
    assert_oauth_error(res, 401, "invalid_client")


def test_deleted_grant_is_access_denied_within_a_second(s):
    api, client = s.tenant.m2m()
    grant = s.tenant.cli_json("grants", "list", "--client-id", client.client_id)[0]
    s.tenant.sync()
    assert_token_response(client_credentials(s.server, client, api["identifier"]))
    s.tenant.cli("grants", "delete", str(grant["id"]), "--yes")
    start = time.monotonic()
    res = wait_for_status(lambda: client_credentials(s.server, client, api["identifier"]), 403,
                          timeout=2.0, what="the deleted grant to be refused")
    assert time.monotonic() - start < 2.0
    assert_oauth_error(res, 403, "access_denied", contains="signet grants create")


def test_deleted_api_is_invalid_target_within_a_second(s):
    api, client = s.tenant.m2m()
    s.tenant.sync()
    assert_token_response(client_credentials(s.server, client, api["identifier"]))
    s.tenant.cli("apis", "delete", api["identifier"], "--yes")
    res = wait_for_status(lambda: client_credentials(s.server, client, api["identifier"]), 400,
                          timeout=2.0, what="the deleted API to be refused")
    assert_oauth_error(res, 400, "invalid_target")


def test_grant_type_enabled_later_with_clients_update(s):
    client = s.tenant.client()
    s.tenant.cli("clients", "update", client.client_id, "--grant-types",
                 "client_credentials,password")
    s.tenant.sync()
    res = s.server.token({"grant_type": "password", "username": "nobody@example.com",
                          "password": "wrong-password", "audience": s.audience,
                          **client.creds()})
    assert_oauth_error(res, 400, "invalid_grant", contains="Wrong email or password.")


# --- hostile input


def raw_post(port: int, path: str, head: bytes, body: bytes = b"") -> tuple[int, bytes, bytes]:
    """Sends a request byte for byte; returns (status, header block, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head +
                         b"\r\n" + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    header, _, rest = data.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    return status, header, rest


def _expected_length(data: bytes) -> int:
    header, sep, _ = data.partition(b"\r\n\r\n")
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(header) + len(sep) + int(value.strip())
    return len(data)


def test_one_mebibyte_body_is_413(s):
    body = b"grant_type=client_credentials&scope=" + b"a" * (1024 * 1024)
    status, header, rest = raw_post(
        s.server.port, "/oauth/token",
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n", body)
    assert status == 413
    assert json.loads(rest)["error"] == "invalid_request"
    assert s.server.get("/healthz").status_code == 200


# Regression: the 413 and 405 answers are made before the token endpoint runs, by the HTTP server
# and the router; they too must say no-store.
@pytest.mark.parametrize("case", ["413", "405"])
def test_refusals_before_the_endpoint_are_not_cacheable_either(s, case):
    if case == "413":
        status, header, _ = raw_post(
            s.server.port, "/oauth/token",
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1048576\r\n")
        headers = header.decode("latin-1").lower()
        assert status == 413
        assert "cache-control: no-store" in headers
        assert "pragma: no-cache" in headers
    else:
        res = s.server.get("/oauth/token")
        assert res.status_code == 405
        assert_no_store(res)


def test_binary_garbage_with_form_content_type(s):
    garbage = bytes(range(256)) * 16
    res = s.server.token(data=garbage,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(res, 400, "invalid_request")


def test_binary_garbage_with_json_content_type(s):
    res = s.server.token(data=b"\xff\xfe{\x00\x01" * 100,
                         headers={"Content-Type": "application/json"})
    assert_oauth_error(res, 400, "invalid_request")


@pytest.mark.parametrize("name", ["scope", "audience", "client_id", "client_secret"])
def test_ten_kibibyte_parameter_value_is_a_4xx(s, name):
    res = s.server.token(s.form(**{name: "a" * 10 * 1024}))
    assert 400 <= res.status_code < 500, res.text
    body = res.json()
    assert set(body) == {"error", "error_description"}
    assert len(res.content) < 4096  # the value is not echoed back whole
    assert_no_store(res)


def test_hundred_parameters_is_invalid_request(s):
    extra = {f"p{i}": "x" for i in range(100)}
    assert_oauth_error(s.server.token(s.form(**extra)), 400, "invalid_request",
                       contains="too many parameters")


def test_control_characters_and_bad_utf8_are_refused(s):
    res = s.server.token(data=urllib.parse.urlencode(s.form()) + "&scope=a%00b",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(res, 400, "invalid_request", contains="control")
    res = s.server.token(data=urllib.parse.urlencode(s.form()) + "&scope=%C3%28",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(res, 400, "invalid_request", contains="UTF-8")


def test_unsupported_charset(s):
    res = s.server.token(data=urllib.parse.urlencode(s.form()),
                         headers={"Content-Type":
                                  "application/x-www-form-urlencoded; charset=latin1"})
    assert_oauth_error(res, 400, "invalid_request", contains="charset")


def test_server_still_answers_after_hostile_input(s):
    assert s.server.get("/healthz").status_code == 200
    assert_token_response(s.server.token(s.form()))
    assert s.server.proc.poll() is None
