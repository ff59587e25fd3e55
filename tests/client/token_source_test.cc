#include "signet/client/token_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "signet/jose/dpop.h"
#include "signet/jose/jwk.h"
#include "tests/client/fake_transport.h"
#include "tests/test_common/temp_dir.h"
#include "tests/test_common/test_keys.h"

namespace signet::client {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr sys_seconds kT0{seconds{1795910400}};  // 2026-11-29T00:00:00Z
constexpr std::string_view kIssuer = "https://auth.example.com/";
constexpr std::string_view kOidc = "https://auth.example.com/.well-known/openid-configuration";
constexpr std::string_view kEndpoint = "https://auth.example.com/oauth/token";
constexpr std::string_view kJwksUri = "https://auth.example.com/jwks";
constexpr std::int64_t kLifetime = 3600;  // s

using signet::testing::TempDir;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_ino;
}

const jose::Jwk& signing_key() {
  return testing::test_key(jose::Algorithm::kES256);
}
const jose::Jwk& next_key() {
  return testing::other_key(jose::Algorithm::kES256);
}

// A JWT signed by `key`, told apart from others by its jti.
std::string jwt(const jose::Jwk& key, std::string_view jti) {
  return testing::mint(key, json::object{{"iss", kIssuer}, {"jti", jti}});
}

http::FetchResponse token_answer(std::string_view access_token,
                                 std::optional<std::int64_t> expires_in = kLifetime) {
  json::object body{{"access_token", access_token}, {"token_type", "Bearer"}, {"scope", "read"}};
  if (expires_in) {
    body["expires_in"] = *expires_in;
  }
  return ok_json(body);
}

http::FetchResponse jwks_answer(std::initializer_list<const jose::Jwk*> keys) {
  std::vector<jose::Jwk> published;
  for (const auto* key : keys) {
    published.push_back(testing::public_half(*key));
  }
  return ok_json(jose::to_public_jwks(published));
}

class TokenSourceTest : public ::testing::Test {
 protected:
  TokenSourceTest() : transport_(std::make_shared<FakeTransport>()), cache_(file()) {
    transport_->on_get(
        kOidc, ok_json(json::object{
                   {"issuer", kIssuer}, {"token_endpoint", kEndpoint}, {"jwks_uri", kJwksUri}}));
    transport_->on_get(kJwksUri, jwks_answer({&signing_key(), &next_key()}));
    transport_->on_post(token_answer(first_));
  }

  fs::path file() const { return dir_.path() / "signet" / "tokens.json"; }

  static TokenRequest client_credentials(std::string secret = "the-secret") {
    TokenRequest r;
    r.issuer = std::string(kIssuer);
    r.client_id = "abc";
    r.client_secret = std::move(secret);
    r.audience = "https://quickstarts/api";
    r.scope = "read";
    return r;
  }

  // One invocation of `signet token`: a new TokenClient, as the command makes.
  Result<ObtainedToken, std::string> obtain(const TokenRequest& request,
                                            CachePolicy policy = CachePolicy::kUse,
                                            sys_seconds now = kT0) {
    TokenClient client(transport_);
    transport_->got.clear();
    transport_->posted.clear();
    transport_->proofs.clear();
    return obtain_token(client, &cache_, request, policy, now,
                        [this](const std::string& w) { warnings_.push_back(w); });
  }

  // The access token obtained, asserting success.
  std::string obtained(const TokenRequest& request, CachePolicy policy = CachePolicy::kUse) {
    auto got = obtain(request, policy);
    EXPECT_TRUE(got.ok()) << got.error();
    return got.ok() ? got->token.access_token : "";
  }

  std::size_t gets_of(std::string_view url) const {
    return static_cast<std::size_t>(
        std::count(transport_->got.begin(), transport_->got.end(), url));
  }

  TempDir dir_;
  std::shared_ptr<FakeTransport> transport_;
  TokenCache cache_;
  std::vector<std::string> warnings_;
  const std::string first_ = jwt(signing_key(), "first");
  const std::string second_ = jwt(next_key(), "second");
};

// --- client credentials ------------------------------------------------------------------------

TEST_F(TokenSourceTest, ANewTokenIsCachedAndServedWhileItsKeyIsPublished) {
  auto got = obtain(client_credentials());
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, first_);
  EXPECT_EQ(got->token.expires_at, kT0 + seconds{kLifetime});
  ASSERT_TRUE(got->response);
  EXPECT_EQ(got->response->at("access_token").as_string(), first_);
  EXPECT_EQ(transport_->posted.size(), 1u);
  EXPECT_EQ(gets_of(kJwksUri), 0u);  // a miss needs no keys

  transport_->on_post(token_answer(second_));
  got = obtain(client_credentials(), CachePolicy::kUse, kT0 + seconds{60});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_TRUE(got->from_cache);
  EXPECT_FALSE(got->response);
  EXPECT_EQ(got->token.access_token, first_);
  EXPECT_TRUE(transport_->posted.empty());
  // A hit costs one metadata and one JWKS fetch.
  EXPECT_EQ(transport_->got, (std::vector<std::string>{std::string(kOidc), std::string(kJwksUri)}));
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
}

TEST_F(TokenSourceTest, AWrongSecretFindsNothingAndGetsTheIssuersRefusal) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  transport_->on_post(ok_json(
      json::object{{"error", "invalid_client"}, {"error_description", "wrong secret"}}, 401));
  auto got = obtain(client_credentials("not-the-secret"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error(), "the server refused: invalid_client: wrong secret");
  ASSERT_EQ(transport_->posted.size(), 1u);
  EXPECT_NE(transport_->posted[0].second.find("client_secret=not-the-secret"), std::string::npos);
  // The right secret still finds its token.
  EXPECT_EQ(obtained(client_credentials()), first_);
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenSourceTest, TheSecretIsNeverInTheFile) {
  obtained(client_credentials());
  const std::string text = read_all(file());
  EXPECT_EQ(text.find("the-secret"), std::string::npos) << text;
  EXPECT_NE(text.find(entry_tags({kIssuer, "abc", "", "https://quickstarts/api", ""}).issuer),
            std::string::npos);
}

// --- withdrawn keys -----------------------------------------------------------------------------

TEST_F(TokenSourceTest, ATokenWhoseKeyLeftTheJwksIsReplaced) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  transport_->on_get(kJwksUri, jwks_answer({&next_key()}));  // signing_key() revoked
  transport_->on_post(token_answer(second_));
  auto got = obtain(client_credentials(), CachePolicy::kUse, kT0 + seconds{60});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
  // At most one metadata and one JWKS fetch in the invocation, then the POST.
  EXPECT_EQ(transport_->got, (std::vector<std::string>{std::string(kOidc), std::string(kJwksUri)}));
  EXPECT_EQ(transport_->posted.size(), 1u);
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
  // The new token took the entry's place.
  EXPECT_EQ(obtained(client_credentials()), second_);
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenSourceTest, AnEntryWhoseKeyLeftIsDroppedEvenWhenNoNewTokenComes) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  transport_->on_get(kJwksUri, jwks_answer({&next_key()}));
  transport_->on_post(ok_json(json::object{{"error", "access_denied"}}, 403));
  ASSERT_FALSE(obtain(client_credentials()).ok());
  auto left = cache_.lookup(
      cache_key({kIssuer, "abc", "the-secret", "https://quickstarts/api", "read"}), kT0);
  ASSERT_TRUE(left.ok()) << left.error();
  EXPECT_FALSE(*left);
}

TEST_F(TokenSourceTest, ACachedTokenThatIsNotAJwtIsNotServed) {
  obtained(client_credentials());
  // An entry edited by hand, or of an issuer whose tokens are opaque.
  CachedToken opaque{"opaque-token",
                     "Bearer",
                     "read",
                     kT0,
                     kT0 + seconds{kLifetime},
                     entry_tags({kIssuer, "abc", "", "https://quickstarts/api", ""})};
  const std::string key =
      cache_key({kIssuer, "abc", "the-secret", "https://quickstarts/api", "read"});
  ASSERT_TRUE(cache_.store(key, opaque, kT0).ok());
  transport_->on_post(token_answer(second_));
  EXPECT_EQ(obtained(client_credentials()), second_);
  EXPECT_EQ(gets_of(kJwksUri), 0u);  // nothing to look up
}

struct UnreadableJwks {
  const char* name;
  FakeTransport::Answer answer;
  const char* says;
};

class WhenTheJwksCannotBeRead : public TokenSourceTest,
                                public ::testing::WithParamInterface<UnreadableJwks> {};

TEST_P(WhenTheJwksCannotBeRead, ANewTokenIsAskedForAndTheWarningSaysWhy) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  transport_->on_get(kJwksUri, GetParam().answer);
  transport_->on_post(token_answer(second_));
  auto got = obtain(client_credentials());
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("cannot check that the cached token's signing key is still "
                              "published"),
            std::string::npos)
      << warnings_[0];
  EXPECT_NE(warnings_[0].find(GetParam().says), std::string::npos) << warnings_[0];
  EXPECT_EQ(gets_of(kOidc), 1u);
  EXPECT_EQ(gets_of(kJwksUri), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WhenTheJwksCannotBeRead,
    ::testing::Values(
        UnreadableJwks{"NotFound", http::FetchResponse{404, "", "", ""}, "HTTP 404"},
        UnreadableJwks{"Garbage", http::FetchResponse{200, "[]", "application/json", ""},
                       "not a JWKS"},
        UnreadableJwks{"Timeout",
                       fail(http::FetchFailure{http::FetchError::kTimeout, "no answer in 10 s"}),
                       "no answer in 10 s"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(TokenSourceTest, AnUnreachableIssuerIsAnErrorNotACachedToken) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  transport_->on_get(kOidc, fail(http::FetchFailure{http::FetchError::kConnect,
                                                    "connecting to auth.example.com:443 failed: "
                                                    "Connection refused"}));
  auto got = obtain(client_credentials());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error(),
            "cannot reach the issuer https://auth.example.com/: connecting to "
            "auth.example.com:443 failed: Connection refused");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("cannot reach the issuer"), std::string::npos) << warnings_[0];
  EXPECT_EQ(transport_->got.size(), 1u);  // the failed discovery is not repeated
  EXPECT_TRUE(transport_->posted.empty());
}

// --- --refresh and --no-cache -------------------------------------------------------------------

TEST_F(TokenSourceTest, RefreshReplacesTheCachedToken) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  transport_->on_post(token_answer(second_));
  auto got = obtain(client_credentials(), CachePolicy::kRefresh, kT0 + seconds{10});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
  EXPECT_EQ(transport_->posted.size(), 1u);
  EXPECT_EQ(gets_of(kJwksUri), 0u);
  got = obtain(client_credentials(), CachePolicy::kUse, kT0 + seconds{20});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_TRUE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
  EXPECT_EQ(got->token.obtained_at, kT0 + seconds{10});
}

TEST_F(TokenSourceTest, RefreshWithoutAnEntryStoresOne) {
  ASSERT_EQ(obtained(client_credentials(), CachePolicy::kRefresh), first_);
  EXPECT_EQ(obtained(client_credentials()), first_);
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenSourceTest, BypassNeitherReadsNorWrites) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  const std::string before = read_all(file());
  const ino_t inode = inode_of(file());
  transport_->on_post(token_answer(second_));
  auto got = obtain(client_credentials(), CachePolicy::kBypass);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
  EXPECT_EQ(read_all(file()), before);
  EXPECT_EQ(inode_of(file()), inode);
  EXPECT_EQ(obtained(client_credentials()), first_);
}

TEST_F(TokenSourceTest, BypassWithoutAFileCreatesNone) {
  ASSERT_EQ(obtained(client_credentials(), CachePolicy::kBypass), first_);
  EXPECT_FALSE(fs::exists(file().parent_path()));
}

// --- the password grant -------------------------------------------------------------------------

TEST_F(TokenSourceTest, PasswordTokensAreNeverWrittenNorRead) {
  TokenRequest r = client_credentials();
  r.username = "user@example.com";
  r.password = "correct horse";
  transport_->on_posts({token_answer(first_), token_answer(second_)});
  EXPECT_EQ(obtained(r), first_);
  EXPECT_FALSE(fs::exists(file().parent_path()));
  // Every call asks the issuer, which checks the password every time.
  EXPECT_EQ(obtained(r), second_);
  EXPECT_EQ(transport_->posted.size(), 1u);
  EXPECT_NE(transport_->posted[0].second.find("grant_type=password"), std::string::npos);
  EXPECT_EQ(obtained(r, CachePolicy::kRefresh), second_);
  EXPECT_FALSE(fs::exists(file().parent_path()));

  // Nor does a client-credentials entry of the same client answer for a user.
  transport_->on_post(token_answer(first_));
  ASSERT_EQ(obtained(client_credentials()), first_);
  const std::string before = read_all(file());
  transport_->on_post(token_answer(second_));
  r.password = "wrong";
  EXPECT_EQ(obtained(r), second_);
  EXPECT_EQ(transport_->posted.size(), 1u);
  EXPECT_EQ(read_all(file()), before);
}

// --- what is not cached -------------------------------------------------------------------------

TEST_F(TokenSourceTest, ATokenWithoutALifetimeIsNotCached) {
  transport_->on_post(token_answer(first_, std::nullopt));
  ASSERT_EQ(obtained(client_credentials()), first_);
  EXPECT_FALSE(fs::exists(file()));
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(TokenSourceTest, ATokenThatNamesNoKidIsNotCachedAndTheWarningSaysSo) {
  transport_->on_post(token_answer("opaque-token"));
  ASSERT_EQ(obtained(client_credentials()), "opaque-token");
  EXPECT_FALSE(fs::exists(file()));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("not cached"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("--no-cache"), std::string::npos) << warnings_[0];
}

// --- a cache file that is refused ---------------------------------------------------------------

TEST_F(TokenSourceTest, ARefusedFileWarnsOnceAndIsLeftAlone) {
  ASSERT_EQ(obtained(client_credentials()), first_);
  ::chmod(file().c_str(), 0644);
  const std::string before = read_all(file());
  transport_->on_post(token_answer(second_));
  EXPECT_EQ(obtained(client_credentials()), second_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("chmod 600"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("fetching a token without the cache"), std::string::npos);
  EXPECT_EQ(read_all(file()), before);

  warnings_.clear();
  EXPECT_EQ(obtained(client_credentials(), CachePolicy::kRefresh), second_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("the token was not cached"), std::string::npos) << warnings_[0];
  EXPECT_EQ(read_all(file()), before);
}

TEST_F(TokenSourceTest, NoCacheAtAllStillGetsATokenSilently) {
  TokenClient client(transport_);
  auto got = obtain_token(client, nullptr, client_credentials(), CachePolicy::kUse, kT0,
                          [this](const std::string& w) { warnings_.push_back(w); });
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->token.access_token, first_);
  EXPECT_TRUE(warnings_.empty());
}

// --- DPoP ---------------------------------------------------------------------------------------

DpopKey dpop_key(const jose::Jwk& key) {
  return DpopKey{key, jose::thumbprint(key)};
}
const DpopKey& key_a() {
  static const DpopKey key = dpop_key(testing::test_key(jose::Algorithm::kEdDSA));
  return key;
}
const DpopKey& key_b() {
  static const DpopKey key = dpop_key(testing::other_key(jose::Algorithm::kEdDSA));
  return key;
}

http::FetchResponse bound_answer(std::string_view access_token,
                                 std::string_view token_type = "DPoP") {
  return ok_json(json::object{
      {"access_token", access_token}, {"token_type", token_type}, {"expires_in", kLifetime}});
}

TEST_F(TokenSourceTest, ABoundTokenIsCachedWithItsKeysThumbprintAndServedToThatKey) {
  TokenRequest bound = client_credentials();
  bound.dpop = key_a();
  transport_->on_post(bound_answer(first_));
  auto got = obtain(bound);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->token.token_type, "DPoP");
  EXPECT_EQ(got->token.jkt, key_a().jkt);
  ASSERT_EQ(transport_->proofs.size(), 1u);
  EXPECT_TRUE(transport_->proofs[0].has_value());

  got = obtain(bound, CachePolicy::kUse, kT0 + seconds{60});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_TRUE(got->from_cache);
  EXPECT_EQ(got->token.access_token, first_);
  EXPECT_EQ(got->token.jkt, key_a().jkt);
  EXPECT_TRUE(transport_->posted.empty());
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
}

TEST_F(TokenSourceTest, ATokenBoundToAnotherKeyIsNotReused) {
  TokenRequest with_a = client_credentials();
  with_a.dpop = key_a();
  TokenRequest with_b = client_credentials();
  with_b.dpop = key_b();
  transport_->on_post(bound_answer(first_));
  ASSERT_EQ(obtained(with_a), first_);

  transport_->on_post(bound_answer(second_));
  auto got = obtain(with_b, CachePolicy::kUse, kT0 + seconds{60});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
  EXPECT_EQ(got->token.jkt, key_b().jkt);
  EXPECT_EQ(transport_->posted.size(), 1u);
  // Each key keeps its own token.
  EXPECT_EQ(obtained(with_a), first_);
  EXPECT_EQ(obtained(with_b), second_);
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenSourceTest, BearerAndBoundTokensNeverStandInForEachOther) {
  TokenRequest bound = client_credentials();
  bound.dpop = key_a();
  transport_->on_post(bound_answer(first_));
  ASSERT_EQ(obtained(bound), first_);
  // A bearer request does not get the bound token (an API would refuse it as Bearer)...
  transport_->on_post(token_answer(second_));
  auto bearer = obtain(client_credentials());
  ASSERT_TRUE(bearer.ok()) << bearer.error();
  EXPECT_FALSE(bearer->from_cache);
  EXPECT_EQ(bearer->token.access_token, second_);
  EXPECT_TRUE(bearer->token.jkt.empty());
  EXPECT_FALSE(transport_->proofs.back().has_value());
  // ...and a bound request does not get the bearer one.
  EXPECT_EQ(obtained(bound), first_);
  EXPECT_EQ(obtained(client_credentials()), second_);
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenSourceTest, AnEntryUnderTheKeyButBoundToAnotherJktIsNotServed) {
  // The entry's own jkt is checked too: the file may have been edited, or written by a version
  // that keyed entries otherwise.
  const CacheKeyParts parts{kIssuer, "abc",      "the-secret", "https://quickstarts/api",
                            "read",  key_a().jkt};
  CachedToken planted{first_,     "DPoP", "read", kT0, kT0 + seconds{kLifetime}, entry_tags(parts),
                      key_b().jkt};
  ASSERT_TRUE(cache_.store(cache_key(parts), planted, kT0).ok());
  TokenRequest bound = client_credentials();
  bound.dpop = key_a();
  transport_->on_post(bound_answer(second_));
  auto got = obtain(bound, CachePolicy::kUse, kT0 + seconds{60});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_FALSE(got->from_cache);
  EXPECT_EQ(got->token.access_token, second_);
}

TEST_F(TokenSourceTest, ABearerAnswerToAProofIsReturnedWithAWarningAndNotCached) {
  TokenRequest bound = client_credentials();
  bound.dpop = key_a();
  transport_->on_post(bound_answer(first_, "Bearer"));
  auto got = obtain(bound);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->token.access_token, first_);
  EXPECT_TRUE(got->token.jkt.empty());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("does not support DPoP"), std::string::npos) << warnings_[0];
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(TokenSourceTest, TokenTypeDpopIsReadInAnyCase) {
  // RFC 6749 §7.1: token types are case-insensitive.
  TokenRequest bound = client_credentials();
  bound.dpop = key_a();
  transport_->on_post(bound_answer(first_, "dpop"));
  auto got = obtain(bound);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->token.jkt, key_a().jkt);
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
}

}  // namespace
}  // namespace signet::client
