#include "signet/http/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "tests/http/test_support.h"

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using testing::RunningServer;
using testing::test_options;

// --- cache_max_age ---------------------------------------------------------------------------

struct MaxAgeCase {
  const char* header;
  std::optional<long> seconds;
};

class CacheMaxAge : public ::testing::TestWithParam<MaxAgeCase> {};

TEST_P(CacheMaxAge, Table) {
  const auto& c = GetParam();
  const auto got = cache_max_age(c.header);
  if (c.seconds) {
    ASSERT_TRUE(got) << c.header;
    EXPECT_EQ(got->count(), *c.seconds) << c.header;
  } else {
    EXPECT_FALSE(got) << c.header << " gave " << got->count();
  }
}

INSTANTIATE_TEST_SUITE_P(Directives, CacheMaxAge,
                         ::testing::Values(MaxAgeCase{"max-age=60", 60},                     //
                                           MaxAgeCase{"MAX-AGE=60", 60},                     //
                                           MaxAgeCase{"Max-Age=0", 0},                       //
                                           MaxAgeCase{"public, max-age=300", 300},           //
                                           MaxAgeCase{"max-age=300,must-revalidate", 300},   //
                                           MaxAgeCase{"  max-age=7  ", 7},                   //
                                           MaxAgeCase{"max-age=\"60\"", 60},                 //
                                           MaxAgeCase{"max-age=10, max-age=20", 10},         //
                                           MaxAgeCase{"foo=\"a,max-age=5\", max-age=7", 7},  //
                                           MaxAgeCase{"max-age=99999999999999999999",
                                                      2147483648},                   //
                                           MaxAgeCase{"no-store", 0},                //
                                           MaxAgeCase{"no-cache", 0},                //
                                           MaxAgeCase{"max-age=600, no-store", 0},   //
                                           MaxAgeCase{"NO-CACHE, max-age=600", 0},   //
                                           MaxAgeCase{"no-store, max-age=abc", 0},   //
                                           MaxAgeCase{"", std::nullopt},             //
                                           MaxAgeCase{"public", std::nullopt},       //
                                           MaxAgeCase{"s-maxage=60", std::nullopt},  //
                                           MaxAgeCase{"max-age", std::nullopt},      //
                                           MaxAgeCase{"max-age=", std::nullopt},     //
                                           MaxAgeCase{"max-age=abc", std::nullopt},  //
                                           MaxAgeCase{"max-age=-1", std::nullopt},   //
                                           MaxAgeCase{"max-age=1.5", std::nullopt},  //
                                           MaxAgeCase{"max-age=6 0", std::nullopt},  //
                                           MaxAgeCase{"max-agex=60", std::nullopt}));

// --- fetch -----------------------------------------------------------------------------------

TEST(FetchError, Names) {
  EXPECT_EQ(to_string(FetchError::kBadUrl), "bad_url");
  EXPECT_EQ(to_string(FetchError::kResolve), "resolve");
  EXPECT_EQ(to_string(FetchError::kConnect), "connect");
  EXPECT_EQ(to_string(FetchError::kTls), "tls");
  EXPECT_EQ(to_string(FetchError::kTimeout), "timeout");
  EXPECT_EQ(to_string(FetchError::kTooLarge), "too_large");
  EXPECT_EQ(to_string(FetchError::kBadResponse), "bad_response");
}

class FetchTest : public ::testing::Test {
 protected:
  FetchTest() {
    Router router;
    router.add(bhttp::verb::get, "/jwks", [this](const Request& req) {
      {
        const std::lock_guard lock(mutex_);
        seen_ = req;
      }
      Response res = json_response(req, bhttp::status::ok, R"({"keys":[]})");
      res.set(bhttp::field::cache_control, "public, max-age=600");
      return res;
    });
    router.add(bhttp::verb::get, "/moved", [](const Request& req) {
      Response res = json_response(req, bhttp::status::found, "{}");
      res.set(bhttp::field::location, "/jwks");
      return res;
    });
    router.add(bhttp::verb::get, "/big", [](const Request& req) {
      return json_response(req, bhttp::status::ok, "\"" + std::string(2000, 'x') + "\"");
    });
    server_.emplace(test_options(), std::move(router));
  }

  std::optional<RunningServer> server_;
  std::mutex mutex_;
  Request seen_;
};

TEST_F(FetchTest, GetsBodyAndHeaders) {
  const auto res = fetch(server_->url("/jwks?x=1"), FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body, R"({"keys":[]})");
  EXPECT_EQ(res->content_type, "application/json");
  EXPECT_EQ(res->cache_control, "public, max-age=600");
  EXPECT_EQ(cache_max_age(res->cache_control), std::chrono::seconds{600});

  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_.target(), "/jwks?x=1");
  EXPECT_EQ(seen_[bhttp::field::accept], "application/json");
  EXPECT_EQ(seen_[bhttp::field::user_agent], "signet/0.1");
  EXPECT_EQ(seen_[bhttp::field::host], "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(FetchTest, NonSuccessStatusIsReturnedNotAnError) {
  const auto res = fetch(server_->url("/nowhere"), FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 404u);
}

TEST_F(FetchTest, RedirectIsNotFollowed) {
  const auto res = fetch(server_->url("/moved"), FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 302u);
  EXPECT_EQ(res->body, "{}");
}

TEST_F(FetchTest, BodyOverTheLimitIsTooLarge) {
  FetchOptions options;
  options.max_body_bytes = 1000;
  const auto res = fetch(server_->url("/big"), options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTooLarge) << res.error().detail;

  options.max_body_bytes = 2002;
  EXPECT_TRUE(fetch(server_->url("/big"), options).ok());
}

// --- post --------------------------------------------------------------------------------------

// A server with a POST route that echoes what it received as JSON-ish text, and counts requests.
class PostTest : public ::testing::Test {
 protected:
  PostTest() {
    Router router;
    router.add(bhttp::verb::post, "/echo", [this](const Request& req) {
      {
        const std::lock_guard lock(mutex_);
        seen_ = req;
        ++posts_;
      }
      Response res = json_response(req, bhttp::status::ok, req.body());
      res.set(bhttp::field::cache_control, "no-store");
      return res;
    });
    router.add(bhttp::verb::post, "/moved", [this](const Request& req) {
      {
        const std::lock_guard lock(mutex_);
        ++posts_;
      }
      Response res = json_response(req, bhttp::status::temporary_redirect, "{}");
      res.set(bhttp::field::location, "/echo");
      return res;
    });
    router.add(bhttp::verb::post, "/refuse", [](const Request& req) {
      return json_error(req, bhttp::status::unauthorized, "invalid_client", "who are you?");
    });
    server_.emplace(test_options(), std::move(router));
  }

  int posts() {
    const std::lock_guard lock(mutex_);
    return posts_;
  }

  std::optional<RunningServer> server_;
  std::mutex mutex_;
  Request seen_;
  int posts_ = 0;
};

TEST_F(PostTest, SendsBodyContentTypeAndLength) {
  const std::string form = "grant_type=client_credentials&audience=https%3A%2F%2Fapi%2F";
  const auto res =
      post(server_->url("/echo?x=1"), "application/x-www-form-urlencoded", form, FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body, form);
  EXPECT_EQ(res->cache_control, "no-store");

  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_.method(), bhttp::verb::post);
  EXPECT_EQ(seen_.target(), "/echo?x=1");
  EXPECT_EQ(seen_[bhttp::field::content_type], "application/x-www-form-urlencoded");
  EXPECT_EQ(seen_[bhttp::field::content_length], std::to_string(form.size()));
  EXPECT_EQ(seen_[bhttp::field::accept], "application/json");
  EXPECT_EQ(seen_[bhttp::field::user_agent], "signet/0.1");
  EXPECT_EQ(seen_[bhttp::field::host], "127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_EQ(seen_.count(bhttp::field::authorization), 0u);
}

TEST_F(PostTest, SendsAuthorizationWhenGiven) {
  const auto res =
      post(server_->url("/echo"), "application/json", "{}", FetchOptions{}, "Basic YTpi");
  ASSERT_TRUE(res.ok()) << res.error().detail;
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_[bhttp::field::authorization], "Basic YTpi");
}

TEST_F(PostTest, EmptyBodyHasContentLengthZero) {
  const auto res = post(server_->url("/echo"), "text/plain", "", FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->body, "");
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_[bhttp::field::content_length], "0");
}

TEST_F(PostTest, LargeBodyArrivesWhole) {
  // Larger than one socket write and than the client's read buffer; within the server's limit.
  const std::string big(kDefaultMaxBodyBytes - 1024, 'a');
  FetchOptions options;
  options.max_body_bytes = big.size();
  const auto res = post(server_->url("/echo"), "text/plain", big, options);
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->body.size(), big.size());
}

TEST_F(PostTest, ErrorStatusIsReturnedWithItsBody) {
  const auto res = post(server_->url("/refuse"), "application/json", "{}", FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 401u);
  EXPECT_NE(res->body.find("invalid_client"), std::string::npos) << res->body;
}

TEST_F(PostTest, RedirectIsNotFollowed) {
  const auto res = post(server_->url("/moved"), "application/json", "{}", FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 307u);
  EXPECT_EQ(posts(), 1);  // the body was not sent again to /echo
}

TEST_F(PostTest, ResponseOverTheLimitIsTooLarge) {
  FetchOptions options;
  options.max_body_bytes = 10;
  const auto res = post(server_->url("/echo"), "text/plain", std::string(11, 'x'), options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTooLarge) << res.error().detail;
}

TEST_F(PostTest, GetOnlyRouteAnswers405) {
  const auto res = fetch(server_->url("/echo"), FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 405u);
}

TEST_F(PostTest, HeaderValuesWithLineBreaksAreNotSent) {
  for (const auto& [type, auth] :
       {std::pair<std::string, std::string>{"text/plain\r\nX-Evil: 1", "Basic YTpi"},
        std::pair<std::string, std::string>{"text/plain", "Basic YTpi\nX-Evil: 1"},
        std::pair<std::string, std::string>{"text/plain", std::string("Basic\0x", 7)}}) {
    const auto res = post(server_->url("/echo"), type, "{}", FetchOptions{}, auth);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().code, FetchError::kBadResponse) << res.error().detail;
  }
  EXPECT_EQ(posts(), 0);
}

TEST(Post, BadUrl) {
  const auto res = post("ftp://127.0.0.1/", "text/plain", "x", FetchOptions{});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kBadUrl);
}

TEST(Fetch, BadUrl) {
  for (const char* url :
       {"", "ftp://127.0.0.1/", "http://user@127.0.0.1/", "http://127.0.0.1:0/"}) {
    const auto res = fetch(url, FetchOptions{});
    ASSERT_FALSE(res.ok()) << url;
    EXPECT_EQ(res.error().code, FetchError::kBadUrl) << url;
    EXPECT_FALSE(res.error().detail.empty());
  }
}

// A listening socket that never accepts: the kernel completes the handshake, no one answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  unsigned short port() const { return port_; }
  // Stops listening so that connecting is refused.
  void close() {
    ::close(fd_);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  }

 private:
  int fd_;
  unsigned short port_ = 0;
};

TEST(Fetch, ServerThatNeverAnswersTimesOut) {
  SilentListener listener;
  FetchOptions options;
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto res = fetch("http://127.0.0.1:" + std::to_string(listener.port()) + "/jwks", options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTimeout) << res.error().detail;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST(Post, ServerThatNeverAnswersTimesOut) {
  SilentListener listener;
  FetchOptions options;
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto res = post("http://127.0.0.1:" + std::to_string(listener.port()) + "/oauth/token",
                        "application/x-www-form-urlencoded", "a=b", options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTimeout) << res.error().detail;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

TEST(Fetch, TlsHandshakeThatNeverCompletesTimesOut) {
  SilentListener listener;
  FetchOptions options;
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto res = fetch("https://127.0.0.1:" + std::to_string(listener.port()) + "/", options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTimeout) << res.error().detail;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

TEST(Fetch, ConnectionRefused) {
  SilentListener listener;
  listener.close();
  const auto res =
      fetch("http://127.0.0.1:" + std::to_string(listener.port()) + "/", FetchOptions{});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kConnect) << res.error().detail;
}

TEST(Fetch, GarbageResponseIsBadResponse) {
  // A server speaking something other than HTTP.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread peer([fd] {
    const int conn = ::accept(fd, nullptr, nullptr);
    if (conn >= 0) {
      const char junk[] = "SSH-2.0-OpenSSH_9.2\r\n";
      [[maybe_unused]] auto n = ::send(conn, junk, sizeof junk - 1, MSG_NOSIGNAL);
      ::shutdown(conn, SHUT_WR);
      char buf[1024];
      while (::recv(conn, buf, sizeof buf, 0) > 0) {
      }
      ::close(conn);
    }
  });
  const auto res =
      fetch("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", FetchOptions{});
  peer.join();
  ::close(fd);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kBadResponse) << res.error().detail;
}

// --- send_request ------------------------------------------------------------------------------

// A server with a route for each method a JSON API client sends, answering with the ETag,
// WWW-Authenticate and Retry-After headers a Management API client reads; it counts requests.
class SendRequestTest : public ::testing::Test {
 protected:
  SendRequestTest() {
    Router router;
    for (const auto method : {bhttp::verb::get, bhttp::verb::post, bhttp::verb::put,
                              bhttp::verb::patch, bhttp::verb::delete_}) {
      router.add(method, "/thing", [this](const Request& req) {
        {
          const std::lock_guard lock(mutex_);
          seen_ = req;
          ++requests_;
        }
        Response res = json_response(req, bhttp::status::ok, R"({"ok":true})");
        res.set(bhttp::field::etag, "\"7\"");
        return res;
      });
    }
    router.add(bhttp::verb::get, "/challenge", [this](const Request& req) {
      {
        const std::lock_guard lock(mutex_);
        ++requests_;
      }
      Response res = json_error(req, bhttp::status::unauthorized, "invalid_token", "expired");
      res.set(bhttp::field::www_authenticate, R"(Bearer realm="api", error="invalid_token")");
      return res;
    });
    router.add(bhttp::verb::post, "/nonce", [this](const Request& req) {
      {
        const std::lock_guard lock(mutex_);
        seen_ = req;
        ++requests_;
      }
      Response res = json_error(req, bhttp::status::bad_request, "use_dpop_nonce", "nonce");
      res.set("DPoP-Nonce", "n-1");
      return res;
    });
    router.add(bhttp::verb::patch, "/busy", [this](const Request& req) {
      {
        const std::lock_guard lock(mutex_);
        ++requests_;
      }
      Response res = json_error(req, bhttp::status::service_unavailable, "busy", "later");
      res.set(bhttp::field::retry_after, "5");
      return res;
    });
    server_.emplace(test_options(), std::move(router));
  }

  int requests() {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

  std::optional<RunningServer> server_;
  std::mutex mutex_;
  Request seen_;
  int requests_ = 0;
};

ApiRequest api_request(std::string_view method, std::string_view body = {},
                       std::optional<std::string_view> if_match = std::nullopt) {
  ApiRequest req;
  req.method = method;
  if (!body.empty()) {
    req.content_type = "application/json";
    req.body = body;
  }
  req.authorization = "Bearer token";
  req.if_match = if_match;
  return req;
}

TEST_F(SendRequestTest, SendsEachMethodWithBodyAndIfMatch) {
  const std::string body = R"({"name":"Renamed"})";
  for (const auto& [text, verb] :
       {std::pair{"PUT", bhttp::verb::put}, std::pair{"PATCH", bhttp::verb::patch},
        std::pair{"DELETE", bhttp::verb::delete_}, std::pair{"POST", bhttp::verb::post}}) {
    const auto res =
        send_request(server_->url("/thing?x=1"), api_request(text, body, "\"3\""), FetchOptions{});
    ASSERT_TRUE(res.ok()) << res.error().detail;
    EXPECT_EQ(res->status, 200u);
    EXPECT_EQ(res->body, R"({"ok":true})");
    EXPECT_EQ(res->etag, "\"7\"");
    const std::lock_guard lock(mutex_);
    EXPECT_EQ(seen_.method(), verb) << text;
    EXPECT_EQ(seen_.target(), "/thing?x=1");
    EXPECT_EQ(seen_.body(), body) << text;
    EXPECT_EQ(seen_[bhttp::field::content_type], "application/json");
    EXPECT_EQ(seen_[bhttp::field::content_length], std::to_string(body.size()));
    EXPECT_EQ(seen_[bhttp::field::if_match], "\"3\"");
    EXPECT_EQ(seen_[bhttp::field::authorization], "Bearer token");
    EXPECT_EQ(seen_[bhttp::field::accept], "application/json");
  }
  EXPECT_EQ(requests(), 4);
}

TEST_F(SendRequestTest, WithoutABodyNoneIsSent) {
  for (const auto& [text, verb] :
       {std::pair{"GET", bhttp::verb::get}, std::pair{"DELETE", bhttp::verb::delete_}}) {
    const auto res = send_request(server_->url("/thing"), api_request(text), FetchOptions{});
    ASSERT_TRUE(res.ok()) << res.error().detail;
    EXPECT_EQ(res->status, 200u);
    const std::lock_guard lock(mutex_);
    EXPECT_EQ(seen_.method(), verb);
    EXPECT_TRUE(seen_.body().empty());
    EXPECT_EQ(seen_.count(bhttp::field::content_type), 0u) << text;
    EXPECT_EQ(seen_.count(bhttp::field::if_match), 0u) << text;
  }
  // A POST always says how long its (empty) body is.
  const auto res = send_request(server_->url("/thing"), api_request("POST"), FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_[bhttp::field::content_length], "0");
}

TEST_F(SendRequestTest, ReadsTheChallengeAndRetryAfter) {
  const auto challenged =
      send_request(server_->url("/challenge"), api_request("GET"), FetchOptions{});
  ASSERT_TRUE(challenged.ok()) << challenged.error().detail;
  EXPECT_EQ(challenged->status, 401u);
  EXPECT_EQ(challenged->www_authenticate, R"(Bearer realm="api", error="invalid_token")");
  EXPECT_TRUE(challenged->retry_after.empty());
  EXPECT_TRUE(challenged->etag.empty());

  const auto busy = send_request(server_->url("/busy"), api_request("PATCH", "{}"), FetchOptions{});
  ASSERT_TRUE(busy.ok()) << busy.error().detail;
  EXPECT_EQ(busy->status, 503u);
  EXPECT_EQ(busy->retry_after, "5");
  EXPECT_TRUE(busy->www_authenticate.empty());
}

TEST_F(SendRequestTest, SendsADpopProofAndReadsTheNonce) {
  ApiRequest req = api_request("POST", "a=b");
  req.content_type = "application/x-www-form-urlencoded";
  req.authorization.reset();
  req.dpop = "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.c2ln";
  const auto res = send_request(server_->url("/nonce"), req, FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 400u);
  EXPECT_EQ(res->dpop_nonce, "n-1");
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_["DPoP"], "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.c2ln");
  EXPECT_EQ(seen_.count(bhttp::field::authorization), 0u);
}

TEST_F(SendRequestTest, WithoutAProofNoDpopHeaderIsSentOrRead) {
  const auto res = send_request(server_->url("/thing"), api_request("GET"), FetchOptions{});
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_TRUE(res->dpop_nonce.empty());
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(seen_.count("DPoP"), 0u);
}

TEST_F(SendRequestTest, UnknownMethodsAreRefusedBeforeSending) {
  for (const char* method : {"", "HEAD", "OPTIONS", "TRACE", "CONNECT", "get", "Patch", "FOO",
                             "GET ", "PATCH\r\nX-Evil: 1"}) {
    const auto res = send_request(server_->url("/thing"), api_request(method), FetchOptions{});
    ASSERT_FALSE(res.ok()) << method;
    EXPECT_EQ(res.error().code, FetchError::kBadResponse) << method;
    EXPECT_NE(res.error().detail.find("nothing was sent"), std::string::npos) << res.error().detail;
  }
  EXPECT_EQ(requests(), 0);
}

TEST_F(SendRequestTest, LineBreaksInHeaderValuesAreRefusedBeforeSending) {
  for (const std::string& if_match : {std::string("\"1\"\r\nX-Evil: 1"), std::string("\"1\"\n"),
                                      std::string("\"1\"\r"), std::string("\"1\0\"", 4)}) {
    const auto res =
        send_request(server_->url("/thing"), api_request("PATCH", "{}", if_match), FetchOptions{});
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().code, FetchError::kBadResponse) << res.error().detail;
  }
  ApiRequest bad_auth = api_request("DELETE");
  bad_auth.authorization = "Bearer a\r\nX-Evil: 1";
  EXPECT_FALSE(send_request(server_->url("/thing"), bad_auth, FetchOptions{}).ok());
  ApiRequest bad_type = api_request("PUT", "{}");
  bad_type.content_type = "application/json\nX-Evil: 1";
  EXPECT_FALSE(send_request(server_->url("/thing"), bad_type, FetchOptions{}).ok());
  ApiRequest bad_proof = api_request("POST", "{}");
  bad_proof.dpop = "a.b.c\r\nX-Evil: 1";
  EXPECT_FALSE(send_request(server_->url("/thing"), bad_proof, FetchOptions{}).ok());
  EXPECT_EQ(requests(), 0);
}

TEST(SendRequest, BadUrl) {
  const auto res = send_request("ftp://127.0.0.1/", api_request("GET"), FetchOptions{});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kBadUrl);
}

}  // namespace
}  // namespace signet::http
