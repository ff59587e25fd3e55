#pragma once

// ASCII case-insensitive comparisons for protocol tokens (HTTP field values, URL schemes, JOSE
// names). Locale-independent on purpose: protocol text is ASCII, whatever the process locale.

#include <algorithm>
#include <string_view>

namespace signet {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace signet
