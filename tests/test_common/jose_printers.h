#pragma once

// GoogleTest printers for signet::jose enums, so that a failed EXPECT_EQ on an Error says
// "the token has expired" instead of "4-byte object <0F-00 00-00>". Found by argument-dependent
// lookup, hence declared in the library's namespace.

#include <ostream>

#include "signet/jose/algorithm.h"
#include "signet/jose/error.h"
#include "signet/jose/json.h"

namespace signet::jose {

void PrintTo(Error e, std::ostream* os);
void PrintTo(Access a, std::ostream* os);
void PrintTo(Algorithm a, std::ostream* os);
void PrintTo(KeyType t, std::ostream* os);

}  // namespace signet::jose
