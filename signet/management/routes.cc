// The Management API's dispatch: one table of routes (method, path pattern, scope, operation),
// Auth0's error bodies, paging, ETag and If-Match. Every operation is one call into the admin
// service; nothing here validates the model.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "signet/admin/auth0_json.h"
#include "signet/common/ascii.h"
#include "signet/guard/guard.h"
#include "signet/guard/static_key_source.h"
#include "signet/guard/verified_token.h"
#include "signet/http/message.h"
#include "signet/jose/json.h"
#include "signet/management/management_api.h"
#include "signet/server/params.h"
#include "signet/server/tokens.h"

namespace signet::management {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

// A path has at most this many segments below the base (keys/signing/{kid}/revoke).
constexpr std::size_t kMaxSegments = 4;
// What an admin-change event keeps of a request: the path (routes are far shorter; a longer one
// is a probe, kept in part), and the names of the body's fields, each cut and at most this many
// (the routes' bodies have under 20).
constexpr std::size_t kMaxRecordedPathBytes = 256;
constexpr std::size_t kMaxRecordedFields = 64;
constexpr std::size_t kMaxRecordedFieldNameBytes = 64;

// The guard of one tenant snapshot: the keys it verifies with are the ones the snapshot
// publishes, and it lives as long as the snapshot is current. A rotation or revocation makes a new
// snapshot and so a new guard, with an empty verified-token cache: a token signed by a revoked
// key stops opening the Management API as soon as the server sees the revocation, instead of
// when a JWKS cache would have expired.
struct SnapshotGuard {
  std::uint64_t generation = 0;
  std::shared_ptr<guard::Guard> guard;
};

// Which record type a route is about: names the errorCode of a 404 or 409.
enum class Resource { kResourceServer, kClient, kClientGrant, kUser, kKey, kLog };

std::string_view reason(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

http::Response error_response(const http::Request& req, unsigned status,
                              std::string_view error_code, std::string_view message) {
  const json::object body{{"statusCode", status},
                          {"error", reason(status)},
                          {"message", message},
                          {"errorCode", error_code}};
  auto res = http::json_response(req, bh::int_to_status(status), json::serialize(body));
  http::set_no_store(res);
  return res;
}

std::string_view error_code(admin::AdminErrorCode code, Resource resource) {
  using C = admin::AdminErrorCode;
  switch (code) {
    case C::kNotFound:
      switch (resource) {
        case Resource::kResourceServer:
          return "inexistent_resource_server";
        case Resource::kClient:
          return "inexistent_client";
        case Resource::kClientGrant:
          return "inexistent_client_grant";
        case Resource::kUser:
          return "inexistent_user";
        case Resource::kKey:
          return "inexistent_key";
        case Resource::kLog:
          return "inexistent_log";
      }
      return "not_found";
    case C::kConflict:
      switch (resource) {
        case Resource::kResourceServer:
          return "resource_server_conflict";
        case Resource::kClient:
          return "client_conflict";
        case Resource::kClientGrant:
          return "client_grant_conflict";
        case Resource::kUser:
          return "user_exists";
        default:
          return "conflict";
      }
    case C::kInvalid:
      return "invalid_body";
    case C::kForbidden:
      return "operation_not_supported";
    case C::kStale:
      return "precondition_failed";
    case C::kUnavailable:
    case C::kTooMany:
    case C::kUnreachable:
      return "temporarily_unavailable";
    case C::kUnauthorized:
      return "invalid_token";
    case C::kInternal:
      break;
  }
  return "internal_error";
}

http::Response admin_error(const http::Request& req, const admin::AdminError& e,
                           Resource resource) {
  const unsigned status = admin::http_status(e.code) == 502 ? 503 : admin::http_status(e.code);
  auto res = error_response(req, status, error_code(e.code, resource), e.message);
  if (status == 503) {
    res.set(bh::field::retry_after, "1");
  }
  return res;
}

std::string etag(store::Revision revision) {
  return "\"" + std::to_string(revision) + "\"";
}

http::Response json_answer(const http::Request& req, unsigned status, const json::value& body,
                           std::optional<store::Revision> revision = std::nullopt) {
  auto res = http::json_response(req, bh::int_to_status(status), json::serialize(body));
  http::set_no_store(res);  // admin records, and secrets in two answers: never cached
  if (revision) {
    res.set(bh::field::etag, etag(*revision));
  }
  return res;
}

http::Response no_content(const http::Request& req) {
  http::Response res{bh::status::no_content, req.version()};
  res.keep_alive(req.keep_alive());
  http::set_no_store(res);
  res.prepare_payload();
  return res;
}

// One request, as an operation sees it.
struct Call {
  const http::Request& req;
  admin::Admin& admin;
  std::vector<std::string> params;  // the path's {parameters}, percent-decoded
  server::Params query;
  json::object body;                              // {} when the route takes none
  Resource resource = Resource::kResourceServer;  // names the errorCode of a 404 or 409
};

struct Failure {
  http::Response response;
};

using Answer = Result<http::Response, Failure>;
using Operation = std::function<http::Response(Call&)>;

struct Route {
  bh::verb method;
  std::vector<std::string_view> pattern;  // literal segments and "{}" for a parameter
  std::string_view scope;
  Resource resource;
  bool takes_body;
  Operation run;
};

// --- request pieces

// Percent-decodes one path segment ('+' is itself); nullopt for a bad escape or a control byte.
std::optional<std::string> decode_segment(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return std::nullopt;
      }
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
      if (ec != std::errc{} || end != s.data() + i + 3) {
        return std::nullopt;
      }
      c = static_cast<char>(value);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

// The revision If-Match names: nullopt when there is no header or it is "*" (any current
// record). A value that is not one of our ETags can never match: kNoMatch.
constexpr store::Revision kNoMatch = 0;  // revisions start at 1

std::optional<store::Revision> if_match(const http::Request& req) {
  const auto it = req.find(bh::field::if_match);
  if (it == req.end()) {
    return std::nullopt;
  }
  std::string_view v = it->value();
  while (!v.empty() && v.front() == ' ') {
    v.remove_prefix(1);
  }
  while (!v.empty() && v.back() == ' ') {
    v.remove_suffix(1);
  }
  if (v == "*") {
    return std::nullopt;
  }
  if (v.size() < 3 || v.front() != '"' || v.back() != '"') {
    return kNoMatch;
  }
  v = v.substr(1, v.size() - 2);
  store::Revision r = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), r);
  if (ec != std::errc{} || end != v.data() + v.size()) {
    return kNoMatch;
  }
  return r;
}

Result<json::object, std::string> parse_body(const http::Request& req) {
  const auto type = req.find(bh::field::content_type);
  std::string_view media;
  if (type != req.end()) {
    const std::string_view value = type->value();
    media = value.substr(0, value.find(';'));
  }
  while (!media.empty() && media.back() == ' ') {
    media.remove_suffix(1);
  }
  if (!iequals(media, "application/json")) {
    return fail(std::string("send the body as JSON with Content-Type: application/json"));
  }
  if (req.body().size() > kMaxBodyBytes) {
    return fail("the body is larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  jose::JsonLimits limits;
  limits.max_depth = kMaxBodyDepth;
  limits.max_members = kMaxBodyMembers;
  auto parsed = jose::parse_json(req.body(), limits);
  if (!parsed) {
    return fail("the body is not valid JSON (" + std::string(jose::to_string(parsed.error())) +
                "): send one JSON object in UTF-8");
  }
  if (!parsed->is_object()) {
    return fail(std::string("the body must be a JSON object"));
  }
  return std::move(parsed->get_object());
}

Result<admin::PageRequest, std::string> page_of(const server::Params& q) {
  admin::PageRequest page;
  const auto number = [&](std::string_view name, std::int64_t& out) -> Result<Ok, std::string> {
    const auto text = q.get(name);
    if (!text) {
      return Ok{};
    }
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
    if (ec != std::errc{} || end != text->data() + text->size()) {
      return fail("'" + std::string(name) + "' must be a whole number, not '" + std::string(*text) +
                  "'");
    }
    return Ok{};
  };
  if (auto r = number("page", page.page); !r) {
    return fail(r.error());
  }
  if (auto r = number("per_page", page.per_page); !r) {
    return fail(r.error());
  }
  if (page.page < 0) {
    return fail(std::string("'page' starts at 0"));
  }
  if (page.per_page < 1 || page.per_page > admin::kMaxPerPage) {
    return fail("'per_page' must be between 1 and " + std::to_string(admin::kMaxPerPage));
  }
  return page;
}

Result<bool, std::string> include_totals(const server::Params& q) {
  const auto text = q.get("include_totals");
  if (!text || *text == "false") {
    return false;
  }
  if (*text == "true") {
    return true;
  }
  return fail("'include_totals' is true or false, not '" + std::string(*text) + "'");
}

template <typename T, typename F>
json::value list_answer(const admin::Page<T>& page, bool totals, std::string_view key, F to_json) {
  json::array items;
  for (const auto& item : page.items) {
    items.push_back(to_json(item));
  }
  if (!totals) {
    return items;
  }
  json::object out{{"start", page.start},
                   {"limit", page.limit},
                   {"length", static_cast<std::int64_t>(page.items.size())},
                   {"total", page.total}};
  out[key] = std::move(items);
  return out;
}

// The guard's DPoP settings: the server's replay cache and ledger, nonces and proof lifetime when
// it has DPoP proofs, else a replay cache of the Management API's own, made once so that it
// outlives the guards of every snapshot.
guard::DpopConfig dpop_config(server::DpopProofs* proofs) {
  guard::DpopConfig dpop;
  if (proofs == nullptr) {
    dpop.replay_cache = std::make_shared<ReplayCache>(dpop.replay_cache_entries);
    return dpop;
  }
  dpop.proof_lifetime = proofs->policy().proof_lifetime;
  dpop.leeway = proofs->policy().leeway;
  dpop.algorithms.assign(server::kDpopAlgorithms.begin(), server::kDpopAlgorithms.end());
  dpop.replay_cache = proofs->replay_cache();
  dpop.replay_ledger = proofs->replay_ledger();
  dpop.nonces = proofs->nonce_source();
  return dpop;
}

// --- operations

class Api {
 public:
  Api(admin::Admin& admin, server::Tenant& tenant, const ManagementOptions& options)
      : admin_(admin),
        events_(options.events),
        issuer_(options.issuer),
        audience_(management_audience(issuer_)),
        base_(management_base_path(issuer_)),
        origin_(audience_.substr(0, audience_.size() - base_.size())),
        tenant_(tenant),
        dpop_(dpop_config(options.dpop)) {
    add_routes();
  }

  // Answers `req`; a change (any method but GET) that got past authorization is recorded as an
  // event, succeeded (sapi) or refused (fapi), with who made it and which fields it sent.
  http::Response handle(const http::Request& req) {
    Caller caller;
    http::Response res = answer(req, caller);
    // RFC 9449 §8, §9: the nonce to use next, on every answer to a DPoP request when nonces are on.
    for (const auto& [name, value] : caller.headers) {
      res.set(name, value);
    }
    if (events_ != nullptr && caller.who != nullptr && req.method() != bh::verb::get) {
      record_change(req, caller, res.result_int());
    }
    return res;
  }

  // Who made a request and which fields its body set, as answer() learnt them.
  struct Caller {
    std::shared_ptr<const guard::VerifiedToken> who;  // null until authorized
    std::vector<std::string> fields;
    std::vector<std::pair<std::string, std::string>> headers;  // the guard's (DPoP-Nonce)
  };

  http::Response answer(const http::Request& req, Caller& caller) {
    std::string_view path = http::path_of(req.target());
    path.remove_prefix(std::min(base_.size(), path.size()));
    std::vector<std::string_view> segments;
    bool well_formed = true;
    while (!path.empty()) {
      const std::size_t slash = path.find('/');
      const std::string_view segment = path.substr(0, slash);
      if (segment.empty() || segments.size() == kMaxSegments) {
        well_formed = false;
        break;
      }
      segments.push_back(segment);
      path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
      if (slash != std::string_view::npos && path.empty()) {
        well_formed = false;  // a trailing slash names no resource
      }
    }

    // Who asks comes first: nobody learns which routes exist without a valid token.
    std::vector<const Route*> matching;
    if (well_formed) {
      for (const auto& route : routes_) {
        if (matches(route.pattern, segments)) {
          matching.push_back(&route);
        }
      }
    }
    const auto it = std::find_if(matching.begin(), matching.end(),
                                 [&](const Route* r) { return r->method == req.method(); });
    const Route* route = it == matching.end() ? nullptr : *it;
    std::vector<std::string> scopes;
    if (route != nullptr) {
      scopes.emplace_back(route->scope);
    }
    if (auto refused = authorize(req, scopes, caller)) {
      return std::move(*refused);
    }
    if (matching.empty()) {
      return error_response(req, 404, "invalid_uri",
                            "no Management API route at " +
                                std::string(http::path_of(req.target())) +
                                " (see docs/management-api.md)");
    }
    if (route == nullptr) {
      std::string allow;
      for (const Route* r : matching) {
        allow += (allow.empty() ? "" : ", ") + std::string(bh::to_string(r->method));
      }
      auto res = error_response(
          req, 405, "method_not_allowed",
          std::string(req.method_string()) + " is not allowed here; use one of: " + allow);
      res.set(bh::field::allow, allow);
      return res;
    }

    Call call{req, admin_, {}, {}, {}};
    for (std::size_t i = 0; i < route->pattern.size(); ++i) {
      if (route->pattern[i] == "{}") {
        auto decoded = decode_segment(segments[i]);
        if (!decoded) {
          return error_response(req, 400, "invalid_uri",
                                "a path segment has a bad percent-escape or a control character");
        }
        call.params.push_back(std::move(*decoded));
      }
    }
    const std::string_view target = req.target();
    const std::size_t question = target.find('?');
    if (question != std::string_view::npos) {
      auto query = server::parse_form(target.substr(question + 1));
      if (!query) {
        return error_response(req, 400, "invalid_query_string",
                              "bad query string: " + server::describe(query.error()));
      }
      call.query = std::move(*query);
    }
    if (route->takes_body) {
      // A POST that needs no fields may come without a body at all (rotate-secret, rotate).
      if (!req.body().empty() || route->method == bh::verb::patch) {
        auto body = parse_body(req);
        if (!body) {
          const unsigned status = req.body().size() > kMaxBodyBytes ? 413 : 400;
          return error_response(req, status, "invalid_body", body.error());
        }
        call.body = std::move(*body);
        for (const auto& field : call.body) {
          if (caller.fields.size() == kMaxRecordedFields) {
            break;
          }
          caller.fields.emplace_back(field.key().substr(0, kMaxRecordedFieldNameBytes));
        }
      }
    } else if (!req.body().empty()) {
      return error_response(req, 400, "invalid_body",
                            std::string(req.method_string()) + " on this route takes no body");
    }
    call.resource = route->resource;
    return route->run(call);
  }

  const std::string& base() const { return base_; }

 private:
  // The guard for the tenant's current snapshot, made when the snapshot changed.
  std::shared_ptr<guard::Guard> current_guard() {
    const auto snapshot = tenant_.snapshot();
    std::lock_guard lock(guard_mu_);
    if (!guard_.guard || guard_.generation != snapshot->generation) {
      guard::GuardConfig config;
      config.issuer = issuer_;
      config.audiences = {audience_};
      config.background_refresh = false;  // the keys never change under this guard
      config.dpop = dpop_;                // the replay cache outlives this guard
      guard_ = SnapshotGuard{
          snapshot->generation,
          std::make_shared<guard::Guard>(
              std::move(config), std::make_shared<guard::StaticKeySource>(snapshot->published))};
    }
    return guard_.guard;
  }

  static bool matches(const std::vector<std::string_view>& pattern,
                      const std::vector<std::string_view>& segments) {
    if (pattern.size() != segments.size()) {
      return false;
    }
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != "{}" && pattern[i] != segments[i]) {
        return false;
      }
    }
    return true;
  }

  // nullopt when the token is valid and holds every scope; else the refusal in Auth0's shape,
  // with the guard's RFC 6750 challenge.
  std::optional<http::Response> authorize(const http::Request& req,
                                          const std::vector<std::string>& scopes, Caller& caller) {
    std::vector<std::string_view> authorization;
    const auto range = req.equal_range(bh::field::authorization);
    for (auto it = range.first; it != range.second; ++it) {
      authorization.push_back(it->value());
    }
    std::vector<std::string_view> proofs;
    const auto proof_range = req.equal_range(guard::kDpopHeader);
    for (auto it = proof_range.first; it != proof_range.second; ++it) {
      proofs.push_back(it->value());
    }
    const std::string_view target = req.target();
    const std::size_t question = target.find('?');
    // A proof names this request's URL as the server knows itself, from the issuer: the Host
    // header is the client's to choose, so it cannot move htu.
    const std::string url = origin_ + std::string(http::path_of(target));
    const guard::Credentials credentials{
        authorization,
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1),
        proofs, std::string_view(req.method_string().data(), req.method_string().size()), url};
    auto decision = current_guard()->authorize(credentials, scopes);
    caller.headers = std::move(decision.headers);
    if (decision.allowed()) {
      caller.who = decision.token;
      return std::nullopt;
    }
    std::string code = "invalid_token";
    std::string message = "a Management API access token is required: get one for the audience " +
                          audience_ + " (see docs/management-api.md)";
    if (auto parsed = jose::parse_json_object(decision.body)) {
      if (auto e = jose::get_string(*parsed, "error")) {
        code = std::string(*e);
      }
      if (auto d = jose::get_string(*parsed, "error_description")) {
        message = std::string(*d);
      }
    }
    if (decision.status == 403) {
      code = "insufficient_scope";
      message =
          "Insufficient scope, expected: " + (scopes.empty() ? std::string() : scopes.front());
    } else if (decision.failure && decision.failure->code == guard::Error::kNoCredentials) {
      code = "missing_token";
      message =
          "send a Management API access token (Authorization: Bearer <token>) for the "
          "audience " +
          audience_ + " (see docs/management-api.md)";
    }
    auto res = error_response(req, decision.status, code, message);
    if (!decision.www_authenticate.empty()) {
      res.set(bh::field::www_authenticate, decision.www_authenticate);
    }
    if (decision.status == 503) {
      // The store could not record a DPoP proof (or keys could not be had): as admin_error's.
      res.set(bh::field::retry_after, "1");
    }
    return res;
  }

  // The sapi/fapi event of a change: the caller (the token's client, and its user when a person
  // signed in, as the console does), the route, the answer's status, and the names of the
  // fields the body set, never their values (a password or a secret may be among them).
  void record_change(const http::Request& req, const Caller& caller, unsigned status) {
    const guard::VerifiedToken& who = *caller.who;
    store::Event e;
    e.date =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::string_view path = http::path_of(req.target());
    path.remove_prefix(std::min(base_.size(), path.size()));
    path = path.substr(0, kMaxRecordedPathBytes);
    const std::string operation = std::string(req.method_string()) + " " + std::string(path);
    e.type = server::admin_change_type(operation, status < 400);
    const auto claim = [&](std::string_view name) {
      const auto value = jose::get_string(who.claims, name);
      return value ? std::string(*value) : std::string{};
    };
    e.client_id = claim("azp");
    if (e.client_id.empty()) {
      e.client_id = claim("client_id");
    }
    // A client-credentials token names no user (its subject is "<client_id>@clients").
    if (claim("gty") != server::to_string(server::GrantClaim::kClientCredentials)) {
      e.user_id = who.subject;
    }
    e.audience = audience_;
    e.ip = http::peer_address(req);
    e.user_agent = std::string(req[bh::field::user_agent]);
    e.description = operation;
    json::array fields;
    for (const auto& field : caller.fields) {
      fields.emplace_back(field);
    }
    e.details = json::serialize(json::object{{"via", "management_api"},
                                             {"method", req.method_string()},
                                             {"path", path},
                                             {"status", status},
                                             {"fields", std::move(fields)}});
    events_->record(std::move(e));
  }

  void add(bh::verb method, std::vector<std::string_view> pattern, std::string_view scope,
           Resource resource, bool takes_body, Operation run) {
    routes_.push_back(
        Route{method, std::move(pattern), scope, resource, takes_body, std::move(run)});
  }

  template <typename T>
  http::Response fail_with(const Call& call, const Result<T, admin::AdminError>& r) {
    return admin_error(call.req, r.error(), call.resource);
  }

  http::Response bad_query(const Call& call, const std::string& message) {
    return error_response(call.req, 400, "invalid_query_string", message);
  }

  // GET of a list: checks the query, pages, and answers an array or, with totals, an object.
  template <typename T, typename Fetch, typename ToJson>
  http::Response list(Call& call, std::initializer_list<std::string_view> filters,
                      std::string_view key, Fetch fetch, ToJson to_json) {
    std::vector<std::string_view> known{"page", "per_page", "include_totals"};
    known.insert(known.end(), filters.begin(), filters.end());
    // Auth0's field selection (fields, include_fields) and search engine choice are accepted and
    // ignored: every answer has every field. Anything else unknown is a typo worth saying.
    for (const auto& [name, value] : call.query.entries()) {
      if (std::find(known.begin(), known.end(), name) == known.end() && name != "fields" &&
          name != "include_fields" && name != "search_engine") {
        return bad_query(call, "unknown query parameter '" + name + "'");
      }
    }
    auto page = page_of(call.query);
    if (!page) {
      return bad_query(call, page.error());
    }
    auto totals = include_totals(call.query);
    if (!totals) {
      return bad_query(call, totals.error());
    }
    Result<admin::Page<T>, admin::AdminError> result = fetch(*page);
    if (!result) {
      return fail_with(call, result);
    }
    return json_answer(call.req, 200, list_answer(*result, *totals, key, to_json));
  }

  std::optional<std::string> query(const Call& call, std::string_view name) {
    const auto v = call.query.get(name);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  }

  bool is_system(const store::Api& api) const { return api.identifier == audience_; }

  void add_routes();
  void add_resource_server_routes();
  void add_client_routes();
  void add_client_grant_routes();
  void add_user_routes();
  void add_key_and_log_routes();

  admin::Admin& admin_;
  server::EventLog* events_;
  const std::string issuer_;
  const std::string audience_;
  const std::string base_;
  const std::string origin_;  // scheme://host[:port] of the issuer, for a proof's htu
  server::Tenant& tenant_;
  // What every guard of a snapshot checks proofs with; its replay cache outlives them all.
  const guard::DpopConfig dpop_;
  std::mutex guard_mu_;
  SnapshotGuard guard_;  // guarded by guard_mu_
  std::vector<Route> routes_;
};

void Api::add_routes() {
  add_resource_server_routes();
  add_client_routes();
  add_client_grant_routes();
  add_user_routes();
  add_key_and_log_routes();
}

void Api::add_resource_server_routes() {
  const auto R = Resource::kResourceServer;
  const auto to_json = [this](const store::Api& api) {
    return admin::api_to_json(api, is_system(api));
  };
  add(bh::verb::get, {"resource-servers"}, "read:resource_servers", R, false,
      [this, to_json](Call& call) {
        return list<store::Api>(
            call, {}, "resource_servers",
            [&](const admin::PageRequest& page) { return call.admin.list_apis(page); }, to_json);
      });
  add(bh::verb::post, {"resource-servers"}, "create:resource_servers", R, true,
      [this, to_json](Call& call) {
        auto draft = admin::api_draft_from_json(call.body);
        if (!draft) {
          return fail_with(call, draft);
        }
        auto created = call.admin.create_api(*draft);
        if (!created) {
          return fail_with(call, created);
        }
        return json_answer(call.req, 201, to_json(*created), created->revision);
      });
  add(bh::verb::get, {"resource-servers", "{}"}, "read:resource_servers", R, false,
      [this, to_json](Call& call) {
        auto api = call.admin.get_api(call.params[0]);
        if (!api) {
          return fail_with(call, api);
        }
        return json_answer(call.req, 200, to_json(*api), api->revision);
      });
  add(bh::verb::patch, {"resource-servers", "{}"}, "update:resource_servers", R, true,
      [this, to_json](Call& call) {
        auto patch = admin::api_patch_from_json(call.body);
        if (!patch) {
          return fail_with(call, patch);
        }
        auto updated = call.admin.update_api(call.params[0], *patch, if_match(call.req));
        if (!updated) {
          return fail_with(call, updated);
        }
        return json_answer(call.req, 200, to_json(*updated), updated->revision);
      });
  add(bh::verb::delete_, {"resource-servers", "{}"}, "delete:resource_servers", R, false,
      [this](Call& call) {
        auto deleted = call.admin.delete_api(call.params[0]);
        if (!deleted) {
          return fail_with(call, deleted);
        }
        return no_content(call.req);
      });
}

void Api::add_client_routes() {
  const auto C = Resource::kClient;
  const auto to_json = [](const store::Application& app) {
    return admin::application_to_json(app);
  };
  add(bh::verb::get, {"clients"}, "read:clients", C, false, [this, to_json](Call& call) {
    return list<store::Application>(
        call, {}, "clients",
        [&](const admin::PageRequest& page) { return call.admin.list_applications(page); },
        to_json);
  });
  add(bh::verb::post, {"clients"}, "create:clients", C, true, [this](Call& call) {
    auto draft = admin::application_draft_from_json(call.body);
    if (!draft) {
      return fail_with(call, draft);
    }
    auto created = call.admin.create_application(*draft);
    if (!created) {
      return fail_with(call, created);
    }
    return json_answer(call.req, 201, admin::application_to_json(*created),
                       created->application.revision);
  });
  add(bh::verb::get, {"clients", "{}"}, "read:clients", C, false, [this, to_json](Call& call) {
    auto app = call.admin.get_application(call.params[0]);
    if (!app) {
      return fail_with(call, app);
    }
    return json_answer(call.req, 200, to_json(*app), app->revision);
  });
  add(bh::verb::patch, {"clients", "{}"}, "update:clients", C, true, [this, to_json](Call& call) {
    auto patch = admin::application_patch_from_json(call.body);
    if (!patch) {
      return fail_with(call, patch);
    }
    auto updated = call.admin.update_application(call.params[0], *patch, if_match(call.req));
    if (!updated) {
      return fail_with(call, updated);
    }
    return json_answer(call.req, 200, to_json(*updated), updated->revision);
  });
  add(bh::verb::delete_, {"clients", "{}"}, "delete:clients", C, false, [this](Call& call) {
    auto deleted = call.admin.delete_application(call.params[0]);
    if (!deleted) {
      return fail_with(call, deleted);
    }
    return no_content(call.req);
  });
  add(bh::verb::post, {"clients", "{}", "rotate-secret"}, "update:client_keys", C, true,
      [this](Call& call) {
        if (!call.body.empty()) {
          return error_response(call.req, 400, "invalid_body", "rotate-secret takes no fields");
        }
        auto rotated = call.admin.rotate_secret(call.params[0]);
        if (!rotated) {
          return fail_with(call, rotated);
        }
        return json_answer(call.req, 200, admin::application_to_json(*rotated),
                           rotated->application.revision);
      });
}

// A grant id in a path: the decimal number the store assigned.
std::optional<std::int64_t> grant_id(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id < 1) {
    return std::nullopt;
  }
  return id;
}

void Api::add_client_grant_routes() {
  const auto G = Resource::kClientGrant;
  const auto to_json = [](const store::ClientGrant& g) { return admin::client_grant_to_json(g); };
  const auto no_such = [](const Call& call) {
    return error_response(call.req, 404, "inexistent_client_grant",
                          "no client grant with id '" + call.params[0] + "'");
  };
  add(bh::verb::get, {"client-grants"}, "read:client_grants", G, false,
      [this, to_json](Call& call) {
        admin::ClientGrantFilter filter{query(call, "client_id"), query(call, "audience")};
        return list<store::ClientGrant>(
            call, {"client_id", "audience"}, "client_grants",
            [&](const admin::PageRequest& page) {
              return call.admin.list_client_grants(page, filter);
            },
            to_json);
      });
  add(bh::verb::post, {"client-grants"}, "create:client_grants", G, true,
      [this, to_json](Call& call) {
        for (const auto& member : call.body) {
          if (member.key() != "client_id" && member.key() != "audience" &&
              member.key() != "scope") {
            return error_response(
                call.req, 400, "invalid_body",
                "unknown field '" + std::string(member.key()) +
                    "' in a client grant: the fields are client_id, audience, scope");
          }
        }
        const auto text = [&](std::string_view name) -> std::optional<std::string> {
          const auto* v = call.body.if_contains(name);
          if (v == nullptr || !v->is_string()) {
            return std::nullopt;
          }
          return std::string(v->get_string());
        };
        const auto client_id = text("client_id");
        const auto audience = text("audience");
        if (!client_id || !audience) {
          return error_response(call.req, 400, "invalid_body",
                                "'client_id' and 'audience' are required strings");
        }
        auto scope = admin::grant_scope_from_json(call.body, true);
        if (!scope) {
          return fail_with(call, scope);
        }
        auto created = call.admin.create_client_grant(*client_id, *audience, *scope);
        if (!created && created.error().code == admin::AdminErrorCode::kNotFound) {
          // Name the record that is missing, as Auth0's errorCode does.
          const bool client_exists = static_cast<bool>(call.admin.get_application(*client_id));
          return admin_error(call.req, created.error(),
                             client_exists ? Resource::kResourceServer : Resource::kClient);
        }
        if (!created) {
          return fail_with(call, created);
        }
        return json_answer(call.req, 201, to_json(*created), created->revision);
      });
  add(bh::verb::get, {"client-grants", "{}"}, "read:client_grants", G, false,
      [this, to_json, no_such](Call& call) {
        const auto id = grant_id(call.params[0]);
        if (!id) {
          return no_such(call);
        }
        auto grant = call.admin.get_client_grant(*id);
        if (!grant) {
          return fail_with(call, grant);
        }
        return json_answer(call.req, 200, to_json(*grant), grant->revision);
      });
  add(bh::verb::patch, {"client-grants", "{}"}, "update:client_grants", G, true,
      [this, to_json, no_such](Call& call) {
        const auto id = grant_id(call.params[0]);
        if (!id) {
          return no_such(call);
        }
        for (const auto& member : call.body) {
          if (member.key() != "scope") {
            return error_response(call.req, 400, "invalid_body",
                                  "unknown field '" + std::string(member.key()) +
                                      "' in a client grant PATCH: only 'scope' can change");
          }
        }
        auto scope = admin::grant_scope_from_json(call.body, true);
        if (!scope) {
          return fail_with(call, scope);
        }
        auto updated = call.admin.update_client_grant(*id, *scope, if_match(call.req));
        if (!updated) {
          return fail_with(call, updated);
        }
        return json_answer(call.req, 200, to_json(*updated), updated->revision);
      });
  add(bh::verb::delete_, {"client-grants", "{}"}, "delete:client_grants", G, false,
      [this, no_such](Call& call) {
        const auto id = grant_id(call.params[0]);
        if (!id) {
          return no_such(call);
        }
        auto deleted = call.admin.delete_client_grant(*id);
        if (!deleted) {
          return fail_with(call, deleted);
        }
        return no_content(call.req);
      });
}

// Auth0's `q` is a Lucene query; signet understands a plain word and `email:"x"` / `email:x`,
// which is what the dashboard's search box and most scripts send.
std::string user_search(std::string q) {
  if (q.starts_with("email:")) {
    q.erase(0, 6);
  }
  if (q.size() >= 2 && q.front() == '"' && q.back() == '"') {
    q = q.substr(1, q.size() - 2);
  }
  return q;
}

struct PermissionRef {
  std::string permission;
  std::string api;
};

Result<std::vector<PermissionRef>, std::string> permission_refs(const json::object& body) {
  for (const auto& member : body) {
    if (member.key() != "permissions") {
      return fail("unknown field '" + std::string(member.key()) +
                  "': send {\"permissions\": [...]}");
    }
  }
  const auto* list = body.if_contains("permissions");
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    return fail(
        std::string("'permissions' must be a non-empty array of {\"permission_name\", "
                    "\"resource_server_identifier\"}"));
  }
  std::vector<PermissionRef> out;
  for (const auto& e : list->get_array()) {
    const auto* o = e.if_object();
    const json::value* name = o ? o->if_contains("permission_name") : nullptr;
    const json::value* api = o ? o->if_contains("resource_server_identifier") : nullptr;
    if (o == nullptr || name == nullptr || api == nullptr || !name->is_string() ||
        !api->is_string() || o->size() != 2) {
      return fail(
          std::string("each permission is {\"permission_name\": \"...\", "
                      "\"resource_server_identifier\": \"...\"}"));
    }
    out.push_back({std::string(name->get_string()), std::string(api->get_string())});
  }
  return out;
}

// The permissions grouped by API, in first-seen order of the APIs.
std::vector<std::pair<std::string, std::vector<std::string>>> by_api(
    const std::vector<PermissionRef>& refs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& ref : refs) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == ref.api; });
    if (it == out.end()) {
      out.push_back({ref.api, {}});
      it = std::prev(out.end());
    }
    it->second.push_back(ref.permission);
  }
  return out;
}

void Api::add_user_routes() {
  const auto U = Resource::kUser;
  const auto to_json = [](const store::User& u) { return admin::user_to_json(u); };
  add(bh::verb::get, {"users"}, "read:users", U, false, [this, to_json](Call& call) {
    const auto q = query(call, "q");
    const std::optional<std::string> search = q ? std::optional(user_search(*q)) : std::nullopt;
    return list<store::User>(
        call, {"q"}, "users",
        [&](const admin::PageRequest& page) {
          return call.admin.list_users(
              page, search ? std::optional<std::string_view>(*search) : std::nullopt);
        },
        to_json);
  });
  add(bh::verb::get, {"users-by-email"}, "read:users", U, false, [this, to_json](Call& call) {
    const auto email = query(call, "email");
    if (!email || call.query.size() != 1) {
      return bad_query(call, "send exactly one query parameter, 'email'");
    }
    json::array out;
    auto user = call.admin.find_user(*email);
    if (user && iequals(user->email, *email)) {
      out.push_back(to_json(*user));
    } else if (!user && user.error().code != admin::AdminErrorCode::kNotFound) {
      return fail_with(call, user);
    }
    return json_answer(call.req, 200, out);
  });
  add(bh::verb::post, {"users"}, "create:users", U, true, [this, to_json](Call& call) {
    auto draft = admin::user_draft_from_json(call.body);
    if (!draft) {
      return fail_with(call, draft);
    }
    auto created = call.admin.create_user(*draft);
    if (!created) {
      return fail_with(call, created);
    }
    return json_answer(call.req, 201, to_json(*created), created->revision);
  });
  add(bh::verb::get, {"users", "{}"}, "read:users", U, false, [this, to_json](Call& call) {
    auto user = call.admin.get_user(call.params[0]);
    if (!user) {
      return fail_with(call, user);
    }
    return json_answer(call.req, 200, to_json(*user), user->revision);
  });
  add(bh::verb::patch, {"users", "{}"}, "update:users", U, true, [this, to_json](Call& call) {
    auto patch = admin::user_patch_from_json(call.body);
    if (!patch) {
      return fail_with(call, patch);
    }
    auto updated = call.admin.update_user(call.params[0], *patch, if_match(call.req));
    if (!updated) {
      return fail_with(call, updated);
    }
    return json_answer(call.req, 200, to_json(updated->user), updated->user.revision);
  });
  add(bh::verb::delete_, {"users", "{}"}, "delete:users", U, false, [this](Call& call) {
    auto deleted = call.admin.delete_user(call.params[0]);
    if (!deleted) {
      return fail_with(call, deleted);
    }
    return no_content(call.req);
  });
  add(bh::verb::get, {"users", "{}", "permissions"}, "read:users", U, false, [this](Call& call) {
    auto held = call.admin.list_user_permissions(call.params[0], std::nullopt);
    if (!held) {
      return fail_with(call, held);
    }
    std::map<std::string, store::Api, std::less<>> apis;
    json::array out;
    for (const auto& p : *held) {
      auto it = apis.find(p.api);
      if (it == apis.end()) {
        auto api = call.admin.get_api(p.api);
        if (!api) {
          return admin_error(call.req, api.error(), Resource::kResourceServer);
        }
        it = apis.emplace(p.api, std::move(*api)).first;
      }
      std::string description;
      for (const auto& defined : it->second.permissions) {
        if (defined.value == p.permission) {
          description = defined.description;
        }
      }
      out.push_back(json::object{{"permission_name", p.permission},
                                 {"resource_server_identifier", p.api},
                                 {"resource_server_name", it->second.name},
                                 {"description", description}});
    }
    return json_answer(call.req, 200, out);
  });
  const auto change_permissions = [this](Call& call, bool add_them) {
    auto refs = permission_refs(call.body);
    if (!refs) {
      return error_response(call.req, 400, "invalid_body", refs.error());
    }
    // The user first (a missing user is 404 whatever the body names), then every API and
    // permission, before anything changes, so a typo in the last one leaves the user as it was.
    if (auto user = call.admin.get_user(call.params[0]); !user) {
      return fail_with(call, user);
    }
    const auto groups = by_api(*refs);
    for (const auto& [api_id, names] : groups) {
      auto api = call.admin.get_api(api_id);
      if (!api) {
        return admin_error(call.req, api.error(), Resource::kResourceServer);
      }
      for (const auto& name : names) {
        if (std::none_of(api->permissions.begin(), api->permissions.end(),
                         [&](const auto& p) { return p.value == name; })) {
          return error_response(call.req, 400, "invalid_body",
                                "API " + api_id + " has no permission " + name);
        }
      }
    }
    for (const auto& [api_id, names] : groups) {
      auto changed = add_them ? call.admin.add_user_permissions(call.params[0], api_id, names)
                              : call.admin.remove_user_permissions(call.params[0], api_id, names);
      if (!changed) {
        return fail_with(call, changed);
      }
    }
    if (!add_them) {
      return no_content(call.req);
    }
    return json_answer(call.req, 201, json::object{});
  };
  add(bh::verb::post, {"users", "{}", "permissions"}, "update:users", U, true,
      [change_permissions](Call& call) { return change_permissions(call, true); });
  add(bh::verb::delete_, {"users", "{}", "permissions"}, "update:users", U, true,
      [change_permissions](Call& call) { return change_permissions(call, false); });
  add(bh::verb::delete_, {"users", "{}", "sessions"}, "delete:sessions", U, false,
      [this](Call& call) {
        auto ended = call.admin.revoke_sessions(call.params[0]);
        if (!ended) {
          return fail_with(call, ended);
        }
        return no_content(call.req);
      });
  add(bh::verb::get, {"user-blocks", "{}"}, "read:users", U, false, [this](Call& call) {
    auto user = call.admin.get_user(call.params[0]);
    if (!user) {
      return fail_with(call, user);
    }
    auto lockouts = call.admin.user_lockouts(call.params[0]);
    if (!lockouts) {
      return fail_with(call, lockouts);
    }
    // The HTTP adapter reads the clock; the service below it does not.
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    json::array blocked;
    for (const auto& c : lockouts->counters) {
      // The account-wide counter only delays the next attempt by seconds (login_throttle.h): a
      // throttle, not a block an admin needs to lift.
      if (c.counter.blocked_at(now) && c.address != store::kAnyAddress) {
        blocked.push_back(
            json::object{{"identifier", user->email},
                         {"ip", c.address},
                         {"failures", c.counter.count},
                         {"blocked_until", admin::format_date(*c.counter.blocked_until)}});
      }
    }
    return json_answer(call.req, 200, json::object{{"blocked_for", std::move(blocked)}});
  });
  add(bh::verb::delete_, {"user-blocks", "{}"}, "update:users", U, false, [this](Call& call) {
    auto cleared = call.admin.clear_user_lockouts(call.params[0]);
    if (!cleared) {
      return fail_with(call, cleared);
    }
    return no_content(call.req);
  });
}

void Api::add_key_and_log_routes() {
  const auto K = Resource::kKey;
  const auto to_json = [](const store::SigningKey& k) { return admin::signing_key_to_json(k); };
  add(bh::verb::get, {"keys", "signing"}, "read:signing_keys", K, false,
      [this, to_json](Call& call) {
        if (call.query.size() != 0) {
          return bad_query(call, "keys/signing takes no query parameters");
        }
        auto keys = call.admin.list_signing_keys();
        if (!keys) {
          return fail_with(call, keys);
        }
        json::array out;
        for (const auto& k : *keys) {
          out.push_back(to_json(k));
        }
        return json_answer(call.req, 200, out);
      });
  add(bh::verb::get, {"keys", "signing", "{}"}, "read:signing_keys", K, false,
      [this, to_json](Call& call) {
        auto key = call.admin.get_signing_key(call.params[0]);
        if (!key) {
          return fail_with(call, key);
        }
        return json_answer(call.req, 200, to_json(*key));
      });
  add(bh::verb::post, {"keys", "signing", "rotate"}, "create:signing_keys", K, true,
      [this](Call& call) {
        jose::Algorithm alg = jose::Algorithm::kRS256;
        for (const auto& member : call.body) {
          if (member.key() != "alg") {
            return error_response(
                call.req, 400, "invalid_body",
                "unknown field '" + std::string(member.key()) + "': rotate takes only 'alg'");
          }
        }
        if (const auto* v = call.body.if_contains("alg")) {
          const auto parsed = jose::parse_algorithm(
              v->is_string() ? std::string_view(v->get_string()) : std::string_view{});
          if (!parsed) {
            return error_response(call.req, 400, "invalid_body",
                                  "'alg' is one of RS256, PS256, ES256, EdDSA");
          }
          alg = *parsed;
        }
        auto rotated = call.admin.rotate_signing_keys(alg);
        if (!rotated) {
          return fail_with(call, rotated);
        }
        return json_answer(call.req, 201,
                           json::object{{"kid", rotated->current_kid},
                                        {"alg", jose::to_string(rotated->algorithm)}});
      });
  add(bh::verb::put, {"keys", "signing", "{}", "revoke"}, "update:signing_keys", K, false,
      [this, to_json](Call& call) {
        auto revoked = call.admin.revoke_signing_key(call.params[0]);
        if (!revoked) {
          return fail_with(call, revoked);
        }
        return json_answer(call.req, 200, to_json(*revoked));
      });
  // Auth0's two ways through the log: pages newest first, or with `from` (a log_id; 0 for the
  // oldest kept) and `take`, the events after it oldest first, which is how a follower keeps up.
  add(bh::verb::get, {"logs"}, "read:logs", Resource::kLog, false, [this](Call& call) {
    admin::LogFilter filter{query(call, "type"), query(call, "user_id"), query(call, "client_id"),
                            std::nullopt};
    if (const auto since = query(call, "since")) {
      const auto at = admin::parse_precise_date(*since);
      if (!at) {
        return bad_query(call,
                         "since must be an RFC 3339 UTC time such as "
                         "2026-12-06T10:00:00Z, got '" +
                             since->substr(0, 64) + "'");
      }
      filter.since = *at;
    }
    const auto from = query(call, "from");
    const auto take = query(call, "take");
    if (!from && !take) {
      return list<admin::LogEvent>(
          call, {"type", "user_id", "client_id", "since"}, "logs",
          [&](const admin::PageRequest& page) { return call.admin.list_logs(page, filter); },
          [](const admin::LogEvent& e) { return admin::log_event_to_json(e); });
    }
    for (const auto& [name, value] : call.query.entries()) {
      if (name != "from" && name != "take" && name != "type" && name != "user_id" &&
          name != "client_id" && name != "since") {
        return bad_query(call, "'" + std::string(name.substr(0, 64)) +
                                   "' does not go with from/take: use type, "
                                   "user_id, client_id and since to filter");
      }
    }
    const auto number = [](const std::optional<std::string>& text,
                           std::int64_t fallback) -> std::optional<std::int64_t> {
      if (!text) {
        return fallback;
      }
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
      if (ec != std::errc{} || end != text->data() + text->size() || text->empty()) {
        return std::nullopt;
      }
      return n;
    };
    const auto from_id = number(from, 0);
    const auto count = number(take, admin::kMaxLogsTaken);
    if (!from_id || !count) {
      return bad_query(call, "from must be a log_id and take a number of events (1 to " +
                                 std::to_string(admin::kMaxLogsTaken) + ")");
    }
    auto events = call.admin.logs_after(*from_id, *count, filter);
    if (!events) {
      return fail_with(call, events);
    }
    json::array out;
    for (const auto& e : *events) {
      out.push_back(admin::log_event_to_json(e));
    }
    return json_answer(call.req, 200, std::move(out));
  });
}

}  // namespace

void add_management_routes(http::Router& router, const ManagementOptions& options,
                           admin::Admin& admin, server::Tenant& tenant,
                           asio::any_io_executor blocking) {
  auto api = std::make_shared<Api>(admin, tenant, options);
  const std::string base = api->base();
  router.add_subtree(
      base, [api, blocking](const http::Request& req) -> asio::awaitable<http::Response> {
        // The store, argon2id and signing all block: never on the server's workers.
        co_return co_await asio::co_spawn(
            blocking, [&]() -> asio::awaitable<http::Response> { co_return api->handle(req); },
            asio::use_awaitable);
      });
}

}  // namespace signet::management
