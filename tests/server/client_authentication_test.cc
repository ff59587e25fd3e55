// Client authentication: Basic and post, the registered method, the throttle on wrong secrets,
// private_key_jwt client assertions, and what public clients may do.

#include <atomic>

#include "signet/guard/clock.h"
#include "signet/guard/key_source.h"
#include "signet/jose/base64url.h"
#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(TokenEndpointTest, ClientAuthenticationErrors) {
  const Client c = m2m();
  reload();
  auto wrong = cc(Client{c.id, "wrong"});
  expect_error(wrong, OAuthErrorCode::kInvalidClient, "Unknown client or wrong client secret.");
  EXPECT_FALSE(wrong.error().basic_challenge);
  EXPECT_EQ(http_status(wrong.error().code), 401);
  expect_error(cc(Client{"nobody", c.secret}), OAuthErrorCode::kInvalidClient);
  expect_error(token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient, "client authentication is required");
  expect_error(token({{"grant_type", "client_credentials"}, {"client_id", c.id}}),
               OAuthErrorCode::kInvalidClient, "client_secret is required");
}

TEST_F(TokenEndpointTest, BasicAuthenticationWorksForBasicClientsOnly) {
  Client basic = client({store::GrantType::kClientCredentials},
                        store::TokenEndpointAuthMethod::kClientSecretBasic);
  store::ClientGrant g{0, basic.id, std::string(kApi), {"read:messages"}, {}};
  ASSERT_TRUE(store_->create_client_grant(g).ok());
  const Client post = m2m();
  reload();
  const auto with_basic = [&](const Client& c, std::string secret) {
    return token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                 "Basic " + base64(c.id + ":" + secret));
  };
  EXPECT_TRUE(with_basic(basic, basic.secret).ok());
  auto wrong = with_basic(basic, "nope");
  expect_error(wrong, OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(wrong.error().basic_challenge);
  auto mismatch = with_basic(post, post.secret);
  expect_error(mismatch, OAuthErrorCode::kInvalidClient, "client_secret_post");
  expect_error(mismatch, OAuthErrorCode::kInvalidClient,
               "--auth-method client_secret_basic_or_post");
  EXPECT_TRUE(mismatch.error().basic_challenge);
  expect_error(cc(basic), OAuthErrorCode::kInvalidClient, "client_secret_basic");
  expect_error(cc(basic), OAuthErrorCode::kInvalidClient,
               "--auth-method client_secret_basic_or_post");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"audience", std::string(kApi)},
                      {"client_secret", basic.secret}},
                     kT0, "Basic " + base64(basic.id + ":" + basic.secret)),
               OAuthErrorCode::kInvalidRequest, "exactly one client authentication method");
  for (const std::string& header :
       std::vector<std::string>{"Basic !!!!", "Basic " + base64("no-colon"), "Bearer abc",
                                "Basic " + base64(basic.id + ":%zz")}) {
    auto r =
        token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0, header);
    expect_error(r, OAuthErrorCode::kInvalidClient);
    EXPECT_TRUE(r.error().basic_challenge) << header;
  }
}

TEST_F(TokenEndpointTest, WrongSecretsThrottleTheClientFromThatAddressForTheBlockPeriod) {
  const Client c = m2m();
  reload();
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  auto third = cc(Client{c.id, "x"});
  expect_error(third, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(third.error().retry_after, seconds{60});
  // Wrong secrets stay throttled until the block runs out, one second on each side.
  auto blocked = cc(Client{c.id, "x"}, "", kT0 + seconds{59});
  expect_error(blocked, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(blocked.error().retry_after, seconds{1});
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{60}), OAuthErrorCode::kInvalidClient);
  // Another address was never blocked.
  EXPECT_TRUE(token({{"grant_type", "client_credentials"},
                     {"client_id", c.id},
                     {"client_secret", c.secret},
                     {"audience", std::string(kApi)}},
                    kT0 + seconds{1}, std::nullopt, "198.51.100.1")
                  .ok());
}

// Client ids are public (every token's azp), so refusing the right secret during a block let
// anyone lock a client out with ten bad requests. The right secret always gets in, and ends the
// block for its address.
TEST_F(TokenEndpointTest, TheRightSecretIsAcceptedWhileWrongOnesAreThrottled) {
  const Client c = m2m();
  reload();
  for (int i = 0; i < 3; ++i) {
    (void)cc(Client{c.id, "x"});
  }
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{1}), OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(cc(c, "", kT0 + seconds{1}).ok());
  // The success reset the count: two more wrong secrets are 401, the third blocks again.
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{2}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{2}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{2}), OAuthErrorCode::kTooManyAttempts);
  // Basic credentials too, for a client registered for them.
  const Client basic = client({store::GrantType::kClientCredentials},
                              store::TokenEndpointAuthMethod::kClientSecretBasic);
  store::ClientGrant g;
  g.client_id = basic.id;
  g.audience = std::string(kApi);
  EXPECT_TRUE(store_->create_client_grant(g).ok());
  reload();
  const auto basic_call = [&](std::string_view secret) {
    return token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                 "Basic " + base64(basic.id + ":" + std::string(secret)));
  };
  for (int i = 0; i < 3; ++i) {
    (void)basic_call("wrong");
  }
  expect_error(basic_call("wrong"), OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(basic_call(basic.secret).ok());
}

TEST_F(TokenEndpointTest, ASuccessResetsTheClientsFailureCount) {
  const Client c = m2m();
  reload();
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(cc(c).ok());
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(cc(c).ok());
}

// --- the default method: either secret method, one per request

TEST_F(TokenEndpointTest, TheDefaultMethodTakesBasicOrTheBodyButNotBoth) {
  const Client c = client({store::GrantType::kClientCredentials},
                          store::TokenEndpointAuthMethod::kClientSecretBasicOrPost);
  store::ClientGrant g{0, c.id, std::string(kApi), {"read:messages"}, {}};
  ASSERT_TRUE(store_->create_client_grant(g).ok());
  reload();
  const auto with_basic = [&](const std::string& secret) {
    return token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                 "Basic " + base64(c.id + ":" + secret));
  };
  EXPECT_TRUE(with_basic(c.secret).ok());
  EXPECT_TRUE(cc(c).ok());
  auto wrong = with_basic("wrong");
  expect_error(wrong, OAuthErrorCode::kInvalidClient, "Unknown client or wrong client secret.");
  EXPECT_TRUE(wrong.error().basic_challenge);
  expect_error(token({{"grant_type", "client_credentials"},
                      {"audience", std::string(kApi)},
                      {"client_secret", c.secret}},
                     kT0, "Basic " + base64(c.id + ":" + c.secret)),
               OAuthErrorCode::kInvalidRequest, "exactly one client authentication method");
}

// --- public clients

TEST_F(TokenEndpointTest, APublicClientMayNotUsePasswordOrClientCredentials) {
  store::Application app;
  app.client_id = "public-spa";
  app.name = "SPA";
  app.type = store::ApplicationType::kSpa;
  // Even with the grants enabled: a client_id alone proves nothing about who asks.
  app.grant_types = {store::GrantType::kPassword, store::GrantType::kClientCredentials,
                     store::GrantType::kRefreshToken};
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  ASSERT_TRUE(store_->create_application(app).ok());
  const std::string u = user();
  reload();
  expect_error(token({{"grant_type", "password"},
                      {"client_id", app.client_id},
                      {"audience", std::string(kApi)},
                      {"username", email_of(u)},
                      {"password", std::string(kPassword)}}),
               OAuthErrorCode::kUnauthorizedClient, "authorization code flow with PKCE");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", app.client_id},
                      {"audience", std::string(kApi)}}),
               OAuthErrorCode::kUnauthorizedClient, "authorization code flow with PKCE");
  // The refresh_token grant is one a public client may use: the token itself is what fails.
  expect_error(token({{"grant_type", "refresh_token"},
                      {"client_id", app.client_id},
                      {"refresh_token", "unknown"}}),
               OAuthErrorCode::kInvalidGrant);
  // A public client has no secret to send, in the body or with Basic.
  expect_error(token({{"grant_type", "refresh_token"},
                      {"client_id", app.client_id},
                      {"client_secret", "x"},
                      {"refresh_token", "unknown"}}),
               OAuthErrorCode::kInvalidClient, "is public and has no secret");
  auto basic = token({{"grant_type", "refresh_token"}, {"refresh_token", "unknown"}}, kT0,
                     "Basic " + base64(app.client_id + ":x"));
  expect_error(basic, OAuthErrorCode::kInvalidClient, "is public and has no secret");
  EXPECT_TRUE(basic.error().basic_challenge);
}

// --- private_key_jwt

// Serves a fixed key set as a client's jwks_uri would, and counts the fetches.
class CountingKeySource final : public guard::KeySource {
 public:
  explicit CountingKeySource(jose::Jwks jwks) : jwks_(std::move(jwks)) {}
  Result<guard::FetchedKeys, std::string> fetch() override {
    fetches.fetch_add(1);
    if (down) {
      return fail(std::string("connection refused"));
    }
    return guard::FetchedKeys{jwks_, std::nullopt};
  }
  std::atomic<int> fetches{0};
  std::atomic<bool> down{false};

 private:
  jose::Jwks jwks_;
};

// The key caches' clock, fixed so that their cooldowns never run out during a test.
class FixedClock final : public guard::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return kT0; }
};

class ClientAssertionTest : public TokenEndpointTest {
 protected:
  // Key generation dominates, so the keys are made once per suite.
  static void SetUpTestSuite() {
    TokenEndpointTest::SetUpTestSuite();
    es_key_ = new jose::Jwk(jose::generate_jwk(jose::Algorithm::kES256, "es-1").value());
    rs_key_ = new jose::Jwk(jose::generate_jwk(jose::Algorithm::kRS256, "rs-1").value());
    other_key_ = new jose::Jwk(jose::generate_jwk(jose::Algorithm::kES256, "es-1").value());
  }
  static void TearDownTestSuite() {
    delete es_key_;
    delete rs_key_;
    delete other_key_;
    TokenEndpointTest::TearDownTestSuite();
  }

  void SetUp() override {
    jose::Jwks served;
    served.keys = {*es_key_};
    source_ = std::make_shared<CountingKeySource>(std::move(served));
    client_keys_.fetcher = [this](const std::string& uri) -> std::shared_ptr<guard::KeySource> {
      fetched_uris_.push_back(uri);
      return source_;
    };
    client_keys_.clock = std::make_shared<FixedClock>();
    TokenEndpointTest::SetUp();
  }

  static std::string jwks_of(std::vector<jose::Jwk> keys) {
    return json::serialize(jose::to_public_jwks(keys));
  }

  // A private_key_jwt client with a client grant for kApi, keys inline or at `jwks_uri`.
  std::string key_client(std::string jwks, std::string jwks_uri = "") {
    store::Application app;
    app.client_id = "pkj-" + std::to_string(++clients_);
    app.name = app.client_id;
    app.grant_types = {store::GrantType::kClientCredentials};
    app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
    app.jwks = std::move(jwks);
    app.jwks_uri = std::move(jwks_uri);
    EXPECT_TRUE(store_->create_application(app).ok());
    store::ClientGrant g{0, app.client_id, std::string(kApi), {"read:messages"}, {}};
    EXPECT_TRUE(store_->create_client_grant(g).ok());
    return app.client_id;
  }

  // The claims of a good assertion by `client_id` at kT0.
  json::object claims_for(const std::string& client_id) {
    return json::object{{"iss", client_id},
                        {"sub", client_id},
                        {"aud", std::string(kIssuer) + "oauth/token"},
                        {"exp", seconds_at(kT0) + 60},
                        {"iat", seconds_at(kT0)},
                        {"jti", "jti-" + std::to_string(++jtis_)}};
  }

  static std::int64_t seconds_at(store::Timestamp t) { return t.time_since_epoch().count(); }

  static std::string sign(const json::object& claims, const jose::Jwk& key,
                          json::object header = {}) {
    return jose::sign_compact(key, std::move(header), json::serialize(claims)).value();
  }

  // A JWS with an exact header and a made-up signature (for algorithms we never sign with).
  static std::string forged(std::string_view header, const json::object& claims,
                            std::string_view signature = "c2lnbmF0dXJl") {
    return jose::base64url_encode(header) + "." + jose::base64url_encode(json::serialize(claims)) +
           "." + std::string(signature);
  }

  EndpointResult with_assertion(
      const std::string& assertion, std::vector<std::pair<std::string, std::string>> extra = {},
      store::PreciseTimestamp at = kT0, std::optional<std::string> authorization = std::nullopt,
      EndpointResult (TokenEndpoint::*method)(const EndpointRequest&) = &TokenEndpoint::token) {
    Params p;
    if (method == &TokenEndpoint::token) {
      p.add("grant_type", "client_credentials");
      p.add("audience", std::string(kApi));
    }
    p.add("client_assertion_type", std::string(kJwtBearerAssertionType));
    p.add("client_assertion", assertion);
    for (auto& [k, v] : extra) {
      p.add(k, v);
    }
    EndpointRequest req{&p, std::nullopt, kPeer, at};
    if (authorization) {
      req.authorization = *authorization;
    }
    EXPECT_TRUE(TokenEndpoint::may_block(p));
    return (endpoint_.get()->*method)(req);
  }

  static inline jose::Jwk* es_key_ = nullptr;
  static inline jose::Jwk* rs_key_ = nullptr;
  static inline jose::Jwk* other_key_ = nullptr;  // same kid as es_key_, another key
  std::shared_ptr<CountingKeySource> source_;
  std::vector<std::string> fetched_uris_;
  int jtis_ = 0;
};

TEST_F(ClientAssertionTest, AnAssertionSignedWithARegisteredKeyAuthenticatesTheClient) {
  const std::string id = key_client(jwks_of({*es_key_, *rs_key_}));
  reload();
  auto es = with_assertion(sign(claims_for(id), *es_key_));
  ASSERT_TRUE(es.ok()) << es.error().description;
  EXPECT_EQ(str(claims(es), "azp"), id);
  auto rs = with_assertion(sign(claims_for(id), *rs_key_));
  ASSERT_TRUE(rs.ok()) << rs.error().description;
  // aud may be the issuer too, as a string or in an array; client_id in the body may be sent.
  json::object to_issuer = claims_for(id);
  to_issuer["aud"] = json::array{"https://elsewhere.example/", std::string(kIssuer)};
  EXPECT_TRUE(with_assertion(sign(to_issuer, *es_key_), {{"client_id", id}}).ok());
  // Revocation and introspection take the same method.
  EXPECT_TRUE(with_assertion(sign(claims_for(id), *es_key_), {{"token", "unknown"}}, kT0,
                             std::nullopt, &TokenEndpoint::revoke)
                  .ok());
  auto introspected = with_assertion(sign(claims_for(id), *es_key_), {{"token", "unknown"}}, kT0,
                                     std::nullopt, &TokenEndpoint::introspect);
  ASSERT_TRUE(introspected.ok()) << introspected.error().description;
  EXPECT_FALSE(introspected->at("active").as_bool());
}

TEST_F(ClientAssertionTest, WithoutAKidTheOnlyKeyForTheAlgIsUsedAndSeveralAreAmbiguous) {
  jose::Jwk no_kid = *es_key_;
  no_kid.kid.clear();
  const std::string one = key_client(jwks_of({no_kid, *rs_key_}));
  jose::Jwk second = *other_key_;
  second.kid = "es-2";
  const std::string two = key_client(jwks_of({*es_key_, second}));
  reload();
  EXPECT_TRUE(with_assertion(sign(claims_for(one), no_kid)).ok());
  // Inline keys are never fetched: nothing counts as a fetch of a jwks_uri.
  EXPECT_EQ(endpoint_->clients().assertions().keys().counters().jwks_fetches.load(), 0u);
  expect_error(with_assertion(sign(claims_for(two), no_kid)), OAuthErrorCode::kInvalidClient,
               "name the signing key with kid");
}

TEST_F(ClientAssertionTest, EveryBrokenRuleIsInvalidClientSayingWhich) {
  const std::string id = key_client(jwks_of({*es_key_}));
  const std::string other = key_client(jwks_of({*rs_key_}));
  const Client secret_client = m2m();
  reload();
  const std::int64_t t0 = seconds_at(kT0);
  const auto with = [&](std::string_view member, json::value v) {
    json::object c = claims_for(id);
    c[member] = std::move(v);
    return sign(c, *es_key_);
  };
  const auto without = [&](std::string_view member) {
    json::object c = claims_for(id);
    c.erase(member);
    return sign(c, *es_key_);
  };
  json::object other_claims = claims_for(id);
  other_claims["iss"] = other;
  other_claims["sub"] = other;
  json::object secret_claims = claims_for(secret_client.id);
  struct Case {
    std::string name;
    std::string assertion;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"alg none, unsigned", forged(R"({"alg":"none"})", claims_for(id), ""), "alg none"},
      {"alg none, signed", forged(R"({"alg":"none"})", claims_for(id)), "alg none"},
      {"HS256", forged(R"({"alg":"HS256","kid":"es-1"})", claims_for(id)), "HMAC"},
      {"not a JWS", "abc", "compact JWS"},
      {"payload not JSON",
       jose::base64url_encode(R"({"alg":"ES256"})") + "." + jose::base64url_encode("not json") +
           ".c2ln",
       "a JSON object of claims"},
      {"no sub", without("sub"), "sub is required"},
      {"unknown client", with("sub", "nobody"), "unknown client 'nobody'"},
      {"a client with a secret", sign(secret_claims, *es_key_),
       "does not authenticate with private_key_jwt"},
      {"signed by another key with the same kid", sign(claims_for(id), *other_key_),
       "signature verification failed"},
      {"a kid not in the JWKS", sign(claims_for(id), *rs_key_), "no key of client " + id},
      {"another client's keys", sign(other_claims, *es_key_), "no key of client " + other},
      {"iss not the client", with("iss", json::string(other)), "iss must be the client_id"},
      {"no iss", without("iss"), "iss must be the client_id"},
      {"aud elsewhere", with("aud", "https://elsewhere.example/oauth/token"), "aud must hold"},
      {"aud the revocation URL", with("aud", json::string(std::string(kIssuer) + "oauth/revoke")),
       "aud must hold"},
      {"no aud", without("aud"), "aud must hold"},
      {"no exp", without("exp"), "no exp claim"},
      {"expired one second ago, leeway included", with("exp", t0 - 30), "has expired"},
      {"exp too far ahead", with("exp", t0 + 331), "short-lived"},
      {"nbf ahead", with("nbf", t0 + 31), "not valid yet"},
      {"iat ahead", with("iat", t0 + 31), "issued in the future"},
      {"no jti", without("jti"), "jti is required"},
      {"empty jti", with("jti", ""), "jti is required"},
      {"jti not a string", with("jti", 7), "jti is required"},
      {"overlong jti", with("jti", json::string(std::string(kMaxJtiBytes + 1, 'j'))),
       "jti is required"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = with_assertion(c.assertion);
    expect_error(r, OAuthErrorCode::kInvalidClient, c.expected);
    EXPECT_FALSE(r.error().basic_challenge);
  }
  // One second inside each boundary is accepted.
  EXPECT_TRUE(with_assertion(with("exp", t0 - 29)).ok());
  EXPECT_TRUE(with_assertion(with("exp", t0 + 330)).ok());
  EXPECT_TRUE(with_assertion(with("nbf", t0 + 30)).ok());
  EXPECT_TRUE(with_assertion(with("iat", t0 + 30)).ok());
  EXPECT_TRUE(with_assertion(with("jti", json::string(std::string(kMaxJtiBytes, 'j')))).ok());
}

TEST_F(ClientAssertionTest, MalformedRequestsAreInvalidRequest) {
  const std::string id = key_client(jwks_of({*es_key_}));
  reload();
  const auto request = [&](std::vector<std::pair<std::string, std::string>> params,
                           std::optional<std::string> authorization = std::nullopt) {
    Params p;
    p.add("grant_type", "client_credentials");
    p.add("audience", std::string(kApi));
    for (auto& [k, v] : params) {
      p.add(k, v);
    }
    EndpointRequest req{&p, authorization, kPeer, kT0};
    return endpoint_->token(req);
  };
  const std::string good = sign(claims_for(id), *es_key_);
  expect_error(request({{"client_assertion", good}}), OAuthErrorCode::kInvalidRequest,
               "client_assertion_type=" + std::string(kJwtBearerAssertionType));
  expect_error(request({{"client_assertion_type", std::string(kJwtBearerAssertionType)}}),
               OAuthErrorCode::kInvalidRequest, "client_assertion=");
  expect_error(request({{"client_assertion_type",
                         "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
                        {"client_assertion", good}}),
               OAuthErrorCode::kInvalidRequest, "is not supported");
  expect_error(with_assertion(good, {{"client_secret", "x"}}), OAuthErrorCode::kInvalidRequest,
               "exactly one client authentication method");
  expect_error(with_assertion(good, {}, kT0, "Basic " + base64(id + ":x")),
               OAuthErrorCode::kInvalidRequest, "exactly one client authentication method");
  expect_error(with_assertion(good, {{"client_id", "someone-else"}}),
               OAuthErrorCode::kInvalidRequest, "client_id in the body differs");
  // None of these used the assertion up.
  EXPECT_TRUE(with_assertion(good).ok());
}

TEST_F(ClientAssertionTest, AClientWithKeysHasNoSecretToSend) {
  const std::string id = key_client(jwks_of({*es_key_}));
  reload();
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", id},
                      {"client_secret", "guess"},
                      {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient, "authenticates with private_key_jwt");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", id},
                      {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient, "client_assertion=");
  auto basic = token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                     "Basic " + base64(id + ":guess"));
  expect_error(basic, OAuthErrorCode::kInvalidClient, "authenticates with private_key_jwt");
  EXPECT_TRUE(basic.error().basic_challenge);
}

TEST_F(ClientAssertionTest, AnAssertionIsUsedOnceEvenAcrossRestarts) {
  const std::string id = key_client(jwks_of({*es_key_}));
  reload();
  const std::string once = sign(claims_for(id), *es_key_);
  EXPECT_TRUE(with_assertion(once).ok());
  expect_error(with_assertion(once), OAuthErrorCode::kInvalidClient, "assertion already used");
  EXPECT_EQ(endpoint_->clients().assertions().replays().size(), 1u);
  // A new endpoint (a restart, or another replica) has an empty memory: the store refuses it.
  reload();
  EXPECT_EQ(endpoint_->clients().assertions().replays().size(), 0u);
  expect_error(with_assertion(once, {}, kT0 + seconds{1}), OAuthErrorCode::kInvalidClient,
               "assertion already used");
  // The same jti from another client is another assertion.
  const std::string other = key_client(jwks_of({*es_key_}));
  reload();
  json::object same_jti = claims_for(other);
  same_jti["jti"] = "jti-1";
  EXPECT_TRUE(with_assertion(sign(same_jti, *es_key_)).ok());
}

TEST_F(ClientAssertionTest, AJwksUriIsFetchedOnceAndRefetchedForAnUnknownKid) {
  const std::string id = key_client("", "https://client.example/jwks.json");
  reload();
  EXPECT_TRUE(with_assertion(sign(claims_for(id), *es_key_)).ok());
  EXPECT_TRUE(with_assertion(sign(claims_for(id), *es_key_)).ok());
  EXPECT_EQ(source_->fetches.load(), 1);
  EXPECT_EQ(fetched_uris_, std::vector<std::string>{"https://client.example/jwks.json"});
  // An unknown kid may mean the client rotated its keys: one refetch, then the cooldown.
  expect_error(with_assertion(sign(claims_for(id), *rs_key_)), OAuthErrorCode::kInvalidClient,
               "publish its public key at https://client.example/jwks.json");
  EXPECT_EQ(source_->fetches.load(), 2);
  expect_error(with_assertion(sign(claims_for(id), *rs_key_)), OAuthErrorCode::kInvalidClient,
               "no key of client");
  EXPECT_EQ(source_->fetches.load(), 2);
  EXPECT_EQ(endpoint_->clients().assertions().keys().counters().jwks_fetches.load(), 2u);
}

TEST_F(ClientAssertionTest, AnUnreachableJwksUriIsTemporarilyUnavailable) {
  source_->down = true;
  const std::string id = key_client("", "https://client.example/jwks.json");
  reload();
  auto r = with_assertion(sign(claims_for(id), *es_key_));
  expect_error(r, OAuthErrorCode::kTemporarilyUnavailable, "https://client.example/jwks.json");
  EXPECT_EQ(http_status(r.error().code), 503);
  EXPECT_TRUE(r.error().retry_after.has_value());
  // The assertion was not used up: once the keys are back, it works.
  EXPECT_EQ(endpoint_->clients().assertions().replays().size(), 0u);
}

TEST_F(ClientAssertionTest, AnUnparsableStoredJwksIsRefusedWithWhatToDo) {
  const std::string id = key_client(R"({"keys":"not a list"})");
  reload();
  expect_error(with_assertion(sign(claims_for(id), *es_key_)), OAuthErrorCode::kInvalidClient,
               "--jwks FILE");
}

TEST(ClientAssertionMayBlock, OnlyClientCredentialsWithoutAnAssertionStayOnTheWorker) {
  Params cc;
  cc.add("grant_type", "client_credentials");
  EXPECT_FALSE(TokenEndpoint::may_block(cc));
  EXPECT_TRUE(TokenEndpoint::may_block(cc, /*records_proof=*/true));
  cc.add("client_assertion", "x.y.z");
  EXPECT_TRUE(TokenEndpoint::may_block(cc));
}

// --- the replay cache

TEST(AssertionReplayCache, RemembersUntilExpiryAndStaysBounded) {
  AssertionReplayCache cache(2);
  cache.remember("a", "1", kT0 + seconds{10}, kT0);
  EXPECT_TRUE(cache.seen("a", "1", kT0 + seconds{9}));
  EXPECT_FALSE(cache.seen("a", "1", kT0 + seconds{10}));
  EXPECT_FALSE(cache.seen("b", "1", kT0));
  EXPECT_FALSE(cache.seen("a", "2", kT0));
  cache.remember("a", "2", kT0 + seconds{20}, kT0);
  EXPECT_EQ(cache.size(), 2u);
  // Full: the soonest to expire makes room.
  cache.remember("a", "3", kT0 + seconds{30}, kT0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.seen("a", "1", kT0));
  EXPECT_TRUE(cache.seen("a", "2", kT0));
  EXPECT_TRUE(cache.seen("a", "3", kT0));
  // Expired entries go first, whatever the room.
  cache.remember("b", "1", kT0 + seconds{40}, kT0 + seconds{25});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.seen("a", "2", kT0));
  EXPECT_TRUE(cache.seen("b", "1", kT0 + seconds{39}));
  // Remembering a pair again moves its expiry.
  cache.remember("b", "1", kT0 + seconds{50}, kT0 + seconds{25});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.seen("b", "1", kT0 + seconds{49}));
  AssertionReplayCache none(0);
  none.remember("a", "1", kT0 + seconds{10}, kT0);
  EXPECT_FALSE(none.seen("a", "1", kT0));
}

}  // namespace
}  // namespace signet::server::testing
