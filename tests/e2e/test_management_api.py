"""The Management API (`{issuer}api/v2/`, docs/management-api.md) end to end: a real `signet
serve`, tokens from its own /oauth/token, every route, every scope refusal, paging boundaries,
Auth0's error bodies, ETag / If-Match, concurrent PATCHes and hostile bodies."""

from __future__ import annotations

import concurrent.futures
import json
import urllib.parse

import jwt
import pytest
import requests

from conftest import HTTP_TIMEOUT
from login_page import management_scopes_sign_in
from serve_fixtures import (DEFAULT_PASSWORD, Client, Tenant, client_credentials, module_serve,
                            unique, wait_for, wait_for_status)

ALL_SCOPES = [f"{verb}:{noun}" for noun in ("clients", "resource_servers", "client_grants", "users")
              for verb in ("read", "create", "update", "delete")] + [
    "update:client_keys", "delete:sessions", "read:logs", "read:signing_keys",
    "create:signing_keys", "update:signing_keys"]

# (method, path with {} for a parameter, scope): every route of docs/management-api.md.
ROUTES = [
    ("GET", "resource-servers", "read:resource_servers"),
    ("POST", "resource-servers", "create:resource_servers"),
    ("GET", "resource-servers/{}", "read:resource_servers"),
    ("PATCH", "resource-servers/{}", "update:resource_servers"),
    ("DELETE", "resource-servers/{}", "delete:resource_servers"),
    ("GET", "clients", "read:clients"),
    ("POST", "clients", "create:clients"),
    ("GET", "clients/{}", "read:clients"),
    ("PATCH", "clients/{}", "update:clients"),
    ("DELETE", "clients/{}", "delete:clients"),
    ("POST", "clients/{}/rotate-secret", "update:client_keys"),
    ("GET", "client-grants", "read:client_grants"),
    ("POST", "client-grants", "create:client_grants"),
    ("GET", "client-grants/{}", "read:client_grants"),
    ("PATCH", "client-grants/{}", "update:client_grants"),
    ("DELETE", "client-grants/{}", "delete:client_grants"),
    ("GET", "users", "read:users"),
    ("GET", "users-by-email", "read:users"),
    ("POST", "users", "create:users"),
    ("GET", "users/{}", "read:users"),
    ("PATCH", "users/{}", "update:users"),
    ("DELETE", "users/{}", "delete:users"),
    ("GET", "users/{}/permissions", "read:users"),
    ("POST", "users/{}/permissions", "update:users"),
    ("DELETE", "users/{}/permissions", "update:users"),
    ("DELETE", "users/{}/sessions", "delete:sessions"),
    ("GET", "user-blocks/{}", "read:users"),
    ("DELETE", "user-blocks/{}", "update:users"),
    ("GET", "keys/signing", "read:signing_keys"),
    ("GET", "keys/signing/{}", "read:signing_keys"),
    ("POST", "keys/signing/rotate", "create:signing_keys"),
    ("PUT", "keys/signing/{}/revoke", "update:signing_keys"),
    ("GET", "logs", "read:logs"),
]


class Management:
    """A Management API client holding one access token."""

    def __init__(self, server, token: str | None):
        self.server = server
        self.token = token

    def url(self, path: str) -> str:
        return f"{self.server.issuer}api/v2/{path}"

    def call(self, method: str, path: str, body=None, headers: dict | None = None, **kwargs):
        h = dict(headers or {})
        if self.token is not None:
            h.setdefault("Authorization", f"Bearer {self.token}")
        if body is not None:
            kwargs["json"] = body
        return requests.request(method, self.url(path), headers=h, timeout=HTTP_TIMEOUT, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("DELETE", path, body, **kw)


def enc(identifier: str) -> str:
    return urllib.parse.quote(identifier, safe="")


def auth0_error(res: requests.Response, status: int, error_code: str) -> dict:
    assert res.status_code == status, f"{res.status_code} {res.text}"
    body = res.json()
    assert set(body) == {"statusCode", "error", "message", "errorCode"}, body
    assert body["statusCode"] == status
    assert body["errorCode"] == error_code, body
    assert body["message"]
    assert res.headers["Cache-Control"] == "no-store"
    return body


def management_token(server, tenant: Tenant, scopes) -> str:
    client = tenant.client()
    tenant.grant(client, server.issuer + "api/v2/", scopes)
    tenant.sync()
    res = client_credentials(server, client, server.issuer + "api/v2/")
    assert res.status_code == 200, res.text
    return res.json()["access_token"]


@pytest.fixture(scope="module")
def server(module_serve):
    return module_serve()


@pytest.fixture(scope="module")
def tenant(server):
    return Tenant(server)


@pytest.fixture(scope="module")
def admin(server, tenant) -> Management:
    return Management(server, management_token(server, tenant, ALL_SCOPES))


# --- authorization


def test_first_start_creates_the_management_api_and_the_console_client(server, admin):
    res = admin.get(f"resource-servers/{enc(server.issuer + 'api/v2/')}")
    assert res.status_code == 200, res.text
    api = res.json()
    assert api["is_system"] is True
    assert api["name"] == "signet Management API"
    assert api["token_lifetime"] == 3600
    assert {s["value"] for s in api["scopes"]} == set(ALL_SCOPES)
    console = admin.get("clients/signet-console").json()
    assert console["app_type"] == "spa"
    assert console["token_endpoint_auth_method"] == "none"
    # It signs in through /authorize at the console's own address, with PKCE.
    assert console["grant_types"] == ["authorization_code", "refresh_token"]
    assert console["callbacks"] == [server.issuer + "console/"]
    assert console["allowed_logout_urls"] == [server.issuer + "console/"]
    assert console["web_origins"] == [server.issuer.rstrip("/")]


def test_the_console_signs_in_through_the_login_page(server, tenant):
    email = f"{unique('console')}@example.com"
    user = tenant.user(email=email, permissions={server.issuer + "api/v2/": ("read:clients",)})
    tenant.sync()
    # As the console does: /authorize with PKCE as signet-console, the login page, the code
    # exchanged; the token carries the Management API permissions asked for that the user holds.
    tokens = management_scopes_sign_in(server.issuer, user.email, user.password,
                                       "read:clients read:users").tokens
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", "read:clients"}
    assert Management(server, tokens["access_token"]).get("clients").status_code == 200
    assert Management(server, tokens["access_token"]).get("users").status_code == 403


def test_no_token_is_401_with_a_challenge(server):
    res = Management(server, None).get("clients")
    body = auth0_error(res, 401, "missing_token")
    assert res.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert "api/v2/" in body["message"]


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 9000])
def test_a_bad_token_is_401_invalid_token(server, token):
    res = Management(server, token).get("clients")
    assert res.status_code in (400, 401), res.text
    if res.status_code == 401:
        auth0_error(res, 401, "invalid_token")
        assert 'error="invalid_token"' in res.headers["WWW-Authenticate"]


def test_a_token_for_another_api_is_401(server, tenant):
    api, client = tenant.m2m()
    tenant.sync()
    token = client_credentials(server, client, api["identifier"]).json()["access_token"]
    res = Management(server, token).get("clients")
    body = auth0_error(res, 401, "invalid_token")
    assert "aud" in body["message"] or "audience" in body["message"]


def test_unknown_routes_are_401_without_a_token_and_404_with_one(server, admin):
    auth0_error(Management(server, None).get("no-such-thing"), 401, "missing_token")
    auth0_error(admin.get("no-such-thing"), 404, "invalid_uri")
    auth0_error(admin.get("clients/"), 404, "invalid_uri")
    auth0_error(admin.get("keys/signing/a/b/c"), 404, "invalid_uri")


def test_a_known_route_with_another_method_is_405_with_allow(admin):
    res = admin.call("PUT", "clients")
    auth0_error(res, 405, "method_not_allowed")
    assert res.headers["Allow"] == "GET, POST"


@pytest.mark.parametrize("method,path,scope", ROUTES)
def test_every_route_refuses_a_token_without_its_scope(server, tenant, method, path, scope,
                                                       other_scope_token):
    token = other_scope_token(scope)
    res = Management(server, token).call(method, path.replace("{}", "x"))
    body = auth0_error(res, 403, "insufficient_scope")
    assert body["message"] == f"Insufficient scope, expected: {scope}"
    assert 'error="insufficient_scope"' in res.headers["WWW-Authenticate"]


@pytest.fixture(scope="module")
def other_scope_token(server, tenant):
    """A token holding every Management API scope but one, per scope (made once each)."""
    made: dict[str, str] = {}

    def token(missing: str) -> str:
        if missing not in made:
            made[missing] = management_token(server, tenant,
                                             [s for s in ALL_SCOPES if s != missing])
        return made[missing]

    return token


# --- resource servers


def test_resource_server_lifecycle(admin):
    identifier = f"https://{unique('rs')}.example/"
    res = admin.post("resource-servers", {
        "identifier": identifier, "name": "Orders", "signing_alg": "ES256",
        "token_lifetime": 600, "allow_offline_access": True,
        "token_dialect": "rfc9068_profile_authz",
        "scopes": [{"value": "read:orders", "description": "Read orders"}]})
    assert res.status_code == 201, res.text
    created = res.json()
    assert created == {**created, "identifier": identifier, "id": identifier, "name": "Orders",
                       "signing_alg": "ES256", "token_lifetime": 600,
                       "allow_offline_access": True, "token_dialect": "rfc9068_profile_authz",
                       "scopes": [{"value": "read:orders", "description": "Read orders"}],
                       "is_system": False}
    etag = res.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    got = admin.get(f"resource-servers/{enc(identifier)}")
    assert got.status_code == 200 and got.json() == created
    assert got.headers["ETag"] == etag

    patched = admin.patch(f"resource-servers/{enc(identifier)}", {"name": "Orders v2"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Orders v2"
    assert patched.json()["token_lifetime"] == 600  # untouched fields stay
    assert patched.headers["ETag"] != etag

    listed = admin.get("resource-servers", params={"per_page": 100}).json()
    assert identifier in [a["identifier"] for a in listed]

    auth0_error(admin.post("resource-servers", {"identifier": identifier, "name": "again"}),
                409, "resource_server_conflict")
    assert admin.delete(f"resource-servers/{enc(identifier)}").status_code == 204
    auth0_error(admin.get(f"resource-servers/{enc(identifier)}"), 404,
                "inexistent_resource_server")
    auth0_error(admin.delete(f"resource-servers/{enc(identifier)}"), 404,
                "inexistent_resource_server")


def test_patching_scopes_removes_them_from_grants(admin, tenant):
    identifier = f"https://{unique('rs')}.example/"
    admin.post("resource-servers", {"identifier": identifier, "name": "S",
                                    "scopes": [{"value": "a"}, {"value": "b"}]})
    client = admin.post("clients", {"name": unique("c")}).json()
    grant = admin.post("client-grants", {"client_id": client["client_id"],
                                         "audience": identifier, "scope": ["a", "b"]}).json()
    res = admin.patch(f"resource-servers/{enc(identifier)}", {"scopes": [{"value": "b"}]})
    assert res.status_code == 200, res.text
    assert admin.get(f"client-grants/{grant['id']}").json()["scope"] == ["b"]


@pytest.mark.parametrize("body,fragment", [
    ({"identifier": "urn:x", "name": "n", "token_lifetime": 0}, "lifetime"),
    ({"identifier": "urn:x", "name": "n", "token_lifetime": 2592001}, "lifetime"),
    ({"identifier": "urn:x", "name": "n", "signing_alg": "HS256"}, "signing_alg"),
    ({"identifier": "urn:x", "name": "n", "token_dialect": "jwt"}, "token_dialect"),
    ({"identifier": "urn:x", "name": "n", "colour": "blue"}, "colour"),
    ({"identifier": "urn:x"}, "name"),
    ({"name": "n"}, "identifier"),
    ({"identifier": 5, "name": "n"}, "identifier"),
    ({"identifier": "urn:x", "name": "n", "scopes": ["read"]}, "scopes"),
    ({"identifier": "urn:x", "name": "n", "scopes": [{"value": "a", "extra": 1}]}, "extra"),
    ({"identifier": "urn:x", "name": "n", "allow_offline_access": "yes"}, "allow_offline_access"),
])
def test_a_bad_resource_server_is_400_naming_the_field(admin, body, fragment):
    res = admin.post("resource-servers", body)
    err = auth0_error(res, 400, "invalid_body")
    assert fragment in err["message"], err


def test_the_management_api_cannot_be_deleted_or_changed(server, admin):
    path = f"resource-servers/{enc(server.issuer + 'api/v2/')}"
    auth0_error(admin.delete(path), 403, "operation_not_supported")
    auth0_error(admin.patch(path, {"scopes": []}), 403, "operation_not_supported")
    assert admin.get(path).status_code == 200


def test_an_identifier_cannot_change(admin):
    identifier = f"urn:{unique('rs')}"
    admin.post("resource-servers", {"identifier": identifier, "name": "n"})
    err = auth0_error(admin.patch(f"resource-servers/{enc(identifier)}",
                                  {"identifier": "urn:other"}), 400, "invalid_body")
    assert "identifier" in err["message"]


# --- hostile bodies


def raw(admin: Management, method: str, path: str, data: bytes, content_type="application/json"):
    return requests.request(method, admin.url(path), data=data, timeout=HTTP_TIMEOUT,
                            headers={"Authorization": f"Bearer {admin.token}",
                                     "Content-Type": content_type})


@pytest.mark.parametrize("data", [
    b"", b"{", b"[]", b'"x"', b"null", b'{"name": "a", "name": "b"}', b"\xff\xfe{}",
    b'{"name": "\xc3\x28"}', b"[" * 30000 + b"]" * 30000, b'{"a":' * 64 + b"1" + b"}" * 64,
], ids=["empty", "open", "array", "string", "null", "duplicate", "bom", "bad-utf8",
        "deep-array", "deep-object"])
def test_malformed_json_is_400(admin, data):
    res = raw(admin, "POST", "resource-servers", data)
    assert res.status_code in (400, 413), res.text
    auth0_error(res, res.status_code, "invalid_body")


def test_a_body_that_is_not_json_is_400(admin):
    res = raw(admin, "POST", "clients", b"name=x", "application/x-www-form-urlencoded")
    err = auth0_error(res, 400, "invalid_body")
    assert "application/json" in err["message"]


def test_a_huge_body_is_refused(admin):
    res = raw(admin, "POST", "clients", b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}')
    assert res.status_code == 413, res.text
    clients = admin.get("clients", params={"per_page": 100}).json()
    assert all(len(c["name"]) < 1000 for c in clients)


def test_a_body_on_a_get_or_delete_is_400(admin):
    res = raw(admin, "DELETE", "clients/nobody", b"{}")
    auth0_error(res, 400, "invalid_body")


# --- clients


# --- DPoP settings (RFC 9449): a resource server's proof_of_possession (Auth0's field) and a
# client's dpop_bound_access_tokens (RFC 9449 §5.2 client metadata)

DPOP_REQUIRED = {"mechanism": "dpop", "required": True}


def test_a_resource_server_may_require_dpop(admin):
    identifier = f"https://{unique('rs')}.example/"
    res = admin.post("resource-servers", {"identifier": identifier, "name": "Bound",
                                          "proof_of_possession": DPOP_REQUIRED})
    assert res.status_code == 201, res.text
    assert res.json()["proof_of_possession"] == DPOP_REQUIRED
    path = f"resource-servers/{enc(identifier)}"
    assert admin.get(path).json()["proof_of_possession"] == DPOP_REQUIRED
    # A patch that does not name it leaves it.
    renamed = admin.patch(path, {"name": "Bound v2"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["proof_of_possession"] == DPOP_REQUIRED
    # null clears it, and a cleared one reads as null (Auth0's answer without the setting).
    cleared = admin.patch(path, {"proof_of_possession": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["proof_of_possession"] is None
    assert admin.get(path).json()["proof_of_possession"] is None
    again = admin.patch(path, {"proof_of_possession": DPOP_REQUIRED})
    assert again.json()["proof_of_possession"] == DPOP_REQUIRED
    off = admin.patch(path, {"proof_of_possession": {"mechanism": "dpop", "required": False}})
    assert off.status_code == 200, off.text
    assert off.json()["proof_of_possession"] is None
    listed = admin.get("resource-servers", params={"per_page": 100}).json()
    assert [a["proof_of_possession"] for a in listed if a["identifier"] == identifier] == [None]
    # Created without it: not required.
    plain = admin.post("resource-servers", {"identifier": f"urn:{unique('rs')}", "name": "P"})
    assert plain.json()["proof_of_possession"] is None


@pytest.mark.parametrize("pop,fragment", [
    ({"mechanism": "mtls", "required": True}, "mechanism 'mtls' is not supported"),
    ({"mechanism": "DPoP", "required": True}, "use \"mechanism\": \"dpop\""),
    ({"required": True}, "'mechanism' is required"),
    ({"mechanism": "dpop"}, "'required' is required"),
    ({"mechanism": "dpop", "required": "true"}, "'required' must be true or false"),
    ({"mechanism": "dpop", "required": True, "nonce": True}, "unknown field 'nonce'"),
    (True, "'proof_of_possession' must be an object"),
    ("dpop", "'proof_of_possession' must be an object"),
])
def test_a_bad_proof_of_possession_is_400_and_changes_nothing(admin, pop, fragment):
    err = auth0_error(admin.post("resource-servers", {"identifier": f"urn:{unique('rs')}",
                                                      "name": "n", "proof_of_possession": pop}),
                      400, "invalid_body")
    assert fragment in err["message"], err
    identifier = f"urn:{unique('rs')}"
    admin.post("resource-servers", {"identifier": identifier, "name": "n",
                                    "proof_of_possession": DPOP_REQUIRED})
    path = f"resource-servers/{enc(identifier)}"
    err = auth0_error(admin.patch(path, {"proof_of_possession": pop, "name": "changed"}), 400,
                      "invalid_body")
    assert fragment in err["message"], err
    kept = admin.get(path).json()
    assert kept["proof_of_possession"] == DPOP_REQUIRED and kept["name"] == "n"


def test_a_client_may_require_dpop_bound_access_tokens(admin):
    res = admin.post("clients", {"name": "Bound", "app_type": "spa",
                                 "dpop_bound_access_tokens": True})
    assert res.status_code == 201, res.text
    assert res.json()["dpop_bound_access_tokens"] is True
    client_id = res.json()["client_id"]
    assert admin.get(f"clients/{client_id}").json()["dpop_bound_access_tokens"] is True
    renamed = admin.patch(f"clients/{client_id}", {"name": "Bound v2"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["dpop_bound_access_tokens"] is True
    off = admin.patch(f"clients/{client_id}", {"dpop_bound_access_tokens": False})
    assert off.status_code == 200, off.text
    assert off.json()["dpop_bound_access_tokens"] is False
    listed = admin.get("clients", params={"per_page": 100}).json()
    assert [c["dpop_bound_access_tokens"] for c in listed if c["client_id"] == client_id] == [False]
    plain = admin.post("clients", {"name": "Plain"}).json()
    assert plain["dpop_bound_access_tokens"] is False


@pytest.mark.parametrize("value", ["true", 1, None, {"required": True}])
def test_a_bad_dpop_bound_access_tokens_is_400_and_changes_nothing(admin, value):
    err = auth0_error(admin.post("clients", {"name": "x", "dpop_bound_access_tokens": value}),
                      400, "invalid_body")
    assert "'dpop_bound_access_tokens' must be true or false" in err["message"], err
    client = admin.post("clients", {"name": "y", "dpop_bound_access_tokens": True}).json()
    err = auth0_error(admin.patch(f"clients/{client['client_id']}",
                                  {"dpop_bound_access_tokens": value, "name": "z"}),
                      400, "invalid_body")
    assert "dpop_bound_access_tokens" in err["message"], err
    kept = admin.get(f"clients/{client['client_id']}").json()
    assert kept["dpop_bound_access_tokens"] is True and kept["name"] == "y"


def test_client_lifecycle_and_the_secret_shown_once(server, admin):
    res = admin.post("clients", {"name": "Deploy", "app_type": "non_interactive"})
    assert res.status_code == 201, res.text
    created = res.json()
    secret = created["client_secret"]
    assert len(secret) >= 43
    assert created["app_type"] == "non_interactive"
    assert created["grant_types"] == ["client_credentials"]
    client_id = created["client_id"]
    got = admin.get(f"clients/{client_id}").json()
    assert "client_secret" not in got
    listed = admin.get("clients", params={"per_page": 100, "include_totals": "true"}).json()
    assert all("client_secret" not in c for c in listed["clients"])

    api = admin.post("resource-servers", {"identifier": f"urn:{unique('rs')}", "name": "n",
                                          "scopes": [{"value": "go"}]}).json()
    admin.post("client-grants", {"client_id": client_id, "audience": api["identifier"],
                                 "scope": ["go"]})
    Tenant(server).sync()
    old = Client(client_id, secret)
    assert client_credentials(server, old, api["identifier"]).status_code == 200

    rotated = admin.post(f"clients/{client_id}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new = Client(client_id, rotated.json()["client_secret"])
    assert new.client_secret != secret
    Tenant(server).sync()
    assert client_credentials(server, new, api["identifier"]).status_code == 200
    assert client_credentials(server, old, api["identifier"]).status_code == 401

    patched = admin.patch(f"clients/{client_id}", {"name": "Deploy 2",
                                                   "token_endpoint_auth_method": "client_secret_basic"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Deploy 2"
    assert "client_secret" not in patched.json()
    auth0_error(admin.patch(f"clients/{client_id}", {"client_secret": "mine"}), 400,
                "invalid_body")
    assert admin.delete(f"clients/{client_id}").status_code == 204
    auth0_error(admin.get(f"clients/{client_id}"), 404, "inexistent_client")
    auth0_error(admin.post(f"clients/{client_id}/rotate-secret"), 404, "inexistent_client")


@pytest.mark.parametrize("body,fragment", [
    ({}, "name"),
    ({"name": "x", "app_type": "robot"}, "app_type"),
    ({"name": "x", "grant_types": ["implicit"]}, "implicit"),
    ({"name": "x", "token_endpoint_auth_method": "client_secret_jwt"},
     "token_endpoint_auth_method"),
    ({"name": "x", "token_endpoint_auth_method": "private_key_jwt"}, "needs its public keys"),
    ({"name": "x", "callbacks": "https://app.example.com/cb"}, "callbacks"),
    ({"name": "x", "app_type": "spa", "callbacks": ["/cb"]}, "absolute URL"),
    ({"name": "x", "app_type": "spa", "web_origins": ["http://localhost:3000/"]},
     "write http://localhost:3000"),
    ({"name": "x", "token_endpoint_auth_method": "private_key_jwt", "jwks": "{}"}, "jwks"),
    ({"name": "x", "token_endpoint_auth_method": "private_key_jwt",
      "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}]}},
     "private member"),
    ({"name": "x", "allowed_callback_urls": []}, "allowed_callback_urls"),
])
def test_a_bad_client_is_400(admin, body, fragment):
    err = auth0_error(admin.post("clients", body), 400, "invalid_body")
    assert fragment in err["message"], err


def test_sign_in_urls_and_keys_of_a_client(admin):
    res = admin.post("clients", {"name": "SPA", "app_type": "spa",
                                 "callbacks": ["http://localhost:3000/callback"],
                                 "allowed_logout_urls": ["http://localhost:3000/"],
                                 "web_origins": ["http://localhost:3000"]})
    assert res.status_code == 201, res.text
    spa = res.json()
    assert spa["token_endpoint_auth_method"] == "none" and "client_secret" not in spa
    assert spa["grant_types"] == ["authorization_code", "refresh_token"]
    assert spa["callbacks"] == ["http://localhost:3000/callback"]
    assert spa["allowed_logout_urls"] == ["http://localhost:3000/"]
    assert spa["web_origins"] == ["http://localhost:3000"]
    patched = admin.patch(f"clients/{spa['client_id']}", {"web_origins": [],
                                                         "callbacks": ["com.example.app:/cb"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["web_origins"] == [] and patched.json()["callbacks"] == [
        "com.example.app:/cb"]
    assert admin.get(f"clients/{spa['client_id']}").json()["allowed_logout_urls"] == [
        "http://localhost:3000/"]

    jwks = {"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
                      "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                      "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}
    res = admin.post("clients", {"name": "Signed", "token_endpoint_auth_method": "private_key_jwt",
                                 "jwks": jwks})
    assert res.status_code == 201, res.text
    signed = res.json()
    assert "client_secret" not in signed and signed["jwks"] == jwks
    moved = admin.patch(f"clients/{signed['client_id']}",
                        {"jwks_uri": "https://client.example/jwks.json"})
    assert moved.status_code == 200, moved.text
    assert "jwks" not in moved.json()
    assert moved.json()["jwks_uri"] == "https://client.example/jwks.json"
    back = admin.patch(f"clients/{signed['client_id']}",
                       {"token_endpoint_auth_method": "client_secret_basic_or_post"})
    err = auth0_error(back, 400, "invalid_body")
    assert "rotate-secret" in err["message"], err


# --- client grants


def test_client_grant_lifecycle(admin):
    api = admin.post("resource-servers", {"identifier": f"urn:{unique('rs')}", "name": "n",
                                          "scopes": [{"value": "a"}, {"value": "b"}]}).json()
    client = admin.post("clients", {"name": unique("c")}).json()
    res = admin.post("client-grants", {"client_id": client["client_id"],
                                       "audience": api["identifier"], "scope": ["a"]})
    assert res.status_code == 201, res.text
    grant = res.json()
    assert grant["scope"] == ["a"] and isinstance(grant["id"], str)
    auth0_error(admin.post("client-grants", {"client_id": client["client_id"],
                                             "audience": api["identifier"], "scope": []}),
                409, "client_grant_conflict")
    listed = admin.get("client-grants", params={"client_id": client["client_id"]}).json()
    assert [g["id"] for g in listed] == [grant["id"]]
    assert admin.get("client-grants", params={"audience": api["identifier"]}).json() == listed
    patched = admin.patch(f"client-grants/{grant['id']}", {"scope": ["a", "b"]})
    assert patched.status_code == 200 and patched.json()["scope"] == ["a", "b"]
    auth0_error(admin.patch(f"client-grants/{grant['id']}", {"scope": ["c"]}), 400,
                "invalid_body")
    auth0_error(admin.patch(f"client-grants/{grant['id']}", {"audience": "x"}), 400,
                "invalid_body")
    assert admin.delete(f"client-grants/{grant['id']}").status_code == 204
    auth0_error(admin.get(f"client-grants/{grant['id']}"), 404, "inexistent_client_grant")
    auth0_error(admin.get("client-grants/abc"), 404, "inexistent_client_grant")
    auth0_error(admin.post("client-grants", {"client_id": "nobody", "audience": api["identifier"],
                                             "scope": []}), 404, "inexistent_client")


# --- users


def test_user_lifecycle(server, admin, tenant):
    email = f"{unique('ada')}@example.com"
    res = admin.post("users", {"email": email, "password": DEFAULT_PASSWORD,
                               "connection": "Username-Password-Authentication"})
    assert res.status_code == 201, res.text
    user = res.json()
    assert user["email"] == email and user["blocked"] is False
    assert user["user_id"].startswith("auth0|")
    assert "password" not in user and "password_hash" not in json.dumps(user)
    uid = enc(user["user_id"])
    auth0_error(admin.post("users", {"email": email.upper(), "password": DEFAULT_PASSWORD}),
                409, "user_exists")
    assert admin.get(f"users/{uid}").json()["email"] == email
    assert [u["user_id"] for u in admin.get("users", params={"q": email}).json()] == [user["user_id"]]
    assert [u["user_id"] for u in admin.get("users", params={"q": f'email:"{email}"'}).json()] == [
        user["user_id"]]
    assert admin.get("users-by-email", params={"email": email.upper()}).json()[0]["email"] == email
    assert admin.get("users-by-email", params={"email": "none@example.com"}).json() == []

    patched = admin.patch(f"users/{uid}", {"blocked": True})
    assert patched.status_code == 200 and patched.json()["blocked"] is True
    patched = admin.patch(f"users/{uid}", {"blocked": False, "password": "another good password 7"})
    assert patched.status_code == 200, patched.text
    auth0_error(admin.patch(f"users/{uid}", {"password": "short"}), 400, "invalid_body")
    auth0_error(admin.patch(f"users/{uid}", {"user_id": "x"}), 400, "invalid_body")
    assert admin.delete(f"users/{uid}/sessions").status_code == 204
    assert admin.delete(f"users/{uid}").status_code == 204
    auth0_error(admin.get(f"users/{uid}"), 404, "inexistent_user")
    auth0_error(admin.delete(f"users/{uid}/sessions"), 404, "inexistent_user")


def test_user_permissions(admin):
    api = admin.post("resource-servers", {"identifier": f"urn:{unique('rs')}", "name": "Msgs",
                                          "scopes": [{"value": "read", "description": "Read"},
                                                     {"value": "write"}]}).json()
    user = admin.post("users", {"email": f"{unique('u')}@example.com",
                                "password": DEFAULT_PASSWORD}).json()
    uid = enc(user["user_id"])
    perm = lambda name: {"permission_name": name, "resource_server_identifier": api["identifier"]}
    res = admin.post(f"users/{uid}/permissions", {"permissions": [perm("read"), perm("write")]})
    assert res.status_code == 201, res.text
    held = admin.get(f"users/{uid}/permissions").json()
    assert sorted(held, key=lambda p: p["permission_name"]) == [
        {"permission_name": "read", "resource_server_identifier": api["identifier"],
         "resource_server_name": "Msgs", "description": "Read"},
        {"permission_name": "write", "resource_server_identifier": api["identifier"],
         "resource_server_name": "Msgs", "description": ""}]
    # All or nothing: an unknown permission changes nothing.
    auth0_error(admin.delete(f"users/{uid}/permissions",
                             {"permissions": [perm("read"), perm("nope")]}), 400, "invalid_body")
    assert len(admin.get(f"users/{uid}/permissions").json()) == 2
    assert admin.delete(f"users/{uid}/permissions", {"permissions": [perm("read")]}).status_code == 204
    assert [p["permission_name"] for p in admin.get(f"users/{uid}/permissions").json()] == ["write"]
    auth0_error(admin.post(f"users/{uid}/permissions", {"permissions": []}), 400, "invalid_body")
    auth0_error(admin.post(f"users/{uid}/permissions", {"perms": [perm("read")]}), 400,
                "invalid_body")


def test_user_blocks_show_and_clear_a_lockout(server, admin, tenant):
    api, client = tenant.m2m()
    email = f"{unique('locked')}@example.com"
    user = admin.post("users", {"email": email, "password": DEFAULT_PASSWORD}).json()
    patched = admin.patch(f"clients/{client.client_id}",
                          {"grant_types": ["client_credentials", "password"]})
    assert patched.status_code == 200, patched.text
    tenant.sync()
    def wrong():
        res = server.token({"grant_type": "password", "username": email, "password": "wrong",
                            "audience": api["identifier"], **client.creds()})
        assert res.status_code in (400, 429)

    for _ in range(3):
        wrong()
    # The event log has one failed exchange per wrong password (written within a flush).
    failed = wait_for(lambda: (lambda e: e if len(e) == 3 else None)(admin.get(
        "logs", params={"type": "fepft", "user_id": user["user_id"]}).json()),
        what="three fepft events")
    assert all(e["ip"] == "127.0.0.1" and e["error"] == "invalid_grant" for e in failed), failed
    for _ in range(7):
        wrong()
    uid = enc(user["user_id"])
    blocks = admin.get(f"user-blocks/{uid}").json()["blocked_for"]
    assert [b["identifier"] for b in blocks] == [email]
    assert blocks[0]["ip"] == "127.0.0.1"
    wait_for(lambda: any(e["user_id"] == user["user_id"] for e in admin.get(
        "logs", params={"type": "limit_wc"}).json()), what="the limit_wc event")
    assert admin.delete(f"user-blocks/{uid}").status_code == 204
    assert admin.get(f"user-blocks/{uid}").json() == {"blocked_for": []}
    res = server.token({"grant_type": "password", "username": email, "password": DEFAULT_PASSWORD,
                        "audience": api["identifier"], **client.creds()})
    assert res.status_code != 429, res.text


# --- signing keys


def test_signing_keys_rotate_and_revoke(server, admin):
    keys = admin.get("keys/signing").json()
    current = [k for k in keys if k["current"] and k["alg"] == "RS256"]
    assert len(current) == 1 and current[0]["state"] == "current"
    assert all("private" not in json.dumps(k) and "d" not in (k["jwk"] or {}) for k in keys)
    old_kid = current[0]["kid"]
    res = admin.post("keys/signing/rotate", {"alg": "RS256"})
    assert res.status_code == 201, res.text
    new_kid = res.json()["kid"]
    assert new_kid != old_kid
    assert admin.get(f"keys/signing/{old_kid}").json()["state"] == "previous"
    err = auth0_error(admin.call("PUT", f"keys/signing/{new_kid}/revoke"), 400, "invalid_body")
    assert "rotate" in err["message"]
    # The module's token was signed by the key about to be revoked: a fresh one, signed by the
    # new current key, keeps the other tests going; the old one must stop working.
    old_token = admin.token
    new_token = wait_for(lambda: management_token(server, Tenant(server), ALL_SCOPES), what="a token")
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    revoked = admin.call("PUT", f"keys/signing/{old_kid}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    admin.token = new_token
    wait_for_status(lambda: Management(server, old_token).get("clients"), 401,
                    what="the revoked key's token to be refused")
    assert admin.get("clients").status_code == 200
    auth0_error(admin.get("keys/signing/nokid"), 404, "inexistent_key")
    auth0_error(admin.post("keys/signing/rotate", {"alg": "HS256"}), 400, "invalid_body")


# --- paging


def test_paging_boundaries(admin):
    prefix = unique("page")
    for i in range(5):
        assert admin.post("users", {"email": f"{prefix}-{i}@example.com",
                                    "password": DEFAULT_PASSWORD}).status_code == 201
    seen = []
    for page in range(3):
        res = admin.get("users", params={"q": prefix, "per_page": 2, "page": page,
                                         "include_totals": "true"})
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["total"] == 5 and body["start"] == page * 2 and body["limit"] == 2
        assert body["length"] == len(body["users"]) == (2 if page < 2 else 1)
        seen += [u["email"] for u in body["users"]]
    assert seen == [f"{prefix}-{i}@example.com" for i in range(5)]
    beyond = admin.get("users", params={"q": prefix, "per_page": 2, "page": 3,
                                        "include_totals": "true"}).json()
    assert beyond["users"] == [] and beyond["total"] == 5
    assert len(admin.get("clients", params={"per_page": 100}).json()) <= 100
    assert len(admin.get("clients").json()) <= 50


@pytest.mark.parametrize("params,fragment", [
    ({"per_page": 0}, "per_page"), ({"per_page": 101}, "per_page"), ({"page": -1}, "page"),
    ({"page": "one"}, "page"), ({"include_totals": "yes"}, "include_totals"),
    ({"per_pag": 5}, "per_pag"),
])
def test_bad_paging_is_400(admin, params, fragment):
    err = auth0_error(admin.get("clients", params=params), 400, "invalid_query_string")
    assert fragment in err["message"]


# --- revisions


def test_if_match_refuses_a_stale_write(admin):
    identifier = f"urn:{unique('rs')}"
    created = admin.post("resource-servers", {"identifier": identifier, "name": "one"})
    etag = created.headers["ETag"]
    path = f"resource-servers/{enc(identifier)}"
    first = admin.patch(path, {"name": "two"}, headers={"If-Match": etag})
    assert first.status_code == 200, first.text
    stale = admin.patch(path, {"name": "three"}, headers={"If-Match": etag})
    auth0_error(stale, 412, "precondition_failed")
    assert admin.get(path).json()["name"] == "two"
    auth0_error(admin.patch(path, {"name": "x"}, headers={"If-Match": "garbage"}), 412,
                "precondition_failed")
    assert admin.patch(path, {"name": "four"}, headers={"If-Match": first.headers["ETag"]}
                       ).status_code == 200
    assert admin.patch(path, {"name": "five"}, headers={"If-Match": "*"}).status_code == 200
    for kind, body in (("users", {"blocked": True}), ("clients", {"name": "z"})):
        if kind == "users":
            rec = admin.post("users", {"email": f"{unique('e')}@example.com",
                                       "password": DEFAULT_PASSWORD})
            rid = enc(rec.json()["user_id"])
        else:
            rec = admin.post("clients", {"name": unique("c")})
            rid = rec.json()["client_id"]
        ok = admin.patch(f"{kind}/{rid}", body, headers={"If-Match": rec.headers["ETag"]})
        assert ok.status_code == 200, ok.text
        auth0_error(admin.patch(f"{kind}/{rid}", body, headers={"If-Match": rec.headers["ETag"]}),
                    412, "precondition_failed")


def test_concurrent_patches_of_different_fields_both_take_effect(admin):
    identifier = f"urn:{unique('rs')}"
    admin.post("resource-servers", {"identifier": identifier, "name": "n"})
    path = f"resource-servers/{enc(identifier)}"
    bodies = [{"name": f"name-{i}"} if i % 2 == 0 else {"token_lifetime": 100 + i}
              for i in range(16)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda b: admin.patch(path, b), bodies))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    final = admin.get(path).json()
    assert final["name"].startswith("name-") and final["token_lifetime"] > 100


def test_concurrent_patches_with_one_etag_let_exactly_one_win(admin):
    identifier = f"urn:{unique('rs')}"
    etag = admin.post("resource-servers", {"identifier": identifier, "name": "n"}).headers["ETag"]
    path = f"resource-servers/{enc(identifier)}"
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(
            lambda i: admin.patch(path, {"name": f"n{i}"}, headers={"If-Match": etag}), range(8)))
    assert sorted(r.status_code for r in results) == [200] + [412] * 7


# --- the console's public client


def test_the_console_client_is_public_so_it_gets_no_password_or_m2m_tokens(server, tenant):
    api, _ = tenant.m2m()
    email = f"{unique('pub')}@example.com"
    user = tenant.user(email=email, permissions={api["identifier"]: ("read:messages",),
                                                 server.issuer + "api/v2/": ("read:clients",)})
    tenant.sync()
    base = {"grant_type": "password", "client_id": "signet-console", "username": user.email,
            "password": user.password}
    for audience in (server.issuer + "api/v2/", api["identifier"]):
        res = server.token({**base, "audience": audience})
        assert res.status_code == 400 and res.json()["error"] == "unauthorized_client", res.text
        assert "authorization code flow with PKCE" in res.json()["error_description"]
    secret = server.token({**base, "audience": server.issuer + "api/v2/", "client_secret": "x"})
    assert secret.status_code == 401 and secret.json()["error"] == "invalid_client", secret.text
    cc = server.token({"grant_type": "client_credentials", "client_id": "signet-console",
                       "audience": server.issuer + "api/v2/"})
    assert cc.status_code == 400 and cc.json()["error"] == "unauthorized_client", cc.text
