// SPDX-License-Identifier: Apache-2.0
// What the converter knows of the values a float tensor takes, and what that
// means for ONNX Sign.
//
// Sign gives three values: -1, 0 at exactly 0, and +1. One bit holds two. On
// a real-valued activation (a float conv's output, a sum with a real-valued
// shortcut) exactly 0.0 has measure zero, and the engine's documented
// convention (x >= 0 -> +1) stands. But a ReLU, a clamp at 0 or an integer
// accumulator puts a whole region of inputs on exactly 0: sign(relu(x)) is 0
// for half of all x. The range below lets the converter see that, so the
// binarizer becomes what PyTorch computes — a unipolar {0, 1} bit (x > 0) —
// or is refused when neither one-bit encoding can hold it.
//
// A range is a base set and per-channel steps applied to it:
// - real: x is any float32 (a float conv's output, the model input, a sum);
// - accumulator: x is an integer k in [-bound, bound] (a binary conv's output
//   before its float transform), so every value is taken with positive
//   probability.
// The steps are those the converter fused on the way (the transform's scale
// and bias, ReLU, clamp, PReLU). Max pooling keeps the range (a max is one of
// its inputs); average pooling keeps a real one (a window of equal values
// averages to that value) and marks an integer-based one as averaged (the
// mean of integer-based values can be 0 where no single value is).
// A channel concat keeps each input's range for its channels, and channels it
// fills with zeros are exact zeros. A sum of two tensors is taken as
// real-valued (documented in docs/numerics.md: a sum's exact zeros are not
// tracked).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "converter/chain.h"
#include "model_format/builder.h"

namespace bnn::convert {

struct ValueRange {
  static ValueRange real() { return {}; }
  // accumulator_value(k, scale[c], bias[c]) (chain.h): two roundings, as int_thresholds and the engine's
  // float output transform compute it.
  static ValueRange accumulator(const std::vector<float>& scale, const std::vector<float>& bias, int64_t bound);
  // Channels side by side (a channel Concat): zeros_before channels of exact
  // zeros, each (range, channel count) in order, zeros_after zeros.
  static ValueRange concat(const std::vector<std::pair<ValueRange, int>>& inputs, int zeros_before, int zeros_after);

  // The range after an activation (as the model builder takes it) is applied.
  ValueRange then(const ActivationSpec& activation, int channels) const;
  ValueRange then(const ChainStep& step) const;
  // Average pooling: the mean of integer-based values takes values no single
  // integer gives (0.5 and -0.5 average to 0), so those parts are marked.
  ValueRange averaged() const;

  // Channel c's value for a base value x, its base (< 0: real; else the
  // integer bound), and whether its integer-based values were averaged.
  float apply(int c, float base) const;
  int64_t bound(int c) const;
  bool averaged(int c) const;

 private:
  // The steps of a part, last first, shared between ranges: the output of
  // a chain of N layers extends its input's list instead of copying it, so
  // ranges cost O(N) in all, not O(N^2) (a 20 000-node graph).
  struct StepList;
  // Channels [first, first + count) share a base and steps (count < 0: every
  // channel from first on); step parameters are indexed from `first`.
  struct Part {
    int first = 0, count = -1;
    int64_t bound = -1;
    std::shared_ptr<const StepList> steps;  // null: none
    bool averaged = false;
  };
  static std::shared_ptr<const StepList> push(std::shared_ptr<const StepList> list, ChainStep step);
  const Part& part_of(int c) const;
  std::vector<Part> parts_ = {Part{}};
};

// Where a Sign's input y lies, for one channel, over a range: whether some
// input gives y < 0, whether a region of positive probability gives y == 0
// exactly, whether some input gives y > 0.
struct SignLevels {
  bool negative = false, zero = false, positive = false;
};
SignLevels sign_levels(const QuantizerChain& q, const ValueRange& range, int channel);

// For a quantizer chain ending in ONNX Sign: leaves it bipolar when 0 has
// measure zero in every channel (the documented convention), rewrites it to a
// unipolar {0, 1} bit (code 1 iff y > 0, exact, 0 included) when no channel
// goes negative, and throws ConvertError naming `where` and the channel
// otherwise (three levels, or {-1, 0}).
void resolve_sign(QuantizerChain& q, const ValueRange& range, int channels, const std::string& where);

}  // namespace bnn::convert
