#include "signet/http/request_rules.h"

#include <algorithm>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "signet/common/ascii.h"
#include "signet/http/url.h"

namespace signet::http::internal {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kCrlf = "\r\n";
// The version at the end of a request line: "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
constexpr std::string_view kHttpName = "HTTP/";
constexpr std::size_t kVersionSize = 8;  // bytes: "HTTP/1.1"

Refusal bad_request(std::string description) {
  return Refusal{bhttp::status::bad_request, "invalid_request", std::move(description)};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Where the request line's version starts in `head`, when the line ends with a space and a
// well-formed version; nullopt otherwise (Beast then refuses the line as it stands).
std::optional<std::size_t> version_offset(std::string_view head) {
  const std::string_view line = head.substr(0, head.find(kCrlf));
  if (line.size() <= kVersionSize) {
    return std::nullopt;
  }
  const std::size_t at = line.size() - kVersionSize;
  const std::string_view version = line.substr(at);
  if (line[at - 1] != ' ' || !version.starts_with(kHttpName) || !is_digit(version[5]) ||
      version[6] != '.' || !is_digit(version[7])) {
    return std::nullopt;
  }
  return at;
}

// Calls `member` with each element of a comma-separated field value (RFC 9110 §5.6.1), without
// its surrounding whitespace; empty elements, which recipients must accept, are skipped.
template <typename Member>
void for_each_member(std::string_view value, Member member) {
  while (!value.empty()) {
    const std::size_t comma = std::min(value.find(','), value.size());
    std::string_view element = value.substr(0, comma);
    value.remove_prefix(std::min(comma + 1, value.size()));
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    if (!element.empty()) {
      member(element);
    }
  }
}

// RFC 3986's host (reg-name, IPv4 or an IP-literal in brackets) and optional port, as a Host
// header or an absolute-form target carries it: unreserved, percent-encoded, sub-delims, ':' and
// the brackets. Empty is valid (RFC 9112 §3.2: a target without an authority).
bool valid_authority(std::string_view authority) {
  return std::all_of(authority.begin(), authority.end(), [](char c) {
    return is_alnum(c) || std::string_view("-._~%!$&'()*+,;=:[]").find(c) != std::string_view::npos;
  });
}

// CONNECT's authority form (RFC 9112 §3.2.3): a host, ':' and a port.
bool is_authority_form(std::string_view target) {
  const std::size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size()) {
    return false;
  }
  const std::string_view port = target.substr(colon + 1);
  return valid_authority(target) && std::all_of(port.begin(), port.end(), is_digit);
}

// The characters of an origin-form target (RFC 3986 path and query): unreserved, sub-delims,
// ":@/?" and percent-encoded octets; plus the few that browsers send unencoded ("[]\^`{|}", by
// the WHATWG URL Standard), since refusing those would break a link followed in a browser. Left
// out: '"', '#', '<', '>', non-ASCII bytes and malformed percent-encoding, which no conforming
// client sends. Beast has already refused controls, spaces and DEL.
bool valid_target_characters(std::string_view target) {
  for (std::size_t i = 0; i < target.size(); ++i) {
    const char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size() || hex_digit_value(target[i + 1]) < 0 ||
          hex_digit_value(target[i + 2]) < 0) {
        return false;
      }
      i += 2;
    } else if (!is_alnum(c) &&
               std::string_view("-._~!$&'()*+,;=:@/?[]\\^`{|}").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Transfer-Encoding and Content-Length: the body's framing, which every server in a chain must
// read alike, or the bytes one takes for a body another takes for a request (smuggling). Beast
// refuses chunked beside Content-Length and differing Content-Length values; this refuses the rest.
std::optional<Refusal> framing_problem(const Request& header, bool chunked) {
  std::size_t content_lengths = 0;
  bool content_length_list = false;
  bool transfer_encoding = false;
  std::vector<std::string_view> codings;
  for (const auto& field : header) {
    if (field.name() == bhttp::field::content_length) {
      ++content_lengths;
      content_length_list = content_length_list || field.value().find(',') != std::string::npos;
    } else if (field.name() == bhttp::field::transfer_encoding) {
      transfer_encoding = true;
      for_each_member(field.value(), [&](std::string_view coding) { codings.push_back(coding); });
    }
  }
  // RFC 9110 §8.6 lets a recipient take "5, 5" or two equal fields as one length; a proxy in
  // front may not, so both are refused (RFC 9112 §6.3: 400 and close).
  if (content_lengths > 1 || content_length_list) {
    return bad_request("Content-Length must appear once, with one value");
  }
  if (!transfer_encoding) {
    return std::nullopt;
  }
  if (content_lengths > 0) {
    return bad_request("send either Transfer-Encoding or Content-Length, not both");
  }
  // RFC 9112 §6.1: HTTP/1.0 has no chunked framing, so a Transfer-Encoding there is faulty
  // framing, even beside a Content-Length.
  if (header.version() < 11) {
    return bad_request("Transfer-Encoding is not part of HTTP/1.0; send Content-Length");
  }
  // §6.3: without chunked last, the body's length cannot be known.
  if (codings.empty() || !iequals(codings.back(), "chunked")) {
    return bad_request(
        "the last Transfer-Encoding must be chunked; send the body chunked or with "
        "Content-Length");
  }
  // §6.1: a sender must not apply chunked more than once.
  if (std::count_if(codings.begin(), codings.end(),
                    [](std::string_view c) { return iequals(c, "chunked"); }) > 1) {
    return bad_request("Transfer-Encoding must name chunked once");
  }
  if (codings.size() > 1) {
    // §6.1: a coding the server does not understand gets 501.
    return Refusal{bhttp::status::not_implemented, "not_implemented",
                   "transfer codings other than chunked are not supported; send the body chunked "
                   "or with Content-Length"};
  }
  if (!chunked) {
    // Beast did not read the framing as chunked alone: its reading and this one disagree, and
    // the body is refused rather than read one way or the other.
    return bad_request("Transfer-Encoding must be chunked");
  }
  return std::nullopt;
}

// RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0, each well formed.
std::optional<Refusal> host_problem(const Request& header) {
  std::size_t hosts = 0;
  for (const auto& field : header) {
    if (field.name() == bhttp::field::host) {
      ++hosts;
      if (!valid_authority(field.value())) {
        return bad_request("the Host header must be a host name or address and an optional port");
      }
    }
  }
  if (hosts > 1) {
    return bad_request("the Host header must appear once");
  }
  if (hosts == 0 && header.version() >= 11) {
    return bad_request("an HTTP/1.1 request needs a Host header");
  }
  return std::nullopt;
}

// The request target's form, which its method decides (RFC 9112 §3.2). An absolute-form target
// (`GET http://host/path`), which servers must accept (§3.2.2), becomes the origin form it names,
// with its authority as the Host.
std::optional<Refusal> target_problem(Request& header) {
  const std::string_view target = header.target();
  if (header.method() == bhttp::verb::connect) {
    // A tunnel through this server to another: signet is an origin server, not a proxy, so the
    // method is implemented nowhere here (501, not 405, which would name a resource of ours).
    if (!is_authority_form(target)) {
      return bad_request("CONNECT takes a host and port as its target");
    }
    return Refusal{bhttp::status::not_implemented, "not_implemented",
                   "this server is not a proxy and does not implement CONNECT"};
  }
  if (target == "*") {
    if (header.method() != bhttp::verb::options) {
      return bad_request("the target * is for OPTIONS only; send a path");
    }
    return std::nullopt;
  }
  if (!target.empty() && target.front() != '/') {
    // The absolute form, read by the same parser as the URLs signet fetches (no userinfo, no
    // fragment, http or https only).
    auto url = parse_url(target);
    if (!url) {
      return bad_request("the request target must be a path, or an http(s) URL");
    }
    std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    if (url->port != (url->scheme == "https" ? "443" : "80")) {
      host += ":" + url->port;
    }
    header.target(url->target);
    header.set(bhttp::field::host, host);  // §3.2.2: the target's authority, not the header's
  }
  if (!valid_target_characters(header.target())) {
    return bad_request(
        "the request target has characters a URL cannot carry as they are; percent-encode them");
  }
  return std::nullopt;
}

// RFC 9110 §10.1.1: 100-continue is the only expectation defined, and the only one met.
std::optional<Refusal> expectation_problem(const Request& header) {
  bool unmet = false;
  for (const auto& field : header) {
    if (field.name() == bhttp::field::expect) {
      for_each_member(field.value(), [&](std::string_view expectation) {
        unmet = unmet || !iequals(expectation, "100-continue");
      });
    }
  }
  if (unmet) {
    return Refusal{bhttp::status::expectation_failed, "expectation_failed",
                   "the only expectation this server meets is 100-continue; send the request "
                   "without the others"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Refusal> raw_head_problem(std::string_view head) {
  // A proxy in front may read a folded line as a field of its own, or drop it, and the two would
  // then disagree on what the request says (its framing included). Beast joins such lines, which
  // §5.2 allows; refusing them is safer, and no client has sent them since RFC 7230.
  for (std::size_t at = head.find(kCrlf); at != std::string_view::npos && at + 2 < head.size();
       at = head.find(kCrlf, at + 2)) {
    if (head[at + 2] == ' ' || head[at + 2] == '\t') {
      return bad_request(
          "a header line starts with whitespace (obsolete line folding); send each field on one "
          "line");
    }
  }
  if (const auto at = version_offset(head); at && head[*at + 5] != '1') {
    return Refusal{bhttp::status::http_version_not_supported, "http_version_not_supported",
                   "this server speaks HTTP/1.1 (and HTTP/1.0); send the request as HTTP/1.1"};
  }
  return std::nullopt;
}

void read_later_minor_as_http11(std::span<char> head) {
  const std::string_view text(head.data(), head.size());
  if (const auto at = version_offset(text); at && text[*at + 5] == '1' && text[*at + 7] > '1') {
    head[*at + 7] = '1';
  }
}

std::optional<Refusal> request_problem(Request& header, bool chunked) {
  if (auto problem = framing_problem(header, chunked)) {
    return problem;
  }
  if (auto problem = host_problem(header)) {
    return problem;
  }
  if (auto problem = target_problem(header)) {
    return problem;
  }
  return expectation_problem(header);
}

bool expects_continue(const Request& header) {
  if (header.version() < 11) {
    return false;
  }
  bool found = false;
  for (const auto& field : header) {
    if (field.name() == bhttp::field::expect) {
      for_each_member(field.value(), [&](std::string_view expectation) {
        found = found || iequals(expectation, "100-continue");
      });
    }
  }
  return found;
}

std::optional<Response> server_answer(const Request& req, const Router& router) {
  if (req.method() == bhttp::verb::options && req.target() == "*") {
    std::vector<bhttp::verb> methods = router.methods();
    const auto has = [&](bhttp::verb v) {
      return std::find(methods.begin(), methods.end(), v) != methods.end();
    };
    if (has(bhttp::verb::get) && !has(bhttp::verb::head)) {
      methods.push_back(bhttp::verb::head);
    }
    if (!has(bhttp::verb::options)) {
      methods.push_back(bhttp::verb::options);
    }
    std::sort(methods.begin(), methods.end());
    std::string allow;
    for (const auto method : methods) {
      allow += (allow.empty() ? "" : ", ") + std::string(bhttp::to_string(method));
    }
    Response res{bhttp::status::no_content, req.version()};
    res.set(bhttp::field::allow, allow);
    res.keep_alive(req.keep_alive());
    return res;
  }
  if (req.method() == bhttp::verb::unknown) {
    Response res = json_error(req, bhttp::status::not_implemented, "not_implemented",
                              "this server does not implement this method; methods are "
                              "case-sensitive (GET, POST)");
    set_no_store(res);
    return res;
  }
  return std::nullopt;
}

}  // namespace signet::http::internal
