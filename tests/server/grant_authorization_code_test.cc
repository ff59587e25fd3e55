// The authorization-code grant: the exchange, PKCE, single use and reuse, expiry, the client and
// redirect URI bindings, and what changed since sign-in. Codes are put straight into the store, as
// /authorize would, under the hash of a plaintext the test knows.

#include "signet/server/grant_authorization_code.h"

#include <utility>
#include <vector>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/refresh_tokens.h"
#include "tests/server/token_endpoint_test_support.h"
#include "tests/test_common/test_keys.h"

namespace signet::server::testing {
namespace {

// RFC 7636 Appendix B.
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr std::string_view kRedirect = "https://app.example.com/callback";
constexpr std::string_view kNonce = "n-0S6_WzA2Mj";
const store::Timestamp kAuthTime = kT0 - seconds{20};

using Pairs = std::vector<std::pair<std::string, std::string>>;

class CodeGrantTest : public TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    c_ = client({store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken});
    u_ = user({"read:messages", "write:messages"});
    reload();
  }

  // A code as /authorize makes it for `c` and `user_id`: S256 challenge, 60 s, the scopes asked.
  store::AuthorizationCode code_for(const Client& c, const std::string& user_id,
                                    std::vector<std::string> scopes = {"read:messages"}) {
    store::AuthorizationCode code;
    code.client_id = c.id;
    code.user_id = user_id;
    code.redirect_uri = std::string(kRedirect);
    code.code_challenge = std::string(kChallenge);
    code.audience = std::string(kApi);
    code.scopes = std::move(scopes);
    code.refresh_family_id = random_id(kRefreshIdRandomBytes);
    code.auth_time = kAuthTime;
    code.created_at = kT0;
    code.expires_at = kT0 + seconds{60};
    return code;
  }

  // Stores `code` under the hash of a fresh plaintext and returns the plaintext.
  std::string insert(store::AuthorizationCode code) {
    const std::string plaintext = generate_secret();
    code.code_hash = secrets_->hash(plaintext);
    auto inserted = store_->insert_authorization_code(code);
    EXPECT_TRUE(inserted.ok()) << inserted.error().message;
    return plaintext;
  }

  std::string code(std::vector<std::string> scopes = {"read:messages"}) {
    return insert(code_for(c_, u_, std::move(scopes)));
  }

  // POST /oauth/token with grant_type=authorization_code and exactly the parameters given.
  EndpointResult post(const Pairs& params, store::PreciseTimestamp now = kT0) {
    Params p;
    p.add("grant_type", "authorization_code");
    for (const auto& [k, v] : params) {
      p.add(k, v);
    }
    const std::vector<std::string_view> proofs(dpop_.begin(), dpop_.end());
    EndpointRequest req{&p, std::nullopt, kPeer, now, {}, nullptr};
    req.dpop = proofs;
    return endpoint_->token(req);
  }

  // The exchange as a confidential client makes it.
  EndpointResult exchange(const Client& c, const std::string& code,
                          std::string_view verifier = kVerifier,
                          store::PreciseTimestamp now = kT0) {
    return post({{"client_id", c.id},
                 {"client_secret", c.secret},
                 {"code", code},
                 {"redirect_uri", std::string(kRedirect)},
                 {"code_verifier", std::string(verifier)}},
                now);
  }

  static std::int64_t integer(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v != nullptr && v->is_int64() ? v->as_int64() : -1;
  }

  Client c_;
  std::string u_;
};

TEST(PkceTest, TheRfc7636VectorMatchesAndNothingElseDoes) {
  EXPECT_TRUE(s256_matches(kVerifier, kChallenge));
  EXPECT_FALSE(s256_matches(kChallenge, kChallenge)) << "plain must never pass for S256";
  EXPECT_FALSE(s256_matches(kVerifier, std::string(kChallenge) + "="));
  EXPECT_FALSE(s256_matches(kVerifier, kChallenge.substr(1)));
  EXPECT_FALSE(s256_matches(kVerifier, ""));
}

TEST(PkceTest, AVerifierIs43To128UnreservedCharacters) {
  EXPECT_TRUE(valid_code_verifier(std::string(43, 'a')));
  EXPECT_TRUE(valid_code_verifier(std::string(128, 'a')));
  EXPECT_TRUE(valid_code_verifier("AZaz09-._~" + std::string(33, 'x')));
  EXPECT_FALSE(valid_code_verifier(std::string(42, 'a')));
  EXPECT_FALSE(valid_code_verifier(std::string(129, 'a')));
  EXPECT_FALSE(valid_code_verifier(""));
  for (const char c : std::string_view("+/= %\"\x7f\n")) {
    EXPECT_FALSE(valid_code_verifier(std::string(42, 'a') + c)) << int(c);
  }
  EXPECT_FALSE(valid_code_verifier(std::string(42, 'a') + "\xc3\xa9"));  // é: not ASCII
}

TEST_F(CodeGrantTest, AnExchangeGivesTheUsersAccessToken) {
  auto r = exchange(c_, code());
  const auto at = claims(r);
  EXPECT_EQ(str(at, "sub"), u_);
  EXPECT_EQ(str(at, "aud"), kApi);
  EXPECT_EQ(str(at, "azp"), c_.id);
  EXPECT_EQ(str(at, "scope"), "read:messages");
  EXPECT_EQ(str(at, "gty"), "authorization_code");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("token_type").as_string(), "Bearer");
  EXPECT_FALSE(r->contains("refresh_token"));
  EXPECT_FALSE(r->contains("id_token"));
  EXPECT_EQ(EndpointCounters::total(endpoint_->counters().issued_authorization_code), 1u);
  const auto counters = endpoint_->counters().to_json();
  EXPECT_EQ(counters.at("issued").as_object().at("authorization_code").as_uint64(), 1u);
  EXPECT_EQ(counters.at("code_reuse_detected").as_uint64(), 0u);
}

TEST_F(CodeGrantTest, OpenidAndOfflineAccessAddAnIdTokenWithTheSignInAndARefreshToken) {
  store::AuthorizationCode c =
      code_for(c_, u_, {"openid", "email", "offline_access", "read:messages"});
  c.nonce = std::string(kNonce);
  auto r = exchange(c_, insert(c));
  const auto at = claims(r);
  EXPECT_EQ(str(at, "scope"), "openid email offline_access read:messages");
  ASSERT_TRUE(at.at("aud").is_array());  // the API and /userinfo
  const auto id = claims(r, "id_token");
  EXPECT_EQ(str(id, "sub"), u_);
  EXPECT_EQ(str(id, "aud"), c_.id);
  EXPECT_EQ(str(id, "azp"), c_.id);
  EXPECT_EQ(str(id, "nonce"), kNonce);
  EXPECT_EQ(integer(id, "auth_time"), kAuthTime.time_since_epoch().count());
  EXPECT_EQ(str(id, "email"), email_of(u_));
  // OIDC Core §3.1.3.6: the left half of SHA-256 of the access token.
  const auto digest = jose::sha256(r->at("access_token").as_string());
  EXPECT_EQ(str(id, "at_hash"),
            jose::base64url_encode(std::span<const std::uint8_t>(digest.data(), 16)));

  ASSERT_TRUE(r->contains("refresh_token"));
  const std::string rt(r->at("refresh_token").as_string());
  auto refreshed = refresh(c_, rt, kT0 + seconds{1});
  EXPECT_EQ(str(claims(refreshed), "scope"), "openid email offline_access read:messages");
  // A refreshed ID token carries no nonce (it answers no authentication request) and no
  // auth_time (the original one is not kept).
  const auto id2 = claims(refreshed, "id_token");
  EXPECT_EQ(str(id2, "nonce"), "<absent>");
  EXPECT_FALSE(id2.contains("auth_time"));
}

TEST_F(CodeGrantTest, ACodeWithoutNonceGivesAnIdTokenWithoutNonce) {
  const auto id = claims(exchange(c_, code({"openid"})), "id_token");
  EXPECT_EQ(str(id, "nonce"), "<absent>");
  EXPECT_EQ(integer(id, "auth_time"), kAuthTime.time_since_epoch().count());
}

TEST_F(CodeGrantTest, MissingOrUnknownCodes) {
  expect_error(post({{"client_id", c_.id}, {"client_secret", c_.secret}}),
               OAuthErrorCode::kInvalidRequest, "code is required");
  expect_error(post({{"client_id", c_.id}, {"client_secret", c_.secret}, {"code", ""}}),
               OAuthErrorCode::kInvalidRequest, "code is required");
  const std::string made_up = generate_secret();
  auto r = exchange(c_, made_up);
  expect_error(r, OAuthErrorCode::kInvalidGrant, "unknown, expired or already used");
  EXPECT_EQ(r.error().description.find(made_up), std::string::npos) << "never echo the code";
  expect_error(exchange(c_, std::string(kMaxPresentedSecretLength + 1, 'a')),
               OAuthErrorCode::kInvalidGrant, "unknown, expired or already used");
}

// Every verifier that is not the one the challenge was computed from fails, each with a fresh
// code; and the code is spent by the failed attempt.
TEST_F(CodeGrantTest, EveryWrongVerifierFails) {
  const std::pair<std::string, std::string_view> cases[] = {
      {std::string(kVerifier).replace(0, 1, "e"), "does not match"},  // one character off
      {std::string(43, 'a'), "does not match"},                       // shortest valid
      {std::string(128, 'a'), "does not match"},                      // longest valid
      {std::string(kChallenge), "does not match"},  // "plain": the challenge itself
      {std::string(kVerifier).substr(0, 42), "43 to 128 characters"},           // too short
      {std::string(kVerifier) + std::string(86, 'a'), "43 to 128 characters"},  // 129
      {std::string(kVerifier).replace(5, 1, "+"), "43 to 128 characters"},      // illegal
      {std::string(kVerifier).replace(5, 1, " "), "43 to 128 characters"},
      {std::string(kVerifier) + "=", "43 to 128 characters"},
  };
  for (const auto& [verifier, why] : cases) {
    SCOPED_TRACE(verifier);
    const std::string code_text = code();
    expect_error(exchange(c_, code_text, verifier), OAuthErrorCode::kInvalidGrant, why);
    expect_error(exchange(c_, code_text), OAuthErrorCode::kInvalidGrant, "already used");
  }
  const std::string code_text = code();
  expect_error(post({{"client_id", c_.id},
                     {"client_secret", c_.secret},
                     {"code", code_text},
                     {"redirect_uri", std::string(kRedirect)}}),
               OAuthErrorCode::kInvalidGrant, "code_verifier is required");
  EXPECT_EQ(EndpointCounters::total(endpoint_->counters().issued_authorization_code), 0u);
}

// RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a PKCE downgrade.
TEST_F(CodeGrantTest, AVerifierForACodeWithoutChallengeIsADowngrade) {
  store::AuthorizationCode c = code_for(c_, u_);
  c.code_challenge.clear();
  expect_error(exchange(c_, insert(c)), OAuthErrorCode::kInvalidGrant, "had no code_challenge");
  // Without a verifier, a confidential client's code without a challenge is exchanged.
  auto without = post({{"client_id", c_.id},
                       {"client_secret", c_.secret},
                       {"code", insert(c)},
                       {"redirect_uri", std::string(kRedirect)}});
  EXPECT_EQ(str(claims(without), "sub"), u_);
}

TEST_F(CodeGrantTest, ASecondUseRevokesTheRefreshTokensOfTheFirst) {
  const std::string code_text = code({"offline_access", "read:messages"});
  auto first = exchange(c_, code_text);
  ASSERT_TRUE(first.ok()) << first.error().description;
  const std::string rt1(first->at("refresh_token").as_string());
  auto rotated = refresh(c_, rt1, kT0 + seconds{1});
  ASSERT_TRUE(rotated.ok()) << rotated.error().description;
  const std::string rt2(rotated->at("refresh_token").as_string());

  auto second = exchange(c_, code_text, kVerifier, kT0 + seconds{2});
  expect_error(second, OAuthErrorCode::kInvalidGrant, "already used");
  EXPECT_NE(second.error().description.find("revoked"), std::string::npos);
  EXPECT_EQ(endpoint_->counters().code_reuse_detected.load(), 1u);
  EXPECT_EQ(endpoint_->counters().to_json().at("code_reuse_detected").as_uint64(), 1u);
  // The rotated successor is of the same family, so it goes too.
  expect_error(refresh(c_, rt2, kT0 + seconds{3}), OAuthErrorCode::kInvalidGrant, "revoked");
  // The access token of the first exchange is a self-contained JWT: it stays valid until it
  // expires (claims() verifies it).
  EXPECT_EQ(str(claims(first), "sub"), u_);
}

// A late second use (after the code expired, while the store still keeps it) is still reuse.
TEST_F(CodeGrantTest, ASecondUseAfterExpiryIsStillReuse) {
  const std::string code_text = code({"offline_access", "read:messages"});
  auto first = exchange(c_, code_text);
  ASSERT_TRUE(first.ok());
  expect_error(exchange(c_, code_text, kVerifier, kT0 + seconds{600}),
               OAuthErrorCode::kInvalidGrant, "already used");
  expect_error(refresh(c_, std::string(first->at("refresh_token").as_string()), kT0 + seconds{601}),
               OAuthErrorCode::kInvalidGrant, "revoked");
}

TEST_F(CodeGrantTest, ACodeExpiresAfterItsLifetime) {
  const std::string on_time = code();
  const std::string late = code();
  EXPECT_TRUE(exchange(c_, on_time, kVerifier, kT0 + seconds{59}).ok());
  expect_error(exchange(c_, late, kVerifier, kT0 + seconds{60}), OAuthErrorCode::kInvalidGrant,
               "expired");
}

TEST_F(CodeGrantTest, ACodeOfAnotherClientIsRefusedWithoutSayingWhose) {
  const Client other = client({store::GrantType::kAuthorizationCode});
  reload();
  auto r = exchange(other, code());
  expect_error(r, OAuthErrorCode::kInvalidGrant, "issued to another client");
  EXPECT_EQ(r.error().description.find(c_.id), std::string::npos) << r.error().description;
}

TEST_F(CodeGrantTest, TheRedirectUriMustBeTheSameByteForByte) {
  expect_error(post({{"client_id", c_.id},
                     {"client_secret", c_.secret},
                     {"code", code()},
                     {"code_verifier", std::string(kVerifier)}}),
               OAuthErrorCode::kInvalidRequest, "redirect_uri is required");
  for (const std::string redirect : {
           "https://app.example.com/callback/",          // trailing slash
           "https://app.example.com/Callback",           // case of the path
           "https://APP.example.com/callback",           // case of the host
           "https://app.example.com/callback?next=%2F",  // extra query
           "https://app.example.com:443/callback",       // explicit default port
           "https://app.example.com:8443/callback",      // another port
           "http://app.example.com/callback",            // another scheme
           "https://user@app.example.com/callback",      // userinfo
       }) {
    SCOPED_TRACE(redirect);
    expect_error(post({{"client_id", c_.id},
                       {"client_secret", c_.secret},
                       {"code", code()},
                       {"redirect_uri", redirect},
                       {"code_verifier", std::string(kVerifier)}}),
                 OAuthErrorCode::kInvalidGrant, "redirect_uri does not match");
  }
}

TEST_F(CodeGrantTest, ABlockedUserGetsNoToken) {
  const std::string code_text = code();
  auto u = store_->get_user(u_).value();
  u.blocked = true;
  ASSERT_TRUE(store_->update_user(u).ok());
  expect_error(exchange(c_, code_text), OAuthErrorCode::kInvalidGrant, "signet users unblock");
}

TEST_F(CodeGrantTest, ADeletedUsersCodeIsGone) {
  const std::string code_text = code();
  ASSERT_TRUE(store_->delete_user(u_).ok());
  expect_error(exchange(c_, code_text), OAuthErrorCode::kInvalidGrant,
               "unknown, expired or already used");
}

TEST_F(CodeGrantTest, ADeletedApiGivesNoToken) {
  const std::string code_text = code();
  ASSERT_TRUE(store_->delete_api(kApi).ok());
  reload();
  expect_error(exchange(c_, code_text), OAuthErrorCode::kInvalidGrant, "no longer exists");
}

// Scopes are what the user holds at the exchange, not at sign-in; OpenID scopes stay.
TEST_F(CodeGrantTest, PermissionsRemovedSinceSignInAreDropped) {
  const std::string code_text = code({"openid", "read:messages", "write:messages"});
  ASSERT_TRUE(store_->remove_user_permissions(u_, kApi, {"write:messages"}).ok());
  EXPECT_EQ(str(claims(exchange(c_, code_text)), "scope"), "openid read:messages");
}

TEST_F(CodeGrantTest, OfflineAccessNeedsTheApiAndTheClientToStillAllowIt) {
  const Client no_refresh = client({store::GrantType::kAuthorizationCode});
  reload();
  auto r =
      exchange(no_refresh, insert(code_for(no_refresh, u_, {"offline_access", "read:messages"})));
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(str(claims(r), "scope"), "read:messages");
  EXPECT_FALSE(r->contains("refresh_token"));

  const std::string code_text = code({"offline_access", "read:messages"});
  auto api = store_->get_api(kApi).value();
  api.allow_offline_access = false;
  ASSERT_TRUE(store_->update_api(api).ok());
  reload();
  auto off = exchange(c_, code_text);
  ASSERT_TRUE(off.ok()) << off.error().description;
  EXPECT_EQ(str(claims(off), "scope"), "read:messages");
  EXPECT_FALSE(off->contains("refresh_token"));
}

TEST_F(CodeGrantTest, APublicClientExchangesWithItsVerifierAndNoSecret) {
  const Client spa = client({store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken},
                            store::TokenEndpointAuthMethod::kNone);
  reload();
  const auto public_exchange = [&](const std::string& code_text,
                                   std::optional<std::string_view> verifier) {
    Pairs params{
        {"client_id", spa.id}, {"code", code_text}, {"redirect_uri", std::string(kRedirect)}};
    if (verifier) {
      params.emplace_back("code_verifier", std::string(*verifier));
    }
    return post(params);
  };
  auto ok =
      public_exchange(insert(code_for(spa, u_, {"offline_access", "read:messages"})), kVerifier);
  ASSERT_TRUE(ok.ok()) << ok.error().description;
  EXPECT_EQ(str(claims(ok), "azp"), spa.id);
  EXPECT_TRUE(ok->contains("refresh_token"));

  expect_error(public_exchange(insert(code_for(spa, u_)), std::nullopt),
               OAuthErrorCode::kInvalidGrant, "code_verifier is required");
  store::AuthorizationCode no_challenge = code_for(spa, u_);
  no_challenge.code_challenge.clear();
  expect_error(public_exchange(insert(no_challenge), std::nullopt), OAuthErrorCode::kInvalidGrant,
               "public client's code must be issued with a PKCE code_challenge");
  // Another client's code is refused to a public client, which proves nothing but its client_id.
  expect_error(public_exchange(code(), kVerifier), OAuthErrorCode::kInvalidGrant,
               "issued to another client");
}

TEST_F(CodeGrantTest, AClientWithoutTheGrantIsUnauthorized) {
  const Client web_client = web();  // password and refresh_token only
  reload();
  expect_error(exchange(web_client, insert(code_for(web_client, u_))),
               OAuthErrorCode::kUnauthorizedClient,
               "Grant type 'authorization_code' not allowed for the client.");
}

// --- DPoP (RFC 9449): public clients' refresh tokens are bound to the proof's key (§5), and a
// code may be bound to a key at /authorize with dpop_jkt (§10)

class DpopCodeGrantTest : public CodeGrantTest {
 protected:
  void SetUp() override {
    CodeGrantTest::SetUp();
    spa_ = client({store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken},
                  store::TokenEndpointAuthMethod::kNone);
    reload();
  }

  // A public client's exchange of a fresh offline_access code, with `proofs` as its DPoP headers.
  EndpointResult spa_exchange(std::vector<std::string> proofs,
                              std::optional<std::string> dpop_jkt = std::nullopt) {
    auto c = code_for(spa_, u_, {"offline_access", "read:messages"});
    c.dpop_jkt = dpop_jkt.value_or("");
    return spa_post(insert(std::move(c)), std::move(proofs));
  }

  EndpointResult spa_post(const std::string& code_text, std::vector<std::string> proofs) {
    dpop_ = std::move(proofs);
    return post({{"client_id", spa_.id},
                 {"code", code_text},
                 {"redirect_uri", std::string(kRedirect)},
                 {"code_verifier", std::string(kVerifier)}});
  }

  EndpointResult spa_refresh(const std::string& refresh_token, std::vector<std::string> proofs,
                             store::PreciseTimestamp now = kT0) {
    dpop_ = std::move(proofs);
    Params p;
    p.add("grant_type", "refresh_token");
    p.add("client_id", spa_.id);
    p.add("refresh_token", refresh_token);
    const std::vector<std::string_view> views(dpop_.begin(), dpop_.end());
    EndpointRequest req{&p, std::nullopt, kPeer, now, {}, nullptr};
    req.dpop = views;
    return endpoint_->token(req);
  }

  static const jose::Jwk& key() { return signet::testing::test_key(jose::Algorithm::kES256); }
  static const jose::Jwk& thief() { return signet::testing::other_key(jose::Algorithm::kES256); }
  static std::string proof(const jose::Jwk& k) { return dpop_proof(k); }

  std::string stored_jkt(const std::string& refresh_token) {
    auto found = store_->find_refresh_token(secrets_->hash(refresh_token));
    EXPECT_TRUE(found.ok());
    return found.ok() ? found->jkt : std::string("<none>");
  }

  Client spa_;
};

TEST_F(DpopCodeGrantTest, APublicClientsRefreshTokenIsBoundToTheProofsKey) {
  auto r = spa_exchange({proof(key())});
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->at("token_type").as_string(), "DPoP");
  EXPECT_EQ(bound_to(r), jose::thumbprint(key()));
  const std::string rt(r->at("refresh_token").as_string());
  EXPECT_EQ(stored_jkt(rt), jose::thumbprint(key()));

  // Without a proof, or with another key's: refused, and the token is still good for its owner
  // (whoever lacks the key cannot revoke the family by reuse either).
  expect_error(spa_refresh(rt, {}), OAuthErrorCode::kInvalidGrant,
               "bound to a DPoP key (RFC 9449 §5): send a DPoP proof");
  expect_error(spa_refresh(rt, {proof(thief())}), OAuthErrorCode::kInvalidGrant,
               "bound to another DPoP key");
  auto rotated = spa_refresh(rt, {proof(key())});
  ASSERT_TRUE(rotated.ok()) << rotated.error().description;
  EXPECT_EQ(bound_to(rotated), jose::thumbprint(key()));
  // The successor keeps the binding.
  const std::string next_rt(rotated->at("refresh_token").as_string());
  EXPECT_EQ(stored_jkt(next_rt), jose::thumbprint(key()));
  expect_error(spa_refresh(next_rt, {proof(thief())}), OAuthErrorCode::kInvalidGrant,
               "bound to another DPoP key");
  EXPECT_TRUE(spa_refresh(next_rt, {proof(key())}).ok());
}

TEST_F(DpopCodeGrantTest, BoundTokensAreDescribedWithTheirKey) {
  auto r = spa_exchange({proof(key())});
  ASSERT_TRUE(r.ok()) << r.error().description;
  dpop_.clear();
  const auto inspect = [&](std::string_view token) {
    return call(
        &TokenEndpoint::introspect,
        {{"client_id", c_.id}, {"client_secret", c_.secret}, {"token", std::string(token)}});
  };
  // RFC 9449 §6.2: token_type DPoP and the key's thumbprint in cnf.
  auto access = inspect(r->at("access_token").as_string());
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access->at("token_type").as_string(), "DPoP");
  EXPECT_EQ(access->at("cnf").at("jkt").as_string(), jose::thumbprint(key()));
  // The refresh token too, to the client that holds it.
  auto refresh =
      call(&TokenEndpoint::introspect,
           {{"client_id", spa_.id}, {"token", std::string(r->at("refresh_token").as_string())}});
  ASSERT_TRUE(refresh.ok()) << refresh.error().description;
  EXPECT_EQ(refresh->at("token_type").as_string(), "refresh_token");
  EXPECT_EQ(refresh->at("cnf").at("jkt").as_string(), jose::thumbprint(key()));
  // A bearer token has neither.
  auto bearer = spa_exchange({});
  ASSERT_TRUE(bearer.ok());
  auto plain = inspect(bearer->at("access_token").as_string());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->at("token_type").as_string(), "Bearer");
  EXPECT_FALSE(plain->contains("cnf"));
}

TEST_F(DpopCodeGrantTest, APublicClientWithoutAProofGetsAnUnboundRefreshToken) {
  auto r = spa_exchange({});
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->at("token_type").as_string(), "Bearer");
  const std::string rt(r->at("refresh_token").as_string());
  EXPECT_EQ(stored_jkt(rt), "");
  EXPECT_TRUE(spa_refresh(rt, {}).ok());
}

TEST_F(DpopCodeGrantTest, AConfidentialClientsRefreshTokenIsNotBound) {
  dpop_ = {proof(key())};
  auto r = exchange(c_, code({"offline_access", "read:messages"}));
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(bound_to(r), jose::thumbprint(key()));
  EXPECT_EQ(stored_jkt(std::string(r->at("refresh_token").as_string())), "");
}

TEST_F(DpopCodeGrantTest, ACodeBoundWithDpopJktNeedsAProofByThatKey) {
  const std::string jkt = jose::thumbprint(key());
  expect_error(spa_exchange({}, jkt), OAuthErrorCode::kInvalidGrant,
               "bound to a DPoP key (dpop_jkt, RFC 9449 §10)");
  expect_error(spa_exchange({proof(thief())}, jkt), OAuthErrorCode::kInvalidGrant,
               "not the one of the authorization request's dpop_jkt");
  auto r = spa_exchange({proof(key())}, jkt);
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(bound_to(r), jkt);
}

TEST_F(DpopCodeGrantTest, ANonceChallengeDoesNotSpendTheCode) {
  config_.dpop.nonce = true;
  reload();
  const std::string code_text = insert(code_for(spa_, u_, {"offline_access", "read:messages"}));
  expect_error(spa_post(code_text, {proof(key())}), OAuthErrorCode::kUseDpopNonce);
  const auto nonce = endpoint_->dpop().nonce(kT0.time_since_epoch().count());
  ASSERT_TRUE(nonce.has_value());
  auto r = spa_post(code_text, {dpop_proof(key(), kT0, *nonce)});
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(bound_to(r), jose::thumbprint(key()));
}

// The code exchange counts as a blocking request (store writes), like every user grant.
TEST_F(CodeGrantTest, TheExchangeMayBlock) {
  Params p;
  p.add("grant_type", "authorization_code");
  EXPECT_TRUE(TokenEndpoint::may_block(p));
}

}  // namespace
}  // namespace signet::server::testing
