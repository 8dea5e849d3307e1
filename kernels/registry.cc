#include "kernels/registry.h"

#include <iterator>

#include "kernels/ref/dense.h"
#include "kernels/ref/quantize.h"

namespace bnn {
namespace {

const BitserialConvKernel kBitserialConvKernels[] = {
    {"bitserial_conv_1x1c1__ref", Isa::kPortable, 1, 1, 1, bitserial_conv2d_ref, bitserial_conv2d_ref_scratch_bytes},
};

const Conv2DKernel kConv2DKernels[] = {
    {"conv2d_f32_1x1__ref", Isa::kPortable, 1, 1, conv2d_ref, conv2d_ref_scratch_bytes},
};

const QuantizeKernel kQuantizeKernels[] = {
    {"quantize_f32__ref", Isa::kPortable, quantize_ref},
};

const DenseKernel kDenseKernels[] = {
    {"dense_f32__ref", Isa::kPortable, dense_ref},
};

}  // namespace

KernelTable<BitserialConvKernel> bitserial_conv_kernels() {
  return {std::begin(kBitserialConvKernels), std::end(kBitserialConvKernels)};
}
KernelTable<Conv2DKernel> conv2d_kernels() { return {std::begin(kConv2DKernels), std::end(kConv2DKernels)}; }
KernelTable<QuantizeKernel> quantize_kernels() { return {std::begin(kQuantizeKernels), std::end(kQuantizeKernels)}; }
KernelTable<DenseKernel> dense_kernels() { return {std::begin(kDenseKernels), std::end(kDenseKernels)}; }

}  // namespace bnn
