// Token verification cost, per algorithm, with and without the verified-token cache.
// bench/run.sh prints these beside `openssl speed` for the same algorithms in the same run.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <boost/json/object.hpp>

#include "signet/guard/guard.h"
#include "signet/guard/static_key_source.h"
#include "signet/guard/token_cache.h"
#include "signet/jose/dpop.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "signet/management/management_api.h"
#include "tests/test_common/test_keys.h"

namespace {

using signet::jose::Algorithm;
namespace guard = signet::guard;
namespace jose = signet::jose;
namespace management = signet::management;

constexpr std::string_view kIssuer = "https://issuer.example/";
constexpr std::string_view kAudience = "https://quickstarts/api";

// A token shaped like Auth0's client-credentials access tokens.
std::string auth0_like_token(Algorithm alg) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::object claims{{"iss", kIssuer},
                             {"sub", "Tq1xlm3oHzVXW5pM0QzBQpyqS9bWs2ut@clients"},
                             {"aud", kAudience},
                             {"iat", now},
                             {"exp", now + 86400},
                             {"scope", "read:messages"},
                             {"gty", "client-credentials"},
                             {"azp", "Tq1xlm3oHzVXW5pM0QzBQpyqS9bWs2ut"},
                             {"jti", "4b5c1a2e9f0d4c3b8a7e6d5c4b3a2910"}};
  return signet::testing::mint(signet::testing::test_key(alg), claims, "JWT");
}

std::unique_ptr<guard::Guard> make_guard(Algorithm alg, bool cache) {
  jose::Jwks jwks;
  jwks.keys.push_back(signet::testing::public_half(signet::testing::test_key(alg)));
  guard::GuardConfig config;
  config.issuer = std::string(kIssuer);
  config.audiences = {std::string(kAudience)};
  config.token_cache = cache;
  config.background_refresh = false;
  auto g = std::make_unique<guard::Guard>(
      config, std::make_shared<guard::StaticKeySource>(std::move(jwks)));
  g->start();
  return g;
}

// The whole guard path: parse, key lookup, signature, claims (cache off), or hash and lookup (on).
void BM_GuardVerify(benchmark::State& state, Algorithm alg, bool cache) {
  auto g = make_guard(alg, cache);
  const std::string token = auth0_like_token(alg);
  for (auto _ : state) {
    auto r = g->verify(token);
    if (!r) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// Only the signature check, with the token already parsed: the floor under the guard path.
void BM_SignatureOnly(benchmark::State& state, Algorithm alg) {
  const std::string token = auth0_like_token(alg);
  const auto key = signet::testing::public_half(signet::testing::test_key(alg));
  auto jws = jose::parse_compact(token);
  for (auto _ : state) {
    auto r = jose::verify_signature(*jws, key);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// What a protected endpoint pays per request with a token seen before: bearer extraction, the
// cache lookup and the scope check.
void BM_AuthorizeCached(benchmark::State& state) {
  auto g = make_guard(Algorithm::kRS256, true);
  const std::string header = "Bearer " + auth0_like_token(Algorithm::kRS256);
  const std::vector<std::string_view> values{header};
  const std::vector<std::string> scopes{"read:messages"};
  for (auto _ : state) {
    auto d = g->authorize({values, ""}, scopes);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}

// A DPoP call (RFC 9449 §7) with a bound token seen before: the cache lookup, then a fresh proof
// checked whole (typ, alg, its jwk, its ES256 signature, htm, htu, iat, ath, the thumbprint
// against cnf.jkt) and its jti recorded. Proofs are made before timing, one per iteration, since a
// proof is good once; compare with BM_SignatureOnly/ES256 and `openssl speed ecdsap256`.
constexpr int kDpopIterations = 20'000;  // proofs made ahead; well inside the replay cache

void BM_AuthorizeDpop(benchmark::State& state, Algorithm proof_alg) {
  const auto& client_key = signet::testing::test_key(proof_alg);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::object claims{{"iss", kIssuer},
                             {"sub", "bench@clients"},
                             {"aud", kAudience},
                             {"iat", now},
                             {"exp", now + 86400},
                             {"scope", "read:messages"},
                             {"gty", "client-credentials"},
                             {"azp", "bench"},
                             {"cnf", {{"jkt", jose::thumbprint(client_key)}}}};
  const std::string token =
      signet::testing::mint(signet::testing::test_key(Algorithm::kRS256), claims, "at+jwt");
  const std::string header = "DPoP " + token;
  const std::vector<std::string_view> values{header};
  constexpr std::string_view kUrl = "http://127.0.0.1:3010/api/private-scoped";
  std::vector<std::string> proofs;
  proofs.reserve(kDpopIterations);
  for (int i = 0; i < kDpopIterations; ++i) {
    auto p = jose::dpop::make_proof(
        client_key, {.method = "GET", .url = kUrl, .access_token = token, .now = now});
    if (!p) {
      state.SkipWithError("could not make a proof");
      return;
    }
    proofs.push_back(std::move(*p));
  }
  auto g = make_guard(Algorithm::kRS256, true);
  const std::vector<std::string> scopes{"read:messages"};
  std::size_t next = 0;
  for (auto _ : state) {
    const std::string_view proof = proofs[next++];
    auto d = g->authorize(
        {.authorization = values, .query = "", .dpop = {&proof, 1}, .method = "GET", .url = kUrl},
        scopes);
    if (!d.allowed()) {
      state.SkipWithError(("refused: " + d.body).c_str());
      break;
    }
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}

// What the verified-token cache's key used to cost (SHA-256 of the token), against its hash now.
void BM_Sha256Token(benchmark::State& state) {
  const std::string token = auth0_like_token(Algorithm::kRS256);
  for (auto _ : state) {
    benchmark::DoNotOptimize(jose::sha256(token));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_TokenCacheKey(benchmark::State& state) {
  const std::string token = auth0_like_token(Algorithm::kRS256);
  const guard::TokenCache cache(1, 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.key_of(token));
  }
  state.SetItemsProcessed(state.iterations());
}

// The JSON part of a verification without the cache: the payload parsed with duplicate checks.
void BM_DecodePayload(benchmark::State& state) {
  const std::string token = auth0_like_token(Algorithm::kRS256);
  const auto jws = jose::parse_compact(token);
  for (auto _ : state) {
    auto claims = jose::decode_payload(*jws, {});
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
}

// The widest object a Management API body can be: as many members with distinct two-character
// names as kMaxBodyBytes holds (8,191), parsed under the body's limits. Its duplicate check sorts
// the names once (n log n); comparing each with all before it was n^2.
void BM_ParseWideObject(benchmark::State& state) {
  // Printable ASCII but the two characters a JSON string must escape.
  std::string alphabet;
  for (char c = '#'; c <= '~'; ++c) {
    if (c != '\\') {
      alphabet += c;
    }
  }
  const std::size_t names =
      std::min(management::kMaxBodyMembers, alphabet.size() * alphabet.size());
  std::string text = "{";
  std::size_t members = 0;
  for (; members < names; ++members) {
    std::string member = std::string(members == 0 ? "" : ",") + '"' +
                         alphabet[members / alphabet.size()] + alphabet[members % alphabet.size()] +
                         "\":0";
    if (text.size() + member.size() + 1 > management::kMaxBodyBytes) {
      break;
    }
    text += member;
  }
  text += "}";
  jose::JsonLimits limits;
  limits.max_depth = management::kMaxBodyDepth;
  limits.max_members = management::kMaxBodyMembers;
  for (auto _ : state) {
    auto v = jose::parse_json(text, limits);
    if (!v || v->as_object().size() != members) {
      state.SkipWithError("the wide object did not parse whole");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_ParseCompact(benchmark::State& state) {
  const std::string token = auth0_like_token(Algorithm::kRS256);
  for (auto _ : state) {
    auto r = jose::parse_compact(token);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Sign(benchmark::State& state, Algorithm alg) {
  const auto& key = signet::testing::test_key(alg);
  for (auto _ : state) {
    auto r = jose::sign_compact(key, {{"typ", "JWT"}}, R"({"sub":"x","exp":2000000000})");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_GuardVerify, RS256_nocache, Algorithm::kRS256, false);
BENCHMARK_CAPTURE(BM_GuardVerify, PS256_nocache, Algorithm::kPS256, false);
BENCHMARK_CAPTURE(BM_GuardVerify, ES256_nocache, Algorithm::kES256, false);
BENCHMARK_CAPTURE(BM_GuardVerify, EdDSA_nocache, Algorithm::kEdDSA, false);
BENCHMARK_CAPTURE(BM_GuardVerify, RS256_cache, Algorithm::kRS256, true);
BENCHMARK_CAPTURE(BM_GuardVerify, PS256_cache, Algorithm::kPS256, true);
BENCHMARK_CAPTURE(BM_GuardVerify, ES256_cache, Algorithm::kES256, true);
BENCHMARK_CAPTURE(BM_GuardVerify, EdDSA_cache, Algorithm::kEdDSA, true);
BENCHMARK_CAPTURE(BM_SignatureOnly, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_SignatureOnly, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_SignatureOnly, EdDSA, Algorithm::kEdDSA);
BENCHMARK(BM_ParseCompact);
BENCHMARK(BM_AuthorizeCached);
BENCHMARK_CAPTURE(BM_AuthorizeDpop, ES256, Algorithm::kES256)->Iterations(kDpopIterations);
BENCHMARK_CAPTURE(BM_AuthorizeDpop, EdDSA, Algorithm::kEdDSA)->Iterations(kDpopIterations);
BENCHMARK(BM_Sha256Token);
BENCHMARK(BM_TokenCacheKey);
BENCHMARK(BM_DecodePayload);
BENCHMARK(BM_ParseWideObject);
BENCHMARK_CAPTURE(BM_Sign, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_Sign, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_Sign, EdDSA, Algorithm::kEdDSA);

}  // namespace

BENCHMARK_MAIN();
