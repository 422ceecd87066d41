// SPDX-License-Identifier: Apache-2.0
// src/probe.h - the ProbeForRead/ProbeForWrite/ExProbeAlignment checks, shared with the
// ...Aligned copies.
#pragma once

#include <cstddef>
#include <cstdint>

#include "failure.h"

namespace umaccess::detail {

// Windows probe rules, in order: length 0 checks nothing; the alignment must be a power
// of two (else STATUS_INVALID_PARAMETER); the address must be aligned (else
// STATUS_DATATYPE_MISALIGNMENT); [p, p + len) must lie in the user range, end exclusive,
// without wrapping (else STATUS_ACCESS_VIOLATION). Touches no memory.
umaccess_ntstatus check_probe(const Operation& op, const void* p, std::size_t len,
                              std::uint32_t alignment, bool is_write);

}  // namespace umaccess::detail
