#include "signet/server/token_endpoint.h"

#include <boost/json.hpp>

#include "signet/jose/algorithm.h"
#include "signet/jose/base64url.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/grant_authorization_code.h"
#include "signet/server/grant_client_credentials.h"
#include "signet/server/grant_password.h"
#include "signet/server/grant_refresh_token.h"
#include "signet/server/metadata.h"

namespace signet::server {

namespace json = boost::json;

namespace {

using Code = OAuthErrorCode;

// characters of an unsupported grant_type quoted back to the client.
constexpr std::size_t kMaxEchoedGrantType = 64;

// The algorithm of the access token in a token response, read from its header (which we just
// wrote: the first segment, a small JSON object), for the metrics by algorithm. Nothing is
// verified: the token is our own.
std::optional<jose::Algorithm> signed_with(const json::object& body) {
  const auto* token = body.if_contains("access_token");
  if (token == nullptr || !token->is_string()) {
    return std::nullopt;
  }
  const std::string_view text = token->as_string();
  auto header = jose::base64url_decode(text.substr(0, text.find('.')));
  if (!header) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const auto parsed = json::parse(*header, ec);
  const auto* alg = ec || !parsed.is_object() ? nullptr : parsed.as_object().if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return std::nullopt;
  }
  auto known = jose::parse_algorithm(alg->as_string());
  return known ? std::optional<jose::Algorithm>(*known) : std::nullopt;
}

// Replicas share the master key (it opens the signing keys they share), so a nonce key derived
// from it is the same on each: a client behind a load balancer is asked for a nonce once, not
// once per replica it happens to reach.
std::string dpop_nonce_key(const SecretHasher& secrets, const EndpointConfig& config) {
  const auto key = secrets.derive_key("signet DPoP nonce key v1", config.issuer);
  return std::string(key.begin(), key.end());
}

}  // namespace

json::object EndpointCounters::to_json() const {
  json::object errs;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    errs[to_string(static_cast<OAuthErrorCode>(i))] = errors[i].load();
  }
  return json::object{
      {"issued", json::object{{"client_credentials", total(issued_client_credentials)},
                              {"password", total(issued_password)},
                              {"refresh_token", total(issued_refresh_token)},
                              {"authorization_code", total(issued_authorization_code)}}},
      {"refresh_reuse_detected", refresh_reuse_detected.load()},
      {"code_reuse_detected", code_reuse_detected.load()},
      {"revocations", revocations.load()},
      {"introspections", introspections.load()},
      {"errors", std::move(errs)}};
}

std::uint64_t EndpointCounters::total(const ByAlgorithm& issued) {
  std::uint64_t n = 0;
  for (const auto& c : issued) {
    n += c.load(std::memory_order_relaxed);
  }
  return n;
}

TokenEndpoint::TokenEndpoint(EndpointConfig config, Tenant& tenant, store::Store& store,
                             const SecretHasher& secrets, const PasswordHasher& passwords,
                             ClientKeysOptions client_keys)
    : config_(std::move(config)),
      dpop_(config_.issuer + std::string(kTokenPath), config_.dpop,
            dpop_nonce_key(secrets, config_),
            config_.dpop.shared_record ? std::make_shared<StoreReplayLedger>(store, secrets)
                                       : nullptr),
      tenant_(tenant),
      store_(store),
      secrets_(secrets),
      passwords_(passwords),
      password_check_(
          store, passwords,
          ThrottlePolicy{config_.user_lockout, config_.account_delay,
                         config_.max_failing_accounts_per_address, kDefaultFamiliarAddressWindow}),
      clients_(store, secrets, config_.client_lockout, config_.issuer, std::move(client_keys)) {
  const GrantServices svc{config_,   store_,          secrets_, passwords_,
                          counters_, password_check_, tenant_};
  namespace et = event_type;
  grants_.push_back({"client_credentials",
                     store::GrantType::kClientCredentials,
                     std::make_unique<ClientCredentialsGrant>(svc),
                     &counters_.issued_client_credentials,
                     et::kClientCredentialsExchange,
                     et::kClientCredentialsExchangeFailed,
                     {}});
  grants_.push_back({"password",
                     store::GrantType::kPassword,
                     std::make_unique<PasswordGrant>(svc),
                     &counters_.issued_password,
                     et::kPasswordExchange,
                     et::kPasswordExchangeFailed,
                     {}});
  grants_.push_back({"refresh_token", store::GrantType::kRefreshToken,
                     std::make_unique<RefreshTokenGrant>(svc), &counters_.issued_refresh_token,
                     et::kRefreshTokenExchange, et::kRefreshTokenExchangeFailed,
                     et::kRefreshTokenReuse});
  grants_.push_back({"authorization_code", store::GrantType::kAuthorizationCode,
                     std::make_unique<AuthorizationCodeGrant>(svc),
                     &counters_.issued_authorization_code, et::kCodeExchange,
                     et::kCodeExchangeFailed, et::kCodeReuse});
}

TokenEndpoint::~TokenEndpoint() = default;

bool TokenEndpoint::may_block(const Params& params, bool records_proof) {
  return params.get("grant_type") != std::optional<std::string_view>("client_credentials") ||
         params.has("client_assertion") || records_proof;
}

EndpointResult TokenEndpoint::counted(EndpointResult result) {
  if (!result) {
    const auto i = static_cast<std::size_t>(result.error().code);
    if (i < counters_.errors.size()) {
      counters_.errors[i].fetch_add(1, std::memory_order_relaxed);
    }
  }
  return result;
}

EndpointResult TokenEndpoint::token(const EndpointRequest& req) {
  return noted(req, &TokenEndpoint::run_grant, &TokenEndpoint::record_exchange);
}

EndpointResult TokenEndpoint::revoke(const EndpointRequest& req) {
  return noted(req, &TokenEndpoint::run_revoke, &TokenEndpoint::record_revocation);
}

EndpointResult TokenEndpoint::noted(const EndpointRequest& req, Run run, Record record) {
  if (events_ == nullptr) {
    return counted((this->*run)(req));  // no event log: nothing to take notes for
  }
  RequestNotes notes;
  EndpointRequest with_notes = req;
  with_notes.notes = &notes;
  auto result = counted((this->*run)(with_notes));
  store::Event event = (this->*record)(with_notes, notes, result);
  if (!notes.started_block.empty()) {
    // The lockout this failure started is an event of its own, with the same who and where.
    store::Event block = event;
    block.type = notes.started_block;
    block.description.clear();
    events_->record(std::move(event));
    events_->record(std::move(block));
  } else {
    events_->record(std::move(event));
  }
  return result;
}

const TokenEndpoint::GrantEntry* TokenEndpoint::find_grant(
    std::optional<std::string_view> grant_type) const {
  if (!grant_type) {
    return nullptr;
  }
  const auto entry = std::find_if(grants_.begin(), grants_.end(),
                                  [&](const GrantEntry& e) { return e.name == *grant_type; });
  return entry == grants_.end() ? nullptr : &*entry;
}

namespace {

// The fields every token-endpoint event shares.
store::Event endpoint_event(const EndpointRequest& req, const RequestNotes& notes,
                            const EndpointResult& result) {
  store::Event e;
  e.date = req.at;
  // An unauthenticated client_id is what the request claimed: recorded as such, since failed
  // attempts against a client are what an operator looks for.
  e.client_id = !notes.client_id.empty() ? notes.client_id
                                         : std::string(req.params->get("client_id").value_or(""));
  e.user_id = notes.user_id;
  e.audience =
      !notes.audience.empty()
          ? notes.audience
          : std::string(
                req.params->get("audience").value_or(req.params->get("resource").value_or("")));
  if (result) {
    if (const auto* scope = result->if_contains("scope"); scope != nullptr && scope->is_string()) {
      e.scope = scope->as_string();
    }
  } else {
    e.error = to_string(result.error().code);
    e.description = result.error().description;
  }
  if (e.scope.empty()) {
    e.scope = std::string(req.params->get("scope").value_or(""));
  }
  e.ip = req.peer_address;
  e.user_agent = req.user_agent;
  return e;
}

}  // namespace

store::Event TokenEndpoint::record_exchange(const EndpointRequest& req, const RequestNotes& notes,
                                            const EndpointResult& result) const {
  const auto grant_type = req.params->get("grant_type");
  const GrantEntry* entry = find_grant(grant_type);
  store::Event e = endpoint_event(req, notes, result);
  json::object details;
  if (entry == nullptr) {
    e.type = event_type::kUnsupportedGrant;
    if (grant_type) {
      details["grant_type"] = echoed(*grant_type, kMaxEchoedGrantType);
    }
  } else {
    e.type = result
                 ? entry->succeeded
                 : (notes.reuse_detected && !entry->reused.empty() ? entry->reused : entry->failed);
    details["grant_type"] = entry->name;
  }
  if (!notes.username.empty()) {
    details["username"] = notes.username;
  }
  if (result && !notes.dpop_jkt.empty()) {
    details["dpop_jkt"] = notes.dpop_jkt;  // a public key's thumbprint: nothing secret
  }
  if (!notes.dpop_error.empty()) {
    details["dpop_error"] = notes.dpop_error;
  }
  e.details = json::serialize(details);
  return e;
}

store::Event TokenEndpoint::record_revocation(const EndpointRequest& req, const RequestNotes& notes,
                                              const EndpointResult& result) const {
  store::Event e = endpoint_event(req, notes, result);
  e.type = result ? event_type::kRevocation : event_type::kRevocationFailed;
  if (const auto hint = req.params->get("token_type_hint")) {
    e.details =
        json::serialize(json::object{{"token_type_hint", echoed(*hint, kMaxEchoedGrantType)}});
  }
  return e;
}

EndpointResult TokenEndpoint::introspect(const EndpointRequest& req) {
  return counted(run_introspect(req));
}

EndpointResult TokenEndpoint::run_grant(const EndpointRequest& req) {
  const auto names = [&] {
    std::string out;
    for (std::size_t i = 0; i < grants_.size(); ++i) {
      out += i == 0 ? "" : (i + 1 == grants_.size() ? " or " : ", ");
      out += grants_[i].name;
    }
    return out;
  };
  const auto grant_type = req.params->get("grant_type");
  if (!grant_type) {
    return fail(oauth_error(Code::kInvalidRequest, "grant_type is required: " + names()));
  }
  const GrantEntry* entry = find_grant(grant_type);
  if (entry == nullptr) {
    return fail(oauth_error(Code::kUnsupportedGrantType,
                            "grant_type '" + echoed(*grant_type, kMaxEchoedGrantType) +
                                "' is not supported: use " + names()));
  }
  const auto snap = tenant_.snapshot();
  auto client = clients_.authenticate(*snap, req);
  if (!client) {
    return fail(client.error());
  }
  if (req.notes != nullptr) {
    req.notes->client_id = client->app->client_id;
  }
  // A public client's client_id proves nothing about who asks (it is in every page of a SPA), so
  // it may only use grants bound to something else: a code with its PKCE verifier, or a refresh
  // token issued through one. Password and client credentials would give tokens to anyone.
  if (client->app->token_endpoint_auth_method == store::TokenEndpointAuthMethod::kNone &&
      entry->type != store::GrantType::kAuthorizationCode &&
      entry->type != store::GrantType::kRefreshToken) {
    return fail(oauth_error(Code::kUnauthorizedClient,
                            "client " + client->app->client_id +
                                " is public (it has no secret), so it cannot use grant_type " +
                                std::string(entry->name) +
                                ": use the authorization code flow with PKCE (/authorize, then "
                                "grant_type=authorization_code), or an application with a "
                                "secret"));
  }
  if (!allows(*client->app, entry->type)) {
    std::string list;
    for (const auto g : client->app->grant_types) {
      list += std::string(store::to_string(g)) + ",";
    }
    return fail(oauth_error(Code::kUnauthorizedClient,
                            "Grant type '" + std::string(entry->name) +
                                "' not allowed for the client. Enable it: signet clients update " +
                                command_word(client->app->client_id, "CLIENT_ID") +
                                " --grant-types " + list + std::string(entry->name)));
  }
  auto jkt = dpop_binding(req, *client->app);
  if (!jkt) {
    return fail(jkt.error());
  }
  auto result = entry->grant->issue(GrantRequest{*snap, *client, req, *jkt});
  if (result) {
    const auto alg = signed_with(*result);
    (*entry->issued)[static_cast<std::size_t>(alg.value_or(jose::Algorithm::kRS256))].fetch_add(
        1, std::memory_order_relaxed);
  }
  return result;
}

Result<std::string, OAuthError> TokenEndpoint::dpop_binding(const EndpointRequest& req,
                                                            const store::Application& client) {
  auto proof = dpop_.check(req.dpop, req.now().time_since_epoch().count());
  if (!proof) {
    if (req.notes != nullptr) {
      req.notes->dpop_error = rule_name(proof.error().code);
    }
    return fail(proof_refused(proof.error(), dpop_.token_endpoint()));
  }
  if (!*proof) {
    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens gets no bearer token.
    if (client.dpop_bound_access_tokens) {
      if (req.notes != nullptr) {
        req.notes->dpop_error = rule_name(jose::dpop::ProofError::kMissing);
      }
      return fail(proof_required("this client (" + echoed(client.client_id) + ")"));
    }
    return std::string();
  }
  if (req.notes != nullptr) {
    req.notes->dpop_jkt = (*proof)->jkt;
  }
  return std::move((*proof)->jkt);
}

Result<TokenEndpoint::Presented, OAuthError> TokenEndpoint::presented_token(
    const EndpointRequest& req, std::string_view purpose) {
  Presented out;
  out.snap = tenant_.snapshot();
  auto client = clients_.authenticate(*out.snap, req);
  if (!client) {
    return fail(client.error());
  }
  out.client = *client;
  if (req.notes != nullptr) {
    req.notes->client_id = client->app->client_id;
  }
  const auto token = req.params->get("token");
  if (!token) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "token is required: the token to " + std::string(purpose)));
  }
  out.token = *token;
  return out;
}

}  // namespace signet::server
