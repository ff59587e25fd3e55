#include "signet/guard/bearer.h"

#include <array>

#include "signet/common/ascii.h"

namespace signet::guard {
namespace {

constexpr std::string_view kScheme = "bearer";

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

bool has_bearer_scheme(std::string_view value) {
  if (!istarts_with(value, kScheme)) {
    return false;
  }
  return value.size() == kScheme.size() || value[kScheme.size()] == ' ' ||
         value[kScheme.size()] == '\t';
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

Result<std::string_view, Error> extract_bearer(const Credentials& credentials) {
  auto token = locate_bearer(credentials);
  if (token && !is_b64token(*token)) {
    return fail(Error::kMalformedHeader);
  }
  return token;
}

Result<std::string_view, Error> locate_bearer(const Credentials& credentials) {
  const bool in_query = query_has_access_token(credentials.query);
  std::size_t bearer_headers = 0;
  std::string_view bearer_value;
  for (const auto value : credentials.authorization) {
    if (has_bearer_scheme(value)) {
      ++bearer_headers;
      bearer_value = value;
    }
  }
  if (credentials.authorization.size() > 1 || (bearer_headers > 0 && in_query)) {
    return fail(Error::kMultipleTokens);
  }
  if (in_query) {
    return fail(Error::kQueryToken);
  }
  if (bearer_headers == 0) {
    // Another scheme (Basic, ...) offers no bearer credentials at all.
    return fail(Error::kNoCredentials);
  }
  std::string_view rest = bearer_value.substr(kScheme.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
    rest.remove_prefix(1);
  }
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) {
    rest.remove_suffix(1);
  }
  if (rest.empty()) {
    return fail(Error::kMalformedHeader);
  }
  return rest;
}

}  // namespace signet::guard
