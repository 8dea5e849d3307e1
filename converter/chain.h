// SPDX-License-Identifier: Apache-2.0
// Elementwise chains: the per-channel float ops between a tensor and what
// consumes it, read off the graph and evaluated in float32 the way PyTorch
// evaluates them. Two uses:
// - a quantizer chain ends in a binarizer (Sign, where(x >= t, a, -a)) or a
//   k-bit uniform quantizer (clip, scale, round): its thresholds are found by
//   evaluating the chain itself, so the engine's codes are PyTorch's codes;
// - a transform chain (batchnorm, per-channel affine, then one activation) is
//   folded into a layer's float output transform.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "converter/ir.h"
#include "kernels/types.h"

namespace bnn::convert {

// One elementwise step, with per-channel parameters (a scalar is broadcast).
struct ChainStep {
  enum class Kind { kScaleShift, kAffine, kAdd, kSub, kReverseSub, kMul, kDiv, kClip, kRound, kRelu, kPrelu, kNeg } kind;
  std::vector<float> a, b;  // kScaleShift: y = fma(x, a, b) (PyTorch's batchnorm);
                            // kAffine: y = x * a + b in two roundings, the add skipped when b is 0 (a conv's
                            // float output, the engine's output transforms and batchnorm layers); kAdd/kSub/kMul/kDiv: operand a; kReverseSub: a - x;
                            // kClip: [a, b]; kPrelu: slope a
  float apply(int c, float x) const;
};

struct QuantizerChain {
  std::vector<ChainStep> steps;  // before the terminal
  enum class Terminal { kAtLeast, kGreater, kRound } terminal = Terminal::kAtLeast;
  std::vector<float> cut;        // kAtLeast: code 1 iff y >= cut[c]; kGreater: iff y > cut[c]
  bool high_is_one = true;       // binarizers: false when the larger value is the "false" branch
  int bits = 1;
  Encoding encoding = Encoding::kBipolar;
  double value_scale = 1;        // real value = value_scale * code value
  std::set<size_t> nodes;        // the graph nodes the chain covers
  std::string output;            // the value the chain's last node writes
  bool sign_op = false;          // ends in ONNX Sign, which gives 0 at exactly 0

  // The value the terminal reads: the steps applied to a chain input x.
  float pre(int c, float x) const;
  // The code of channel c for a chain input x (already float32).
  int code(int c, float x) const;
};

// The quantizer that starts at node `first` (which reads a float tensor of
// `channels` channels), or nothing if the nodes from there are not one.
std::optional<QuantizerChain> match_quantizer(const Graph& g, size_t first, int channels, int data_rank);

// Float thresholds t (count per channel = 2^bits - 1) and the direction the
// chain runs in x: code(x) = #{ l : dir * x >= t[l] }. Found by binary search
// over float32 values, exact for any monotone chain; throws ConvertError if a
// channel's chain is not monotone.
struct FloatThresholds {
  std::vector<float> thresholds;  // [C][levels]
  std::vector<float> direction;   // [C] of +1/-1
};
FloatThresholds float_thresholds(const QuantizerChain& q, int channels, const std::string& where);

// The float value of an accumulator: acc * scale in float32, then + bias when
// bias is not 0 (two roundings, as the engine's output transform computes it).
float accumulator_value(int64_t acc, float scale, float bias);

// Integer thresholds on an accumulator: the chain input is
// accumulator_value(acc, acc_scale[c], acc_bias[c]); acc lies in [-bound, bound].
struct IntThresholds {
  std::vector<int32_t> thresholds;  // [C][levels]
  std::vector<int8_t> direction;    // [C]
};
IntThresholds int_thresholds(const QuantizerChain& q, const std::vector<float>& acc_scale,
                             const std::vector<float>& acc_bias, int64_t bound, const std::string& where);

// A transform chain starting at node `first`: per-channel affine steps folded
// into scale/bias (y = x * scale + bias), then at most one activation.
struct TransformChain {
  std::vector<double> scale, bias;  // [C]
  ActivationKind activation = ActivationKind::kNone;
  std::vector<float> slope, shift_in, shift_out;
  float min_value = -1, max_value = 1;
  std::set<size_t> nodes;
  std::string output;
};
// Follows single-consumer nodes from `first` while they are affine steps or
// an activation. `affine` false: activations only (after an Add).
std::optional<TransformChain> match_transform(const Graph& g, size_t first, int channels, int data_rank, bool affine);

// A constant operand that broadcasts to one value per channel of an ONNX
// tensor of rank `data_rank` (NCHW: 4; N x features: 2): a scalar, or
// [C, 1, 1] / [1, C, 1, 1] for rank 4, [C] / [1, C] for rank 2. Rank 1 means
// a parameter vector that is per channel by definition (batchnorm, conv
// bias): [C]. Nothing for any other shape, which would broadcast another way.
std::optional<std::vector<float>> per_channel(const Constant& c, int channels, int data_rank);

// The only node reading `value`, if exactly one does and it is not the graph output.
std::optional<size_t> single_consumer(const Graph& g, const std::string& value);

}  // namespace bnn::convert
