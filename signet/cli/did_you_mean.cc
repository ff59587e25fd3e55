#include "signet/cli/did_you_mean.h"

#include <algorithm>

namespace signet::cli {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: edits from a[0..i) to b[0..j); three rows suffice for the swap case.
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest_match(std::string_view typed,
                                         const std::vector<std::string>& candidates) {
  const std::size_t allowed = std::min(kMaxTypoEdits, std::max<std::size_t>(1, typed.size() / 3));
  const std::string* best = nullptr;
  std::size_t best_distance = allowed + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(typed, candidate);
    if (d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  if (best != nullptr) {
    return *best;
  }
  const std::string prefix = std::string(typed) + "-";
  std::optional<std::string> extended;
  for (const auto& candidate : candidates) {
    if (!typed.empty() && candidate.starts_with(prefix)) {
      if (extended) {
        return std::nullopt;  // ambiguous: better no suggestion than a wrong one
      }
      extended = candidate;
    }
  }
  return extended;
}

}  // namespace signet::cli
