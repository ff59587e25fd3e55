#include "signet/cli/printers.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "signet/cli/admin_support.h"
#include "signet/jose/algorithm.h"

namespace signet::cli {

namespace json = boost::json;

namespace {

std::string yes_no(bool value) {
  return value ? "true" : "false";
}

json::array string_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) {
    out.emplace_back(v);
  }
  return out;
}

// "2 keys: kid-1, kid-2" for a JWKS's row in a table; the keys themselves are in --json.
std::string jwks_summary(const std::string& text) {
  json::error_code ec;
  const json::value v = json::parse(text, ec);
  const json::array* keys = nullptr;
  if (!ec && v.is_object()) {
    if (const auto* k = v.as_object().if_contains("keys")) {
      keys = k->if_array();
    }
  }
  if (keys == nullptr) {
    return "(not a JWK Set: register it again with --jwks FILE)";
  }
  std::vector<std::string> kids;
  for (const auto& key : *keys) {
    const auto* o = key.if_object();
    const auto* kid = o != nullptr ? o->if_contains("kid") : nullptr;
    kids.push_back(kid != nullptr && kid->is_string() ? std::string(kid->as_string())
                                                      : std::string("(no kid)"));
  }
  return std::to_string(kids.size()) + (kids.size() == 1 ? " key: " : " keys: ") +
         join_or_dash(kids, ", ");
}

std::vector<std::string> grant_type_names(const store::Application& app) {
  std::vector<std::string> names;
  for (const auto g : app.grant_types) {
    names.emplace_back(store::to_string(g));
  }
  return names;
}

// "-", or "yes (2 addresses, until 2026-11-28T23:37:16Z)" with the last block's end.
std::string lockout_cell(const std::vector<store::AddressFailedLogins>& lockouts) {
  if (lockouts.empty()) {
    return "-";
  }
  store::Timestamp until{};
  for (const auto& l : lockouts) {
    until = std::max(until, *l.counter.blocked_until);
  }
  return "yes (" + std::to_string(lockouts.size()) +
         (lockouts.size() == 1 ? " address" : " addresses") + ", until " + format_time(until) + ")";
}

json::array lockouts_json(const std::vector<store::AddressFailedLogins>& lockouts) {
  json::array out;
  for (const auto& l : lockouts) {
    out.push_back(json::object{{"address", l.address},
                               {"failed_logins", l.counter.count},
                               {"until", format_time(*l.counter.blocked_until)}});
  }
  return out;
}

// The user's permissions grouped by API, APIs in the order the store lists them.
std::vector<std::pair<std::string, std::vector<std::string>>> by_api(
    const std::vector<store::UserPermission>& permissions) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& p : permissions) {
    if (out.empty() || out.back().first != p.api) {
      out.emplace_back(p.api, std::vector<std::string>{});
    }
    out.back().second.push_back(p.permission);
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

void print_table(std::ostream& out, const TableRows& cells) {
  if (cells.empty()) {
    return;
  }
  // Cells may hold what a client sent (the event log's client ids, descriptions): a control
  // character must not reach the operator's terminal, where it could rewrite what is shown.
  TableRows rows;
  rows.reserve(cells.size());
  for (const auto& row : cells) {
    auto& shown = rows.emplace_back();
    for (const auto& cell : row) {
      shown.push_back(printable(cell));
    }
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size() && i < widths.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out << line << "\n";
  }
}

void print_json(std::ostream& out, const json::value& value) {
  out << json::serialize(value) << "\n";
}

// --- APIs

json::object to_json(const store::Api& api) {
  json::array permissions;
  for (const auto& p : api.permissions) {
    permissions.push_back(to_json(p));
  }
  return json::object{
      {"identifier", api.identifier},
      {"name", api.name},
      {"signing_alg", jose::to_string(api.signing_algorithm)},
      {"token_lifetime", api.token_lifetime.count()},
      {"allow_offline_access", api.allow_offline_access},
      {"token_profile", store::to_string(api.token_profile)},
      {"permissions_claim", api.permissions_claim},
      {"require_dpop", api.require_dpop},
      {"permissions", std::move(permissions)},
      {"created_at", format_time(api.created_at)},
  };
}

void print_details(std::ostream& out, const store::Api& api) {
  print_table(out, {
                       {"identifier", api.identifier},
                       {"name", api.name},
                       {"signing algorithm", std::string(jose::to_string(api.signing_algorithm))},
                       {"token lifetime", std::to_string(api.token_lifetime.count()) + " s"},
                       {"allow offline access", yes_no(api.allow_offline_access)},
                       {"token profile", std::string(store::to_string(api.token_profile))},
                       {"permissions claim", yes_no(api.permissions_claim)},
                       {"require DPoP", yes_no(api.require_dpop)},
                       {"created", format_time(api.created_at)},
                   });
  out << "\n";
  if (api.permissions.empty()) {
    out << "no permissions yet: add one with 'signet apis permissions add "
        << shell_quote(api.identifier) << " read:messages --description \"Read messages\"'\n";
    return;
  }
  print_rows(out, api.permissions);
}

void print_rows(std::ostream& out, const std::vector<store::Api>& apis) {
  TableRows rows{
      {"IDENTIFIER", "NAME", "ALG", "LIFETIME", "OFFLINE", "PROFILE", "DPOP", "PERMISSIONS"}};
  for (const auto& api : apis) {
    std::vector<std::string> values;
    for (const auto& p : api.permissions) {
      values.push_back(p.value);
    }
    rows.push_back({api.identifier, api.name, std::string(jose::to_string(api.signing_algorithm)),
                    std::to_string(api.token_lifetime.count()), yes_no(api.allow_offline_access),
                    std::string(store::to_string(api.token_profile)), yes_no(api.require_dpop),
                    join_or_dash(values, " ")});
  }
  print_table(out, rows);
}

// --- an API's permissions

json::object to_json(const store::Permission& permission) {
  return json::object{{"value", permission.value}, {"description", permission.description}};
}

void print_rows(std::ostream& out, const std::vector<store::Permission>& permissions) {
  TableRows rows{{"PERMISSION", "DESCRIPTION"}};
  for (const auto& p : permissions) {
    rows.push_back({p.value, p.description.empty() ? "-" : p.description});
  }
  print_table(out, rows);
}

// --- applications

json::object to_json(const store::Application& app) {
  json::object out{
      {"client_id", app.client_id},
      {"name", app.name},
      {"type", store::to_string(app.type)},
      {"grant_types", string_array(grant_type_names(app))},
      {"token_endpoint_auth_method", store::to_string(app.token_endpoint_auth_method)},
      {"created_at", format_time(app.created_at)},
      {"callbacks", string_array(app.callbacks)},
      {"allowed_logout_urls", string_array(app.allowed_logout_urls)},
      {"web_origins", string_array(app.web_origins)},
      {"dpop_bound_access_tokens", app.dpop_bound_access_tokens},
  };
  if (!app.jwks.empty()) {
    // Written by the admin service as a JSON object; shown as text if it somehow is not.
    json::error_code ec;
    json::value jwks = json::parse(app.jwks, ec);
    out["jwks"] = ec ? json::value(json::string(app.jwks)) : std::move(jwks);
  }
  if (!app.jwks_uri.empty()) {
    out["jwks_uri"] = app.jwks_uri;
  }
  return out;
}

TableRows detail_rows(const store::Application& app) {
  TableRows rows{
      {"client_id", app.client_id},
      {"name", app.name},
      {"type", std::string(store::to_string(app.type))},
      {"grant types", join_or_dash(grant_type_names(app), ", ")},
      {"auth method", std::string(store::to_string(app.token_endpoint_auth_method))},
  };
  // Off unless an operator turned it on (--require-dpop): shown when it is, as jwks below.
  if (app.dpop_bound_access_tokens) {
    rows.push_back({"require DPoP", yes_no(true)});
  }
  rows.push_back({"created", format_time(app.created_at)});
  // The sign-in URLs mean nothing to a machine-to-machine application: shown there only if set.
  const bool signs_in = app.type != store::ApplicationType::kM2m;
  for (const auto& [label, urls] :
       {std::pair<std::string, const std::vector<std::string>*>{"callbacks", &app.callbacks},
        {"logout URLs", &app.allowed_logout_urls},
        {"web origins", &app.web_origins}}) {
    if (signs_in || !urls->empty()) {
      rows.push_back({label, join_or_dash(*urls, " ")});
    }
  }
  if (!app.jwks.empty()) {
    rows.push_back({"jwks", jwks_summary(app.jwks)});
  }
  if (!app.jwks_uri.empty()) {
    rows.push_back({"jwks_uri", app.jwks_uri});
  }
  return rows;
}

void print_details(std::ostream& out, const store::Application& app) {
  print_table(out, detail_rows(app));
}

void print_rows(std::ostream& out, const std::vector<store::Application>& apps) {
  TableRows rows{{"CLIENT_ID", "NAME", "TYPE", "GRANT_TYPES", "AUTH_METHOD", "DPOP", "CREATED"}};
  for (const auto& app : apps) {
    rows.push_back({app.client_id, app.name, std::string(store::to_string(app.type)),
                    join_or_dash(grant_type_names(app), ","),
                    std::string(store::to_string(app.token_endpoint_auth_method)),
                    yes_no(app.dpop_bound_access_tokens), format_time(app.created_at)});
  }
  print_table(out, rows);
}

// --- an application with its new secret

json::object to_json(const admin::ApplicationWithSecret& created) {
  auto out = to_json(created.application);
  if (!created.client_secret.empty()) {  // none and private_key_jwt clients have no secret
    out["client_secret"] = created.client_secret;
  }
  return out;
}

void print_details(std::ostream& out, const admin::ApplicationWithSecret& created) {
  auto rows = detail_rows(created.application);
  if (created.client_secret.empty()) {
    print_table(out, rows);
    out << (created.application.token_endpoint_auth_method ==
                    store::TokenEndpointAuthMethod::kPrivateKeyJwt
                ? "\nThe application has no client secret: it authenticates with a JWT signed by "
                  "its private key (private_key_jwt).\n"
                : "\nThe application is public and has no client secret: it signs users in "
                  "with the authorization code flow and PKCE.\n");
    return;
  }
  rows.insert(rows.begin() + 1, {"client_secret", created.client_secret});
  print_table(out, rows);
  out << "\nStore the client secret now: it cannot be shown again (signet keeps only a hash of "
         "it). If it is lost, run 'signet clients rotate-secret "
      << shell_quote(created.application.client_id) << "'.\n";
}

// --- client grants

json::object to_json(const store::ClientGrant& grant) {
  return json::object{
      {"id", grant.id},
      {"client_id", grant.client_id},
      {"audience", grant.audience},
      {"scopes", string_array(grant.scopes)},
      {"created_at", format_time(grant.created_at)},
  };
}

void print_details(std::ostream& out, const store::ClientGrant& grant) {
  print_table(out, {
                       {"id", std::to_string(grant.id)},
                       {"client_id", grant.client_id},
                       {"audience", grant.audience},
                       {"scopes", join_or_dash(grant.scopes, " ")},
                       {"created", format_time(grant.created_at)},
                   });
}

void print_rows(std::ostream& out, const std::vector<store::ClientGrant>& grants) {
  TableRows rows{{"ID", "CLIENT_ID", "AUDIENCE", "SCOPES", "CREATED"}};
  for (const auto& g : grants) {
    rows.push_back({std::to_string(g.id), g.client_id, g.audience, join_or_dash(g.scopes, " "),
                    format_time(g.created_at)});
  }
  print_table(out, rows);
}

// --- users

json::object to_json(const store::User& user) {
  return json::object{
      {"id", user.id},
      {"email", user.email},
      {"blocked", user.blocked},
      {"created_at", format_time(user.created_at)},
  };
}

TableRows detail_rows(const store::User& user) {
  return {
      {"id", user.id},
      {"email", user.email},
      {"blocked", yes_no(user.blocked)},
      {"created", format_time(user.created_at)},
  };
}

void print_details(std::ostream& out, const store::User& user) {
  print_table(out, detail_rows(user));
}

json::object to_json(const UserWithLockouts& u) {
  auto out = to_json(u.user);
  out["locked_out"] = !u.lockouts.empty();
  out["lockouts"] = lockouts_json(u.lockouts);
  return out;
}

void print_rows(std::ostream& out, const std::vector<UserWithLockouts>& users) {
  TableRows rows{{"ID", "EMAIL", "BLOCKED", "LOCKED_OUT", "CREATED"}};
  for (const auto& [u, lockouts] : users) {
    rows.push_back(
        {u.id, u.email, yes_no(u.blocked), lockout_cell(lockouts), format_time(u.created_at)});
  }
  print_table(out, rows);
}

json::object to_json(const UserProfile& profile) {
  json::object permissions;
  for (const auto& [api, values] : by_api(profile.permissions)) {
    permissions[api] = string_array(values);
  }
  auto out = to_json(UserWithLockouts{profile.user, profile.lockouts});
  out["permissions"] = std::move(permissions);
  return out;
}

void print_details(std::ostream& out, const UserProfile& profile) {
  const auto& user = profile.user;
  auto rows = detail_rows(user);
  rows.insert(rows.begin() + 3, {"locked out", lockout_cell(profile.lockouts)});
  print_table(out, rows);
  out << "\n";
  const auto grouped = by_api(profile.permissions);
  if (grouped.empty()) {
    out << "no permissions: give some with 'signet users permissions add " << shell_quote(user.id)
        << " --audience API SCOPE...'\n";
  } else {
    TableRows permission_rows{{"API", "PERMISSIONS"}};
    for (const auto& [api, values] : grouped) {
      permission_rows.push_back({api, join_or_dash(values, " ")});
    }
    print_table(out, permission_rows);
  }
  if (profile.lockouts.empty()) {
    return;
  }
  out << "\nlocked out by brute-force protection (wrong passwords) from:\n";
  TableRows lockout_rows{{"ADDRESS", "FAILED_LOGINS", "UNTIL"}};
  for (const auto& l : profile.lockouts) {
    // The account-wide counter slows every address the user has not signed in from.
    lockout_rows.push_back(
        {l.address == store::kAnyAddress ? "any new address (slowed down)" : l.address,
         std::to_string(l.counter.count), format_time(*l.counter.blocked_until)});
  }
  print_table(out, lockout_rows);
  out << "lift it now with 'signet users unblock " << shell_quote(user.email) << "'\n";
}

// --- a user's permissions

json::object to_json(const store::UserPermission& permission) {
  return json::object{{"api", permission.api}, {"permission", permission.permission}};
}

void print_rows(std::ostream& out, const std::vector<store::UserPermission>& permissions) {
  TableRows rows{{"API", "PERMISSION"}};
  for (const auto& p : permissions) {
    rows.push_back({p.api, p.permission});
  }
  print_table(out, rows);
}

// --- signing keys

json::object to_json(const store::SigningKey& key) {
  json::object o;
  o["kid"] = key.kid;
  o["alg"] = jose::to_string(key.algorithm);
  o["state"] = store::to_string(key.state);
  o["created_at"] = format_time(key.created_at);
  if (key.rotated_at) {
    o["rotated_at"] = format_time(*key.rotated_at);
  } else {
    o["rotated_at"] = nullptr;
  }
  return o;
}

void print_rows(std::ostream& out, const std::vector<store::SigningKey>& keys) {
  TableRows rows{{"KID", "ALG", "STATE", "CREATED", "ROTATED"}};
  for (const auto& k : keys) {
    rows.push_back({k.kid, std::string(jose::to_string(k.algorithm)),
                    std::string(store::to_string(k.state)), format_time(k.created_at),
                    k.rotated_at ? format_time(*k.rotated_at) : "-"});
  }
  print_table(out, rows);
}

}  // namespace signet::cli
