#pragma once

// Quoting for the commands that messages suggest ("run 'chmod 700 /srv/signet data'"), so that a
// user can paste them as they are.

#include <string>
#include <string_view>

namespace signet {

// `word` as it must be typed in a POSIX shell: unchanged when it is made of safe characters only,
// else in double quotes where they suffice (signet|abc -> "signet|abc"), else in single quotes.
std::string shell_quote(std::string_view word);

}  // namespace signet
