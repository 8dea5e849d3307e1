// SPDX-License-Identifier: Apache-2.0
// Reference pooling over NHWC images. The geometry's in_c == out_c; groups unused.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/conv_geometry.h"

namespace bnn {

// Padded taps never win (PyTorch pads max pooling with -inf). A window with no
// valid tap (possible with dilation) yields -inf, as in PyTorch. NaN wins.
// Output rows [row_begin, row_end) (every row: 0, g.out_h).
void max_pool_float_ref(const ConvGeometry& g, const float* input, float* output, int row_begin, int row_end);

// Average over the window clipped to the padded input [-pad, in + pad_end)
// when count_include_pad (PyTorch's divisor), or over the taps inside the input
// otherwise. Sums in kh, kw order.
void avg_pool_float_ref(const ConvGeometry& g, bool count_include_pad, const float* input, float* output,
                        int row_begin, int row_end);

// Max pooling on packed k-bit codes. Codes order like their values in both
// encodings, so the max code is the code of the max value; for one bit this is
// the OR of the window. `scratch`: max_pool_packed_ref_scratch_bytes() bytes.
void max_pool_packed_ref(const ConvGeometry& g, int bits, const uint64_t* input, uint64_t* output,
                         void* scratch);
size_t max_pool_packed_ref_scratch_bytes(const ConvGeometry& g);

// The same for one bit, word by word: the max of +-1 values is the OR of
// their bits (bit 1 is +1). A window with no valid tap gives all -1 (code 0),
// as the reference does.
void max_pool_1bit_or(const ConvGeometry& g, const uint64_t* input, uint64_t* output);

// [pixels][channels] -> [channels]: the sum over pixels in order, divided by
// the pixel count.
void global_avg_pool_ref(const float* input, int64_t pixels, int channels, float* output);

}  // namespace bnn
