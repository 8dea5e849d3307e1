// The generated FlatBuffers code for bnn.fbs, and the version this build
// reads and writes. Include this, never the generated header directly.
#pragma once

#include <cstdint>

#include "model_format/bnn_generated.h"

namespace bnn {

// Model.schema_version written by this build. A file with another version is
// refused on load (see the revision history in bnn.fbs).
constexpr uint32_t kSchemaVersion = 1;

}  // namespace bnn
