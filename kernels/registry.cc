#include "kernels/registry.h"

namespace bnn {
namespace {

const BitserialConvKernel kBitserialConvKernels[] = {
    {"bitserial_conv_ref", Isa::kPortable, 1, 1, bitserial_conv2d_ref, bitserial_conv2d_ref_scratch_bytes},
};

const Conv2DKernel kConv2DKernels[] = {
    {"conv2d_f32_ref", Isa::kPortable, conv2d_ref, conv2d_ref_scratch_bytes},
};

template <typename Kernel, size_t N>
const Kernel* find_by_name(const Kernel (&table)[N], const std::string& name) {
  for (const Kernel& k : table) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
  }
  return "unknown";
}

KernelTable<BitserialConvKernel> bitserial_conv_kernels() {
  return {std::begin(kBitserialConvKernels), std::end(kBitserialConvKernels)};
}
KernelTable<Conv2DKernel> conv2d_kernels() { return {std::begin(kConv2DKernels), std::end(kConv2DKernels)}; }

const BitserialConvKernel* find_bitserial_conv_kernel(const std::string& name) {
  return find_by_name(kBitserialConvKernels, name);
}
const Conv2DKernel* find_conv2d_kernel(const std::string& name) { return find_by_name(kConv2DKernels, name); }

}  // namespace bnn
