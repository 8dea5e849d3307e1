// SPDX-License-Identifier: Apache-2.0
// CRC-32 (IEEE 802.3, the polynomial of ZIP and PNG): what those containers
// store to detect damaged bytes. Used by the checkpoint and picture readers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bnn {

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace bnn
