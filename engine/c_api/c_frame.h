// SPDX-License-Identifier: Apache-2.0
// The C API's frame descriptor as the engine's ImageView (used by c_api.cc,
// and by fuzz_frame so that it fuzzes this very mapping).
#pragma once

#include "bnn/bnn.h"
#include "bnn/image.h"

namespace bnn {

// Throws bnn::Error for an unknown format, rotation, matrix or range, or
// I420 with different U and V strides.
ImageView view_of_frame(const bnn_frame& frame);

}  // namespace bnn
