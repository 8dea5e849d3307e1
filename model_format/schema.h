// SPDX-License-Identifier: Apache-2.0
// The generated FlatBuffers code for bnn.fbs, and the version this build
// reads and writes. Include this, never the generated header directly.
#pragma once

#include <cstdint>

#include "model_format/bnn_generated.h"

namespace bnn {

// Model.schema_version written by this build, and the oldest one it reads
// (see the revision history in bnn.fbs). Any other version is refused on load.
constexpr uint32_t kSchemaVersion = 4;
constexpr uint32_t kOldestSchemaVersion = 1;

}  // namespace bnn
