#include "signet/server/authorization_request.h"

#include <gtest/gtest.h>

#include <string>

namespace signet::server {
namespace {

constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr std::string_view kCallback = "https://app.example.com/callback";
constexpr std::string_view kApi = "https://quickstarts/api";

class AuthorizationRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::Api api;
    api.identifier = std::string(kApi);
    api.name = "Quickstart";
    snap_.apis.emplace(api.identifier, api);

    store::Application web;
    web.client_id = "web";
    web.name = "Web";
    web.type = store::ApplicationType::kRegularWeb;
    web.grant_types = {store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken};
    web.callbacks = {std::string(kCallback), "https://app.example.com/cb?x=1"};
    snap_.applications.emplace(web.client_id, web);

    store::Application spa = web;
    spa.client_id = "spa";
    spa.type = store::ApplicationType::kSpa;
    spa.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
    snap_.applications.emplace(spa.client_id, spa);

    store::Application native = spa;
    native.client_id = "native";
    native.type = store::ApplicationType::kNative;
    native.callbacks = {"http://127.0.0.1/callback", "com.example.app:/oauth"};
    snap_.applications.emplace(native.client_id, native);

    store::Application m2m = web;
    m2m.client_id = "m2m";
    m2m.type = store::ApplicationType::kM2m;
    m2m.grant_types = {store::GrantType::kClientCredentials};
    snap_.applications.emplace(m2m.client_id, m2m);
  }

  // A valid request for `client`, with `changes` applied ("" removes a parameter).
  Params params(std::string_view client = "web",
                std::initializer_list<std::pair<std::string, std::string>> changes = {}) {
    std::map<std::string, std::string> m{{"response_type", "code"},
                                         {"client_id", std::string(client)},
                                         {"redirect_uri", std::string(kCallback)},
                                         {"state", "s t&ate"},
                                         {"nonce", "n-1"},
                                         {"scope", "openid read:messages"},
                                         {"audience", std::string(kApi)},
                                         {"code_challenge", std::string(kChallenge)},
                                         {"code_challenge_method", "S256"}};
    for (const auto& [k, v] : changes) {
      if (v.empty()) {
        m.erase(k);
      } else {
        m[k] = v;
      }
    }
    Params p;
    for (auto& [k, v] : m) {
      p.add(k, v);
    }
    return p;
  }

  Result<AuthorizationRequest, AuthorizationError> check(const Params& p,
                                                         AuthorizationPolicy policy = {}) {
    return check_authorization_request(snap_, p, policy);
  }

  // The error of a request that must be shown as a page, never redirected.
  void expect_page_error(const Params& p, std::string_view fragment) {
    auto r = check(p);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().redirect_uri.empty()) << r.error().description;
    EXPECT_NE(r.error().description.find(fragment), std::string::npos) << r.error().description;
  }

  // The error of a request that goes back to the application with its state.
  void expect_redirect_error(const Params& p, std::string_view error) {
    auto r = check(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().error, error) << r.error().description;
    EXPECT_FALSE(r.error().redirect_uri.empty());
    EXPECT_EQ(r.error().state, "s t&ate");
  }

  TenantSnapshot snap_;
};

TEST_F(AuthorizationRequestTest, AValidRequestIsAccepted) {
  auto r = check(params());
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->client->client_id, "web");
  EXPECT_EQ(r->api->identifier, kApi);
  EXPECT_EQ(r->redirect_uri, kCallback);
  EXPECT_EQ(r->state, "s t&ate");
  EXPECT_EQ(r->nonce, "n-1");
  EXPECT_EQ(r->code_challenge, kChallenge);
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"openid", "read:messages"}));
  EXPECT_EQ(r->prompt, Prompt::kDefault);
}

TEST_F(AuthorizationRequestTest, AnUnknownOrMissingClientIsAPageNeverARedirect) {
  expect_page_error(params("nobody"), "Unknown client");
  expect_page_error(params("web", {{"client_id", ""}}), "client_id is required");
}

TEST_F(AuthorizationRequestTest, RedirectUrisAreComparedExactly) {
  for (const std::string bad :
       {"https://app.example.com/callback/", "https://APP.example.com/callback",
        "https://app.example.com/Callback", "https://app.example.com/callback?x=1",
        "https://app.example.com:443/callback", "https://app.example.com:8443/callback",
        "https://evil@app.example.com/callback", "https://app.example.com/callback#f",
        "http://app.example.com/callback", "https://app.example.com.evil.com/callback",
        "https://app.example.com/cb?x=1&y=2", "https://app.example.com/cb"}) {
    expect_page_error(params("web", {{"redirect_uri", bad}}), "not one of the application");
  }
  expect_page_error(params("web", {{"redirect_uri", ""}}), "redirect_uri is required");
  // A registered URI with a query matches as registered.
  EXPECT_TRUE(check(params("web", {{"redirect_uri", "https://app.example.com/cb?x=1"}})).ok());
}

TEST_F(AuthorizationRequestTest, ANativeAppsLoopbackRedirectMayUseAnyPortButNothingElse) {
  EXPECT_TRUE(check(params("native", {{"redirect_uri", "http://127.0.0.1:53121/callback"}})).ok());
  EXPECT_TRUE(check(params("native", {{"redirect_uri", "http://127.0.0.1/callback"}})).ok());
  EXPECT_TRUE(check(params("native", {{"redirect_uri", "com.example.app:/oauth"}})).ok());
  for (const std::string bad :
       {"http://127.0.0.1:53121/other", "http://localhost:53121/callback",
        "https://127.0.0.1:53121/callback", "http://[::1]:53121/callback",
        "http://127.0.0.1:53121/callback?x", "http://u@127.0.0.1:53121/callback"}) {
    expect_page_error(params("native", {{"redirect_uri", bad}}), "not one of the application");
  }
  // Only native apps: a web app's registered port is part of its URI.
  snap_.applications["web"].callbacks.push_back("http://127.0.0.1:8080/cb");
  expect_page_error(params("web", {{"redirect_uri", "http://127.0.0.1:9090/cb"}}),
                    "not one of the application");
}

TEST_F(AuthorizationRequestTest, ErrorsAfterTheRedirectUriIsKnownGoBackWithState) {
  expect_redirect_error(params("web", {{"response_type", "token"}}), "unsupported_response_type");
  expect_redirect_error(params("web", {{"response_type", "code id_token"}}),
                        "unsupported_response_type");
  expect_redirect_error(params("web", {{"response_type", ""}}), "invalid_request");
  expect_redirect_error(params("web", {{"response_mode", "fragment"}}), "invalid_request");
  expect_redirect_error(params("web", {{"request", "eyJ..."}}), "request_not_supported");
  expect_redirect_error(params("web", {{"request_uri", "urn:x"}}), "request_uri_not_supported");
  expect_redirect_error(params("web", {{"audience", ""}}), "invalid_request");
  expect_redirect_error(params("web", {{"audience", "https://nope/"}}), "invalid_target");
  expect_redirect_error(params("web", {{"resource", "https://other/"}}), "invalid_target");
  expect_redirect_error(params("web", {{"prompt", "none login"}}), "invalid_request");
  expect_redirect_error(params("web", {{"prompt", "sideways"}}), "invalid_request");
  expect_redirect_error(params("web", {{"max_age", "-1"}}), "invalid_request");
  expect_redirect_error(params("web", {{"max_age", "10s"}}), "invalid_request");
  expect_redirect_error(params("web", {{"nonce", std::string(kMaxNonceBytes + 1, 'n')}}),
                        "invalid_request");
}

TEST_F(AuthorizationRequestTest, AClientWithoutTheCodeGrantIsUnauthorized) {
  snap_.applications["m2m"].callbacks = {std::string(kCallback)};
  expect_redirect_error(params("m2m"), "unauthorized_client");
}

TEST_F(AuthorizationRequestTest, PkceIsS256AndRequiredByDefault) {
  expect_redirect_error(params("web", {{"code_challenge_method", "plain"}}), "invalid_request");
  expect_redirect_error(params("web", {{"code_challenge_method", ""}}), "invalid_request");
  expect_redirect_error(params("web", {{"code_challenge", ""}, {"code_challenge_method", ""}}),
                        "invalid_request");
  expect_redirect_error(params("web", {{"code_challenge", "short"}}), "invalid_request");
  expect_redirect_error(params("web", {{"code_challenge", std::string(129, 'a')}}),
                        "invalid_request");
  expect_redirect_error(params("web", {{"code_challenge", std::string(43, '+')}}),
                        "invalid_request");
  // A confidential client may skip PKCE only when the server allows it; a public one never.
  const auto without = [&](std::string_view client) {
    return params(client, {{"code_challenge", ""}, {"code_challenge_method", ""}});
  };
  EXPECT_TRUE(check(without("web"), AuthorizationPolicy{false}).ok());
  EXPECT_FALSE(check(without("spa"), AuthorizationPolicy{false}).ok());
}

TEST_F(AuthorizationRequestTest, AnOverlongStateIsRefusedWithoutEchoingIt) {
  auto r = check(params("web", {{"state", std::string(kMaxStateBytes + 1, 's')}}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().redirect_uri.empty());
}

TEST_F(AuthorizationRequestTest, PromptAndMaxAgeAreRead) {
  auto none = check(params("web", {{"prompt", "none"}, {"max_age", "0"}}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->prompt, Prompt::kNone);
  EXPECT_EQ(none->max_age, std::chrono::seconds{0});
  auto login = check(params("web", {{"prompt", "login consent"}}));
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->prompt, Prompt::kLogin);
}

TEST_F(AuthorizationRequestTest, TheFormCarriesTheRequestButNotPromptOrMaxAge) {
  auto r = check(params("web", {{"prompt", "login"}, {"max_age", "5"}, {"login_hint", "a@b.c"}}));
  ASSERT_TRUE(r.ok());
  Params again;
  for (const auto& [k, v] : r->form_fields) {
    EXPECT_NE(k, "prompt");
    EXPECT_NE(k, "max_age");
    again.add(k, v);
  }
  auto second = check(again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->login_hint, "a@b.c");
  EXPECT_EQ(second->state, r->state);
  EXPECT_EQ(second->code_challenge, r->code_challenge);
}

TEST_F(AuthorizationRequestTest, DpopJktBindsTheCodeToAKeyAndIsCarriedByTheForm) {
  // RFC 9449 §10: the thumbprint of the key that will exchange the code.
  const std::string jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
  auto r = check(params("spa", {{"dpop_jkt", jkt}}));
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->dpop_jkt, jkt);
  Params again;
  for (const auto& [k, v] : r->form_fields) {
    again.add(k, v);
  }
  auto second = check(again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->dpop_jkt, jkt);
  EXPECT_EQ(check(params("spa"))->dpop_jkt, "") << "none sent, none bound";
  // Anything but a 43-character base64url thumbprint can never match a proof: refused now rather
  // than after the user signed in.
  for (const std::string& bad :
       {jkt.substr(1), jkt + "A", jkt.substr(1) + "=", jkt.substr(1) + "+", std::string(43, '/')}) {
    expect_redirect_error(params("web", {{"dpop_jkt", bad}}), "invalid_request");
  }
}

TEST(WithQueryTest, AppendsToTheQueryAndEncodesEverything) {
  EXPECT_EQ(with_query("https://a/cb", {{"code", "x"}, {"state", "a b&c=d/é"}}),
            "https://a/cb?code=x&state=a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(with_query("https://a/cb?x=1", {{"code", "y"}}), "https://a/cb?x=1&code=y");
  EXPECT_EQ(with_query("https://a/cb?", {{"code", "y"}}), "https://a/cb?code=y");
  EXPECT_EQ(with_query("https://a/cb#frag", {{"code", "y"}}), "https://a/cb?code=y");
}

TEST(CspSourceTest, NamesTheOriginOrTheScheme) {
  EXPECT_EQ(csp_source_of("http://localhost:3000/cb?x"), "http://localhost:3000");
  EXPECT_EQ(csp_source_of("https://app.example.com/cb"), "https://app.example.com");
  EXPECT_EQ(csp_source_of("http://[::1]:8080/cb"), "http://[::1]:8080");
  EXPECT_EQ(csp_source_of("com.example.app:/oauth"), "com.example.app:");
}

}  // namespace
}  // namespace signet::server
