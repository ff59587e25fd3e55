// The guard's DPoP rules (RFC 9449 §7): Authorization: DPoP with a proof checked against the
// request, the token and the key it is bound to; bound tokens refused as Bearer; the
// WWW-Authenticate challenges; replay, nonces and the require policy. Each test breaks one rule.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "signet/guard/guard.h"
#include "signet/jose/base64url.h"
#include "signet/jose/dpop.h"
#include "tests/guard/guard_test_support.h"

namespace signet::guard {
namespace {

namespace json = boost::json;
namespace dpop = jose::dpop;
using namespace testing;  // NOLINT: the guard test helpers
using dpop::ProofError;
using jose::Algorithm;

constexpr std::string_view kUrl = "https://api.test/api/private";
constexpr std::string_view kAlgs = "algs=\"ES256 EdDSA RS256 PS256\"";
const std::vector<std::string> kRequired{std::string(kScope)};
const std::vector<std::string> kNoScope{};

// The client's key pair, which its tokens are bound to; and another client's.
const jose::Jwk& client_key() {
  return other_key(Algorithm::kES256);
}
const jose::Jwk& another_client_key() {
  return other_key(Algorithm::kEdDSA);
}

// A proof built member by member, so that each test breaks exactly one rule.
struct Proof {
  const jose::Jwk* key = &client_key();
  Algorithm alg = Algorithm::kES256;
  json::object header;
  json::object claims;

  std::string sign() const { return mint_raw(*key, alg, json::serialize(header), claims); }
};

json::object public_jwk(const jose::Jwk& key) {
  json::object jwk = jose::to_public_json(key);
  jwk.erase("kid");
  return jwk;
}

// One request: its Authorization and DPoP header values, method and URL.
struct Request {
  std::vector<std::string> authorization;
  std::vector<std::string> dpop;
  std::string method = "GET";
  std::string url = std::string(kUrl);
};

class DpopHarness : public GuardHarness {
 public:
  explicit DpopHarness(GuardConfig config = test_config()) : GuardHarness(std::move(config)) {}

  // A token bound to `key` (cnf.jkt, RFC 9449 §6.1).
  std::string bound_token(const jose::Jwk& key = client_key()) const {
    auto c = claims();
    c["cnf"] = json::object{{"jkt", jose::thumbprint(key)}};
    return mint(signing_key(), c);
  }

  // A proof that passes every rule for GET kUrl with `token`, by the client's key.
  Proof proof_for(std::string_view token) {
    Proof p;
    p.header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", public_jwk(client_key())}};
    p.claims = {{"jti", "jti-" + std::to_string(++jtis_)},
                {"htm", "GET"},
                {"htu", kUrl},
                {"iat", now()},
                {"ath", dpop::access_token_hash(token)}};
    return p;
  }

  Decision send(const Request& r, const std::vector<std::string>& required = kRequired) {
    const std::vector<std::string_view> authorization(r.authorization.begin(),
                                                      r.authorization.end());
    const std::vector<std::string_view> proofs(r.dpop.begin(), r.dpop.end());
    return guard->authorize(Credentials{authorization, {}, proofs, r.method, r.url}, required);
  }

  // Authorization: DPoP `token` with one proof.
  Decision send_dpop(std::string_view token, const std::string& proof,
                     const std::vector<std::string>& required = kRequired) {
    return send({{"DPoP " + std::string(token)}, {proof}}, required);
  }

 private:
  int jtis_ = 0;
};

json::object body_of(const Decision& d) {
  return json::parse(d.body).as_object();
}

// The challenges while DPoP is allowed, with `error` and `description` on the DPoP one.
std::string dpop_error_challenge(std::string_view error, std::string_view description) {
  return "Bearer realm=\"signet\", DPoP realm=\"signet\", error=\"" + std::string(error) +
         "\", error_description=\"" + std::string(description) + "\", " + std::string(kAlgs);
}

// Expects a 401 for a broken proof rule, with `error` on the DPoP challenge and in the body.
void expect_proof_refused(const Decision& d, ProofError rule,
                          std::string_view error = "invalid_dpop_proof") {
  EXPECT_EQ(d.status, 401u);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(d.failure->code, Error::kDpopProof) << d.failure->description();
  ASSERT_TRUE(d.failure->proof);
  EXPECT_EQ(d.failure->proof->code, rule) << d.failure->description();
  const std::string description = d.failure->proof->description();
  EXPECT_EQ(d.www_authenticate, dpop_error_challenge(error, description));
  const json::object body = body_of(d);
  EXPECT_EQ(body.at("error").as_string(), error);
  EXPECT_EQ(body.at("error_description").as_string(), description);
  EXPECT_EQ(d.token, nullptr);
}

// --- accepted ------------------------------------------------------------------------------------

TEST(GuardDpop, BoundTokenWithAValidProofIsAllowed) {
  DpopHarness h;
  const std::string token = h.bound_token();
  const Decision d = h.send_dpop(token, h.proof_for(token).sign());
  ASSERT_TRUE(d.allowed()) << d.body;
  EXPECT_EQ(d.token->jkt, jose::thumbprint(client_key()));
  EXPECT_TRUE(d.www_authenticate.empty());
  EXPECT_TRUE(d.headers.empty());  // no nonces configured
  EXPECT_EQ(h.guard->counters().dpop_proofs_verified, 1u);
  EXPECT_EQ(h.guard->counters().total_failures(), 0u);
}

TEST(GuardDpop, ProofMadeByTheClientLibraryIsAllowed) {
  DpopHarness h;
  const std::string token = h.bound_token();
  auto proof = dpop::make_proof(client_key(), {.method = "GET",
                                               .url = "https://API.test:443/api/private?x=1",
                                               .access_token = token,
                                               .now = h.now()});
  ASSERT_TRUE(proof);
  EXPECT_TRUE(h.send_dpop(token, *proof).allowed());
}

TEST(GuardDpop, SchemeNameIsCaseInsensitive) {
  DpopHarness h;
  const std::string token = h.bound_token();
  for (const std::string_view scheme : {"dpop ", "DPOP ", "dPoP   "}) {
    const Decision d = h.send({{std::string(scheme) + token}, {h.proof_for(token).sign()}});
    EXPECT_TRUE(d.allowed()) << scheme << ": " << d.body;
  }
}

TEST(GuardDpop, EveryProofAlgorithmIsAccepted) {
  for (const Algorithm alg :
       {Algorithm::kES256, Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kPS256}) {
    SCOPED_TRACE(std::string(jose::to_string(alg)));
    DpopHarness h;
    const jose::Jwk& key = test_key(alg);  // the issuer signs with kAlg; these are client keys
    const std::string token = h.bound_token(key);
    auto proof = dpop::make_proof(
        key, {.method = "GET", .url = kUrl, .access_token = token, .now = h.now()});
    ASSERT_TRUE(proof);
    EXPECT_TRUE(h.send_dpop(token, *proof).allowed());
  }
}

TEST(GuardDpop, CachedTokenStillNeedsAFreshProofEachTime) {
  DpopHarness h;
  const std::string token = h.bound_token();
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
  EXPECT_EQ(h.guard->counters().token_cache_hits, 1u);
  // The cache remembers the binding: as Bearer the cached token is still refused.
  const Decision bearer = h.send({{"Bearer " + token}, {}});
  ASSERT_TRUE(bearer.failure);
  EXPECT_EQ(bearer.failure->code, Error::kBoundTokenAsBearer);
  EXPECT_EQ(h.guard->counters().token_cache_hits, 2u);
}

TEST(GuardDpop, UnboundTokenAsBearerIsStillAllowed) {
  DpopHarness h;
  const Decision d = h.send({{"Bearer " + h.token()}, {}});
  ASSERT_TRUE(d.allowed()) << d.body;
  EXPECT_TRUE(d.token->jkt.empty());
  EXPECT_EQ(h.guard->counters().dpop_proofs_verified, 0u);
}

// --- each proof rule broken once -----------------------------------------------------------------

struct BrokenProof {
  std::string name;
  void (*mutate)(Proof& p, std::int64_t now);
  ProofError rule;
};

void PrintTo(const BrokenProof& c, std::ostream* os) {
  *os << c.name;
}

class GuardDpopBrokenProof : public ::testing::TestWithParam<BrokenProof> {};

TEST_P(GuardDpopBrokenProof, IsRefusedWithInvalidDpopProof) {
  DpopHarness h;
  const std::string token = h.bound_token();
  Proof p = h.proof_for(token);
  GetParam().mutate(p, h.now());
  expect_proof_refused(h.send_dpop(token, p.sign()), GetParam().rule);
  EXPECT_EQ(h.guard->counters().failures(GetParam().rule), 1u);
  EXPECT_EQ(h.guard->counters().dpop_proofs_verified, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, GuardDpopBrokenProof,
    ::testing::Values(
        BrokenProof{"AnotherUrl",
                    [](Proof& p, std::int64_t) { p.claims["htu"] = "https://api.test/api/other"; },
                    ProofError::kHtu},
        BrokenProof{
            "AnotherHost",
            [](Proof& p, std::int64_t) { p.claims["htu"] = "https://evil.test/api/private"; },
            ProofError::kHtu},
        BrokenProof{"AnotherMethod", [](Proof& p, std::int64_t) { p.claims["htm"] = "POST"; },
                    ProofError::kHtm},
        BrokenProof{"IatOneSecondTooOld",
                    [](Proof& p, std::int64_t now) { p.claims["iat"] = now - 60 - 5 - 1; },
                    ProofError::kIatTooOld},
        BrokenProof{"IatOneSecondTooFarInTheFuture",
                    [](Proof& p, std::int64_t now) { p.claims["iat"] = now + 5 + 1; },
                    ProofError::kIatInFuture},
        BrokenProof{"AthOfAnotherToken",
                    [](Proof& p, std::int64_t) {
                      p.claims["ath"] = dpop::access_token_hash("another.access.token");
                    },
                    ProofError::kAth},
        BrokenProof{"NoAth", [](Proof& p, std::int64_t) { p.claims.erase("ath"); },
                    ProofError::kClaimMissing},
        BrokenProof{"NoJti", [](Proof& p, std::int64_t) { p.claims.erase("jti"); },
                    ProofError::kClaimMissing},
        BrokenProof{"PrivateKeyInTheJwk",
                    [](Proof& p, std::int64_t) { p.header["jwk"].as_object()["d"] = "AQAB"; },
                    ProofError::kJwkPrivate},
        BrokenProof{"NoJwk", [](Proof& p, std::int64_t) { p.header.erase("jwk"); },
                    ProofError::kJwkMissing},
        BrokenProof{"TypJwt", [](Proof& p, std::int64_t) { p.header["typ"] = "JWT"; },
                    ProofError::kTyp},
        BrokenProof{"SignedByAKeyOtherThanItsJwk",
                    [](Proof& p, std::int64_t) { p.key = &test_key(Algorithm::kES256); },
                    ProofError::kSignature}),
    [](const ::testing::TestParamInfo<BrokenProof>& info) { return info.param.name; });

TEST(GuardDpop, IatWindowEdgesAreAccepted) {
  DpopHarness h;
  const std::string token = h.bound_token();
  for (const std::int64_t iat : {h.now() - 60 - 5, h.now() + 5}) {
    Proof p = h.proof_for(token);
    p.claims["iat"] = iat;
    EXPECT_TRUE(h.send_dpop(token, p.sign()).allowed()) << "iat " << iat - h.now();
  }
}

// An unsigned or HMAC proof never reaches a signature check: the alg alone refuses it.
TEST(GuardDpop, AlgNoneAndHmacProofsAreRefused) {
  DpopHarness h;
  const std::string token = h.bound_token();
  for (const std::string_view alg : {"none", "HS256"}) {
    SCOPED_TRACE(alg);
    Proof p = h.proof_for(token);
    p.header["alg"] = alg;
    const std::string unsigned_proof = jose::base64url_encode(json::serialize(p.header)) + "." +
                                       jose::base64url_encode(json::serialize(p.claims)) + "." +
                                       jose::base64url_encode(std::string(32, 'k'));
    const Decision d = h.send_dpop(token, unsigned_proof);
    expect_proof_refused(d, ProofError::kAlgNotAllowed);
  }
}

TEST(GuardDpop, ProofAlgorithmOutsideTheConfiguredOnesIsRefused) {
  GuardConfig c = test_config();
  c.dpop.algorithms = {Algorithm::kEdDSA};
  DpopHarness h(c);
  const std::string token = h.bound_token();
  const Decision d = h.send_dpop(token, h.proof_for(token).sign());  // an ES256 proof
  EXPECT_EQ(d.status, 401u);
  ASSERT_TRUE(d.failure && d.failure->proof);
  EXPECT_EQ(d.failure->proof->code, ProofError::kAlgNotAllowed);
  // The challenges offer only what is accepted.
  EXPECT_EQ(h.send({{}, {}}).www_authenticate,
            "Bearer realm=\"signet\", DPoP realm=\"signet\", algs=\"EdDSA\"");
}

TEST(GuardDpop, ProofByAKeyOtherThanTheBoundOneIsInvalidToken) {
  DpopHarness h;
  const std::string token = h.bound_token();
  // A genuine proof by another key pair (the thief's own): signature and jwk agree.
  Proof p = h.proof_for(token);
  p.key = &another_client_key();
  p.alg = Algorithm::kEdDSA;
  p.header["alg"] = "EdDSA";
  p.header["jwk"] = public_jwk(another_client_key());
  expect_proof_refused(h.send_dpop(token, p.sign()), ProofError::kKeyMismatch, "invalid_token");
}

TEST(GuardDpop, RequestWithoutAUrlRefusesEveryProof) {
  DpopHarness h;
  const std::string token = h.bound_token();
  Request r{{"DPoP " + token}, {h.proof_for(token).sign()}};
  r.url.clear();  // a host that does not pass the URL cannot check htu
  expect_proof_refused(h.send(r), ProofError::kHtu);
}

// --- the scheme and the binding ------------------------------------------------------------------

TEST(GuardDpop, BoundTokenAsBearerIsInvalidToken) {
  DpopHarness h;
  const std::string token = h.bound_token();
  // With or without a proof beside it: Bearer means the proof is not what authenticates.
  for (const std::vector<std::string>& proofs :
       {std::vector<std::string>{}, std::vector<std::string>{h.proof_for(token).sign()}}) {
    const Decision d = h.send({{"Bearer " + token}, proofs});
    EXPECT_EQ(d.status, 401u);
    ASSERT_TRUE(d.failure);
    EXPECT_EQ(d.failure->code, Error::kBoundTokenAsBearer);
    const std::string_view description =
        "this token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof";
    EXPECT_EQ(d.www_authenticate,
              "Bearer realm=\"signet\", error=\"invalid_token\", error_description=\"" +
                  std::string(description) + "\", DPoP realm=\"signet\", " + std::string(kAlgs));
    EXPECT_EQ(body_of(d).at("error_description").as_string(), description);
  }
  EXPECT_EQ(h.guard->counters().failures(Error::kBoundTokenAsBearer), 2u);
}

TEST(GuardDpop, UnboundTokenAsDpopIsInvalidToken) {
  DpopHarness h;
  const std::string token = h.token();
  const Decision d = h.send_dpop(token, h.proof_for(token).sign());
  EXPECT_EQ(d.status, 401u);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(d.failure->code, Error::kUnboundTokenAsDpop);
  EXPECT_EQ(d.www_authenticate,
            dpop_error_challenge("invalid_token", to_string(Error::kUnboundTokenAsDpop)));
}

TEST(GuardDpop, TwoDpopHeadersAreRefusedBeforeTheTokenIsVerified) {
  DpopHarness h;
  const std::string token = h.bound_token();
  const std::string proof = h.proof_for(token).sign();
  expect_proof_refused(h.send({{"DPoP " + token}, {proof, proof}}), ProofError::kMultiple);
  expect_proof_refused(h.send({{"DPoP " + token}, {}}), ProofError::kMissing);
  EXPECT_EQ(h.guard->counters().token_cache_misses, 0u);  // the token was never looked at
  EXPECT_TRUE(h.send_dpop(token, proof).allowed());       // nor the proof used up
}

TEST(GuardDpop, MalformedBindingIsRefused) {
  DpopHarness h;
  for (const json::value& cnf :
       {json::value("jkt"), json::value(json::object{{"jkt", 5}}),
        json::value(json::object{{"jkt", ""}}), json::value(json::array{"a"})}) {
    SCOPED_TRACE(json::serialize(cnf));
    auto claims = h.claims();
    claims["cnf"] = cnf;
    const std::string token = mint(signing_key(), claims);
    for (const std::string& authorization : {"Bearer " + token, "DPoP " + token}) {
      const Decision d = h.send({{authorization}, {h.proof_for(token).sign()}});
      EXPECT_EQ(d.status, 401u);
      ASSERT_TRUE(d.failure);
      EXPECT_EQ(d.failure->code, Error::kCnfWrongType);
    }
  }
}

TEST(GuardDpop, CnfWithoutJktIsNotABinding) {
  DpopHarness h;
  auto claims = h.claims();
  claims["cnf"] = json::object{{"x5t#S256", "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}};
  const Decision d = h.send({{"Bearer " + mint(signing_key(), claims)}, {}});
  EXPECT_TRUE(d.allowed()) << d.body;
}

// --- replay --------------------------------------------------------------------------------------

TEST(GuardDpop, ReplayedProofIsRefused) {
  DpopHarness h;
  const std::string token = h.bound_token();
  const std::string proof = h.proof_for(token).sign();
  EXPECT_TRUE(h.send_dpop(token, proof).allowed());
  expect_proof_refused(h.send_dpop(token, proof), ProofError::kReplayed);
  EXPECT_EQ(h.guard->counters().dpop_replays(), 1u);
  // Still refused at the last second of the proof's window, and the window then ends.
  h.clock->advance(std::chrono::seconds{60 + 5});
  expect_proof_refused(h.send_dpop(token, proof), ProofError::kReplayed);
  h.clock->advance(std::chrono::seconds{1});
  expect_proof_refused(h.send_dpop(token, proof), ProofError::kIatTooOld);
}

TEST(GuardDpop, SameJtiFromAnotherKeyIsNotAReplay) {
  DpopHarness h;
  const std::string token = h.bound_token();
  const std::string other_token = h.bound_token(another_client_key());
  Proof p = h.proof_for(token);
  Proof q = h.proof_for(other_token);
  q.key = &another_client_key();
  q.alg = Algorithm::kEdDSA;
  q.header["alg"] = "EdDSA";
  q.header["jwk"] = public_jwk(another_client_key());
  q.claims["jti"] = p.claims["jti"];  // the replay cache's key is jkt.jti
  EXPECT_TRUE(h.send_dpop(token, p.sign()).allowed());
  EXPECT_TRUE(h.send_dpop(other_token, q.sign()).allowed());
}

// The jti is recorded only once every other check has passed, so a refusal the client can fix
// (here: the scope, or keys still being fetched) does not burn its proof.
TEST(GuardDpop, RefusedProofIsNotUsedUp) {
  DpopHarness h;
  const std::string token = h.bound_token();
  const std::string proof = h.proof_for(token).sign();
  const Decision scoped = h.send_dpop(token, proof, {"write:messages"});
  EXPECT_EQ(scoped.status, 403u);
  EXPECT_NE(scoped.www_authenticate.find("DPoP realm=\"signet\", error=\"insufficient_scope\""),
            std::string::npos)
      << scoped.www_authenticate;
  EXPECT_TRUE(h.send_dpop(token, proof, kNoScope).allowed());
}

TEST(GuardDpop, ProofIsNotUsedUpWhileKeysArePending) {
  DpopHarness h;
  const std::string token = h.bound_token();
  const std::string proof = h.proof_for(token).sign();
  const std::string header = "DPoP " + token;
  const std::vector<std::string_view> authorization{header};
  const std::vector<std::string_view> proofs{proof};
  const Credentials credentials{authorization, {}, proofs, "GET", kUrl};
  const Decision pending = h.guard->authorize(credentials, kRequired, KeyWait::kNever);
  ASSERT_TRUE(pending.failure);
  EXPECT_EQ(pending.failure->code, Error::kKeysPending);
  EXPECT_TRUE(h.guard->authorize(credentials, kRequired, KeyWait::kMayBlock).allowed());
}

TEST(GuardDpop, FullReplayCacheRefusesFreshProofs) {
  GuardConfig c = test_config();
  c.dpop.replay_cache_entries = 1;
  DpopHarness h(c);
  const std::string token = h.bound_token();
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
  expect_proof_refused(h.send_dpop(token, h.proof_for(token).sign()), ProofError::kReplayCacheFull);
  // Once the first proof is stale its entry is dropped and there is room again.
  h.clock->advance(std::chrono::seconds{60 + 5 + 1});
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
}

// A host that rebuilds its guard (the Management API does on every key change) hands each one
// the same replay cache, so a rebuild does not forget the proofs already used.
TEST(GuardDpop, SharedReplayCacheOutlivesTheGuard) {
  GuardConfig c = test_config();
  c.dpop.replay_cache = std::make_shared<ReplayCache>();
  DpopHarness h(c);
  const std::string token = h.bound_token();
  const std::string proof = h.proof_for(token).sign();
  EXPECT_TRUE(h.send_dpop(token, proof).allowed());
  EXPECT_EQ(c.dpop.replay_cache->size(), 1u);
  h.guard = std::make_unique<Guard>(c, h.source, h.clock);
  expect_proof_refused(h.send_dpop(token, proof), ProofError::kReplayed);
  // A guard with a cache of its own has not seen the proof: the sharing is what refuses it.
  c.dpop.replay_cache = nullptr;
  h.guard = std::make_unique<Guard>(c, h.source, h.clock);
  EXPECT_TRUE(h.send_dpop(token, proof).allowed());
}

// A ledger in a map, as the authorization server keeps one in its store for its replicas; `down`
// makes it unreachable.
class MapLedger final : public ReplayLedger {
 public:
  Use use(std::string_view id, std::int64_t expires_at, std::int64_t now) override {
    ++calls;
    if (down) {
      return Use::kUnavailable;
    }
    std::erase_if(ids, [&](const auto& entry) { return entry.second < now; });
    return ids.emplace(std::string(id), expires_at).second ? Use::kFirst : Use::kReplayed;
  }
  std::map<std::string, std::int64_t, std::less<>> ids;
  int calls = 0;
  bool down = false;
};

TEST(GuardDpop, AProofAnotherReplicaUsedIsRefusedThroughTheLedger) {
  GuardConfig c = test_config();
  auto ledger = std::make_shared<MapLedger>();
  c.dpop.replay_ledger = ledger;
  DpopHarness h(c);
  const std::string token = h.bound_token();
  const std::string proof = h.proof_for(token).sign();
  EXPECT_TRUE(h.send_dpop(token, proof).allowed());
  EXPECT_EQ(ledger->calls, 1);
  EXPECT_EQ(ledger->ids.size(), 1u);
  // This guard's own cache answers its replay, without asking the ledger.
  expect_proof_refused(h.send_dpop(token, proof), ProofError::kReplayed);
  EXPECT_EQ(ledger->calls, 1);
  // Another replica (a guard with a cache of its own, the same ledger) refuses it too.
  h.guard = std::make_unique<Guard>(c, h.source, h.clock);
  expect_proof_refused(h.send_dpop(token, proof), ProofError::kReplayed);
  EXPECT_EQ(ledger->calls, 2);
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
}

TEST(GuardDpop, AnUnreachableLedgerIsA503NotTheProofsFault) {
  GuardConfig c = test_config();
  auto ledger = std::make_shared<MapLedger>();
  ledger->down = true;
  c.dpop.replay_ledger = ledger;
  DpopHarness h(c);
  const std::string token = h.bound_token();
  const Decision d = h.send_dpop(token, h.proof_for(token).sign());
  EXPECT_EQ(d.status, 503u);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(d.failure->code, Error::kDpopProof);
  ASSERT_TRUE(d.failure->proof);
  EXPECT_EQ(d.failure->proof->code, ProofError::kReplayUnrecorded);
  const json::object body = body_of(d);
  EXPECT_EQ(body.at("error").as_string(), "temporarily_unavailable");
  EXPECT_NE(std::string(body.at("error_description").as_string()).find("retry shortly"),
            std::string::npos)
      << body;
  EXPECT_EQ(d.token, nullptr);
  EXPECT_EQ(h.guard->counters().dpop_proofs_verified.load(), 0u);
  // Once it answers again, new proofs pass.
  ledger->down = false;
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
}

TEST(GuardDpop, RememberProofRefusesAReplayAndAFullCache) {
  ReplayCache cache(1);
  dpop::VerifiedProof proof;
  proof.jkt = "thumbprint";
  proof.jti = "jti-1";
  proof.iat = 1000;
  const auto fresh_for = std::chrono::seconds{65};
  EXPECT_TRUE(remember_proof(cache, nullptr, proof, fresh_for, 1000).ok());
  auto again = remember_proof(cache, nullptr, proof, fresh_for, 1000 + 65);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ProofError::kReplayed);
  proof.jti = "jti-2";
  auto full = remember_proof(cache, nullptr, proof, fresh_for, 1000);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ProofError::kReplayCacheFull);
  // Past iat + fresh_for the first is forgotten, and there is room again.
  EXPECT_TRUE(remember_proof(cache, nullptr, proof, fresh_for, 1000 + 66).ok());
}

TEST(GuardDpop, EachRefusedProofGetsItsResourceError) {
  const auto error_of = [](ProofError e) {
    return refused_proof_error(dpop::ProofFailure{e, std::nullopt, {}});
  };
  EXPECT_EQ(error_of(ProofError::kNonceMissing), "use_dpop_nonce");
  EXPECT_EQ(error_of(ProofError::kNonceInvalid), "use_dpop_nonce");
  EXPECT_EQ(error_of(ProofError::kKeyMismatch), "invalid_token");
  EXPECT_EQ(error_of(ProofError::kReplayed), "invalid_dpop_proof");
  EXPECT_EQ(error_of(ProofError::kHtu), "invalid_dpop_proof");
}

// --- the require policy --------------------------------------------------------------------------

TEST(GuardDpopRequired, BearerIsRefusedWithTheDpopChallengeOnly) {
  GuardConfig c = test_config();
  c.dpop.policy = DpopPolicy::kRequired;
  DpopHarness h(c);
  const Decision d = h.send({{"Bearer " + h.token()}, {}});
  EXPECT_EQ(d.status, 401u);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(d.failure->code, Error::kDpopRequired);
  EXPECT_EQ(d.www_authenticate,
            "DPoP realm=\"signet\", error=\"invalid_token\", error_description=\"" +
                std::string(to_string(Error::kDpopRequired)) + "\", " + std::string(kAlgs));
  EXPECT_EQ(h.source->fetches(), 0);  // refused before any key was needed

  const Decision none = h.send({{}, {}});
  EXPECT_EQ(none.www_authenticate, "DPoP realm=\"signet\", " + std::string(kAlgs));
  EXPECT_NE(body_of(none).at("error_description").as_string().find("DPoP"), std::string::npos);

  const std::string token = h.bound_token();
  EXPECT_TRUE(h.send_dpop(token, h.proof_for(token).sign()).allowed());
}

TEST(GuardDpopRequired, RefusalsOfDpopRequestsCarryOnlyTheDpopChallenge) {
  GuardConfig c = test_config();
  c.dpop.policy = DpopPolicy::kRequired;
  DpopHarness h(c);
  const std::string token = h.bound_token();
  Proof p = h.proof_for(token);
  p.claims["htm"] = "DELETE";
  const Decision d = h.send_dpop(token, p.sign());
  EXPECT_EQ(d.www_authenticate,
            "DPoP realm=\"signet\", error=\"invalid_dpop_proof\", "
            "error_description=\"" +
                d.failure->description() + "\", " + std::string(kAlgs));
}

// --- nonces --------------------------------------------------------------------------------------

class GuardDpopNonce : public ::testing::Test {
 protected:
  static GuardConfig config() {
    GuardConfig c = test_config();
    c.dpop.nonces = std::make_shared<const dpop::NonceSource>(std::chrono::seconds{300});
    return c;
  }
  static std::string nonce_of(const Decision& d) {
    for (const auto& [name, value] : d.headers) {
      if (name == kDpopNonceHeader) {
        return value;
      }
    }
    ADD_FAILURE() << "no DPoP-Nonce header";
    return {};
  }

  DpopHarness h{config()};
  std::string token = h.bound_token();
};

TEST_F(GuardDpopNonce, ProofWithoutANonceGetsUseDpopNonceAndOne) {
  const Decision d = h.send_dpop(token, h.proof_for(token).sign());
  expect_proof_refused(d, ProofError::kNonceMissing, "use_dpop_nonce");
  EXPECT_EQ(nonce_of(d), h.guard->config().dpop.nonces->current(h.now()));
}

TEST_F(GuardDpopNonce, RetryWithTheNonceIsAllowedAndGetsTheNextOne) {
  Proof p = h.proof_for(token);
  const Decision first = h.send_dpop(token, p.sign());
  ASSERT_EQ(first.status, 401u);
  p.claims["nonce"] = nonce_of(first);  // the same jti: the refused proof was not used up
  const Decision retry = h.send_dpop(token, p.sign());
  ASSERT_TRUE(retry.allowed()) << retry.body;
  EXPECT_FALSE(nonce_of(retry).empty());
}

TEST_F(GuardDpopNonce, ForgedOrStaleNonceGetsUseDpopNonce) {
  Proof p = h.proof_for(token);
  p.claims["nonce"] = "bm90LWEtbm9uY2UtdGhlLXNlcnZlci1pc3N1ZWQ";
  expect_proof_refused(h.send_dpop(token, p.sign()), ProofError::kNonceInvalid, "use_dpop_nonce");

  const std::string old = h.guard->config().dpop.nonces->current(h.now());
  h.clock->advance(std::chrono::seconds{3 * 300});  // the token lives an hour: still valid
  Proof q = h.proof_for(token);
  q.claims["nonce"] = old;
  expect_proof_refused(h.send_dpop(token, q.sign()), ProofError::kNonceInvalid, "use_dpop_nonce");
}

TEST_F(GuardDpopNonce, BearerRequestsGetNoNonce) {
  const Decision d = h.send({{"Bearer " + h.token()}, {}});
  EXPECT_TRUE(d.allowed());
  EXPECT_TRUE(d.headers.empty());
}

// --- configuration -------------------------------------------------------------------------------

TEST(GuardDpopConfiguration, NoProofAlgorithmIsRefused) {
  GuardConfig c = test_config();
  c.dpop.algorithms.clear();
  EXPECT_THROW(DpopHarness h(c), std::invalid_argument);
}

}  // namespace
}  // namespace signet::guard
