#include "signet/admin/auth0_json.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <set>

#include <boost/json.hpp>

#include "signet/jose/json.h"
#include "signet/server/event_log.h"

namespace signet::admin {
namespace {

namespace json = boost::json;

AdminError bad(std::string message) {
  return AdminError::invalid(std::move(message));
}

// Every member of `obj` must be one of `known`.
AdminResult<Ok> only_known(const json::object& obj, std::initializer_list<std::string_view> known,
                           std::string_view what) {
  for (const auto& member : obj) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      std::string list;
      for (const auto k : known) {
        list += (list.empty() ? "" : ", ") + std::string(k);
      }
      return fail(bad("unknown field '" + std::string(member.key()) + "' in " + std::string(what) +
                      ": the fields are " + list));
    }
  }
  return Ok{};
}

AdminResult<std::optional<std::string>> opt_string(const json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (v == nullptr) {
    return std::optional<std::string>{};
  }
  if (!v->is_string()) {
    return fail(bad("'" + std::string(name) + "' must be a string"));
  }
  return std::optional<std::string>{std::string(v->get_string())};
}

AdminResult<std::string> req_string(const json::object& obj, std::string_view name,
                                    std::string_view what) {
  auto s = opt_string(obj, name);
  if (!s) {
    return fail(s.error());
  }
  if (!*s) {
    return fail(bad("'" + std::string(name) + "' is required in " + std::string(what)));
  }
  return std::move(**s);
}

AdminResult<std::optional<bool>> opt_bool(const json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (v == nullptr) {
    return std::optional<bool>{};
  }
  if (!v->is_bool()) {
    return fail(bad("'" + std::string(name) + "' must be true or false"));
  }
  return std::optional<bool>{v->get_bool()};
}

AdminResult<std::optional<std::int64_t>> opt_int(const json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (v == nullptr) {
    return std::optional<std::int64_t>{};
  }
  if (v->is_int64()) {
    return std::optional<std::int64_t>{v->get_int64()};
  }
  if (v->is_uint64() || v->is_double()) {
    return fail(bad("'" + std::string(name) + "' is out of range"));
  }
  return fail(bad("'" + std::string(name) + "' must be an integer"));
}

AdminResult<std::optional<std::vector<std::string>>> opt_strings(const json::object& obj,
                                                                 std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (v == nullptr) {
    return std::optional<std::vector<std::string>>{};
  }
  if (!v->is_array()) {
    return fail(bad("'" + std::string(name) + "' must be an array of strings"));
  }
  std::vector<std::string> out;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) {
      return fail(bad("'" + std::string(name) + "' must be an array of strings"));
    }
    out.emplace_back(e.get_string());
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

const json::object* as_object(const json::value& v) {
  return v.if_object();
}

json::array strings(const std::vector<std::string>& words) {
  json::array out;
  for (const auto& w : words) {
    out.emplace_back(w);
  }
  return out;
}

json::array permissions_json(const std::vector<store::Permission>& permissions) {
  json::array out;
  for (const auto& p : permissions) {
    out.push_back(json::object{{"value", p.value}, {"description", p.description}});
  }
  return out;
}

AdminResult<std::optional<std::vector<store::Permission>>> opt_permissions(const json::object& obj,
                                                                           std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (v == nullptr) {
    return std::optional<std::vector<store::Permission>>{};
  }
  const std::string where = "'" + std::string(name) + "'";
  if (!v->is_array()) {
    return fail(bad(where + " must be an array of {\"value\", \"description\"} objects"));
  }
  std::vector<store::Permission> out;
  for (const auto& e : v->get_array()) {
    const auto* o = e.if_object();
    if (o == nullptr) {
      return fail(bad(where + " must be an array of {\"value\", \"description\"} objects"));
    }
    if (auto known = only_known(*o, {"value", "description"}, "a scope"); !known) {
      return fail(known.error());
    }
    auto value = req_string(*o, "value", "a scope");
    auto description = opt_string(*o, "description");
    if (!value) {
      return fail(value.error());
    }
    if (!description) {
      return fail(description.error());
    }
    out.push_back(store::Permission{std::move(*value), description->value_or("")});
  }
  return std::optional<std::vector<store::Permission>>{std::move(out)};
}

AdminResult<jose::Algorithm> parse_alg(std::string_view text) {
  if (auto alg = jose::parse_algorithm(text)) {
    return *alg;
  }
  return fail(
      bad("unsupported signing_alg '" + std::string(text) + "': use RS256, PS256, ES256 or EdDSA"));
}

struct Dialect {
  store::TokenProfile profile;
  bool permissions_claim;
};

AdminResult<Dialect> parse_dialect(std::string_view text) {
  if (text == "access_token") {
    return Dialect{store::TokenProfile::kAuth0, false};
  }
  if (text == "access_token_authz") {
    return Dialect{store::TokenProfile::kAuth0, true};
  }
  if (text == "rfc9068_profile") {
    return Dialect{store::TokenProfile::kRfc9068, false};
  }
  if (text == "rfc9068_profile_authz") {
    return Dialect{store::TokenProfile::kRfc9068, true};
  }
  return fail(bad("unknown token_dialect '" + std::string(text) +
                  "': use access_token, access_token_authz, rfc9068_profile or "
                  "rfc9068_profile_authz"));
}

AdminResult<std::vector<store::GrantType>> parse_grant_types(
    const std::vector<std::string>& names) {
  std::vector<store::GrantType> out;
  for (const auto& name : names) {
    auto g = store::parse_grant_type(name);
    if (!g) {
      return fail(bad("unknown grant type '" + name +
                      "': use client_credentials, password, refresh_token or "
                      "authorization_code"));
    }
    out.push_back(*g);
  }
  return out;
}

AdminResult<store::TokenEndpointAuthMethod> parse_auth_method(std::string_view text) {
  if (auto m = store::parse_token_endpoint_auth_method(text)) {
    return *m;
  }
  return fail(bad("unknown token_endpoint_auth_method '" + std::string(text) +
                  "': use client_secret_basic_or_post, client_secret_basic, client_secret_post, "
                  "private_key_jwt or none"));
}

// RFC 7591 §2 "jwks": the client's JWK Set as a JSON object, kept as its serialized text (the
// admin service checks that it is a set of public keys).
AdminResult<std::optional<std::string>> opt_jwks(const json::object& obj) {
  const auto* v = obj.if_contains("jwks");
  if (v == nullptr) {
    return std::optional<std::string>{};
  }
  if (v->is_null()) {
    return std::optional<std::string>{std::string{}};  // a patch's way to clear it
  }
  if (!v->is_object()) {
    return fail(bad("'jwks' must be a JSON object, a JWK Set: {\"keys\": [...]}"));
  }
  return std::optional<std::string>{json::serialize(*v)};
}

// The client-metadata members records and drafts share, as Auth0 and RFC 7591 name them.
constexpr std::string_view kCallbacks = "callbacks";
constexpr std::string_view kLogoutUrls = "allowed_logout_urls";
constexpr std::string_view kWebOrigins = "web_origins";
// RFC 9449 §5.2's client metadata.
constexpr std::string_view kDpopBound = "dpop_bound_access_tokens";

// Auth0's resource-server setting: {"mechanism": "dpop", "required": true}, or null for none.
constexpr std::string_view kProofOfPossession = "proof_of_possession";
constexpr std::string_view kDpopMechanism = "dpop";

// The JWKS text as a JSON value for an answer; text that does not parse (never written by the
// admin service) goes out as a string rather than breaking the whole answer.
json::value jwks_value(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return json::string(text);
  }
  return v;
}

AdminResult<store::Revision> read_revision(const json::object& obj) {
  // Records read back by RemoteAdmin carry no revision in the body (it travels as the ETag);
  // a record without it reads as revision 0.
  (void)obj;
  return store::Revision{0};
}

AdminResult<store::Timestamp> read_date(const json::object& obj, std::string_view name) {
  auto text = opt_string(obj, name);
  if (!text) {
    return fail(text.error());
  }
  if (!*text) {
    return store::Timestamp{};
  }
  auto t = parse_date(**text);
  if (!t) {
    return fail(bad("'" + std::string(name) + "' is not an RFC 3339 UTC date"));
  }
  return *t;
}

AdminResult<std::optional<store::Timestamp>> read_opt_date(const json::object& obj,
                                                           std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (v == nullptr || v->is_null()) {
    return std::optional<store::Timestamp>{};
  }
  auto t = read_date(obj, name);
  if (!t) {
    return fail(t.error());
  }
  return std::optional<store::Timestamp>{*t};
}

#define SIGNET_TRY_ASSIGN(lhs, expr)   \
  auto lhs##_result = (expr);          \
  if (!lhs##_result) {                 \
    return fail(lhs##_result.error()); \
  }                                    \
  auto lhs = std::move(*lhs##_result)

// An API's DPoP requirement as Auth0 spells it. Not required reads as null: signet accepts DPoP
// proofs for every API, so `"required": false` says nothing that null does not.
json::value proof_of_possession_json(bool require_dpop) {
  if (!require_dpop) {
    return nullptr;
  }
  return json::object{{"mechanism", kDpopMechanism}, {"required", true}};
}

// Absent: nullopt. null: false (a patch's way to clear it). {"mechanism": "dpop", "required": b}:
// b. Other mechanisms are refused: a setting accepted but not enforced would leave the API taking
// bearer tokens its operator believes it refuses. `strict` refuses members the object does not
// have, as for what a caller sends.
AdminResult<std::optional<bool>> opt_proof_of_possession(const json::object& obj, bool strict) {
  const auto* v = obj.if_contains(kProofOfPossession);
  if (v == nullptr) {
    return std::optional<bool>{};
  }
  if (v->is_null()) {
    return std::optional<bool>{false};
  }
  const auto* o = v->if_object();
  if (o == nullptr) {
    return fail(
        bad("'proof_of_possession' must be an object {\"mechanism\": \"dpop\", "
            "\"required\": true} or null"));
  }
  if (strict) {
    if (auto known = only_known(*o, {"mechanism", "required"}, "proof_of_possession"); !known) {
      return fail(known.error());
    }
  }
  SIGNET_TRY_ASSIGN(mechanism, req_string(*o, "mechanism", "proof_of_possession"));
  if (mechanism != kDpopMechanism) {
    return fail(bad("proof_of_possession mechanism '" + mechanism +
                    "' is not supported: signet binds tokens to keys with DPoP (RFC 9449), so "
                    "use \"mechanism\": \"dpop\""));
  }
  SIGNET_TRY_ASSIGN(required, opt_bool(*o, "required"));
  if (!required) {
    return fail(bad("'required' is required in proof_of_possession: true or false"));
  }
  return std::optional<bool>{*required};
}

}  // namespace

std::string format_date(store::Timestamp t) {
  const std::time_t secs = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm utc{};
  if (::gmtime_r(&secs, &utc) == nullptr) {
    return "1970-01-01T00:00:00.000Z";
  }
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.000Z", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buf.data();
}

namespace {

// True when `text` has digits exactly where `shape` has 'd' and the same bytes elsewhere: sscanf's
// %d alone would also take a space or a sign ("2023-11- 4", "+023").
bool has_shape(std::string_view text, std::string_view shape) {
  if (text.size() != shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == 'd' ? !digit : text[i] != shape[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<store::Timestamp> parse_date(std::string_view text) {
  const auto precise = parse_precise_date(text);
  if (!precise) {
    return std::nullopt;
  }
  return std::chrono::floor<std::chrono::seconds>(*precise);
}

std::optional<store::PreciseTimestamp> parse_precise_date(std::string_view text) {
  if (!has_shape(text, "dddd-dd-ddTdd:dd:dd.dddZ") && !has_shape(text, "dddd-dd-ddTdd:dd:ddZ")) {
    return std::nullopt;
  }
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int s = 0;
  int ms = 0;
  int consumed = 0;
  const std::string copy(text);
  if (text.size() == 24 &&
      std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &s, &ms,
                  &consumed) == 7 &&
      consumed == 24) {
  } else if (text.size() == 20 &&
             std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s,
                         &consumed) == 6 &&
             consumed == 20) {
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s} + std::chrono::milliseconds{ms};
}

std::string_view token_dialect(store::TokenProfile profile, bool permissions_claim) {
  if (profile == store::TokenProfile::kRfc9068) {
    return permissions_claim ? "rfc9068_profile_authz" : "rfc9068_profile";
  }
  return permissions_claim ? "access_token_authz" : "access_token";
}

std::string_view app_type_name(store::ApplicationType type) {
  return type == store::ApplicationType::kM2m ? "non_interactive" : store::to_string(type);
}

std::optional<store::ApplicationType> parse_app_type(std::string_view text) {
  if (text == "non_interactive") {
    return store::ApplicationType::kM2m;
  }
  return store::parse_application_type(text);
}

// --- records to JSON

json::object api_to_json(const store::Api& api, bool is_system) {
  return json::object{
      {"id", api.identifier},
      {"identifier", api.identifier},
      {"name", api.name},
      {"signing_alg", jose::to_string(api.signing_algorithm)},
      {"token_lifetime", api.token_lifetime.count()},
      {"allow_offline_access", api.allow_offline_access},
      {"token_dialect", token_dialect(api.token_profile, api.permissions_claim)},
      {kProofOfPossession, proof_of_possession_json(api.require_dpop)},
      {"scopes", permissions_json(api.permissions)},
      {"is_system", is_system},
      {"created_at", format_date(api.created_at)},
  };
}

json::object application_to_json(const store::Application& app) {
  json::array grants;
  for (const auto g : app.grant_types) {
    grants.emplace_back(store::to_string(g));
  }
  json::object out{
      {"client_id", app.client_id},
      {"name", app.name},
      {"app_type", app_type_name(app.type)},
      {"grant_types", std::move(grants)},
      {"token_endpoint_auth_method", store::to_string(app.token_endpoint_auth_method)},
      {kCallbacks, strings(app.callbacks)},
      {kLogoutUrls, strings(app.allowed_logout_urls)},
      {kWebOrigins, strings(app.web_origins)},
      {kDpopBound, app.dpop_bound_access_tokens},
  };
  if (!app.jwks.empty()) {
    out["jwks"] = jwks_value(app.jwks);
  }
  if (!app.jwks_uri.empty()) {
    out["jwks_uri"] = app.jwks_uri;
  }
  out["is_first_party"] = true;
  out["created_at"] = format_date(app.created_at);
  return out;
}

json::object application_to_json(const ApplicationWithSecret& app) {
  auto out = application_to_json(app.application);
  if (!app.client_secret.empty()) {  // a client on none or private_key_jwt has none
    out["client_secret"] = app.client_secret;
  }
  return out;
}

json::object client_grant_to_json(const store::ClientGrant& grant) {
  return json::object{
      {"id", std::to_string(grant.id)},
      {"client_id", grant.client_id},
      {"audience", grant.audience},
      {"scope", strings(grant.scopes)},
      {"created_at", format_date(grant.created_at)},
  };
}

json::object user_to_json(const store::User& user) {
  // Auth0's identities[].user_id is the id without the "provider|" prefix.
  const std::size_t bar = user.id.find('|');
  const std::string bare = bar == std::string::npos ? user.id : user.id.substr(bar + 1);
  return json::object{
      {"user_id", user.id},
      {"email", user.email},
      {"email_verified", false},
      {"blocked", user.blocked},
      {"connection", kDatabaseConnection},
      {"identities", json::array{json::object{{"provider", "auth0"},
                                              {"user_id", bare},
                                              {"connection", kDatabaseConnection},
                                              {"isSocial", false}}}},
      {"created_at", format_date(user.created_at)},
  };
}

json::object signing_key_to_json(const store::SigningKey& key) {
  json::value jwk = nullptr;
  if (auto parsed = jose::parse_json(key.public_jwk)) {
    jwk = std::move(*parsed);
  }
  const auto state = key.state;
  json::object out{
      {"kid", key.kid},
      {"alg", jose::to_string(key.algorithm)},
      {"state", store::to_string(state)},
      {"current", state == store::SigningKeyState::kCurrent},
      {"next", state == store::SigningKeyState::kNext},
      {"previous", state == store::SigningKeyState::kPrevious},
      {"revoked", state == store::SigningKeyState::kRevoked},
      {"created_at", format_date(key.created_at)},
      {"rotated_at", key.rotated_at ? json::value(format_date(*key.rotated_at)) : json::value()},
      {"jwk", std::move(jwk)},
  };
  return out;
}

json::object log_event_to_json(const LogEvent& e) {
  return server::event_to_json(e);
}

// --- JSON to records

AdminResult<store::Api> api_from_json(const json::value& value) {
  const auto* o = as_object(value);
  if (o == nullptr) {
    return fail(bad("a resource server must be a JSON object"));
  }
  store::Api api;
  SIGNET_TRY_ASSIGN(identifier, req_string(*o, "identifier", "a resource server"));
  SIGNET_TRY_ASSIGN(name, opt_string(*o, "name"));
  SIGNET_TRY_ASSIGN(alg, req_string(*o, "signing_alg", "a resource server"));
  SIGNET_TRY_ASSIGN(lifetime, opt_int(*o, "token_lifetime"));
  SIGNET_TRY_ASSIGN(offline, opt_bool(*o, "allow_offline_access"));
  SIGNET_TRY_ASSIGN(dialect_text, opt_string(*o, "token_dialect"));
  SIGNET_TRY_ASSIGN(scopes, opt_permissions(*o, "scopes"));
  SIGNET_TRY_ASSIGN(require_dpop, opt_proof_of_possession(*o, /*strict=*/false));
  SIGNET_TRY_ASSIGN(created, read_date(*o, "created_at"));
  SIGNET_TRY_ASSIGN(algorithm, parse_alg(alg));
  SIGNET_TRY_ASSIGN(dialect, parse_dialect(dialect_text.value_or("access_token")));
  api.identifier = std::move(identifier);
  api.name = name.value_or("");
  api.signing_algorithm = algorithm;
  api.token_lifetime =
      std::chrono::seconds{lifetime.value_or(store::kDefaultTokenLifetime.count())};
  api.allow_offline_access = offline.value_or(false);
  api.token_profile = dialect.profile;
  api.permissions_claim = dialect.permissions_claim;
  api.require_dpop = require_dpop.value_or(false);
  api.permissions = scopes.value_or(std::vector<store::Permission>{});
  api.created_at = created;
  SIGNET_TRY_ASSIGN(revision, read_revision(*o));
  api.revision = revision;
  return api;
}

AdminResult<store::Application> application_from_json(const json::value& value) {
  const auto* o = as_object(value);
  if (o == nullptr) {
    return fail(bad("a client must be a JSON object"));
  }
  store::Application app;
  SIGNET_TRY_ASSIGN(client_id, req_string(*o, "client_id", "a client"));
  SIGNET_TRY_ASSIGN(name, opt_string(*o, "name"));
  SIGNET_TRY_ASSIGN(type, opt_string(*o, "app_type"));
  SIGNET_TRY_ASSIGN(grant_names, opt_strings(*o, "grant_types"));
  SIGNET_TRY_ASSIGN(method, opt_string(*o, "token_endpoint_auth_method"));
  SIGNET_TRY_ASSIGN(callbacks, opt_strings(*o, kCallbacks));
  SIGNET_TRY_ASSIGN(logout_urls, opt_strings(*o, kLogoutUrls));
  SIGNET_TRY_ASSIGN(web_origins, opt_strings(*o, kWebOrigins));
  SIGNET_TRY_ASSIGN(jwks, opt_jwks(*o));
  SIGNET_TRY_ASSIGN(jwks_uri, opt_string(*o, "jwks_uri"));
  SIGNET_TRY_ASSIGN(dpop_bound, opt_bool(*o, kDpopBound));
  SIGNET_TRY_ASSIGN(created, read_date(*o, "created_at"));
  app.dpop_bound_access_tokens = dpop_bound.value_or(false);
  app.callbacks = callbacks.value_or(std::vector<std::string>{});
  app.allowed_logout_urls = logout_urls.value_or(std::vector<std::string>{});
  app.web_origins = web_origins.value_or(std::vector<std::string>{});
  app.jwks = jwks.value_or("");
  app.jwks_uri = jwks_uri.value_or("");
  app.client_id = std::move(client_id);
  app.name = name.value_or("");
  if (type) {
    auto parsed = parse_app_type(*type);
    if (!parsed) {
      return fail(bad("unknown app_type '" + *type + "'"));
    }
    app.type = *parsed;
  }
  SIGNET_TRY_ASSIGN(grants, parse_grant_types(grant_names.value_or(std::vector<std::string>{})));
  app.grant_types = std::move(grants);
  if (method) {
    if (auto m = store::parse_token_endpoint_auth_method(*method)) {
      app.token_endpoint_auth_method = *m;
    } else {
      return fail(bad("unknown token_endpoint_auth_method '" + *method + "'"));
    }
  }
  app.created_at = created;
  return app;
}

AdminResult<ApplicationWithSecret> application_with_secret_from_json(const json::value& value) {
  SIGNET_TRY_ASSIGN(app, application_from_json(value));
  const auto* o = as_object(value);
  SIGNET_TRY_ASSIGN(secret, opt_string(*o, "client_secret"));
  return ApplicationWithSecret{std::move(app), secret.value_or("")};
}

AdminResult<store::ClientGrant> client_grant_from_json(const json::value& value) {
  const auto* o = as_object(value);
  if (o == nullptr) {
    return fail(bad("a client grant must be a JSON object"));
  }
  store::ClientGrant grant;
  SIGNET_TRY_ASSIGN(id, req_string(*o, "id", "a client grant"));
  SIGNET_TRY_ASSIGN(client_id, req_string(*o, "client_id", "a client grant"));
  SIGNET_TRY_ASSIGN(audience, req_string(*o, "audience", "a client grant"));
  SIGNET_TRY_ASSIGN(scope, opt_strings(*o, "scope"));
  SIGNET_TRY_ASSIGN(created, read_date(*o, "created_at"));
  {
    // Digits only: from_chars alone would take a sign, and stoll leading spaces too.
    const bool digits = !id.empty() && std::all_of(id.begin(), id.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), grant.id);
    if (!digits || ec != std::errc{} || end != id.data() + id.size() || grant.id < 1) {
      return fail(bad("a client grant's id must be a positive decimal number, not '" + id + "'"));
    }
  }
  grant.client_id = std::move(client_id);
  grant.audience = std::move(audience);
  grant.scopes = scope.value_or(std::vector<std::string>{});
  grant.created_at = created;
  return grant;
}

AdminResult<store::User> user_from_json(const json::value& value) {
  const auto* o = as_object(value);
  if (o == nullptr) {
    return fail(bad("a user must be a JSON object"));
  }
  store::User user;
  SIGNET_TRY_ASSIGN(id, req_string(*o, "user_id", "a user"));
  SIGNET_TRY_ASSIGN(email, opt_string(*o, "email"));
  SIGNET_TRY_ASSIGN(blocked, opt_bool(*o, "blocked"));
  SIGNET_TRY_ASSIGN(created, read_date(*o, "created_at"));
  user.id = std::move(id);
  user.email = email.value_or("");
  user.blocked = blocked.value_or(false);
  user.created_at = created;
  return user;
}

AdminResult<store::SigningKey> signing_key_from_json(const json::value& value) {
  const auto* o = as_object(value);
  if (o == nullptr) {
    return fail(bad("a signing key must be a JSON object"));
  }
  store::SigningKey key;
  SIGNET_TRY_ASSIGN(kid, req_string(*o, "kid", "a signing key"));
  SIGNET_TRY_ASSIGN(alg, req_string(*o, "alg", "a signing key"));
  SIGNET_TRY_ASSIGN(state, req_string(*o, "state", "a signing key"));
  SIGNET_TRY_ASSIGN(created, read_date(*o, "created_at"));
  SIGNET_TRY_ASSIGN(rotated, read_opt_date(*o, "rotated_at"));
  SIGNET_TRY_ASSIGN(algorithm, parse_alg(alg));
  const auto parsed_state = store::parse_signing_key_state(state);
  if (!parsed_state) {
    return fail(bad("unknown signing key state '" + state + "'"));
  }
  key.kid = std::move(kid);
  key.algorithm = algorithm;
  key.state = *parsed_state;
  key.created_at = created;
  key.rotated_at = rotated;
  if (const auto* jwk = o->if_contains("jwk"); jwk != nullptr && jwk->is_object()) {
    key.public_jwk = json::serialize(*jwk);
  }
  return key;
}

AdminResult<LogEvent> log_event_from_json(const json::value& value) {
  const auto* o = as_object(value);
  if (o == nullptr) {
    return fail(bad("a log event must be a JSON object"));
  }
  LogEvent e;
  SIGNET_TRY_ASSIGN(id, req_string(*o, "log_id", "a log event"));
  std::int64_t number = 0;
  if (const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
      ec != std::errc{} || end != id.data() + id.size() || number < 0) {
    return fail(bad("a log event's log_id must be a non-negative integer, got '" + id + "'"));
  }
  e.id = number;
  SIGNET_TRY_ASSIGN(type, req_string(*o, "type", "a log event"));
  SIGNET_TRY_ASSIGN(date_text, req_string(*o, "date", "a log event"));
  auto date = parse_precise_date(date_text);
  if (!date) {
    return fail(bad("a log event's date must be an RFC 3339 UTC time, got '" + date_text + "'"));
  }
  e.date = *date;
  e.type = std::move(type);
  const std::pair<std::string_view, std::string*> texts[] = {{"description", &e.description},
                                                             {"client_id", &e.client_id},
                                                             {"user_id", &e.user_id},
                                                             {"audience", &e.audience},
                                                             {"scope", &e.scope},
                                                             {"error", &e.error},
                                                             {"ip", &e.ip},
                                                             {"user_agent", &e.user_agent}};
  for (const auto& [name, field] : texts) {
    SIGNET_TRY_ASSIGN(value, opt_string(*o, name));
    *field = value.value_or("");
  }
  if (const auto* details = o->if_contains("details"); details != nullptr) {
    e.details =
        details->is_string() ? std::string(details->as_string()) : json::serialize(*details);
  }
  return e;
}

// --- drafts and patches

json::object api_draft_to_json(const ApiDraft& d) {
  json::object out{{"identifier", d.identifier}, {"name", d.name}};
  if (d.signing_algorithm) {
    out["signing_alg"] = jose::to_string(*d.signing_algorithm);
  }
  if (d.token_lifetime) {
    out["token_lifetime"] = d.token_lifetime->count();
  }
  if (d.allow_offline_access) {
    out["allow_offline_access"] = *d.allow_offline_access;
  }
  if (d.token_profile || d.permissions_claim) {
    out["token_dialect"] = token_dialect(d.token_profile.value_or(store::TokenProfile::kAuth0),
                                         d.permissions_claim.value_or(false));
  }
  if (d.require_dpop) {
    out[kProofOfPossession] = proof_of_possession_json(*d.require_dpop);
  }
  if (!d.permissions.empty()) {
    out["scopes"] = permissions_json(d.permissions);
  }
  return out;
}

namespace {

#define SIGNET_API_FIELDS                                                          \
  {                                                                                \
    "identifier", "name", "signing_alg", "token_lifetime", "allow_offline_access", \
        "token_dialect", "scopes", kProofOfPossession                              \
  }

// The members a draft and a patch share; `identifier` is the draft's alone.
struct ApiSettings {
  std::optional<std::string> name;
  std::optional<jose::Algorithm> alg;
  std::optional<std::chrono::seconds> lifetime;
  std::optional<bool> offline;
  std::optional<Dialect> dialect;
  std::optional<std::vector<store::Permission>> scopes;
  std::optional<bool> require_dpop;
};

AdminResult<ApiSettings> read_api_settings(const json::object& o) {
  ApiSettings s;
  SIGNET_TRY_ASSIGN(name, opt_string(o, "name"));
  SIGNET_TRY_ASSIGN(alg, opt_string(o, "signing_alg"));
  SIGNET_TRY_ASSIGN(lifetime, opt_int(o, "token_lifetime"));
  SIGNET_TRY_ASSIGN(offline, opt_bool(o, "allow_offline_access"));
  SIGNET_TRY_ASSIGN(dialect, opt_string(o, "token_dialect"));
  SIGNET_TRY_ASSIGN(scopes, opt_permissions(o, "scopes"));
  SIGNET_TRY_ASSIGN(require_dpop, opt_proof_of_possession(o, /*strict=*/true));
  s.require_dpop = require_dpop;
  s.name = std::move(name);
  if (alg) {
    SIGNET_TRY_ASSIGN(parsed, parse_alg(*alg));
    s.alg = parsed;
  }
  if (lifetime) {
    // The range is the admin service's rule; the codec only refuses what cannot be seconds.
    s.lifetime = std::chrono::seconds{*lifetime};
  }
  s.offline = offline;
  if (dialect) {
    SIGNET_TRY_ASSIGN(parsed, parse_dialect(*dialect));
    s.dialect = parsed;
  }
  s.scopes = std::move(scopes);
  return s;
}

}  // namespace

AdminResult<ApiDraft> api_draft_from_json(const json::object& o) {
  if (auto known = only_known(o, SIGNET_API_FIELDS, "a resource server"); !known) {
    return fail(known.error());
  }
  SIGNET_TRY_ASSIGN(identifier, req_string(o, "identifier", "a resource server"));
  SIGNET_TRY_ASSIGN(s, read_api_settings(o));
  if (!s.name) {
    return fail(bad("'name' is required in a resource server"));
  }
  ApiDraft d;
  d.identifier = std::move(identifier);
  d.name = std::move(*s.name);
  d.signing_algorithm = s.alg;
  d.token_lifetime = s.lifetime;
  d.allow_offline_access = s.offline;
  d.require_dpop = s.require_dpop;
  if (s.dialect) {
    d.token_profile = s.dialect->profile;
    d.permissions_claim = s.dialect->permissions_claim;
  }
  d.permissions = s.scopes.value_or(std::vector<store::Permission>{});
  return d;
}

AdminResult<json::object> api_patch_to_json(const ApiPatch& p) {
  if (!p.add_permissions.empty() || !p.remove_permissions.empty()) {
    return fail(
        bad("a resource server PATCH carries the whole 'scopes' list; apply additions "
            "and removals to the record first"));
  }
  json::object out;
  if (p.name) {
    out["name"] = *p.name;
  }
  if (p.signing_algorithm) {
    out["signing_alg"] = jose::to_string(*p.signing_algorithm);
  }
  if (p.token_lifetime) {
    out["token_lifetime"] = p.token_lifetime->count();
  }
  if (p.allow_offline_access) {
    out["allow_offline_access"] = *p.allow_offline_access;
  }
  if (p.token_profile || p.permissions_claim) {
    // token_dialect carries both: a patch that names only one of them must be resolved against
    // the record first (RemoteAdmin does), else the other would be reset.
    out["token_dialect"] = token_dialect(p.token_profile.value_or(store::TokenProfile::kAuth0),
                                         p.permissions_claim.value_or(false));
  }
  if (p.require_dpop) {
    out[kProofOfPossession] = proof_of_possession_json(*p.require_dpop);
  }
  if (p.permissions) {
    out["scopes"] = permissions_json(*p.permissions);
  }
  return out;
}

AdminResult<ApiPatch> api_patch_from_json(const json::object& o) {
  if (o.contains("identifier")) {
    return fail(bad("a resource server's identifier cannot change: create a new one instead"));
  }
  if (auto known = only_known(o, SIGNET_API_FIELDS, "a resource server"); !known) {
    return fail(known.error());
  }
  SIGNET_TRY_ASSIGN(s, read_api_settings(o));
  ApiPatch p;
  p.name = std::move(s.name);
  p.signing_algorithm = s.alg;
  p.token_lifetime = s.lifetime;
  p.allow_offline_access = s.offline;
  p.require_dpop = s.require_dpop;
  if (s.dialect) {
    p.token_profile = s.dialect->profile;
    p.permissions_claim = s.dialect->permissions_claim;
  }
  p.permissions = std::move(s.scopes);
  return p;
}

json::object application_draft_to_json(const ApplicationDraft& d) {
  json::object out{{"name", d.name}, {"app_type", app_type_name(d.type)}};
  if (!d.grant_types.empty()) {
    json::array grants;
    for (const auto g : d.grant_types) {
      grants.emplace_back(store::to_string(g));
    }
    out["grant_types"] = std::move(grants);
  }
  if (d.token_endpoint_auth_method) {
    out["token_endpoint_auth_method"] = store::to_string(*d.token_endpoint_auth_method);
  }
  if (d.client_id) {
    out["client_id"] = *d.client_id;
  }
  if (!d.callbacks.empty()) {
    out[kCallbacks] = strings(d.callbacks);
  }
  if (!d.allowed_logout_urls.empty()) {
    out[kLogoutUrls] = strings(d.allowed_logout_urls);
  }
  if (!d.web_origins.empty()) {
    out[kWebOrigins] = strings(d.web_origins);
  }
  if (!d.jwks.empty()) {
    out["jwks"] = jwks_value(d.jwks);
  }
  if (!d.jwks_uri.empty()) {
    out["jwks_uri"] = d.jwks_uri;
  }
  if (d.dpop_bound_access_tokens) {
    out[kDpopBound] = true;
  }
  return out;
}

AdminResult<ApplicationDraft> application_draft_from_json(const json::object& o) {
  if (auto known =
          only_known(o,
                     {"name", "app_type", "grant_types", "token_endpoint_auth_method", "client_id",
                      kCallbacks, kLogoutUrls, kWebOrigins, "jwks", "jwks_uri", kDpopBound},
                     "a client");
      !known) {
    return fail(known.error());
  }
  ApplicationDraft d;
  SIGNET_TRY_ASSIGN(name, req_string(o, "name", "a client"));
  SIGNET_TRY_ASSIGN(type, opt_string(o, "app_type"));
  SIGNET_TRY_ASSIGN(grants, opt_strings(o, "grant_types"));
  SIGNET_TRY_ASSIGN(method, opt_string(o, "token_endpoint_auth_method"));
  SIGNET_TRY_ASSIGN(client_id, opt_string(o, "client_id"));
  SIGNET_TRY_ASSIGN(callbacks, opt_strings(o, kCallbacks));
  SIGNET_TRY_ASSIGN(logout_urls, opt_strings(o, kLogoutUrls));
  SIGNET_TRY_ASSIGN(web_origins, opt_strings(o, kWebOrigins));
  SIGNET_TRY_ASSIGN(jwks, opt_jwks(o));
  SIGNET_TRY_ASSIGN(jwks_uri, opt_string(o, "jwks_uri"));
  SIGNET_TRY_ASSIGN(dpop_bound, opt_bool(o, kDpopBound));
  d.dpop_bound_access_tokens = dpop_bound.value_or(false);
  d.callbacks = callbacks.value_or(std::vector<std::string>{});
  d.allowed_logout_urls = logout_urls.value_or(std::vector<std::string>{});
  d.web_origins = web_origins.value_or(std::vector<std::string>{});
  d.jwks = jwks.value_or("");
  d.jwks_uri = jwks_uri.value_or("");
  d.name = std::move(name);
  if (type) {
    auto parsed = parse_app_type(*type);
    if (!parsed) {
      return fail(bad("unknown app_type '" + *type +
                      "': use non_interactive (machine to machine), regular_web, native or spa"));
    }
    d.type = *parsed;
  }
  if (grants) {
    SIGNET_TRY_ASSIGN(parsed, parse_grant_types(*grants));
    d.grant_types = std::move(parsed);
  }
  if (method) {
    SIGNET_TRY_ASSIGN(parsed, parse_auth_method(*method));
    d.token_endpoint_auth_method = parsed;
  }
  d.client_id = std::move(client_id);
  return d;
}

json::object application_patch_to_json(const ApplicationPatch& p) {
  json::object out;
  if (p.name) {
    out["name"] = *p.name;
  }
  if (p.type) {
    out["app_type"] = app_type_name(*p.type);
  }
  if (p.grant_types) {
    json::array grants;
    for (const auto g : *p.grant_types) {
      grants.emplace_back(store::to_string(g));
    }
    out["grant_types"] = std::move(grants);
  }
  if (p.token_endpoint_auth_method) {
    out["token_endpoint_auth_method"] = store::to_string(*p.token_endpoint_auth_method);
  }
  if (p.callbacks) {
    out[kCallbacks] = strings(*p.callbacks);
  }
  if (p.allowed_logout_urls) {
    out[kLogoutUrls] = strings(*p.allowed_logout_urls);
  }
  if (p.web_origins) {
    out[kWebOrigins] = strings(*p.web_origins);
  }
  if (p.jwks) {
    out["jwks"] = p.jwks->empty() ? json::value(nullptr) : jwks_value(*p.jwks);
  }
  if (p.jwks_uri) {
    out["jwks_uri"] = *p.jwks_uri;
  }
  if (p.dpop_bound_access_tokens) {
    out[kDpopBound] = *p.dpop_bound_access_tokens;
  }
  return out;
}

AdminResult<ApplicationPatch> application_patch_from_json(const json::object& o) {
  if (o.contains("client_id")) {
    return fail(bad("a client's client_id cannot change: create a new client instead"));
  }
  if (o.contains("client_secret")) {
    return fail(
        bad("a client secret cannot be set: rotate it with POST "
            "clients/{client_id}/rotate-secret"));
  }
  if (auto known =
          only_known(o,
                     {"name", "app_type", "grant_types", "token_endpoint_auth_method", kCallbacks,
                      kLogoutUrls, kWebOrigins, "jwks", "jwks_uri", kDpopBound},
                     "a client");
      !known) {
    return fail(known.error());
  }
  ApplicationPatch p;
  SIGNET_TRY_ASSIGN(name, opt_string(o, "name"));
  SIGNET_TRY_ASSIGN(type, opt_string(o, "app_type"));
  SIGNET_TRY_ASSIGN(grants, opt_strings(o, "grant_types"));
  SIGNET_TRY_ASSIGN(method, opt_string(o, "token_endpoint_auth_method"));
  SIGNET_TRY_ASSIGN(callbacks, opt_strings(o, kCallbacks));
  SIGNET_TRY_ASSIGN(logout_urls, opt_strings(o, kLogoutUrls));
  SIGNET_TRY_ASSIGN(web_origins, opt_strings(o, kWebOrigins));
  SIGNET_TRY_ASSIGN(jwks, opt_jwks(o));
  SIGNET_TRY_ASSIGN(jwks_uri, opt_string(o, "jwks_uri"));
  SIGNET_TRY_ASSIGN(dpop_bound, opt_bool(o, kDpopBound));
  p.dpop_bound_access_tokens = dpop_bound;
  p.callbacks = std::move(callbacks);
  p.allowed_logout_urls = std::move(logout_urls);
  p.web_origins = std::move(web_origins);
  p.jwks = std::move(jwks);
  p.jwks_uri = std::move(jwks_uri);
  p.name = std::move(name);
  if (type) {
    auto parsed = parse_app_type(*type);
    if (!parsed) {
      return fail(bad("unknown app_type '" + *type +
                      "': use non_interactive (machine to machine), regular_web, native or spa"));
    }
    p.type = *parsed;
  }
  if (grants) {
    SIGNET_TRY_ASSIGN(parsed, parse_grant_types(*grants));
    p.grant_types = std::move(parsed);
  }
  if (method) {
    SIGNET_TRY_ASSIGN(parsed, parse_auth_method(*method));
    p.token_endpoint_auth_method = parsed;
  }
  return p;
}

json::object user_draft_to_json(const UserDraft& d) {
  json::object out{
      {"email", d.email}, {"password", d.password}, {"connection", kDatabaseConnection}};
  if (d.id) {
    out["user_id"] = *d.id;
  }
  return out;
}

AdminResult<UserDraft> user_draft_from_json(const json::object& o) {
  if (auto known = only_known(o, {"email", "password", "user_id", "connection"}, "a user");
      !known) {
    return fail(known.error());
  }
  UserDraft d;
  SIGNET_TRY_ASSIGN(email, req_string(o, "email", "a user"));
  SIGNET_TRY_ASSIGN(password, req_string(o, "password", "a user"));
  SIGNET_TRY_ASSIGN(id, opt_string(o, "user_id"));
  SIGNET_TRY_ASSIGN(connection, opt_string(o, "connection"));
  if (connection && *connection != kDatabaseConnection) {
    return fail(bad("unknown connection '" + *connection + "': signet has one, " +
                    std::string(kDatabaseConnection)));
  }
  d.email = std::move(email);
  d.password = std::move(password);
  d.id = std::move(id);
  return d;
}

json::object user_patch_to_json(const UserPatch& p) {
  json::object out;
  if (p.email) {
    out["email"] = *p.email;
  }
  if (p.password) {
    out["password"] = *p.password;
  }
  if (p.blocked) {
    out["blocked"] = *p.blocked;
  }
  return out;
}

AdminResult<UserPatch> user_patch_from_json(const json::object& o) {
  if (o.contains("user_id")) {
    return fail(bad("a user's id cannot change"));
  }
  if (auto known = only_known(o, {"email", "password", "blocked", "connection"}, "a user");
      !known) {
    return fail(known.error());
  }
  UserPatch p;
  SIGNET_TRY_ASSIGN(email, opt_string(o, "email"));
  SIGNET_TRY_ASSIGN(password, opt_string(o, "password"));
  SIGNET_TRY_ASSIGN(blocked, opt_bool(o, "blocked"));
  SIGNET_TRY_ASSIGN(connection, opt_string(o, "connection"));
  if (connection && *connection != kDatabaseConnection) {
    return fail(bad("unknown connection '" + *connection + "'"));
  }
  p.email = std::move(email);
  p.password = std::move(password);
  p.blocked = blocked;
  return p;
}

AdminResult<std::vector<std::string>> grant_scope_from_json(const json::object& o, bool required) {
  SIGNET_TRY_ASSIGN(scope, opt_strings(o, "scope"));
  if (!scope) {
    if (required) {
      return fail(bad("'scope' is required: an array of the API's permissions"));
    }
    return std::vector<std::string>{};
  }
  return std::move(*scope);
}

AdminResult<Ok> apply_api_patch(const ApiPatch& p, store::Api& record) {
  // Applied to a copy: a refused patch leaves the caller's record as it was.
  store::Api api = record;
  api.name = p.name.value_or(api.name);
  api.signing_algorithm = p.signing_algorithm.value_or(api.signing_algorithm);
  api.token_lifetime = p.token_lifetime.value_or(api.token_lifetime);
  api.allow_offline_access = p.allow_offline_access.value_or(api.allow_offline_access);
  api.token_profile = p.token_profile.value_or(api.token_profile);
  api.permissions_claim = p.permissions_claim.value_or(api.permissions_claim);
  api.require_dpop = p.require_dpop.value_or(api.require_dpop);
  if (p.permissions) {
    api.permissions = *p.permissions;
  }
  for (const auto& add : p.add_permissions) {
    auto it = std::find_if(api.permissions.begin(), api.permissions.end(),
                           [&](const auto& q) { return q.value == add.value; });
    if (it == api.permissions.end()) {
      api.permissions.push_back(add);
    } else if (!add.description.empty()) {
      it->description = add.description;
    }
  }
  // All or nothing: a typo in one name must not leave the others half removed.
  for (const auto& value : p.remove_permissions) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& q) { return q.value == value; })) {
      return fail(bad("API " + api.identifier + " has no permission " + value));
    }
  }
  std::erase_if(api.permissions, [&](const auto& q) {
    return std::find(p.remove_permissions.begin(), p.remove_permissions.end(), q.value) !=
           p.remove_permissions.end();
  });
  record = std::move(api);
  return Ok{};
}

}  // namespace signet::admin
