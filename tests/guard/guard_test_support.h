#pragma once

// Shared set-up for the guard tests: a Guard wired to a FakeKeySource and a FakeClock, the
// issuer and audience its tokens use, and claims that pass every check.

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "signet/guard/config.h"
#include "signet/guard/guard.h"
#include "signet/jose/jws.h"
#include "tests/test_common/fake_clock.h"
#include "tests/test_common/fake_key_source.h"
#include "tests/test_common/test_keys.h"

namespace signet::guard {

// Failures compare by code, and by JOSE rule when the code is kToken; printed with their rule.
inline bool operator==(const Failure& a, const Failure& b) {
  return a.code == b.code && (a.code != Error::kToken || a.jose == b.jose);
}

inline void PrintTo(const Failure& f, std::ostream* os) {
  *os << "Failure{" << static_cast<int>(f.code) << ", \"" << f.description() << "\"}";
}

}  // namespace signet::guard

namespace signet::guard::testing {

using signet::testing::FakeClock;
using signet::testing::FakeKeySource;
using signet::testing::mint;
using signet::testing::other_key;
using signet::testing::public_half;
using signet::testing::test_key;

inline constexpr std::string_view kIssuer = "https://issuer.test/";
inline constexpr std::string_view kAudience = "https://api.test/messages";
inline constexpr std::string_view kScope = "read:messages";
inline constexpr std::int64_t kLifetime = 3600;  // seconds a minted token is valid

// The algorithm of the key most tests sign with. Claim, cache and decision rules do not depend on
// it, and CTest runs every test in its own process, where generating RSA keys would dominate the
// run time; Ed25519 keys take microseconds. RSA paths have their own tests.
inline constexpr jose::Algorithm kAlg = jose::Algorithm::kEdDSA;

inline const jose::Jwk& signing_key() {
  return test_key(kAlg);
}
inline const std::string& kKid() {
  return signing_key().kid;
}

// Every request-path behaviour is driven by the test: no background thread, no leeway unless a
// test asks for one.
inline GuardConfig test_config() {
  GuardConfig c;
  c.issuer = std::string(kIssuer);
  c.audiences = {std::string(kAudience)};
  c.leeway = std::chrono::seconds{0};
  c.background_refresh = false;
  return c;
}

// Claims that pass every check at `now`.
inline boost::json::object good_claims(std::int64_t now) {
  return boost::json::object{{"iss", kIssuer},
                             {"sub", "client-1@clients"},
                             {"aud", kAudience},
                             {"iat", now},
                             {"exp", now + kLifetime},
                             {"scope", kScope},
                             {"gty", "client-credentials"}};
}

// Signs `claims` with a header that has alg (and typ "JWT") but no kid.
inline std::string mint_without_kid(const jose::Jwk& key, const boost::json::object& claims) {
  const jose::Algorithm alg = jose::signing_algorithm(key);
  const std::string header =
      boost::json::serialize(boost::json::object{{"alg", jose::to_string(alg)}, {"typ", "JWT"}});
  auto token = jose::sign_compact_raw(key, alg, header, boost::json::serialize(claims));
  if (!token) {
    ADD_FAILURE() << "mint_without_kid: " << jose::to_string(token.error());
    return {};
  }
  return std::move(token).value();
}

// Signs with a header given as exact JSON text.
inline std::string mint_raw(const jose::Jwk& key, jose::Algorithm alg, std::string_view header,
                            const boost::json::object& claims) {
  auto token = jose::sign_compact_raw(key, alg, header, boost::json::serialize(claims));
  if (!token) {
    ADD_FAILURE() << "mint_raw: " << jose::to_string(token.error());
    return {};
  }
  return std::move(token).value();
}

// A copy of `key` known by another kid (same key material).
inline jose::Jwk with_kid(jose::Jwk key, std::string kid) {
  key.kid = std::move(kid);
  return key;
}

// A Guard over a FakeKeySource (serving the public half of signing_key() unless told otherwise)
// and a FakeClock.
class GuardHarness {
 public:
  explicit GuardHarness(GuardConfig config = test_config(),
                        std::vector<jose::Jwk> keys = {public_half(signing_key())})
      : clock(std::make_shared<FakeClock>()),
        source(std::make_shared<FakeKeySource>(std::move(keys))),
        guard(std::make_unique<Guard>(std::move(config), source, clock)) {}

  std::int64_t now() const { return clock->unix(); }
  boost::json::object claims() const { return good_claims(now()); }
  std::string token(jose::Algorithm alg = kAlg) const { return mint(test_key(alg), claims()); }

  std::shared_ptr<FakeClock> clock;
  std::shared_ptr<FakeKeySource> source;
  std::unique_ptr<Guard> guard;
};

// The failure of a verification expected to fail (a test failure if it passed).
inline Failure failure_of(Guard& guard, std::string_view token) {
  auto r = guard.verify(token);
  if (r) {
    ADD_FAILURE() << "the token was accepted";
    return Failure{Error::kNoCredentials};
  }
  return r.error();
}

inline Failure token_error(jose::Error e) {
  return Failure{Error::kToken, e};
}

}  // namespace signet::guard::testing
