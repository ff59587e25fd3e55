#include "signet/server/authorization_server.h"

#include <array>
#include <memory>
#include <span>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "signet/guard/bearer.h"
#include "signet/guard/error.h"
#include "signet/guard/guard.h"
#include "signet/guard/verified_token.h"
#include "signet/http/message.h"
#include "signet/jose/json.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/metadata.h"
#include "signet/server/own_tokens.h"
#include "signet/server/token_holders.h"

namespace signet::server {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
namespace json = boost::json;

constexpr std::string_view kRealm = "signet";

store::Timestamp wall_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}
store::PreciseTimestamp precise_now() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

http::Response oauth_response(const http::Request& req, const EndpointResult& result) {
  if (result) {
    auto res = http::json_response(req, beast_http::status::ok, json::serialize(*result));
    http::set_no_store(res);
    return res;
  }
  const OAuthError& e = result.error();
  auto res = http::json_error(req, static_cast<beast_http::status>(http_status(e.code)),
                              to_string(e.code), e.description);
  if (e.code == OAuthErrorCode::kInvalidClient && e.basic_challenge) {
    res.set(beast_http::field::www_authenticate,
            "Basic realm=\"" + std::string(kRealm) + "\", charset=\"UTF-8\"");
  }
  if (e.retry_after) {
    res.set(beast_http::field::retry_after, std::to_string(e.retry_after->count()));
  }
  http::set_no_store(res);
  return res;
}

std::optional<std::string_view> header(const http::Request& req, beast_http::field f) {
  const auto it = req.find(f);
  if (it == req.end()) {
    return std::nullopt;
  }
  return std::string_view(it->value().data(), it->value().size());
}

// The one Authorization header, or an error when the client sent several.
Result<std::optional<std::string_view>, OAuthError> authorization_of(const http::Request& req) {
  const auto range = req.equal_range(beast_http::field::authorization);
  if (range.first == range.second) {
    return std::optional<std::string_view>{};
  }
  if (std::next(range.first) != range.second) {
    return fail(
        oauth_error(OAuthErrorCode::kInvalidRequest, "send at most one Authorization header"));
  }
  return std::optional<std::string_view>(
      std::string_view(range.first->value().data(), range.first->value().size()));
}

// Up to values.size() values of the header `field`, and how many were kept: two tell one value
// from several, which is all a request may have of Authorization or DPoP.
template <typename Field>
std::span<const std::string_view> header_values(const http::Request& req, Field field,
                                                std::array<std::string_view, 2>& values) {
  std::size_t n = 0;
  const auto range = req.equal_range(field);
  for (auto it = range.first; it != range.second && n < values.size(); ++it) {
    values[n++] = std::string_view(it->value().data(), it->value().size());
  }
  return std::span<const std::string_view>(values.data(), n);
}

using EndpointMethod = EndpointResult (TokenEndpoint::*)(const EndpointRequest&);

constexpr std::string_view kDpopHeader = "DPoP";
constexpr std::string_view kDpopNonceHeader = "DPoP-Nonce";

// Parses the request and runs one endpoint method; everything but the call itself is cheap.
http::Response run_endpoint(TokenEndpoint& endpoint, EndpointMethod method,
                            const http::Request& req, const Params& params) {
  auto authorization = authorization_of(req);
  if (!authorization) {
    return oauth_response(req, fail(authorization.error()));
  }
  EndpointRequest er{&params, *authorization, http::peer_address(req), precise_now(), {}, nullptr};
  er.user_agent = header(req, beast_http::field::user_agent).value_or("");
  // Two values are enough to tell one proof from several (RFC 9449 §4.3 refuses several).
  std::array<std::string_view, 2> proofs{};
  er.dpop = header_values(req, kDpopHeader, proofs);
  auto res = oauth_response(req, (endpoint.*method)(er));
  // RFC 9449 §8: with nonces on, every answer to a request with a proof carries the nonce to
  // use next (the use_dpop_nonce error needs it; a success saves the client that round trip).
  if (!er.dpop.empty()) {
    if (const auto nonce = endpoint.dpop().nonce(er.now().time_since_epoch().count())) {
      res.set(kDpopNonceHeader, *nonce);
      // A single-page app's script may read it only when it is exposed (CORS).
      res.set(beast_http::field::access_control_expose_headers, kDpopNonceHeader);
    }
  }
  return res;
}

Result<Params, OAuthError> params_of(const http::Request& req) {
  const auto content_type = header(req, beast_http::field::content_type);
  auto params = parse_params(content_type.value_or(""), req.body());
  if (!params) {
    return fail(oauth_error(OAuthErrorCode::kInvalidRequest, describe(params.error())));
  }
  return std::move(*params);
}

struct Shared {
  TokenEndpoint& endpoint;
  Tenant& tenant;
  asio::any_io_executor blocking;
  RouterOptions options;
};

// A POST endpoint whose work may block: parsed on the worker, run on the blocking executor.
http::AsyncHandler blocking_endpoint(std::shared_ptr<const Shared> shared, EndpointMethod method) {
  return [shared, method](const http::Request& req) -> asio::awaitable<http::Response> {
    auto params = params_of(req);
    if (!params) {
      co_return oauth_response(req, fail(params.error()));
    }
    co_return co_await asio::co_spawn(
        shared->blocking,
        [&]() -> asio::awaitable<http::Response> {
          co_return run_endpoint(shared->endpoint, method, req, *params);
        },
        asio::use_awaitable);
  };
}

// The algorithms a DPoP proof may use, for the algs parameter of the DPoP challenge.
std::string dpop_algs() {
  std::string algs;
  for (const auto alg : kDpopAlgorithms) {
    algs.append(algs.empty() ? "" : " ").append(jose::to_string(alg));
  }
  return algs;
}

// A refusal of /userinfo with its RFC 6750 §3 and RFC 9449 §7.1 challenges: Bearer, then DPoP
// with the proof algorithms; the error (none when `error` is empty: no credentials were sent) on
// the scheme the request used, Bearer when it got no further than that.
http::Response userinfo_refusal(const http::Request& req, beast_http::status status,
                                guard::Scheme scheme, std::string_view error,
                                std::string_view description) {
  auto res = http::json_error(req, status, error.empty() ? "invalid_request" : error, description);
  std::string params;
  if (!error.empty()) {
    params = ", error=\"" + std::string(error) + "\", error_description=\"" +
             std::string(description) + "\"";
  }
  const std::string realm = "realm=\"" + std::string(kRealm) + "\"";
  std::string challenge = "Bearer " + realm;
  if (scheme == guard::Scheme::kBearer) {
    challenge += params;
  }
  challenge += ", DPoP " + realm;
  if (scheme == guard::Scheme::kDpop) {
    challenge += params;
  }
  static const std::string algs = dpop_algs();
  challenge += ", algs=\"" + algs + "\"";
  res.set(beast_http::field::www_authenticate, challenge);
  http::set_no_store(res);  // with Pragma: no-cache, like every other refusal of the server
  return res;
}

// OpenID Connect Core §5.3: the claims of the user an access token with "openid" was issued to.
// A token bound to a key (cnf.jkt) is used as at any protected API (RFC 9449 §7): with
// Authorization: DPoP and a proof of that key for this request, never as Bearer.
http::Response userinfo(const Shared& shared, store::Store& store, const http::Request& req) {
  std::array<std::string_view, 2> authorization{};
  std::array<std::string_view, 2> proofs{};
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  const guard::Credentials credentials{
      header_values(req, beast_http::field::authorization, authorization),
      q == std::string_view::npos ? "" : target.substr(q + 1),
      header_values(req, kDpopHeader, proofs)};
  auto presented = guard::extract_token(credentials);
  if (!presented) {
    if (presented.error() == guard::Error::kNoCredentials) {
      return userinfo_refusal(req, beast_http::status::unauthorized, guard::Scheme::kBearer, "",
                              "an access token is required: Authorization: Bearer <token>, or "
                              "DPoP <token> with a DPoP proof for a DPoP-bound token");
    }
    return userinfo_refusal(req, beast_http::status::bad_request, guard::Scheme::kBearer,
                            "invalid_request", guard::to_string(presented.error()));
  }
  const guard::Scheme scheme = presented->scheme;
  const std::string_view token = presented->token;
  DpopProofs& dpop = shared.endpoint.dpop();
  const std::int64_t now = wall_now().time_since_epoch().count();
  auto res = [&]() -> http::Response {
    const auto refused = [&](beast_http::status status, std::string_view error,
                             std::string_view description) {
      return userinfo_refusal(req, status, scheme, error, description);
    };
    const auto invalid_token = [&](std::string_view description) {
      return refused(beast_http::status::unauthorized, "invalid_token", description);
    };
    const auto proof_refused = [&](const jose::dpop::ProofFailure& failure) {
      if (failure.unavailable()) {
        return oauth_response(req, fail(signet::server::proof_refused(
                                       failure, shared.endpoint.dpop().token_endpoint())));
      }
      return refused(beast_http::status::unauthorized, guard::refused_proof_error(failure),
                     failure.description());
    };
    const auto snap = shared.tenant.snapshot();
    const std::string& issuer = shared.endpoint.config().issuer;
    auto claims = verify_own_token(*snap, issuer, token, wall_now());
    if (!claims) {
      return invalid_token(claims.error());
    }
    const std::string userinfo_url = issuer + std::string(kUserinfoPath);
    auto aud = jose::get_string_or_array(*claims, "aud");
    if (!aud || std::find(aud->begin(), aud->end(), userinfo_url) == aud->end()) {
      return invalid_token("the token's audience does not include " + userinfo_url +
                           ": request it with scope=openid");
    }
    const auto jkt = guard::bound_key(*claims);
    if (!jkt) {
      return invalid_token(guard::to_string(guard::Error::kCnfWrongType));
    }
    std::optional<jose::dpop::VerifiedProof> proof;
    if (scheme == guard::Scheme::kBearer) {
      // RFC 9449 §7.2: as Bearer a bound token would be as good as an unbound one to a thief.
      if (!jkt->empty()) {
        return invalid_token(guard::to_string(guard::Error::kBoundTokenAsBearer));
      }
    } else {
      if (jkt->empty()) {
        return invalid_token(guard::to_string(guard::Error::kUnboundTokenAsDpop));
      }
      // htu is this endpoint as discovery names it (userinfo_endpoint), whatever the Host said.
      const std::string_view method(req.method_string().data(), req.method_string().size());
      auto checked = dpop.check_bound(credentials.dpop, method, userinfo_url, token, *jkt, now);
      if (!checked) {
        return proof_refused(checked.error());
      }
      proof = std::move(checked).value();
    }
    const auto scope = jose::get_string(*claims, "scope");
    const auto scopes = split_scopes(scope ? *scope : std::string_view{});
    if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) {
      return refused(beast_http::status::forbidden, "insufficient_scope",
                     "the token lacks the openid scope");
    }
    // Recorded only now, as the guard does: a refusal the client can fix does not use it up.
    if (proof) {
      if (auto used = dpop.remember(*proof, now); !used) {
        return proof_refused(used.error());
      }
    }
    // The token outlives admin changes: a blocked or deleted user, or a deleted application,
    // gets nothing here, as at introspection.
    auto holders = check_token_holders(*snap, store, *claims);
    if (!holders) {
      return oauth_response(req, fail(store_failure("looking up a token's user", holders.error())));
    }
    if (holders->status != HolderStatus::kActive) {
      return invalid_token(describe(holders->status));
    }
    if (!holders->user) {
      return invalid_token("the token was issued to an application, not to a user");
    }
    const store::User* user = &*holders->user;
    json::object body{{"sub", user->id}};
    if (std::find(scopes.begin(), scopes.end(), "email") != scopes.end()) {
      body["email"] = user->email;
      body["email_verified"] = false;
    }
    auto ok = http::json_response(req, beast_http::status::ok, json::serialize(body));
    http::set_no_store(ok);
    return ok;
  }();
  // RFC 9449 §8, §9: with nonces on, every answer to a DPoP request carries the nonce to use next.
  if (scheme == guard::Scheme::kDpop) {
    if (const auto nonce = dpop.nonce(now)) {
      res.set(kDpopNonceHeader, *nonce);
      res.set(beast_http::field::access_control_expose_headers, kDpopNonceHeader);
    }
  }
  return res;
}

}  // namespace

http::Router authorization_router(TokenEndpoint& endpoint, Tenant& tenant,
                                  asio::any_io_executor blocking, RouterOptions options) {
  auto shared =
      std::make_shared<const Shared>(Shared{endpoint, tenant, std::move(blocking), options});
  http::Router router;

  // Client credentials never block (memory and one signature), so they are answered on the
  // worker; the other grants go to the blocking executor.
  router.add_async(beast_http::verb::post, "/" + std::string(kTokenPath),
                   blocking_endpoint(shared, &TokenEndpoint::token),
                   [shared](const http::Request& req) -> std::optional<http::Response> {
                     auto params = params_of(req);
                     if (!params) {
                       return oauth_response(req, fail(params.error()));
                     }
                     const bool records_proof =
                         shared->endpoint.dpop().replay_ledger() != nullptr &&
                         req.find(kDpopHeader) != req.end();
                     if (TokenEndpoint::may_block(*params, records_proof)) {
                       return std::nullopt;
                     }
                     return run_endpoint(shared->endpoint, &TokenEndpoint::token, req, *params);
                   });
  router.add_async(beast_http::verb::post, "/" + std::string(kRevocationPath),
                   blocking_endpoint(shared, &TokenEndpoint::revoke));
  router.add_async(beast_http::verb::post, "/" + std::string(kIntrospectionPath),
                   blocking_endpoint(shared, &TokenEndpoint::introspect));

  router.add(
      beast_http::verb::get, "/" + std::string(kJwksPath), [shared](const http::Request& req) {
        auto res =
            http::json_response(req, beast_http::status::ok, shared->tenant.snapshot()->jwks_json);
        res.set(beast_http::field::cache_control,
                "public, max-age=" + std::to_string(shared->options.jwks_max_age.count()));
        return res;
      });
  const auto metadata = [shared](const http::Request& req) {
    auto res = http::json_response(
        req, beast_http::status::ok,
        metadata_json(shared->endpoint.config().issuer, *shared->tenant.snapshot()));
    res.set(beast_http::field::cache_control,
            "public, max-age=" + std::to_string(kMetadataMaxAge.count()));
    return res;
  };
  router.add(beast_http::verb::get, "/.well-known/openid-configuration", metadata);
  router.add(beast_http::verb::get, "/.well-known/oauth-authorization-server", metadata);

  const http::AsyncHandler userinfo_handler =
      [shared](const http::Request& req) -> asio::awaitable<http::Response> {
    co_return co_await asio::co_spawn(
        shared->blocking,
        [&]() -> asio::awaitable<http::Response> {
          co_return userinfo(*shared, shared->endpoint.store(), req);
        },
        asio::use_awaitable);
  };
  router.add_async(beast_http::verb::get, "/" + std::string(kUserinfoPath), userinfo_handler);
  router.add_async(beast_http::verb::post, "/" + std::string(kUserinfoPath), userinfo_handler);

  return router;
}

std::function<bool(std::string_view, std::string_view)> web_origin_cors(const Tenant& tenant) {
  return [&tenant](std::string_view origin, std::string_view path) {
    const std::string_view paths[] = {kTokenPath,
                                      kRevocationPath,
                                      kUserinfoPath,
                                      kJwksPath,
                                      ".well-known/openid-configuration",
                                      ".well-known/oauth-authorization-server"};
    if (path.empty() || path.front() != '/' ||
        std::find(std::begin(paths), std::end(paths), path.substr(1)) == std::end(paths)) {
      return false;
    }
    const auto snap = tenant.snapshot();
    for (const auto& [id, app] : snap->applications) {
      if (std::find(app.web_origins.begin(), app.web_origins.end(), origin) !=
          app.web_origins.end()) {
        return true;
      }
    }
    return false;
  };
}

}  // namespace signet::server
