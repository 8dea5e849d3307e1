// SPDX-License-Identifier: Apache-2.0
// Plain value types shared by every kernel. Kernels know shapes, pointers and
// bit widths, never the model file or the graph.
#pragma once

#include <cstdint>

namespace bnn {

// How a k-bit code q (0 .. 2^k - 1) maps to an integer value.
enum class Encoding : uint8_t {
  kBipolar,   // 2q - (2^k - 1): one bit is {-1, +1}
  kUnipolar,  // q: one bit is {0, 1}
};

// The integer value of code `q` of a `bits`-bit tensor.
constexpr int code_value(int q, int bits, Encoding encoding) {
  return encoding == Encoding::kUnipolar ? q : 2 * q - ((1 << bits) - 1);
}

// What a padded tap of a bitserial convolution contributes.
enum class PadValue : uint8_t {
  kZero,      // exactly 0, as PyTorch's zero padding
  kMinusOne,  // the activation value -1 (daBNN's convention); bipolar input only
};

enum class ActivationKind : uint8_t { kNone, kRelu, kPrelu, kRprelu, kHardtanh };

// How a float kernel forms acc + x * w: a multiply and an add, each rounded
// (the reference; x86 without FMA, armv7), or one fused multiply-add rounded
// once (AVX2 with FMA, AVX-512, AArch64). Kernels of one rounding and one
// summation order give the same bits on every CPU.
enum class FloatRounding : uint8_t { kSeparate, kFused };

}  // namespace bnn
