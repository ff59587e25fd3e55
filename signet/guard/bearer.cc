#include "signet/guard/bearer.h"

#include <array>
#include <optional>

#include "signet/common/ascii.h"

namespace signet::guard {
namespace {

constexpr std::string_view kBearer = "bearer";
constexpr std::string_view kDpop = "dpop";

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// A table rather than std::isalnum: this runs over every byte of every token, and isalnum is a
// locale-aware call per character.
constexpr std::array<bool, 256> make_token_chars() {
  std::array<bool, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c) {
    table[c] = true;
  }
  for (int c = 'a'; c <= 'z'; ++c) {
    table[c] = true;
  }
  for (int c = '0'; c <= '9'; ++c) {
    table[c] = true;
  }
  for (const char c : std::string_view("-._~+/")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}
constexpr auto kTokenChars = make_token_chars();

bool has_scheme(std::string_view value, std::string_view scheme) {
  if (!istarts_with(value, scheme)) {
    return false;
  }
  return value.size() == scheme.size() || value[scheme.size()] == ' ' ||
         value[scheme.size()] == '\t';
}

// The scheme of an Authorization value that carries an access token, if it does.
std::optional<Scheme> token_scheme(std::string_view value) {
  if (has_scheme(value, kBearer)) {
    return Scheme::kBearer;
  }
  if (has_scheme(value, kDpop)) {
    return Scheme::kDpop;
  }
  return std::nullopt;
}

}  // namespace

bool is_b64token(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && kTokenChars[static_cast<unsigned char>(s[i])]) {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  while (i < s.size() && s[i] == '=') {
    ++i;
  }
  return i == s.size();
}

bool query_has_access_token(std::string_view query) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::string_view name = pair.substr(0, pair.find('='));
    if (name == "access_token") {
      return true;
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return false;
}

Result<PresentedToken, Error> extract_token(const Credentials& credentials) {
  auto presented = locate_token(credentials);
  if (presented && !is_b64token(presented->token)) {
    return fail(Error::kMalformedHeader);
  }
  return presented;
}

Result<std::string_view, Error> extract_bearer(const Credentials& credentials) {
  auto presented = extract_token(credentials);
  if (!presented) {
    return fail(presented.error());
  }
  if (presented->scheme != Scheme::kBearer) {
    return fail(Error::kNoCredentials);
  }
  return presented->token;
}

Result<PresentedToken, Error> locate_token(const Credentials& credentials) {
  const bool in_query = query_has_access_token(credentials.query);
  std::size_t token_headers = 0;
  std::string_view value;
  Scheme scheme = Scheme::kBearer;
  for (const auto v : credentials.authorization) {
    if (const auto s = token_scheme(v)) {
      ++token_headers;
      value = v;
      scheme = *s;
    }
  }
  if (credentials.authorization.size() > 1 || (token_headers > 0 && in_query)) {
    return fail(Error::kMultipleTokens);
  }
  if (in_query) {
    return fail(Error::kQueryToken);
  }
  if (token_headers == 0) {
    // Another scheme (Basic, ...) offers no token at all.
    return fail(Error::kNoCredentials);
  }
  std::string_view rest = value.substr((scheme == Scheme::kBearer ? kBearer : kDpop).size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
    rest.remove_prefix(1);
  }
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) {
    rest.remove_suffix(1);
  }
  if (rest.empty()) {
    return fail(Error::kMalformedHeader);
  }
  return PresentedToken{scheme, rest};
}

}  // namespace signet::guard
