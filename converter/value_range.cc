// SPDX-License-Identifier: Apache-2.0
#include "converter/value_range.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "converter/float_order.h"

namespace bnn::convert {
namespace {

constexpr float kMax = std::numeric_limits<float>::max();

// On a real base, a run of exact zeros is a region when it reaches an end of
// the float line (every step is monotone, so the flat stretch of a ReLU or a
// clamp is a half-line and stays one through later steps) or when it is wider
// than 2^-12 of the magnitude of its ends (a batchnorm scale of 1e-6 flattens
// |x| < 0.03 into one value). A narrower run is rounding: (x - s) + s is
// exactly 0 for every x too small to change x - s, which near x = 0 is about
// 2^30 floats yet a width of an ulp of s, and a small PReLU slope widens that
// to an ulp of the shift over the slope (1.5e-6 for a slope of 0.01 in
// ReActNet-A's blocks); either is a probability of about 1e-6 for a real
// activation, the sign-at-0.0 convention's territory.
bool zero_region(int64_t first_zero, int64_t past_zero, int64_t lo, int64_t hi) {
  if (first_zero >= past_zero) return false;
  if (first_zero == lo || past_zero == hi + 1) return true;
  const double x0 = key_float(first_zero), x1 = key_float(past_zero - 1);
  return x1 - x0 > 0x1p-12 * (1 + std::max(std::fabs(x0), std::fabs(x1)));
}

}  // namespace

struct ValueRange::StepList {
  ChainStep step;
  std::shared_ptr<const StepList> previous;

  // Released link by link: the default, recursive release of a list of
  // 20 000 steps would overflow the stack.
  ~StepList() {
    std::shared_ptr<const StepList> next = std::move(previous);
    while (next && next.use_count() == 1) {
      std::shared_ptr<const StepList> after = std::move(const_cast<StepList&>(*next).previous);
      next = std::move(after);
    }
  }
};

std::shared_ptr<const ValueRange::StepList> ValueRange::push(std::shared_ptr<const StepList> list, ChainStep step) {
  auto link = std::make_shared<StepList>();
  link->step = std::move(step);
  link->previous = std::move(list);
  return link;
}

ValueRange ValueRange::accumulator(const std::vector<float>& scale, const std::vector<float>& bias, int64_t bound) {
  ValueRange r;
  r.parts_[0].bound = bound;
  std::vector<float> b = bias.empty() ? std::vector<float>(scale.size(), 0.0f) : bias;
  r.parts_[0].steps = push(nullptr, ChainStep{ChainStep::Kind::kAffine, scale, b});  // as accumulator_value()
  return r;
}

ValueRange ValueRange::concat(const std::vector<std::pair<ValueRange, int>>& inputs, int zeros_before, int zeros_after) {
  ValueRange r;
  r.parts_.clear();
  int first = 0;
  // Zero channels: any real base times 0.
  auto zeros = [&](int count) {
    if (count <= 0) return;
    r.parts_.push_back(Part{first, count, -1, push(nullptr, ChainStep{ChainStep::Kind::kMul, std::vector<float>(count, 0.0f), {}})});
    first += count;
  };
  zeros(zeros_before);
  for (const auto& [range, channels] : inputs) {
    for (const Part& p : range.parts_) {
      const int count = p.count < 0 ? channels - p.first : p.count;
      r.parts_.push_back(Part{first + p.first, count, p.bound, p.steps, p.averaged});
    }
    first += channels;
  }
  zeros(zeros_after);
  return r;
}

ValueRange ValueRange::then(const ChainStep& step) const {
  ValueRange r = *this;
  for (Part& p : r.parts_) {
    ChainStep local = step;
    // Per-channel parameters, cut to the part's channels.
    auto cut = [&](std::vector<float>& v) {
      if (v.empty() || (p.first == 0 && p.count < 0)) return;
      const size_t end = p.count < 0 ? v.size() : std::min(v.size(), static_cast<size_t>(p.first + p.count));
      v = std::vector<float>(v.begin() + std::min(v.size(), static_cast<size_t>(p.first)), v.begin() + end);
    };
    cut(local.a);
    cut(local.b);
    p.steps = push(std::move(p.steps), std::move(local));
  }
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

const ValueRange::Part& ValueRange::part_of(int c) const {
  for (size_t i = parts_.size(); i-- > 1;) {
    if (c >= parts_[i].first) return parts_[i];
  }
  return parts_[0];
}

float ValueRange::apply(int c, float x) const {
  const Part& p = part_of(c);
  thread_local std::vector<const ChainStep*> in_order;
  in_order.clear();
  for (const StepList* s = p.steps.get(); s; s = s->previous.get()) in_order.push_back(&s->step);
  for (size_t i = in_order.size(); i-- > 0;) x = in_order[i]->apply(c - p.first, x);
  return x;
}

int64_t ValueRange::bound(int c) const { return part_of(c).bound; }

bool ValueRange::averaged(int c) const { return part_of(c).averaged; }

ValueRange ValueRange::averaged() const {
  ValueRange r = *this;
  for (Part& p : r.parts_) p.averaged = p.bound >= 0;
  return r;
}

SignLevels sign_levels(const QuantizerChain& q, const ValueRange& range, int c) {
  // y as a function of an ordered index over the base set: a float key, or the integer itself.
  const bool real = range.bound(c) < 0;
  const int64_t lo = real ? float_key(-kMax) : -range.bound(c);
  const int64_t hi = real ? float_key(kMax) : range.bound(c);
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
  if (real) {
    s.zero = zero_region(first_not_below, first_above, lo, hi);
  } else if (range.averaged(c)) {
    // Averages of integer-valued outputs fall between the integers' values,
    // 0 included, whenever the values reach both sides of it.
    s.zero = first_above > first_not_below || (below && above);
  } else {
    s.zero = first_above > first_not_below;  // an integer giving exactly 0
  }
  return s;
}

void resolve_sign(QuantizerChain& q, const ValueRange& range, int channels, const std::string& where) {
  if (!q.sign_op) return;
  bool any_zero = false, any_positive = false;
  int negative_channel = -1, zero_channel = -1;
  for (int c = 0; c < channels; ++c) {
    const SignLevels s = sign_levels(q, range, c);
    if (s.zero && zero_channel < 0) zero_channel = c;
    if (s.negative && negative_channel < 0) negative_channel = c;
    any_zero = any_zero || s.zero;
    any_positive = any_positive || s.positive;
  }
  if (!any_zero) return;  // real-valued: x >= 0 -> +1, the documented convention
  if (negative_channel >= 0) {
    const bool same = negative_channel == zero_channel;
    throw ConvertError(
        where + ": Sign here gives 0 as well as -1" + (any_positive ? std::string(" and +1") : std::string()) +
        ": its input is exactly 0 for a whole region of inputs (after a ReLU, a clamp at 0, an integer-valued conv "
        "output or an average of them) in channel " + std::to_string(zero_channel) +
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
