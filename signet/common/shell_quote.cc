#include "signet/common/shell_quote.h"

#include <algorithm>

namespace signet {

std::string shell_quote(std::string_view word) {
  const bool safe = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (safe) {
    return std::string(word);
  }
  // Double quotes when nothing in the word is special inside them: hints put commands in single
  // quotes, and "auth0|bob" reads better there than nested single quotes.
  if (word.find_first_of("$`\\\"!'") == std::string_view::npos) {
    return "\"" + std::string(word) + "\"";
  }
  std::string out = "'";
  for (const char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

}  // namespace signet
