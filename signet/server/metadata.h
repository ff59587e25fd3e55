#pragma once

// Authorization server metadata (RFC 8414) and OpenID Provider metadata (OpenID Connect
// Discovery 1.0 §3): one document, served at both well-known paths, describing what this server
// actually implements and nothing more.

#include <string>
#include <string_view>

#include "signet/server/tenant.h"

namespace signet::server {

// The endpoint paths, relative to the issuer (which ends in '/').
constexpr std::string_view kTokenPath = "oauth/token";
constexpr std::string_view kRevocationPath = "oauth/revoke";
constexpr std::string_view kIntrospectionPath = "oauth/introspect";
constexpr std::string_view kUserinfoPath = "userinfo";
constexpr std::string_view kJwksPath = ".well-known/jwks.json";

// The metadata JSON for `issuer`; scopes_supported lists the OpenID scopes and every API's
// permissions in `snapshot`, and the signing algorithms those APIs use.
std::string metadata_json(std::string_view issuer, const TenantSnapshot& snapshot);

}  // namespace signet::server
