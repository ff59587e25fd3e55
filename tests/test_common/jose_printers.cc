#include "tests/test_common/jose_printers.h"

namespace signet::jose {

void PrintTo(Error e, std::ostream* os) {
  *os << "Error " << static_cast<int>(e) << " (" << to_string(e) << ")";
}

void PrintTo(Access a, std::ostream* os) {
  switch (a) {
    case Access::kMissing:
      *os << "Access::kMissing";
      return;
    case Access::kWrongType:
      *os << "Access::kWrongType";
      return;
    case Access::kOutOfRange:
      *os << "Access::kOutOfRange";
      return;
  }
  *os << "Access " << static_cast<int>(a);
}

void PrintTo(Algorithm a, std::ostream* os) {
  *os << to_string(a);
}

void PrintTo(KeyType t, std::ostream* os) {
  *os << to_string(t);
}

}  // namespace signet::jose
