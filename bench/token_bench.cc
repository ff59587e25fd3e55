// The pieces of a client-credentials token, in process and without HTTP: hashing the presented
// secret, signing the token, and the whole grant through TokenEndpoint. bench/serve.sh measures
// the same grant over HTTP; the difference is the cost of the network and the HTTP layer. Also
// the code exchange (grant_type=authorization_code), which bench/run.sh compares with openssl's
// RSA signing rate as it does client credentials.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <boost/asio/thread_pool.hpp>
#include "signet/keys/key_manager.h"
#include "signet/keys/master_key.h"

#include "signet/http/message.h"
#include "signet/jose/dpop.h"
#include "signet/server/authorization_server.h"
#include "signet/server/credentials.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/password.h"
#include "signet/server/refresh_tokens.h"
#include "signet/server/tenant.h"
#include "signet/server/token_endpoint.h"
#include "signet/store/postgres_store.h"
#include "signet/store/sqlite_store.h"
#include "tests/test_common/test_keys.h"

namespace {

namespace server = signet::server;
namespace store = signet::store;
using signet::jose::Algorithm;

store::Timestamp now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void BM_SecretHash(benchmark::State& state) {
  const server::SecretHasher hasher(signet::keys::MasterKey::generate());
  const std::string secret = server::generate_secret();
  const std::string stored = hasher.hash(secret);
  for (auto _ : state) {
    benchmark::DoNotOptimize(hasher.matches(secret, stored));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SecretHash);

// A tenant with one API of `alg`, one m2m client and its grant, and a user who signs in through
// a web client (authorization code and refresh token), in a temporary directory.
struct Fixture {
  explicit Fixture(Algorithm alg) {
    dir = std::filesystem::temp_directory_path() /
          ("signet-bench-" + std::to_string(::getpid()) + "-" + std::to_string(int(alg)));
    std::filesystem::create_directories(dir);
    st = store::SqliteStore::open((dir / "signet.db").string()).value();
    auto master = signet::keys::MasterKey::generate();
    hasher = std::make_unique<server::SecretHasher>(master);
    keys = std::make_unique<signet::keys::KeyManager>(*st, std::move(master));
    store::Api api;
    api.identifier = "https://bench/api";
    api.name = "bench";
    api.signing_algorithm = alg;
    api.permissions = {{"read:messages", ""}};
    api.allow_offline_access = true;
    (void)st->create_api(api);
    secret = server::generate_secret();
    store::Application app;
    app.client_id = "bench-client";
    app.name = "bench";
    app.grant_types = {store::GrantType::kClientCredentials};
    // Pinned to the body, as the requests below send the secret, whatever the default method.
    app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretPost;
    app.client_secret_hash = hasher->hash(secret);
    (void)st->create_application(app);
    store::ClientGrant grant;
    grant.client_id = app.client_id;
    grant.audience = api.identifier;
    grant.scopes = {"read:messages"};
    (void)st->create_client_grant(grant);
    store::Application web;
    web.client_id = "bench-web";
    web.name = "bench web";
    web.type = store::ApplicationType::kRegularWeb;
    web.grant_types = {store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken};
    web.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretPost;
    web.client_secret_hash = hasher->hash(secret);
    (void)st->create_application(web);
    store::User user;
    user.id = "signet|bench";
    user.email = "bench@example.com";
    user.password_hash = "$argon2id$unused";
    (void)st->create_user(user);
    (void)st->add_user_permissions(user.id, api.identifier, {"read:messages"});
    tenant = std::make_unique<server::Tenant>(*st, *keys);
    (void)tenant->load(now());
    passwords = std::make_unique<server::PasswordHasher>(server::ArgonParams{8192, 1, 1});
    server::EndpointConfig config;
    config.issuer = "http://localhost:4000/";
    endpoint = std::make_unique<server::TokenEndpoint>(config, *tenant, *st, *hasher, *passwords);
    params.add("grant_type", "client_credentials");
    params.add("client_id", "bench-client");
    params.add("client_secret", secret);
    params.add("audience", api.identifier);
  }
  ~Fixture() {
    endpoint.reset();
    tenant.reset();
    keys.reset();
    st.reset();
    std::filesystem::remove_all(dir);
  }

  std::filesystem::path dir;
  std::unique_ptr<store::SqlStore> st;
  std::unique_ptr<server::SecretHasher> hasher;
  std::unique_ptr<signet::keys::KeyManager> keys;
  std::unique_ptr<server::Tenant> tenant;
  std::unique_ptr<server::PasswordHasher> passwords;
  std::unique_ptr<server::TokenEndpoint> endpoint;
  std::string secret;
  server::Params params;
};

void BM_ClientCredentials(benchmark::State& state, Algorithm alg) {
  Fixture f(alg);
  const server::EndpointRequest req{&f.params, std::nullopt, "127.0.0.1", now()};
  for (auto _ : state) {
    auto r = f.endpoint->token(req);
    if (!r) {
      state.SkipWithError(r.error().description.c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ClientCredentials, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_ClientCredentials, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_ClientCredentials, EdDSA, Algorithm::kEdDSA);

// RFC 7636 Appendix B: the verifier every benchmark code is bound to, and its S256 challenge.
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
// codes inserted (as /authorize would) while the clock is paused, before they are exchanged.
constexpr std::size_t kCodeBatch = 256;

// The code exchange for the web client on codes inserted beforehand: PKCE, redeeming the code
// (a SQLite write), the user and its permissions, the access token; with openid an ID token (a
// second RSA signature), with offline_access a stored refresh token.
void BM_CodeExchange(benchmark::State& state, std::vector<std::string> scopes) {
  Fixture f(Algorithm::kRS256);
  std::vector<server::Params> batch;
  std::size_t next = 0;
  const auto refill = [&] {
    batch.clear();
    next = 0;
    const auto at = now();
    for (std::size_t i = 0; i < kCodeBatch; ++i) {
      const std::string code = server::generate_secret();
      store::AuthorizationCode stored;
      stored.code_hash = f.hasher->hash(code);
      stored.client_id = "bench-web";
      stored.user_id = "signet|bench";
      stored.redirect_uri = "https://app.example.com/callback";
      stored.code_challenge = std::string(kChallenge);
      stored.audience = "https://bench/api";
      stored.scopes = scopes;
      stored.nonce = "bench-nonce";
      stored.refresh_family_id = server::random_id(server::kRefreshIdRandomBytes);
      stored.auth_time = at;
      stored.created_at = at;
      stored.expires_at = at + std::chrono::hours{1};  // outlives any run
      if (!f.st->insert_authorization_code(stored)) {
        return false;
      }
      server::Params p;
      p.add("grant_type", "authorization_code");
      p.add("client_id", "bench-web");
      p.add("client_secret", f.secret);
      p.add("code", code);
      p.add("redirect_uri", stored.redirect_uri);
      p.add("code_verifier", std::string(kVerifier));
      batch.push_back(std::move(p));
    }
    return true;
  };
  for (auto _ : state) {
    if (next == batch.size()) {
      state.PauseTiming();
      const bool ok = refill();
      state.ResumeTiming();
      if (!ok) {
        state.SkipWithError("inserting codes failed");
        break;
      }
    }
    const server::EndpointRequest req{&batch[next++], std::nullopt, "127.0.0.1", now()};
    auto r = f.endpoint->token(req);
    if (!r) {
      state.SkipWithError(r.error().description.c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_CodeExchange, RS256, std::vector<std::string>{"read:messages"});
BENCHMARK_CAPTURE(BM_CodeExchange, RS256_openid,
                  std::vector<std::string>{"openid", "read:messages"});
BENCHMARK_CAPTURE(BM_CodeExchange, RS256_openid_offline,
                  std::vector<std::string>{"openid", "offline_access", "read:messages"});

}  // namespace

namespace {

// The same grant through the authorization server's router, as the HTTP server calls it for a
// request already read: adds body parsing and the HTTP response to BM_ClientCredentials.
void BM_TokenRoute(benchmark::State& state, Algorithm alg) {
  Fixture f(alg);
  boost::asio::thread_pool blocking(1);
  const auto router = server::authorization_router(*f.endpoint, *f.tenant, blocking.get_executor());
  signet::http::Request req{boost::beast::http::verb::post, "/oauth/token", 11};
  req.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
  req.set(signet::http::kPeerAddressField, "127.0.0.1");
  req.body() = "grant_type=client_credentials&client_id=bench-client&client_secret=" + f.secret +
               "&audience=https%3A%2F%2Fbench%2Fapi";
  req.prepare_payload();
  for (auto _ : state) {
    auto res = router.route_immediate(req);
    if (!res || res->result_int() != 200) {
      state.SkipWithError("the token request failed");
      break;
    }
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_TokenRoute, ES256, Algorithm::kES256);

}  // namespace

namespace {

// A token request's DPoP proof (ES256) through DpopProofs::check: the signature and the rules,
// the process's replay cache, and with a ledger its row in the store replicas share. Without
// one, as `signet serve` on the SQLite file runs; with the SQLite file as the ledger, what it
// would cost there (the reason it does not: DpopPolicy::shared_record); with PostgreSQL, as
// replicas run (BM_DpopProofCheckPostgres). Proofs are made ahead, one per iteration.
constexpr int kProofIterations = 5'000;

void check_proofs(benchmark::State& state, store::Store* ledger_store,
                  const server::SecretHasher& hasher) {
  const std::string endpoint = "http://localhost:4000/oauth/token";
  server::DpopProofs proofs(endpoint, server::DpopPolicy{}, std::string(),
                            ledger_store != nullptr
                                ? std::make_shared<server::StoreReplayLedger>(*ledger_store, hasher)
                                : nullptr);
  const auto& key = signet::testing::test_key(Algorithm::kES256);
  const std::int64_t at = now().time_since_epoch().count();
  std::vector<std::string> made;
  made.reserve(kProofIterations);
  for (int i = 0; i < kProofIterations; ++i) {
    made.push_back(signet::jose::dpop::make_proof(
                       key, {.method = "POST", .url = endpoint, .access_token = {}, .now = at})
                       .value());
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const std::string_view header = made[next++];
    auto r = proofs.check({&header, 1}, at);
    if (!r) {
      state.SkipWithError(r.error().description().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DpopProofCheck(benchmark::State& state, bool sqlite_ledger) {
  Fixture f(Algorithm::kES256);
  check_proofs(state, sqlite_ledger ? f.st.get() : nullptr, *f.hasher);
}
BENCHMARK_CAPTURE(BM_DpopProofCheck, ES256, false)->Iterations(kProofIterations);
BENCHMARK_CAPTURE(BM_DpopProofCheck, ES256_sqlite_ledger, true)->Iterations(kProofIterations);

// The database of SIGNET_BENCH_POSTGRES (a postgresql:// URL; bench/replicas.sh sets it to its
// own server's), migrated here. Skipped without it.
void BM_DpopProofCheckPostgres(benchmark::State& state) {
  const char* url = std::getenv("SIGNET_BENCH_POSTGRES");
  if (url == nullptr || *url == '\0') {
    state.SkipWithError(
        "set SIGNET_BENCH_POSTGRES to a postgresql:// URL (bench/replicas.sh does)");
    return;
  }
  auto st = store::PostgresStore::open({.connection = {.url = url}, .migrate = true});
  if (!st) {
    state.SkipWithError(st.error().message.c_str());
    return;
  }
  const auto hasher = server::SecretHasher::from_key(std::array<std::uint8_t, 32>{7});
  check_proofs(state, st->get(), hasher);
}
BENCHMARK(BM_DpopProofCheckPostgres)->Iterations(kProofIterations);

}  // namespace
