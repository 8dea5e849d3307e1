// SPDX-License-Identifier: Apache-2.0
#include "kernels/registry.h"

#include <algorithm>
#include <cassert>
#include <iterator>

#include "kernels/bitpack.h"
#include "kernels/conv2d_f32_oc.h"
#include "kernels/pool_f32.h"
#include "kernels/ref/pool.h"
#include "kernels/ref/dense.h"
#include "kernels/quantize_kernels.h"
#include "kernels/ref/quantize.h"

namespace bnn {
namespace {

// Reference first; later entries are preferred where their ISA is available.
const BitserialConvKernel kBitserialConvKernels[] = {
    {"bitserial_conv_1x1c1__ref", Isa::kPortable, 1, 1, 1, nullptr},
    // Before the portable GEMM kernels, so never a default: a check of the
    // direct driver and its plain C++ epilogue on every CPU.
    {"bconv_direct_8x4c1__portable", Isa::kPortable, 8, 4, 1, nullptr, portable::bconv_direct_8x4c1},
    {"bgemm_ukernel_4x4c1__portable", Isa::kPortable, 4, 4, 1, bgemm_ukernel_portable<4, 4>},
    {"bgemm_ukernel_8x2c1__portable", Isa::kPortable, 8, 2, 1, bgemm_ukernel_portable<8, 2>},
#if defined(BNN_HAVE_NEON32)
    // GEMM 4x4 stays ARMv7's default (kernels/arm_neon32/bconv-direct.cc says why).
    {"bconv_direct_8x2c1__neon32", Isa::kNeon32, 8, 2, 1, nullptr, neon32::bconv_direct_8x2c1},
    {"bgemm_ukernel_4x4c1__neon32", Isa::kNeon32, 4, 4, 1, neon32::bgemm_ukernel_4x4c1},
#endif
#if defined(BNN_HAVE_NEON64)
    // The direct 8x4 last (the default): per the llvm-mca estimates
    // (docs/performance.md, "Raspberry Pi, December 7 (later)") it runs
    // Bi-Real-18's binary layers in fewer cycles than GEMM 8x4 on Cortex-A53
    // and A72: faster on rows a multiple of 4 pixels wide and on 1x1 layers,
    // slower on 14- and 7-wide rows and, on A72, at more than one bit, where
    // bnn-tune picks GEMM 8x4.
    {"bgemm_ukernel_4x4c1__neon64", Isa::kNeon64, 4, 4, 1, neon64::bgemm_ukernel_4x4c1},
    {"bgemm_ukernel_8x4c1__neon64", Isa::kNeon64, 8, 4, 1, neon64::bgemm_ukernel_8x4c1},
    {"bconv_direct_8x4c1__neon64", Isa::kNeon64, 8, 4, 1, nullptr, neon64::bconv_direct_8x4c1},
#endif
#if defined(BNN_HAVE_AVX2)
    {"bgemm_ukernel_4x4c1__avx2", Isa::kAvx2, 4, 4, 1, avx2::bgemm_ukernel_4x4c1},
#endif
#if defined(BNN_HAVE_AVX512VPOPCNT)
    // Unrolled c2 ties c1 at peak (1098 against 1118 GMAC/s) and wins on some
    // layers only: c1 stays the default, bnn-tune picks c2 where it is faster.
    {"bgemm_ukernel_8x4c2__avx512vpopcnt", Isa::kAvx512Vpopcnt, 8, 4, 2, avx512vpopcnt::bgemm_ukernel_8x4c2},
    {"bgemm_ukernel_8x8c2__avx512vpopcnt", Isa::kAvx512Vpopcnt, 8, 8, 2, avx512vpopcnt::bgemm_ukernel_8x8c2},
    {"bgemm_ukernel_8x4c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 8, 4, 1, avx512vpopcnt::bgemm_ukernel_8x4c1},
    {"bgemm_ukernel_8x8c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 8, 8, 1, avx512vpopcnt::bgemm_ukernel_8x8c1},
    // The direct driver: padded input, constant tap offsets, the output
    // transform in the microkernel's registers.
    {"bconv_direct_8x24c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 8, 24, 1, nullptr, avx512vpopcnt::bconv_direct_8x24c1},
    {"bconv_direct_16x12c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 16, 12, 1, nullptr, avx512vpopcnt::bconv_direct_16x12c1},
    {"bconv_direct_32x6c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 32, 6, 1, nullptr, avx512vpopcnt::bconv_direct_32x6c1},
    // The defaults (docs/performance.md, "Which direct kernel by default"):
    // 32x7 from 32 output channels on (fastest on every ResNet-18 layer on
    // Sapphire Rapids; the layers bnn-tune moved to it on Zen 5), 16x8 on
    // narrower layers, where 32 channels would leave lanes idle.
    {"bconv_direct_16x8c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 16, 8, 1, nullptr, avx512vpopcnt::bconv_direct_16x8c1},
    {"bconv_direct_32x7c1__avx512vpopcnt", Isa::kAvx512Vpopcnt, 32, 7, 1, nullptr, avx512vpopcnt::bconv_direct_32x7c1,
     32},
#endif
};

std::vector<float> no_packing(const Conv2DLayer&) { return {}; }
void conv2d_ref_unpacked(const Conv2DLayer& layer, const float*, const OutputBlock& block, void* scratch) {
  assert(block.channel_begin == 0 && block.channel_end == layer.geometry.out_c);  // channel step 0
  conv2d_ref(layer, block.row_begin, block.row_end, scratch);
}

// Float convolutions: names are <output channels>x<pixels> per register block.
// For each ISA the last entry is the default (the binder takes the last usable
// one); the others are the tuner's alternatives (bnn-tune), same bits.
// Rounding: the portable source fuses multiply-adds where NEON has them
// (AArch64), every x86 SIMD variant has FMA (conv2d_f32_oc.inc).
#if defined(__aarch64__)
constexpr FloatRounding kPortableFloatRounding = FloatRounding::kFused;
#else
constexpr FloatRounding kPortableFloatRounding = FloatRounding::kSeparate;
#endif
#define BNN_CONV2D_F32(ns, isa, oc, px, run)                                                                   \
  {"conv2d_f32_" #oc "x" #px "__" #ns, isa, oc, px, conv2d_f32_oc_prepare, ns::run, conv2d_f32_oc_scratch_bytes, \
   false, isa == Isa::kPortable ? kPortableFloatRounding : FloatRounding::kFused}
// The 16x4 block was first named "16x1"; kRenamedKernels maps that name.
#define BNN_CONV2D_F32_16X4(ns, isa) BNN_CONV2D_F32(ns, isa, 16, 4, conv2d_f32_oc_run_16x4)
#define BNN_CONV2D_F32_ALTERNATIVES(ns, isa)                                                                    \
  BNN_CONV2D_F32(ns, isa, 32, 4, conv2d_f32_oc_run_32x4), BNN_CONV2D_F32(ns, isa, 16, 8, conv2d_f32_oc_run_16x8), \
      BNN_CONV2D_F32(ns, isa, 32, 8, conv2d_f32_oc_run_32x8)
#define BNN_CONV2D_F32_16X6(ns, isa) BNN_CONV2D_F32(ns, isa, 16, 6, conv2d_f32_oc_run_16x6)

const Conv2DKernel kConv2DKernels[] = {
    {"conv2d_f32_1x1__ref", Isa::kPortable, 1, 1, no_packing, conv2d_ref_unpacked, conv2d_ref_scratch_bytes, true,
     FloatRounding::kSeparate},
    BNN_CONV2D_F32_ALTERNATIVES(portable, Isa::kPortable),
    BNN_CONV2D_F32(portable, Isa::kPortable, 64, 4, conv2d_f32_oc_run_64x4),
    BNN_CONV2D_F32_16X6(portable, Isa::kPortable),
    BNN_CONV2D_F32_16X4(portable, Isa::kPortable),
#if defined(BNN_HAVE_AVX2)
    // With 16 ymm registers: 16x6 (12 accumulators, 2 weight vectors, a
    // broadcast) is the default, 5-10% faster than 16x4 on the stem and the
    // shortcuts and 25% on S3 (docs/performance.md, Zen 5).
    BNN_CONV2D_F32_ALTERNATIVES(avx2, Isa::kAvx2),
    BNN_CONV2D_F32(avx2, Isa::kAvx2, 64, 4, conv2d_f32_oc_run_64x4),
    BNN_CONV2D_F32_16X4(avx2, Isa::kAvx2),
    BNN_CONV2D_F32_16X6(avx2, Isa::kAvx2),
#endif
#if defined(BNN_HAVE_AVX512F)
    // With 32 zmm registers the 64x6 block (24 accumulators, 4 weight
    // vectors) is the default: the fastest on every float convolution of
    // ResNet-18 on Zen 5 (stem 3-10%, S2/S3 20-25% faster than 64x4;
    // 64x7 spills; docs/performance.md).
    BNN_CONV2D_F32_ALTERNATIVES(avx512f, Isa::kAvx512F),
    BNN_CONV2D_F32_16X6(avx512f, Isa::kAvx512F),
    BNN_CONV2D_F32_16X4(avx512f, Isa::kAvx512F),
    BNN_CONV2D_F32(avx512f, Isa::kAvx512F, 64, 4, conv2d_f32_oc_run_64x4),
    BNN_CONV2D_F32(avx512f, Isa::kAvx512F, 64, 6, conv2d_f32_oc_run_64x6),
#endif
};
#undef BNN_CONV2D_F32_ALTERNATIVES
#undef BNN_CONV2D_F32_16X4
#undef BNN_CONV2D_F32_16X6
#undef BNN_CONV2D_F32

void conv2d_int8_ref_run(const Int8ConvLayer& layer, const Int8ConvPlan&, int row_begin, int row_end, void* scratch) {
  conv2d_int8_ref(layer, row_begin, row_end, scratch);
}

// Int8 convolutions: <output channels>x<pixels>c<input channels per step> per
// register tile.
const Int8ConvKernel kInt8ConvKernels[] = {
    {"conv2d_int8_1x1c1__ref", Isa::kPortable, nullptr, conv2d_int8_ref_run},
#if defined(__aarch64__)
    {"conv2d_int8_16x4c1__portable", Isa::kPortable, portable::conv2d_int8_layout, portable::conv2d_int8_run},
#else
    {"conv2d_int8_8x4c1__portable", Isa::kPortable, portable::conv2d_int8_layout, portable::conv2d_int8_run},
#endif
#if defined(BNN_HAVE_NEON32)
    {"conv2d_int8_8x4c1__neon32", Isa::kNeon32, neon32::conv2d_int8_layout, neon32::conv2d_int8_run},
#endif
#if defined(BNN_HAVE_NEON64DOT)
    {"conv2d_int8_16x4c4__neon64dot", Isa::kNeon64Dot, neon64dot::conv2d_int8_layout, neon64dot::conv2d_int8_run},
#endif
#if defined(BNN_HAVE_AVX2)
    {"conv2d_int8_16x6c2__avx2", Isa::kAvx2, avx2::conv2d_int8_layout, avx2::conv2d_int8_run},
#endif
#if defined(BNN_HAVE_AVX512VNNI)
    {"conv2d_int8_64x6c4__avx512vnni", Isa::kAvx512Vnni, avx512vnni::conv2d_int8_layout, avx512vnni::conv2d_int8_run},
#endif
};

const PoolKernel kPoolKernels[] = {
    {"ref", Isa::kPortable, max_pool_float_ref, avg_pool_float_ref, global_avg_pool_ref},
    {"portable", Isa::kPortable, portable::max_pool_f32, portable::avg_pool_f32, portable::global_avg_pool_f32},
#if defined(BNN_HAVE_AVX2)
    {"avx2", Isa::kAvx2, avx2::max_pool_f32, avx2::avg_pool_f32, avx2::global_avg_pool_f32},
#endif
#if defined(BNN_HAVE_AVX512F)
    {"avx512f", Isa::kAvx512F, avx512f::max_pool_f32, avx512f::avg_pool_f32, avx512f::global_avg_pool_f32},
#endif
};

const QuantizeKernel kQuantizeKernels[] = {
    {"quantize_f32__ref", Isa::kPortable, quantize_ref},
#if defined(BNN_HAVE_AVX2)
    {"quantize_f32_8x1__avx2", Isa::kAvx2, avx2::quantize_1bit},
#endif
#if defined(BNN_HAVE_AVX512VPOPCNT)
    {"quantize_f32_16x1__avx512vpopcnt", Isa::kAvx512Vpopcnt, avx512vpopcnt::quantize_1bit},
#endif
};

const DenseKernel kDenseKernels[] = {
    {"dense_f32__ref", Isa::kPortable, dense_ref},
};

}  // namespace

const BitserialConvKernel* default_bitserial_conv_kernel(const BitserialConvArgs& args) {
  return default_kernel(bitserial_conv_kernels(), [&](const BitserialConvKernel& k) {
    return bitserial_conv_supports(k, args) && args.geometry.out_c >= k.default_min_out_c;
  });
}

bool bitserial_conv_supports(const BitserialConvKernel& k, const BitserialConvArgs& args) {
  if (k.direct) return bitserial_direct_supports(args.geometry);
  return k.ukernel == nullptr || args.geometry.groups == 1;  // the GEMM driver has no groups
}

namespace {

// Output rows per padded band of the direct driver: the schedule's outer
// tile in rows, else as many as keep the band near 32 KiB (in L1 with the
// tile's weights), at least one.
int direct_band_rows(const BitserialConvLayer& layer, GemmLoopSchedule loop) {
  const ConvGeometry& g = layer.conv.geometry;
  if (loop.outer_px > 0) return (loop.outer_px + g.out_w - 1) / g.out_w;
  const int64_t row_bytes = int64_t{g.in_w + g.pad_left + g.pad_right} * layer.conv.act_bits * words_for(g.in_c) * 8;
  return static_cast<int>(std::max<int64_t>(1, (int64_t{32} << 10) / std::max<int64_t>(1, row_bytes * g.stride_h)));
}

}  // namespace

std::shared_ptr<const BitserialGemmPlan> bitserial_conv_prepare(const BitserialConvKernel& k,
                                                                const BitserialConvLayer& layer, GemmLoopSchedule loop) {
  if (k.reference()) return nullptr;
  if (k.ukernel) return make_bitserial_gemm_plan(layer, k.ukernel, k.tile_oc, k.tile_px, loop);
  // The direct driver shares the GEMM plan's weights and corrections (its
  // microkernel is never called).
  auto plan = make_bitserial_gemm_plan(layer, nullptr, k.tile_oc, k.tile_px, GemmLoopSchedule{k.tile_px, 0, loop.channels_outer});
  make_bitserial_direct_plan(*plan, layer, k.direct, k.tile_oc, k.tile_px, direct_band_rows(layer, loop));
  return plan;
}

size_t bitserial_conv_scratch_bytes(const BitserialConvKernel& k, const BitserialGemmPlan* plan,
                                    const ConvGeometry& g, int act_bits) {
  if (k.direct) return bitserial_direct_scratch_bytes(*plan, g);
  return k.ukernel ? bitserial_gemm_scratch_bytes(*plan, g) : bitserial_conv2d_ref_scratch_bytes(g, act_bits);
}

void bitserial_conv_run(const BitserialConvKernel& k, const BitserialGemmPlan* plan, const BitserialConvLayer& layer,
                        const OutputBlock& block, void* scratch) {
  if (k.direct) {
    bitserial_direct_run(*plan, layer, block, scratch);
  } else if (k.ukernel) {
    bitserial_gemm_run(*plan, layer, block, scratch);
  } else {
    assert(block.channel_begin == 0 && block.channel_end == layer.conv.geometry.out_c);
    bitserial_conv2d_ref(layer, block.row_begin, block.row_end, scratch);
  }
}

int bitserial_conv_channel_step(const BitserialConvKernel& k, bool packed_output) {
  if (k.direct) return k.tile_oc;  // whole bytes of packed output: no word is read and rewritten
  return k.ukernel ? bitserial_channel_step(k.tile_oc, packed_output) : 0;
}

KernelTable<BitserialConvKernel> bitserial_conv_kernels() {
  return {std::begin(kBitserialConvKernels), std::end(kBitserialConvKernels)};
}
const BitserialConvKernel* find_bitserial_conv_kernel(const std::string& name) {
  for (const BitserialConvKernel& k : kBitserialConvKernels) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

namespace {
// Kernels renamed after models were tuned: the name a schedule may hold, and
// the kernel's name now.
const std::pair<const char*, const char*> kRenamedKernels[] = {
    {"conv2d_f32_16x1__portable", "conv2d_f32_16x4__portable"},
    {"conv2d_f32_16x1__avx2", "conv2d_f32_16x4__avx2"},
    // The AVX-512 float kernels were named after the binary kernels' ISA level.
    {"conv2d_f32_16x1__avx512vpopcnt", "conv2d_f32_16x4__avx512f"},
    {"conv2d_f32_32x4__avx512vpopcnt", "conv2d_f32_32x4__avx512f"},
    {"conv2d_f32_16x8__avx512vpopcnt", "conv2d_f32_16x8__avx512f"},
    {"conv2d_f32_32x8__avx512vpopcnt", "conv2d_f32_32x8__avx512f"},
    {"conv2d_f32_64x4__avx512vpopcnt", "conv2d_f32_64x4__avx512f"},
};
}  // namespace

std::string current_kernel_name(const std::string& name) {
  for (const auto& [old_name, new_name] : kRenamedKernels) {
    if (name == old_name) return new_name;
  }
  return name;
}

KernelTable<PoolKernel> pool_kernels() { return {std::begin(kPoolKernels), std::end(kPoolKernels)}; }
std::shared_ptr<const Int8ConvPlan> int8_conv_prepare(const Int8ConvKernel& k, const Int8ConvLayer& layer) {
  return k.layout ? conv2d_int8_prepare(layer, k.layout()) : nullptr;
}

size_t int8_conv_scratch_bytes(const Int8ConvKernel&, const Int8ConvPlan* plan, const ConvGeometry& g) {
  return plan ? conv2d_int8_scratch_bytes(g, *plan) : conv2d_int8_ref_scratch_bytes(g);
}

void int8_conv_run(const Int8ConvKernel& k, const Int8ConvPlan* plan, const Int8ConvLayer& layer, int row_begin,
                   int row_end, void* scratch) {
  if (!k.layout) return conv2d_int8_ref(layer, row_begin, row_end, scratch);
  k.run(layer, *plan, row_begin, row_end, scratch);
}

KernelTable<Int8ConvKernel> int8_conv_kernels() { return {std::begin(kInt8ConvKernels), std::end(kInt8ConvKernels)}; }
KernelTable<Conv2DKernel> conv2d_kernels() { return {std::begin(kConv2DKernels), std::end(kConv2DKernels)}; }

bool conv2d_kernel_fits(const Conv2DKernel& k, const ConvGeometry& g) {
  auto handles = [&](const Conv2DKernel& c) { return c.grouped || g.groups == 1; };
  return handles(k) && k.rounding == default_kernel(conv2d_kernels(), handles)->rounding;
}
int conv2d_channel_step(const Conv2DKernel& k) { return k.run == conv2d_ref_unpacked ? 0 : k.tile_oc; }
KernelTable<QuantizeKernel> quantize_kernels() { return {std::begin(kQuantizeKernels), std::end(kQuantizeKernels)}; }
KernelTable<DenseKernel> dense_kernels() { return {std::begin(kDenseKernels), std::end(kDenseKernels)}; }

}  // namespace bnn
