// SPDX-License-Identifier: Apache-2.0
// The int8 convolution's optimized form (the reference is ref/conv2d_int8.h):
// output rows in bands; each band's input rows are quantized once into a
// zero-padded buffer, so every tap of every pixel is a fixed offset from the
// pixel's origin (no border tests in the inner loop), and the weights are laid
// out once, at load, in the order the ISA's multiply-add reads them.
//
// The layout (Int8ConvPlan) is one of three, after the instruction that sums:
// - AVX-512 VNNI vpdpbusd: unsigned x signed bytes in groups of 4 channels.
//   The uint8 codes themselves are stored (s + zero point), and each
//   accumulator starts at -zero point x sum of its weights, which takes the
//   zero point back out exactly; a padded tap holds the zero point (s = 0).
//   AArch64 sdot (ARMv8.2 dot product: Pi 5) is the same with signed bytes:
//   the codes minus 128 (the uint8 code with its top bit flipped), each
//   accumulator starting at -(zero point - 128) x sum of its weights.
// - AVX2 vpmaddwd: int16 pairs, groups of 2 channels.
// - NEON smlal / portable: int16, one channel at a time.
// Sums are exact in int32 whatever the order, so every kernel gives the
// reference's bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/ref/conv2d_int8.h"

namespace bnn {

// Output rows per band: the band's input rows (~ band x stride + kernel) stay
// in L1 and are quantized about once each.
constexpr int kInt8BandRows = 6;

struct Int8ConvLayout {
  int group = 1;        // input channels per multiply-add step
  int vec_oc = 4;       // output channels per accumulator vector
  bool biased = false;  // byte codes, s + zero point + code_shift (VNNI, sdot); else s as int16
  int code_shift = 0;   // biased: 0 (uint8 codes, VNNI) or -128 (int8 codes, sdot)
};

struct Int8ConvPlan {
  Int8ConvLayout layout;
  int cin_pad = 0;      // input channels rounded up to layout.group
  int ocp = 0;          // output channels rounded up to layout.vec_oc
  int k_groups = 0;     // kernel_h x kernel_w x cin_pad / group
  int band_width = 0;   // padded columns the windows cover
  int band_rows = 0;    // padded rows one band of kInt8BandRows output rows covers
  std::vector<int32_t> offsets;   // [k_groups]: element offset of each group from a pixel's window origin
  std::vector<int8_t> weights8;   // biased: [ocp / vec_oc][k_groups][vec_oc][group]
  std::vector<int16_t> weights16; // otherwise, same order
  std::vector<int32_t> acc_init;  // [ocp]: -(zero point + code_shift) x sum of weights (biased), else 0
};

std::shared_ptr<const Int8ConvPlan> conv2d_int8_prepare(const Int8ConvLayer& layer, const Int8ConvLayout& layout);
size_t conv2d_int8_scratch_bytes(const ConvGeometry& g, const Int8ConvPlan& plan);

#define BNN_DECLARE_CONV2D_INT8(ns)                                                                       \
  namespace ns {                                                                                          \
  void conv2d_int8_run(const Int8ConvLayer& layer, const Int8ConvPlan& plan, int row_begin, int row_end, \
                       void* scratch);                                                                    \
  Int8ConvLayout conv2d_int8_layout();                                                                    \
  }

BNN_DECLARE_CONV2D_INT8(portable)
#if defined(BNN_HAVE_AVX2)
BNN_DECLARE_CONV2D_INT8(avx2)
#endif
#if defined(BNN_HAVE_AVX512VNNI)
BNN_DECLARE_CONV2D_INT8(avx512vnni)
#endif
#if defined(BNN_HAVE_NEON32)
BNN_DECLARE_CONV2D_INT8(neon32)
#endif
#if defined(BNN_HAVE_NEON64DOT)
BNN_DECLARE_CONV2D_INT8(neon64dot)
#endif

#undef BNN_DECLARE_CONV2D_INT8

}  // namespace bnn
