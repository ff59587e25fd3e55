#include "signet/http/message.h"

#include <boost/json.hpp>

namespace signet::http {

namespace beast_http = boost::beast::http;

Response json_response(const Request& req, beast_http::status status, std::string_view json_body) {
  Response res{status, req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = std::string(json_body);
  res.prepare_payload();
  return res;
}

void set_no_store(Response& res) {
  res.set(beast_http::field::cache_control, "no-store");
  res.set(beast_http::field::pragma, "no-cache");
}

std::string_view peer_address(const Request& req) {
  const auto it = req.find(kPeerAddressField);
  return it == req.end() ? std::string_view{} : std::string_view(it->value());
}

Response json_error(const Request& req, beast_http::status status, std::string_view error,
                    std::string_view description) {
  const boost::json::object body{{"error", error}, {"error_description", description}};
  return json_response(req, status, boost::json::serialize(body));
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

void write_head(const Response& res, std::string& out) {
  const unsigned version = res.version();
  const unsigned code = res.result_int();
  out.clear();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  out += static_cast<char>('0' + code / 100 % 10);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  out += res.reason();
  out += "\r\n";
  for (const auto& field : res) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace signet::http
