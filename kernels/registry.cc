#include "kernels/registry.h"

#include <cassert>
#include <iterator>

#include "kernels/conv2d_f32_oc.h"
#include "kernels/ref/dense.h"
#include "kernels/quantize_kernels.h"
#include "kernels/ref/quantize.h"

namespace bnn {
namespace {

// Reference first; later entries are preferred where their ISA is available.
const BitserialConvKernel kBitserialConvKernels[] = {
    {"bitserial_conv_1x1c1__ref", Isa::kPortable, 1, 1, 1, nullptr},
    {"bgemm_ukernel_4x4c1__portable", Isa::kPortable, 4, 4, 1, bgemm_ukernel_portable<4, 4>},
    {"bgemm_ukernel_8x2c1__portable", Isa::kPortable, 8, 2, 1, bgemm_ukernel_portable<8, 2>},
#if defined(BNN_HAVE_NEON32)
    {"bgemm_ukernel_4x4c1__neon32", Isa::kNeon32, 4, 4, 1, neon32::bgemm_ukernel_4x4c1},
#endif
#if defined(BNN_HAVE_NEON64)
    // 8x4 last (the default): per the llvm-mca estimates (docs/performance.md)
    // it does more work per cycle on Cortex-A53/A72 and amortizes its call.
    {"bgemm_ukernel_4x4c1__neon64", Isa::kNeon64, 4, 4, 1, neon64::bgemm_ukernel_4x4c1},
    {"bgemm_ukernel_8x4c1__neon64", Isa::kNeon64, 8, 4, 1, neon64::bgemm_ukernel_8x4c1},
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
#endif
};

std::vector<float> no_packing(const Conv2DLayer&) { return {}; }
void conv2d_ref_unpacked(const Conv2DLayer& layer, const float*, int row_begin, int row_end, void* scratch) {
  conv2d_ref(layer, row_begin, row_end, scratch);
}

// Float convolutions: names are <output channels>x<pixels> per register block.
// For each ISA the last entry is the default (the binder takes the last usable
// one); the others are the tuner's alternatives (bnn-tune), same bits.
#define BNN_CONV2D_F32(ns, isa, oc, px, run) \
  {"conv2d_f32_" #oc "x" #px "__" #ns, isa, oc, px, conv2d_f32_oc_prepare, ns::run, conv2d_f32_oc_scratch_bytes, false}
// The 16x4 block keeps the first float kernel's name, "16x1", which baked
// schedules name (BNN_CONV2D_F32_16X4).
#define BNN_CONV2D_F32_16X4(ns, isa)                                                                           \
  {"conv2d_f32_16x1__" #ns, isa, 16, 4, conv2d_f32_oc_prepare, ns::conv2d_f32_oc_run_16x4, conv2d_f32_oc_scratch_bytes, \
   false}
#define BNN_CONV2D_F32_ALTERNATIVES(ns, isa)                                                                    \
  BNN_CONV2D_F32(ns, isa, 32, 4, conv2d_f32_oc_run_32x4), BNN_CONV2D_F32(ns, isa, 16, 8, conv2d_f32_oc_run_16x8), \
      BNN_CONV2D_F32(ns, isa, 32, 8, conv2d_f32_oc_run_32x8)

const Conv2DKernel kConv2DKernels[] = {
    {"conv2d_f32_1x1__ref", Isa::kPortable, 1, 1, no_packing, conv2d_ref_unpacked, conv2d_ref_scratch_bytes, true},
    BNN_CONV2D_F32_ALTERNATIVES(portable, Isa::kPortable),
    BNN_CONV2D_F32(portable, Isa::kPortable, 64, 4, conv2d_f32_oc_run_64x4),
    BNN_CONV2D_F32_16X4(portable, Isa::kPortable),
#if defined(BNN_HAVE_AVX2)
    BNN_CONV2D_F32_ALTERNATIVES(avx2, Isa::kAvx2),
    BNN_CONV2D_F32(avx2, Isa::kAvx2, 64, 4, conv2d_f32_oc_run_64x4),
    BNN_CONV2D_F32_16X4(avx2, Isa::kAvx2),
#endif
#if defined(BNN_HAVE_AVX512VPOPCNT)
    // With 32 zmm registers the 64x4 block (16 accumulators) is the default:
    // bnn-tune found it fastest on every float convolution of ResNet-18
    // (docs/tuning.md).
    BNN_CONV2D_F32_ALTERNATIVES(avx512vpopcnt, Isa::kAvx512Vpopcnt),
    BNN_CONV2D_F32_16X4(avx512vpopcnt, Isa::kAvx512Vpopcnt),
    BNN_CONV2D_F32(avx512vpopcnt, Isa::kAvx512Vpopcnt, 64, 4, conv2d_f32_oc_run_64x4),
#endif
};
#undef BNN_CONV2D_F32_ALTERNATIVES
#undef BNN_CONV2D_F32_16X4
#undef BNN_CONV2D_F32

const QuantizeKernel kQuantizeKernels[] = {
    {"quantize_f32__ref", Isa::kPortable, quantize_ref},
#if defined(BNN_HAVE_AVX512VPOPCNT)
    {"quantize_f32_16x1__avx512vpopcnt", Isa::kAvx512Vpopcnt, avx512vpopcnt::quantize_1bit},
#endif
};

const DenseKernel kDenseKernels[] = {
    {"dense_f32__ref", Isa::kPortable, dense_ref},
};

}  // namespace

bool bitserial_conv_supports(const BitserialConvKernel& k, const BitserialConvArgs& args) {
  return k.ukernel == nullptr || args.geometry.groups == 1;  // the GEMM driver has no groups
}

std::shared_ptr<const BitserialGemmPlan> bitserial_conv_prepare(const BitserialConvKernel& k,
                                                                const BitserialConvLayer& layer, GemmLoopSchedule loop) {
  if (!k.ukernel) return nullptr;
  return make_bitserial_gemm_plan(layer, k.ukernel, k.tile_oc, k.tile_px, loop);
}

size_t bitserial_conv_scratch_bytes(const BitserialConvKernel& k, const BitserialGemmPlan* plan,
                                    const ConvGeometry& g, int act_bits) {
  return k.ukernel ? bitserial_gemm_scratch_bytes(*plan, g) : bitserial_conv2d_ref_scratch_bytes(g, act_bits);
}

void bitserial_conv_run(const BitserialConvKernel& k, const BitserialGemmPlan* plan, const BitserialConvLayer& layer,
                        const OutputBlock& block, void* scratch) {
  if (k.ukernel) {
    bitserial_gemm_run(*plan, layer, block, scratch);
  } else {
    assert(block.channel_begin == 0 && block.channel_end == layer.conv.geometry.out_c);
    bitserial_conv2d_ref(layer, block.row_begin, block.row_end, scratch);
  }
}

int bitserial_conv_channel_step(const BitserialConvKernel& k, const BitserialGemmPlan* plan, bool packed_output) {
  return k.ukernel ? bitserial_channel_step(plan->tile_oc, packed_output) : 0;
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

KernelTable<Conv2DKernel> conv2d_kernels() { return {std::begin(kConv2DKernels), std::end(kConv2DKernels)}; }
KernelTable<QuantizeKernel> quantize_kernels() { return {std::begin(kQuantizeKernels), std::end(kQuantizeKernels)}; }
KernelTable<DenseKernel> dense_kernels() { return {std::begin(kDenseKernels), std::end(kDenseKernels)}; }

}  // namespace bnn
