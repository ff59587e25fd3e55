// write_head against Beast's own serializer: the server writes response heads itself, and they
// must stay the bytes Beast would have written.

#include "signet/http/message.h"

#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/beast/http/write.hpp>

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;

std::string beast_serialized(const Response& res) {
  std::ostringstream out;
  out << res;
  return out.str();
}

void expect_same_as_beast(const Response& res) {
  std::string head;
  write_head(res, head);
  EXPECT_EQ(head + res.body(), beast_serialized(res));
}

TEST(WriteHead, IsWhatBeastsSerializerWrites) {
  Request get{bhttp::verb::get, "/", 11};
  Response ok = json_response(get, bhttp::status::ok, R"({"message":"hello"})");
  ok.set(bhttp::field::server, "signet");
  ok.set("X-Custom", "a value with spaces, and: a colon");
  ok.insert("Set-Cookie", "a=1");
  ok.insert("Set-Cookie", "b=2");  // repeated fields keep their order
  expect_same_as_beast(ok);

  Request old{bhttp::verb::get, "/", 10};
  Response refused = json_error(old, bhttp::status::unauthorized, "invalid_token", "expired");
  refused.keep_alive(false);
  set_no_store(refused);
  expect_same_as_beast(refused);  // HTTP/1.0, Connection: close

  Response no_content{bhttp::status::no_content, 11};
  expect_same_as_beast(no_content);  // no fields at all

  Response reason{bhttp::status::ok, 11};
  reason.reason("Fine Thanks");
  reason.content_length(0);
  expect_same_as_beast(reason);

  Response unknown{static_cast<bhttp::status>(599), 11};  // no standard reason
  unknown.content_length(0);
  expect_same_as_beast(unknown);
}

TEST(WriteHead, ClearsWhatTheBufferHeld) {
  std::string head = "left over from a previous response";
  Response res{bhttp::status::ok, 11};
  res.content_length(0);
  write_head(res, head);
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace signet::http
