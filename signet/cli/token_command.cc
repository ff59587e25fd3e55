#include "signet/cli/token_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/terminal_input.h"
#include "signet/client/decode.h"
#include "signet/client/dpop_key.h"
#include "signet/client/token_cache.h"
#include "signet/client/token_client.h"
#include "signet/client/token_source.h"
#include "signet/common/ascii.h"
#include "signet/guard/guard.h"
#include "signet/jose/dpop.h"
#include "signet/jose/json.h"

namespace signet::cli {
namespace {

namespace json = boost::json;

// bytes; generated client secrets are 43 characters and passwords at most a few hundred. A longer
// line is a mistake (the wrong file piped in), not a credential.
constexpr std::size_t kMaxSecretLineBytes = 4096;

struct TokenOptions {
  std::string issuer;
  std::string client_id;
  bool client_secret_stdin = false;
  std::string audience;
  std::string scope;
  std::string username;
  bool password_stdin = false;
  bool no_cache = false;
  bool refresh = false;
  bool dpop = false;
  std::string dpop_key;  // empty: default_dpop_key_path beside the cache
  std::string dpop_alg;  // empty: the key's own, or kDefaultDpopAlgorithm for a new key
  std::string ca_file;
  bool json = false;
};

struct ProofOptions {
  std::string method;
  std::string url;
  std::string token;  // empty: the cached token bound to the key; "-": stdin
  bool no_token = false;
  std::string nonce;
  std::string issuer;
  std::string audience;
  std::string dpop_key;
};

struct ClearOptions {
  std::string issuer;
  std::string client_id;
  std::string audience;
  bool json = false;
};

struct DecodeOptions {
  std::string token;
  bool verify = false;
  std::string issuer;
  std::string audience;
  std::string ca_file;
};

std::chrono::sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void warn(const std::string& message) {
  std::cerr << "signet: warning: " << message << "\n";
}

// The next line of stdin as the secret `what` ("client secret", "password"); prompted for with
// `prompt`, without echo, when stdin is a terminal. `which` says where it must be in piped input,
// for the error.
std::string read_secret(std::string_view what, std::string_view prompt, std::string_view which,
                        std::string_view hint) {
  std::optional<std::string> line;
  if (stdin_is_terminal()) {
    const EchoOff quiet;  // before the prompt, so nothing typed after it is echoed
    std::cerr << prompt << ": " << std::flush;
    line = read_line(kMaxSecretLineBytes);
  } else {
    line = read_line(kMaxSecretLineBytes);
  }
  if (!line || line->empty()) {
    throw CommandError{"no " + std::string(what) + " on stdin: give it as the " +
                       std::string(which) + " line of input (e.g. " + std::string(hint) + ")"};
  }
  if (line->size() > kMaxSecretLineBytes) {
    throw CommandError{"the " + std::string(what) + " on stdin is longer than " +
                       std::to_string(kMaxSecretLineBytes) + " bytes; is the right file piped in?"};
  }
  return *line;
}

void require(const std::string& value, std::string_view flag, std::string_view env,
             std::string_view what) {
  if (value.empty()) {
    throw CommandError{std::string(flag) + " is required (or " + std::string(env) +
                       "): " + std::string(what)};
  }
}

// The cache, or nullopt with a warning when there is no place for it (the token is then fetched
// anyway).
std::optional<client::TokenCache> open_cache(const TokenOptions& o) {
  if (o.no_cache || !o.username.empty()) {  // password-grant tokens are never cached
    return std::nullopt;
  }
  auto path = client::cache_path_from_environment();
  if (!path) {
    warn(path.error() + "; fetching a token without the cache");
    return std::nullopt;
  }
  return client::TokenCache(*path);
}

// bytes; HTTP methods are short words (the longest registered one, UPDATEREDIRECTREF, has 17).
constexpr std::size_t kMaxMethodBytes = 32;

// Where the DPoP key is: `given`, else beside the token cache.
std::filesystem::path dpop_key_path(const std::string& given) {
  if (!given.empty()) {
    return given;
  }
  auto cache = client::cache_path_from_environment();
  if (!cache) {
    throw CommandError{"no place for the DPoP key: give --dpop-key FILE, or set HOME (" +
                       cache.error() + ")"};
  }
  return client::default_dpop_key_path(*cache);
}

std::optional<jose::Algorithm> dpop_algorithm(const std::string& name) {
  if (name.empty()) {
    return std::nullopt;
  }
  auto alg = jose::parse_algorithm(name);
  if (!alg) {
    throw CommandError{"--dpop-alg " + name + " is not a DPoP proof algorithm: use ES256 " +
                       "(the default), EdDSA, RS256 or PS256"};
  }
  return *alg;
}

void print_token(const TokenOptions& o, const client::CachedToken& token, bool cached,
                 const json::object* response, std::chrono::sys_seconds now) {
  if (!o.json) {
    std::cout << token.access_token << "\n";
    return;
  }
  json::object out;
  if (response != nullptr) {
    out = *response;
  } else {
    out["access_token"] = token.access_token;
    out["token_type"] = token.token_type;
    out["expires_in"] = (token.expires_at - now).count();
    if (!token.scope.empty()) {
      out["scope"] = token.scope;
    }
  }
  out["cached"] = cached;
  if (!token.jkt.empty()) {
    out["dpop_jkt"] = token.jkt;  // the thumbprint the token's cnf.jkt names
  }
  print_json(out);
}

void run_token(const TokenOptions& o) {
  require(o.issuer, "--issuer", "SIGNET_ISSUER",
          "the authorization server's issuer URL, e.g. http://localhost:4000/");
  require(o.client_id, "--client-id", "SIGNET_CLIENT_ID", "the application's client id");
  require(o.audience, "--audience", "SIGNET_AUDIENCE",
          "the identifier of the API the token is for, e.g. https://quickstarts/api");
  const std::string example = "printf '%s\\n' \"$CLIENT_SECRET\" | signet token ... " +
                              std::string("--client-secret-stdin");
  if (!o.client_secret_stdin) {
    throw CommandError{
        "the client secret is read from stdin only, never from the command line: add "
        "--client-secret-stdin (e.g. " +
        example + ")"};
  }
  const bool password_grant = !o.username.empty();
  if (password_grant != o.password_stdin) {
    throw CommandError{
        "--username and --password-stdin go together: the password grant reads the password "
        "from the second line of stdin, after the client secret"};
  }
  if (!o.dpop && (!o.dpop_key.empty() || !o.dpop_alg.empty())) {
    throw CommandError{
        "--dpop-key and --dpop-alg choose the key of a DPoP-bound token: add --dpop"};
  }
  std::optional<client::DpopKey> dpop_key;
  if (o.dpop) {
    const auto path = dpop_key_path(o.dpop_key);
    auto key = client::load_or_create_dpop_key(path, dpop_algorithm(o.dpop_alg));
    if (!key) {
      throw CommandError{key.error()};
    }
    if (key->created) {
      std::cerr << "signet: made a new " << jose::to_string(*key->key.alg) << " DPoP key in "
                << path.string() << " (thumbprint " << key->jkt << ")\n";
    }
    dpop_key = std::move(key).value();
  }

  // Separated by spaces or commas, as in every signet command; the server wants spaces.
  std::string scope;
  for (const auto& word : split_list({o.scope})) {
    scope += scope.empty() ? word : " " + word;
  }
  client::TokenRequest request;
  request.issuer = o.issuer;
  request.client_id = o.client_id;
  request.audience = o.audience;
  request.scope = scope;
  request.dpop = std::move(dpop_key);
  request.client_secret = read_secret("client secret", "Client secret", "first", example);
  if (password_grant) {
    request.username = o.username;
    request.password = read_secret(
        "password", "Password", "second",
        "printf '%s\\n%s\\n' \"$CLIENT_SECRET\" \"$PASSWORD\" | signet token ... --username " +
            shell_quote(o.username) + " --client-secret-stdin --password-stdin");
  }

  const auto cache = open_cache(o);
  const auto policy = o.no_cache  ? client::CachePolicy::kBypass
                      : o.refresh ? client::CachePolicy::kRefresh
                                  : client::CachePolicy::kUse;
  const auto now = now_seconds();
  client::TokenClient token_client(
      std::make_shared<client::HttpTransport>(client::token_fetch_options(o.ca_file)));
  auto obtained =
      client::obtain_token(token_client, cache ? &*cache : nullptr, request, policy, now, warn);
  if (!obtained) {
    throw CommandError{obtained.error()};
  }
  print_token(o, obtained->token, obtained->from_cache,
              obtained->response ? &*obtained->response : nullptr, now);
}

// Removes cached tokens: all of them, or those of one issuer (and client, and audience).
void run_clear(const ClearOptions& o) {
  if (o.issuer.empty() && (!o.client_id.empty() || !o.audience.empty())) {
    throw CommandError{
        "--client-id and --audience narrow --issuer: add --issuer URL (or leave all three out to "
        "remove every cached token)"};
  }
  auto path = client::cache_path_from_environment();
  if (!path) {
    throw CommandError{path.error()};
  }
  const client::TokenCache cache(*path);
  auto removed = cache.clear({o.issuer, o.client_id, o.audience});
  if (!removed) {
    throw CommandError{removed.error()};
  }
  if (o.json) {
    print_json(json::object{{"removed", *removed}, {"cache", path->string()}});
    return;
  }
  std::cout << "removed " << *removed << (*removed == 1 ? " cached token" : " cached tokens")
            << " from " << path->string() << "\n";
}

// The token given on the command line, or the first line of stdin for "-"; surrounding
// whitespace and a "Bearer " or "DPoP " prefix (pasted from a header) are dropped.
std::string token_argument(const std::string& given) {
  std::string token = given;
  if (given == "-") {
    auto line = read_line(client::kMaxDecodeBytes);
    if (!line) {
      throw CommandError{"no token on stdin (TOKEN '-' reads it from the first line)"};
    }
    token = *line;
  }
  std::string_view t = token;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r')) {
    t.remove_prefix(1);
  }
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r')) {
    t.remove_suffix(1);
  }
  for (const std::string_view scheme : {"Bearer ", "DPoP "}) {
    if (istarts_with(t, scheme)) {
      t.remove_prefix(scheme.size());
    }
  }
  return std::string(t);
}

// The guard's verdict on `token`: nullopt when valid, else the rule that failed. Without an
// audience, every rule but aud is checked.
std::optional<std::string> verify_token(const DecodeOptions& o, const std::string& token,
                                        const client::DecodedJwt& decoded) {
  guard::GuardConfig config;
  config.issuer = o.issuer;
  config.ca_file = o.ca_file;
  config.background_refresh = false;
  config.token_cache = false;
  config.max_token_bytes = client::kMaxDecodeBytes;
  const bool check_aud = !o.audience.empty();
  if (check_aud) {
    config.audiences = {o.audience};
  } else if (auto aud = jose::get_string_or_array(decoded.claims, "aud"); aud && !aud->empty()) {
    config.audiences.assign(aud->begin(), aud->end());  // whatever it says is accepted
  } else {
    config.audiences = {"(no audience given)"};
  }
  guard::Guard guard(config);
  if (!guard.start()) {
    throw CommandError{"cannot fetch the signing keys of " + o.issuer + ": " +
                       guard.last_jwks_error()};
  }
  auto verified = guard.verify(token);
  if (verified) {
    return std::nullopt;
  }
  const guard::Failure& failure = verified.error();
  const bool aud_rule = failure.code == guard::Error::kAudMissing ||
                        failure.code == guard::Error::kAudWrongType ||
                        failure.code == guard::Error::kAudMismatch;
  if (aud_rule && !check_aud) {
    // The aud check comes after every other rule but the scope shapes: check those here.
    if (decoded.claims.contains("scope") && !jose::get_string(decoded.claims, "scope")) {
      return std::string(guard::to_string(guard::Error::kScopeWrongType));
    }
    if (decoded.claims.contains("permissions") &&
        !jose::get_string_array(decoded.claims, "permissions")) {
      return std::string(guard::to_string(guard::Error::kPermissionsWrongType));
    }
    return std::nullopt;
  }
  std::string why(failure.description());
  // A token from another server is most often refused for its key before its iss is read: say
  // where it came from, which is usually the whole story.
  auto iss = jose::get_string(decoded.claims, "iss");
  if (iss && *iss != o.issuer && failure.code != guard::Error::kIssMismatch) {
    why += " (the token names the issuer " + std::string(*iss) + ", not " + o.issuer + ")";
  } else if (!iss && failure.code != guard::Error::kIssMissing) {
    why += " (the token has no iss claim)";
  }
  return why;
}

// Prints the token readably, and the verdict with --verify. False when the token is invalid.
bool run_decode(const DecodeOptions& o) {
  if (o.verify && o.issuer.empty()) {
    throw CommandError{
        "--verify needs --issuer (or SIGNET_ISSUER): the issuer whose published keys must have "
        "signed the token"};
  }
  if (!o.verify && (!o.audience.empty())) {
    throw CommandError{"--audience is only checked with --verify"};
  }
  const std::string token = token_argument(o.token);
  auto decoded = client::decode_jwt(token);
  if (!decoded) {
    throw CommandError{"cannot decode the token: " + decoded.error()};
  }
  std::cout << client::describe_jwt(*decoded, now_seconds()) << std::flush;
  if (!o.verify) {
    return true;
  }
  auto failed = verify_token(o, token, *decoded);
  if (!failed) {
    std::cout << (o.audience.empty() ? "valid (aud not checked: add --audience to check it)"
                                     : "valid")
              << "\n";
    return true;
  }
  std::cout << "invalid: " << *failed << "\n";
  return false;
}

// The access token a proof's ath hashes: the one given, else the one cached token bound to `key`.
std::optional<std::string> proof_token(const ProofOptions& o, const client::DpopKey& key,
                                       const std::filesystem::path& key_path) {
  if (o.no_token) {
    return std::nullopt;
  }
  if (!o.token.empty()) {
    return token_argument(o.token);
  }
  if (!o.audience.empty() && o.issuer.empty()) {
    throw CommandError{"--audience narrows --issuer: add --issuer URL (or give --token TOKEN)"};
  }
  auto path = client::cache_path_from_environment();
  if (!path) {
    throw CommandError{path.error() + "; or give --token TOKEN"};
  }
  const client::TokenCache cache(*path);
  auto found = cache.find_bound(key.jkt, o.issuer, o.audience, now_seconds());
  if (!found) {
    throw CommandError{found.error()};
  }
  const std::string which = o.issuer.empty()     ? ""
                            : o.audience.empty() ? " for " + o.issuer
                                                 : " for " + o.audience + " of " + o.issuer;
  if (found->empty()) {
    throw CommandError{"no cached token" + which + " is bound to the DPoP key in " +
                       key_path.string() +
                       ": run 'signet token --dpop ...' first, or give --token TOKEN (or "
                       "--no-token for a proof without one, e.g. for a token request)"};
  }
  if (found->size() > 1) {
    throw CommandError{std::to_string(found->size()) + " cached tokens" + which +
                       " are bound to the DPoP key: " +
                       (o.issuer.empty() || o.audience.empty()
                            ? "add --issuer and --audience to choose one, or give --token TOKEN"
                            : "give the one you send with --token TOKEN")};
  }
  return std::move(found->front().access_token);
}

// Prints a DPoP proof for one request, for curl: the key must exist (signet token --dpop makes it).
void run_proof(const ProofOptions& o) {
  if (o.method.empty() || o.method.size() > kMaxMethodBytes ||
      !std::all_of(o.method.begin(), o.method.end(),
                   [](char c) { return (c >= 'A' && c <= 'Z') || c == '-'; })) {
    throw CommandError{
        "--method must be the request's HTTP method in capitals, as curl sends it "
        "(e.g. GET or POST): htm is compared case-sensitively"};
  }
  if (!jose::dpop::normalize_htu(o.url)) {
    throw CommandError{
        "--url must be the absolute http(s) URL the request goes to, e.g. "
        "http://localhost:3010/api/private"};
  }
  if (o.no_token && !o.token.empty()) {
    throw CommandError{"--no-token makes a proof without ath: leave out --token"};
  }
  if (o.nonce.size() > jose::dpop::kMaxNonceBytes) {
    throw CommandError{"--nonce is longer than " + std::to_string(jose::dpop::kMaxNonceBytes) +
                       " bytes: give the DPoP-Nonce header's value as the server sent it"};
  }
  const auto path = dpop_key_path(o.dpop_key);
  auto key = client::load_dpop_key(path);
  if (!key) {
    throw CommandError{key.error()};
  }
  if (!*key) {
    throw CommandError{"no DPoP key in " + path.string() +
                       " yet: run 'signet token --dpop ...' first (it makes one)" +
                       (o.dpop_key.empty() ? std::string(", or give --dpop-key FILE") : "")};
  }
  const auto token = proof_token(o, **key, path);
  jose::dpop::ProofRequest request;
  request.method = o.method;
  request.url = o.url;
  if (token) {
    request.access_token = *token;
  }
  if (!o.nonce.empty()) {
    request.nonce = o.nonce;
  }
  request.now = now_seconds().time_since_epoch().count();
  auto proof = jose::dpop::make_proof((*key)->key, request);
  if (!proof) {
    throw CommandError{"cannot make a DPoP proof with the key in " + path.string() + ": " +
                       std::string(jose::to_string(proof.error()))};
  }
  std::cout << *proof << "\n";
}

}  // namespace

void add_token_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* token = app.add_subcommand(
      "token",
      "Get an access token from an authorization server and print it, for\n"
      "  ACCESS_TOKEN=$(printf '%s\\n' \"$CLIENT_SECRET\" | signet token --issuer URL \\\n"
      "      --client-id ID --client-secret-stdin --audience API)\n"
      "The token endpoint is found in the issuer's metadata. Client-credentials tokens are cached\n"
      "(mode 0600, in ${XDG_CACHE_HOME:-$HOME/.cache}/signet/tokens.json, or "
      "$SIGNET_TOKEN_CACHE),\n"
      "keyed by issuer, client id, a hash of the client secret, audience and scope, and reused\n"
      "until shortly before they expire (10% of their lifetime, at least 30 s) while the key that\n"
      "signed them is in the issuer's JWKS: a token of a revoked key is replaced, and when the "
      "JWKS\n"
      "cannot be read a new token is asked for. Password-grant tokens are never cached. The "
      "client\n"
      "secret is the first line of stdin and the password the second; neither is ever stored.\n"
      "'signet token clear' empties the cache.\n"
      "With --dpop the token is bound to a key pair of yours (DPoP, RFC 9449): an API takes it\n"
      "only with a proof made with that key, which 'signet token proof' prints:\n"
      "  curl -H \"Authorization: DPoP $(signet token --dpop ...)\" \\\n"
      "       -H \"DPoP: $(signet token proof --method GET --url URL)\" URL");
  token->require_subcommand(0, 1);
  token
      ->add_option("--issuer", o->issuer,
                   "Issuer URL, exactly as the server names itself (trailing slash matters),\n"
                   "e.g. http://localhost:4000/")
      ->envname("SIGNET_ISSUER");
  token->add_option("--client-id", o->client_id, "The application's client id")
      ->envname("SIGNET_CLIENT_ID");
  token->add_flag("--client-secret-stdin", o->client_secret_stdin,
                  "Read the client secret from the first line of stdin (required; prompted for,\n"
                  "without echo, when stdin is a terminal)");
  token
      ->add_option("--audience", o->audience,
                   "Identifier of the API the token is for, e.g. https://quickstarts/api")
      ->envname("SIGNET_AUDIENCE");
  add_hidden_alias(token,
                   token
                       ->add_option("--scopes", o->scope,
                                    "Scopes to ask for, separated by spaces or commas (default: "
                                    "all the client may get)")
                       ->envname("SIGNET_SCOPE"),
                   "--scope");
  token
      ->add_option("--username", o->username,
                   "Use the password grant for this user (email); needs --password-stdin")
      ->envname("SIGNET_USERNAME");
  token->add_flag("--password-stdin", o->password_stdin,
                  "Read the user's password from the second line of stdin (after the secret)");
  CLI::Option* no_cache = token->add_flag(
      "--no-cache", o->no_cache,
      "Ask the server for a new token; neither read nor write the cache (the cached token,\n"
      "if any, stays)");
  token
      ->add_flag("--refresh", o->refresh,
                 "Ask the server for a new token and put it in the cache in place of the cached\n"
                 "one (e.g. after rotating the client secret or changing the client's grant)")
      ->excludes(no_cache);
  token
      ->add_option("--ca-file", o->ca_file,
                   "PEM file of CA certificates to trust for an HTTPS issuer\n"
                   "(default: the system's trust store)")
      ->envname("SIGNET_CA_FILE")
      ->check(CLI::ExistingFile);
  token->add_flag("--json", o->json,
                  "Print the whole token response as JSON, with \"cached\": true|false (and\n"
                  "\"dpop_jkt\", the key's thumbprint, for a DPoP-bound token)");
  token->add_flag("--dpop", o->dpop,
                  "Ask for a DPoP-bound token (RFC 9449): each token request carries a proof\n"
                  "made with the key in --dpop-key, made on first use (retried once with the\n"
                  "server's nonce when it asks for one); cached tokens are bound to that key");
  token->add_option("--dpop-key", o->dpop_key,
                    "File of the DPoP key pair, a private JWK (mode 0600; default: dpop-key.json\n"
                    "beside the token cache); made if missing, refused if others can read it");
  token->add_option("--dpop-alg", o->dpop_alg,
                    "Algorithm of a new DPoP key: ES256 (default), EdDSA, RS256 or PS256; an\n"
                    "existing key keeps its own");

  auto d = std::make_shared<DecodeOptions>();
  CLI::App* decode = token->add_subcommand(
      "decode", "Print a JWT's header and claims readably; --verify checks it against the issuer");
  decode->footer(
      "The header and claims are printed as indented JSON, and iat, nbf and exp also in words\n"
      "(\"exp: expires in 23 h 59 min (2026-11-30T01:02:03Z)\"). Nothing is checked unless\n"
      "--verify is given: then the signature against the issuer's published keys (JWKS),\n"
      "exp/nbf/iat, iss, aud (with --audience) and the claim types, as an API would; the last\n"
      "line says 'valid' or 'invalid: <the rule that failed>' (exit status 1).");
  decode->add_option("TOKEN", d->token, "The token, or '-' to read it from stdin")->required();
  decode->add_flag("--verify", d->verify, "Check the token as an API would; needs --issuer");
  decode
      ->add_option("--issuer", d->issuer,
                   "Issuer URL whose keys must have signed the token (trailing slash matters)")
      ->envname("SIGNET_ISSUER");
  decode->add_option("--audience", d->audience,
                     "API identifier the token's aud must contain (default: aud not checked)");
  decode
      ->add_option("--ca-file", d->ca_file,
                   "PEM file of CA certificates to trust for an HTTPS issuer\n"
                   "(default: the system's trust store)")
      ->envname("SIGNET_CA_FILE")
      ->check(CLI::ExistingFile);
  decode->callback([d, &exit_code] {
    bool valid = true;
    run_command([&] { valid = run_decode(*d); }, exit_code);
    if (!valid && exit_code == 0) {
      exit_code = 1;
    }
  });

  auto p = std::make_shared<ProofOptions>();
  CLI::App* proof = token->add_subcommand(
      "proof", "Print a DPoP proof for one request to an API, made with the key of --dpop");
  proof->footer(
      "The proof (RFC 9449 §4) is a JWT signed with the DPoP key that 'signet token --dpop'\n"
      "made: htm and htu are --method and --url, ath hashes the access token sent with it (the\n"
      "one cached token bound to the key, or --token), and it is good for one request, within\n"
      "a minute. For curl:\n"
      "  curl -H \"Authorization: DPoP $(signet token --dpop ...)\" \\\n"
      "       -H \"DPoP: $(signet token proof --method GET --url URL)\" URL\n"
      "When the API answers 401 with a DPoP-Nonce header, send a new proof with --nonce.\n"
      "--no-token makes a proof for a request without a token, e.g. a token request.");
  proof->add_option("--method", p->method, "HTTP method of the request, e.g. GET")->required();
  proof
      ->add_option("--url", p->url,
                   "URL of the request, e.g. http://localhost:3010/api/private (query ignored)")
      ->required();
  proof->add_option("--token", p->token,
                    "Access token sent with the request, or '-' to read it from stdin\n"
                    "(default: the cached token bound to the key)");
  proof->add_flag("--no-token", p->no_token,
                  "Make a proof without ath, for a request without a token");
  proof->add_option("--nonce", p->nonce, "The server's DPoP-Nonce, when it asked for one");
  proof
      ->add_option("--issuer", p->issuer,
                   "Choose the cached token of this issuer (when several are bound to the key)")
      ->envname("SIGNET_ISSUER");
  proof->add_option("--audience", p->audience, "...and of this audience (needs --issuer)")
      ->envname("SIGNET_AUDIENCE");
  proof->add_option("--dpop-key", p->dpop_key,
                    "File of the DPoP key (default: dpop-key.json beside the token cache)");
  proof->callback([p, token, &exit_code] {
    run_command(
        [&] {
          // `signet token --dpop-key K proof` fills the token command's flag, not proof's: the
          // proof would be made with another key than the one named.
          if (!token->parse_order().empty()) {
            throw CommandError{
                "give proof's flags after 'proof', e.g. signet token proof --method GET --url URL"};
          }
          run_proof(*p);
        },
        exit_code);
  });

  auto c = std::make_shared<ClearOptions>();
  CLI::App* clear = token->add_subcommand(
      "clear",
      "Remove cached tokens: all of them, or those of one --issuer (and client, audience)");
  clear->footer(
      "Prints how many tokens were removed; with no cache file, 0. Flags are not read from the\n"
      "environment (SIGNET_ISSUER...), so that a plain 'signet token clear' removes everything.");
  clear->add_option("--issuer", c->issuer,
                    "Only tokens of this issuer, exactly as given to 'signet token'");
  clear->add_option("--client-id", c->client_id, "...and of this client id (needs --issuer)");
  clear->add_option("--audience", c->audience, "...and for this audience (needs --issuer)");
  clear->add_flag("--json", c->json, "Print {\"removed\": N, \"cache\": PATH}");
  clear->callback([c, token, &exit_code] {
    run_command(
        [&] {
          // `signet token --issuer X clear` fills the token command's --issuer, not clear's: it
          // would remove every token where the user asked for one issuer's.
          if (!token->parse_order().empty()) {
            throw CommandError{
                "give clear's flags after 'clear', e.g. signet token clear --issuer URL"};
          }
          run_clear(*c);
        },
        exit_code);
  });

  token->callback([o, token, &exit_code] {
    if (!token->get_subcommands().empty()) {
      return;  // `signet token decode`, `clear` or `proof` ran instead
    }
    run_command([&] { run_token(*o); }, exit_code);
  });
}

}  // namespace signet::cli
