#pragma once

// "Did you mean ...?" for mistyped commands and flags: the one place that decides whether a word
// the parser did not know is close enough to a known one to suggest it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signet::cli {

// Edits (insertion, deletion, substitution, swap of two neighbours) a typo may have and still be
// suggested: lsit -> list and clinets -> clients are one, audiance -> audience is one.
constexpr std::size_t kMaxTypoEdits = 2;

// The number of single-character edits from `a` to `b`, a swap of two adjacent characters counting
// as one (the optimal string alignment distance).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The known word `typed` was most likely meant to be, or nullopt:
// - the candidate fewest edits away, when that is at most kMaxTypoEdits and at most a third of
//   the typed word's length (at least one), so that short words do not match everything; the
//   first listed wins a tie;
// - else the only candidate that starts with `typed` followed by '-' ("rotate" ->
//   "rotate-secret", "password" -> "password-stdin").
// Words are compared as given: pass flag names without their leading dashes.
std::optional<std::string> closest_match(std::string_view typed,
                                         const std::vector<std::string>& candidates);

}  // namespace signet::cli
