#include "signet/common/no_dump.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <system_error>

namespace signet {

Result<Ok, std::string> forbid_core_dumps() {
  const struct rlimit none { 0, 0 };
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return fail("cannot set the core file size limit to 0: " +
                std::generic_category().message(errno));
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return fail("cannot make the process non-dumpable: " + std::generic_category().message(errno));
  }
  return Ok{};
}

}  // namespace signet
