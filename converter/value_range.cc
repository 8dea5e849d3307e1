#include "converter/value_range.h"

#include <limits>

#include "converter/float_order.h"

namespace bnn::convert {
namespace {

constexpr float kMax = std::numeric_limits<float>::max();

// More float32 inputs than this giving exactly 0 is a region, not a rounding
// coincidence: an affine step x * a + b is 0 for at most a few neighbouring
// floats (a product rounds a handful of them alike, and a sum is 0 only when
// its operands cancel exactly), while a ReLU or a clamp at 0 sends about 2^31
// of them there.
constexpr int64_t kMaxIsolatedZeros = 64;

}  // namespace

ValueRange ValueRange::accumulator(const std::vector<float>& scale, const std::vector<float>& bias, int64_t bound) {
  ValueRange r;
  r.bound = bound;
  std::vector<float> b = bias.empty() ? std::vector<float>(scale.size(), 0.0f) : bias;
  r.steps.push_back(ChainStep{ChainStep::Kind::kScaleShift, scale, b});
  return r;
}

ValueRange ValueRange::then(const ChainStep& step) const {
  ValueRange r = *this;
  r.steps.push_back(step);
  return r;
}

ValueRange ValueRange::then(const ActivationSpec& a, int channels) const {
  using K = ChainStep::Kind;
  switch (a.kind) {
    case ActivationKind::kNone: return *this;
    case ActivationKind::kRelu: return then(ChainStep{K::kRelu, {}, {}});
    case ActivationKind::kPrelu: return then(ChainStep{K::kPrelu, a.slope, {}});
    case ActivationKind::kHardtanh:
      return then(ChainStep{K::kClip, std::vector<float>(channels, a.min_value), std::vector<float>(channels, a.max_value)});
    case ActivationKind::kRprelu:
      return then(ChainStep{K::kSub, a.shift_in, {}})
          .then(ChainStep{K::kPrelu, a.slope, {}})
          .then(ChainStep{K::kAdd, a.shift_out, {}});
  }
  return *this;
}

float ValueRange::apply(int c, float x) const {
  for (const ChainStep& s : steps) x = s.apply(c, x);
  return x;
}

SignLevels sign_levels(const QuantizerChain& q, const ValueRange& range, int c) {
  // y as a function of an ordered index over the base set: a float key, or the integer itself.
  const bool real = range.bound < 0;
  const int64_t lo = real ? float_key(-kMax) : -range.bound;
  const int64_t hi = real ? float_key(kMax) : range.bound;
  auto y_at = [&](int64_t k) {
    const float base = real ? key_float(k) : static_cast<float>(k);
    return q.pre(c, range.apply(c, base));
  };
  // The chain is monotone (float_thresholds checks it); run it upwards.
  const float dir = y_at(hi) >= y_at(lo) ? 1.0f : -1.0f;
  const int64_t first_not_below = first_true(lo, hi, [&](int64_t k) { return dir * y_at(k) >= 0; });
  const int64_t first_above = first_true(lo, hi, [&](int64_t k) { return dir * y_at(k) > 0; });
  SignLevels s;
  const bool below = first_not_below > lo, above = first_above <= hi;
  s.negative = dir > 0 ? below : above;
  s.positive = dir > 0 ? above : below;
  const int64_t zeros = first_above - first_not_below;
  s.zero = real ? zeros > kMaxIsolatedZeros : zeros > 0;
  return s;
}

void resolve_sign(QuantizerChain& q, const ValueRange& range, int channels, const std::string& where) {
  if (!q.sign_op) return;
  bool any_zero = false;
  int negative_channel = -1, zero_channel = -1;
  for (int c = 0; c < channels; ++c) {
    const SignLevels s = sign_levels(q, range, c);
    if (s.zero && zero_channel < 0) zero_channel = c;
    if (s.negative && negative_channel < 0) negative_channel = c;
    any_zero = any_zero || s.zero;
  }
  if (!any_zero) return;  // real-valued: x >= 0 -> +1, the documented convention
  if (negative_channel >= 0) {
    const bool same = negative_channel == zero_channel;
    throw ConvertError(
        where + ": Sign here gives -1, 0 and +1: its input is exactly 0 for a whole region of inputs (after a ReLU, "
        "a clamp at 0 or an integer-valued conv output) in channel " + std::to_string(zero_channel) +
        (same ? " and also negative there" : ", and negative in channel " + std::to_string(negative_channel)) +
        ", and one bit holds two levels. Binarize with torch.where(x >= 0, 1.0, -1.0) (bipolar, exact), or apply "
        "Sign to a non-negative input only (a {0, 1} activation, exact)");
  }
  // sign(y) with y >= 0 is {0, 1}: one unipolar bit, set iff y > 0 (0 and -0 give 0, as in PyTorch).
  q.terminal = QuantizerChain::Terminal::kGreater;
  q.cut.assign(channels, 0.0f);
  q.high_is_one = true;
  q.encoding = Encoding::kUnipolar;
  q.bits = 1;
  q.value_scale = 1;
  q.sign_op = false;  // exact now: nothing to warn about
}

}  // namespace bnn::convert
