// SPDX-License-Identifier: Apache-2.0
// oneDNN fp32 and int8 (u8 x s8) convolutions of a given shape: the strong
// unbinarized baselines bnn-bench reports against, timed in the same run.
// Built only when Debian's libdnnl-dev is present (BNN_HAVE_ONEDNN).
#pragma once

#include "apps/bench/conv_bench.h"

namespace bnn::bench {

bool onednn_available();

// Median time of one convolution of `shape`, batch 1, on `threads` threads,
// with weights already in oneDNN's preferred layout.
Timing onednn_conv(const ConvShape& shape, bool int8, int threads);

}  // namespace bnn::bench
