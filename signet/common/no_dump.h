#pragma once

// Keeping secrets out of core dumps. signet's processes hold the master key, decrypted signing
// keys, client secrets and passwords in memory; a core file (written on a crash, or on demand by
// `gcore` or a debugger attached by the same user) would put them on disk, readable by whoever
// reads crash reports.

#include <string>

#include "signet/common/result.h"

namespace signet {

// Makes the calling process non-dumpable and limits its core files to 0 bytes:
// - prctl(PR_SET_DUMPABLE, 0): the kernel writes no core file, other processes of the same user
//   cannot ptrace it or read /proc/<pid>/mem, and its /proc/<pid> files belong to root;
// - RLIMIT_CORE 0, soft and hard: no core file even if something sets the process dumpable again
//   (a setuid exec resets the flag), and the limit is inherited by children.
// Returns what failed (with errno's text) on error; neither call fails on Linux in practice.
Result<Ok, std::string> forbid_core_dumps();

}  // namespace signet
