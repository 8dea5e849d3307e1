// SPDX-License-Identifier: Apache-2.0
#include "converter/chain.h"

#include "model_format/limits.h"

#include "converter/float_order.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>

namespace bnn::convert {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
// The chain is searched over finite inputs: at +-inf a zero batchnorm scale
// would make 0 * inf = NaN, which no finite activation ever meets.
constexpr float kMax = std::numeric_limits<float>::max();

const Constant* constant_input(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
  auto it = g.constants.find(n.inputs[i]);
  return it == g.constants.end() ? nullptr : &it->second;
}

// The index of the input that carries `value` (the other inputs must be constant).
int data_input(const Node& n, const std::string& value) {
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (n.inputs[i] == value) return static_cast<int>(i);
  }
  return -1;
}

// PyTorch's inference batchnorm as its CPU kernel computes it (ATen's
// batch_norm_cpu: alpha = weight * (1 / sqrt(var + eps)), beta = bias - mean *
// alpha, y = x * alpha + beta), in float32 with both multiply-adds fused: the
// compiler contracts them to FMA in the AVX2/AVX-512 and AArch64 builds of
// PyTorch. Measured on Debian's torch 1.13 (tests/parity/quantizer_boundaries.py):
// with FMA every float around each threshold gives PyTorch's own value; with
// two roundings one float in ~150 lands on the other side.
ChainStep batchnorm_step(const Graph& g, const Node& n, int channels) {
  std::vector<float> p[4];
  for (int i = 0; i < 4; ++i) {
    const Constant* c = constant_input(g, n, i + 1);
    auto v = c ? per_channel(*c, channels, 1) : std::nullopt;
    if (!v) throw ConvertError(n.label() + ": batchnorm parameters must be constant, one per channel");
    p[i] = *v;
  }
  const float eps = static_cast<float>(n.float_attr("epsilon", 1e-5));
  ChainStep s{ChainStep::Kind::kScaleShift, std::vector<float>(channels), std::vector<float>(channels)};
  for (int c = 0; c < channels; ++c) {
    const float invstd = 1.0f / std::sqrt(p[3][c] + eps);
    s.a[c] = invstd * p[0][c];
    s.b[c] = std::fma(-p[2][c], s.a[c], p[1][c]);
  }
  return s;
}

// The step node `n` applies to `value`, if it is one.
std::optional<ChainStep> step_of(const Graph& g, const Node& n, const std::string& value, int channels, int rank) {
  using K = ChainStep::Kind;
  const int at = data_input(n, value);
  if (at < 0) return std::nullopt;
  if (n.op == "BatchNormalization" && at == 0) return batchnorm_step(g, n, channels);
  if (n.op == "Relu") return ChainStep{K::kRelu, {}, {}};
  if (n.op == "Neg") return ChainStep{K::kNeg, {}, {}};
  if (n.op == "Round") return ChainStep{K::kRound, {}, {}};
  if (n.op == "LeakyRelu") {
    return ChainStep{K::kPrelu, std::vector<float>(channels, static_cast<float>(n.float_attr("alpha", 0.01))), {}};
  }
  if (n.op == "Clip" && at == 0) {
    float lo = static_cast<float>(n.float_attr("min", -kInf)), hi = static_cast<float>(n.float_attr("max", kInf));
    const Constant* min_c = constant_input(g, n, 1);
    const Constant* max_c = constant_input(g, n, 2);
    if ((n.inputs.size() > 1 && !n.inputs[1].empty() && !min_c) || (n.inputs.size() > 2 && !n.inputs[2].empty() && !max_c)) {
      return std::nullopt;
    }
    if (min_c) lo = static_cast<float>(min_c->values.at(0));
    if (max_c) hi = static_cast<float>(max_c->values.at(0));
    return ChainStep{K::kClip, std::vector<float>(channels, lo), std::vector<float>(channels, hi)};
  }
  if (n.inputs.size() != 2) return std::nullopt;
  const Constant* other = constant_input(g, n, 1 - at);
  if (!other) return std::nullopt;
  auto operand = per_channel(*other, channels, rank);
  if (!operand) return std::nullopt;
  if (n.op == "PRelu" && at == 0) return ChainStep{K::kPrelu, *operand, {}};
  if (n.op == "Add") return ChainStep{K::kAdd, *operand, {}};
  if (n.op == "Mul") return ChainStep{K::kMul, *operand, {}};
  if (n.op == "Sub") return ChainStep{at == 0 ? K::kSub : K::kReverseSub, *operand, {}};
  if (n.op == "Div" && at == 0) return ChainStep{K::kDiv, *operand, {}};
  return std::nullopt;
}

}  // namespace

float ChainStep::apply(int c, float x) const {
  switch (kind) {
    case Kind::kScaleShift: return std::fma(x, a[c], b[c]);  // one rounding, as PyTorch's batchnorm (above)
    case Kind::kAffine: {
      const float y = x * a[c];  // -ffp-contract=off keeps the two roundings
      return b[c] != 0.0f ? y + b[c] : y;
    }
    case Kind::kAdd: return x + a[c];
    case Kind::kSub: return x - a[c];
    case Kind::kReverseSub: return a[c] - x;
    case Kind::kMul: return x * a[c];
    case Kind::kDiv: return x / a[c];
    case Kind::kClip: return x < a[c] ? a[c] : (x > b[c] ? b[c] : x);
    case Kind::kRound: return std::nearbyint(x);  // half to even, as torch.round
    case Kind::kRelu: return x < 0 ? 0.0f : x;
    case Kind::kPrelu: return x >= 0 ? x : a[c] * x;
    case Kind::kNeg: return -x;
  }
  return x;
}

float QuantizerChain::pre(int c, float x) const {
  for (const ChainStep& s : steps) x = s.apply(c, x);
  return x;
}

int QuantizerChain::code(int c, float x) const {
  x = pre(c, x);
  switch (terminal) {
    case Terminal::kRound: return std::isnan(x) ? 0 : static_cast<int>(std::nearbyint(std::max(-1e9f, std::min(x, 1e9f))));
    case Terminal::kAtLeast: return (x >= cut[c]) == high_is_one ? 1 : 0;
    case Terminal::kGreater: return (x > cut[c]) == high_is_one ? 1 : 0;
  }
  return 0;
}

std::optional<std::vector<float>> per_channel(const Constant& c, int channels, int data_rank) {
  const int rank = static_cast<int>(c.shape.size());
  if (rank > std::max(data_rank, 1)) return std::nullopt;  // would raise the data's rank
  for (double v : c.values) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  if (c.is_scalar()) return std::vector<float>(channels, static_cast<float>(c.values[0]));
  if (c.size() != channels) return std::nullopt;
  // Right-aligned broadcasting: the channel axis of rank-4 data is third from
  // the right, of rank-2 data the last one.
  std::vector<int64_t> want;
  if (data_rank == 4) want = rank == 4 ? std::vector<int64_t>{1, channels, 1, 1} : std::vector<int64_t>{channels, 1, 1};
  else if (data_rank == 2) want = rank == 2 ? std::vector<int64_t>{1, channels} : std::vector<int64_t>{channels};
  else want = {channels};
  if (c.shape != want) return std::nullopt;
  return std::vector<float>(c.values.begin(), c.values.end());
}

std::optional<size_t> single_consumer(const Graph& g, const std::string& value) {
  if (value == g.output) return std::nullopt;
  const std::vector<size_t> users = g.consumers(value);
  if (users.size() != 1) return std::nullopt;
  return users[0];
}

std::optional<QuantizerChain> match_quantizer(const Graph& g, size_t first, int channels, int rank) {
  constexpr size_t kMaxQuantizerSteps = limits::kMaxQuantizerSteps;
  QuantizerChain q;
  size_t at = first;
  std::string value;  // the value flowing into node `at`
  {
    const Node& n = g.nodes[first];
    for (const std::string& in : n.inputs) {
      if (!in.empty() && !g.is_constant(in)) {
        value = in;
        break;
      }
    }
    if (value.empty()) return std::nullopt;
  }
  for (;;) {
    const Node& n = g.nodes[at];
    if (n.op == "Sign" && n.inputs[0] == value) {
      q.terminal = QuantizerChain::Terminal::kAtLeast;
      q.cut.assign(channels, 0.0f);
      q.sign_op = true;
      q.nodes.insert(at);
      q.output = n.outputs[0];
      return q;
    }
    // where(cmp(y, t), a, b), with the comparison possibly negated.
    if ((n.op == "GreaterOrEqual" || n.op == "Greater" || n.op == "Less" || n.op == "LessOrEqual") &&
        n.inputs.size() == 2 && n.inputs[0] == value) {
      const Constant* t = constant_input(g, n, 1);
      auto cut = t ? per_channel(*t, channels, rank) : std::nullopt;
      if (!cut) return std::nullopt;
      std::set<size_t> nodes = {at};
      bool negated = n.op == "Less" || n.op == "LessOrEqual";  // y < t is !(y >= t)
      std::string cond = n.outputs[0];
      auto next = single_consumer(g, cond);
      if (next && g.nodes[*next].op == "Not") {
        negated = !negated;
        nodes.insert(*next);
        cond = g.nodes[*next].outputs[0];
        next = single_consumer(g, cond);
      }
      if (!next || g.nodes[*next].op != "Where" || g.nodes[*next].inputs.size() != 3 || g.nodes[*next].inputs[0] != cond) {
        return std::nullopt;
      }
      const Constant* a = constant_input(g, g.nodes[*next], 1);
      const Constant* b = constant_input(g, g.nodes[*next], 2);
      if (!a || !b || !a->is_scalar() || !b->is_scalar() || a->values[0] != -b->values[0] || a->values[0] == 0) {
        return std::nullopt;  // only symmetric two-level outputs are one bipolar bit
      }
      nodes.insert(*next);
      q.nodes.insert(nodes.begin(), nodes.end());
      q.terminal = (n.op == "GreaterOrEqual" || n.op == "Less") ? QuantizerChain::Terminal::kAtLeast
                                                                : QuantizerChain::Terminal::kGreater;
      q.cut = *cut;
      q.high_is_one = (a->values[0] > 0) != negated;
      q.value_scale = std::fabs(a->values[0]);
      q.output = g.nodes[*next].outputs[0];
      return q;
    }
    if (n.op == "Round" && n.inputs[0] == value) {
      q.nodes.insert(at);
      q.terminal = QuantizerChain::Terminal::kRound;
      q.encoding = Encoding::kUnipolar;
      q.output = n.outputs[0];
      // The range of codes: the chain's values at the ends of the float line.
      // A channel with a negative batchnorm scale runs the other way.
      auto range = [&](int c) {
        const int a = q.code(c, -kMax), b = q.code(c, kMax);
        return std::make_pair(std::min(a, b), std::max(a, b));
      };
      const auto [lowest, highest] = range(0);
      for (int c = 1; c < channels; ++c) {
        if (range(c) != std::make_pair(lowest, highest)) return std::nullopt;
      }
      if (lowest != 0 || highest < 1 || highest > 15 || ((highest + 1) & highest) != 0) return std::nullopt;
      q.bits = 0;
      while ((1 << q.bits) - 1 < highest) ++q.bits;
      // Dequantization: scalar multiplies and divides after the rounding.
      for (auto user = single_consumer(g, q.output); user; user = single_consumer(g, q.output)) {
        auto s = step_of(g, g.nodes[*user], q.output, channels, rank);
        if (!s || (s->kind != ChainStep::Kind::kMul && s->kind != ChainStep::Kind::kDiv)) break;
        const float factor = s->a[0];
        for (float v : s->a) {
          if (v != factor) return q;  // a per-channel factor belongs to the next layer
        }
        // A max over codes is a max over values only for a positive scale.
        if (!(factor > 0)) return std::nullopt;
        q.value_scale = s->kind == ChainStep::Kind::kMul ? q.value_scale * factor : q.value_scale / factor;
        q.nodes.insert(*user);
        q.output = g.nodes[*user].outputs[0];
      }
      return q;
    }
    auto s = step_of(g, n, value, channels, rank);
    if (!s) return std::nullopt;
    // Every step must be monotone for thresholds to exist: a PReLU with a
    // negative slope folds the line back on itself (the sampled check below is
    // only a second guard).
    if (s->kind == ChainStep::Kind::kPrelu) {
      for (float slope : s->a) {
        if (!(slope >= 0)) return std::nullopt;
      }
    }
    // A quantizer's elementwise prologue is a few steps (batchnorm, a clamp,
    // a scale); a longer run is ordinary float layers. Without this bound the
    // search from every node of an N-node elementwise chain walks to its end: N^2.
    if (q.steps.size() >= kMaxQuantizerSteps) return std::nullopt;
    q.steps.push_back(*s);
    q.nodes.insert(at);
    auto next = single_consumer(g, n.outputs[0]);
    if (!next) return std::nullopt;
    value = n.outputs[0];
    at = *next;
  }
}

FloatThresholds float_thresholds(const QuantizerChain& q, int channels, const std::string& where) {
  const int levels = (1 << q.bits) - 1;
  FloatThresholds t;
  t.thresholds.resize(static_cast<size_t>(channels) * levels);
  t.direction.resize(channels);
  const int64_t lo = float_key(-kMax), hi = float_key(kMax);
  for (int c = 0; c < channels; ++c) {
    const int low_code = q.code(c, -kMax), high_code = q.code(c, kMax);
    const float dir = high_code >= low_code ? 1.0f : -1.0f;
    t.direction[c] = dir;
    // code as a function of the key of x' = dir * x: non-decreasing if monotone.
    auto code_at = [&](int64_t key) { return q.code(c, dir * key_float(key)); };
    for (int k = 0; k <= 256; ++k) {
      const int64_t a = lo + (hi - lo) / 256 * k, b = std::min(hi, a + (hi - lo) / 256);
      if (code_at(b) < code_at(a)) throw ConvertError(where + ": the quantizer is not monotone in channel " + std::to_string(c));
    }
    for (int l = 1; l <= levels; ++l) {
      const int64_t first = first_true(lo, hi, [&](int64_t key) { return code_at(key) >= l; });
      float& threshold = t.thresholds[static_cast<size_t>(c) * levels + l - 1];
      if (first > hi) threshold = std::numeric_limits<float>::quiet_NaN();  // never reached
      else if (first == lo) threshold = -kInf;                            // always reached
      else threshold = key_float(first);
    }
  }
  return t;
}

float accumulator_value(int64_t acc, float scale, float bias) {
  const float x = static_cast<float>(acc) * scale;
  return bias != 0.0f ? x + bias : x;
}

IntThresholds int_thresholds(const QuantizerChain& q, const std::vector<float>& acc_scale,
                             const std::vector<float>& acc_bias, int64_t bound, const std::string& where) {
  const int channels = static_cast<int>(acc_scale.size());
  const int levels = (1 << q.bits) - 1;
  IntThresholds t;
  t.thresholds.resize(static_cast<size_t>(channels) * levels);
  t.direction.resize(channels);
  for (int c = 0; c < channels; ++c) {
    auto code_of = [&](int64_t acc) { return q.code(c, accumulator_value(acc, acc_scale[c], acc_bias[c])); };
    const int low_code = code_of(-bound), high_code = code_of(bound);
    const int dir = high_code >= low_code ? 1 : -1;
    t.direction[c] = static_cast<int8_t>(dir);
    auto code_at = [&](int64_t k) { return code_of(dir * k); };  // non-decreasing in k
    for (int64_t k = -bound; k < bound; k += std::max<int64_t>(1, bound / 128)) {
      if (code_at(std::min(bound, k + std::max<int64_t>(1, bound / 128))) < code_at(k)) {
        throw ConvertError(where + ": the output quantizer is not monotone in channel " + std::to_string(c));
      }
    }
    for (int l = 1; l <= levels; ++l) {
      const int64_t k = first_true(-bound, bound, [&](int64_t v) { return code_at(v) >= l; });
      // code(acc) counts dir * acc >= dir * T, i.e. k' >= k with k' = dir * acc.
      const int64_t threshold = k > bound ? bound + 1 : k;
      t.thresholds[static_cast<size_t>(c) * levels + l - 1] = static_cast<int32_t>(dir * threshold);
    }
  }
  return t;
}

std::optional<TransformChain> match_transform(const Graph& g, size_t first, int channels, int rank, bool affine) {
  TransformChain t;
  t.scale.assign(channels, 1.0);
  t.bias.assign(channels, 0.0);
  size_t at = first;
  std::string value;
  for (const std::string& in : g.nodes[first].inputs) {
    if (!in.empty() && !g.is_constant(in)) {
      value = in;
      break;
    }
  }
  auto take = [&](size_t node) {
    t.nodes.insert(node);
    t.output = g.nodes[node].outputs[0];
  };
  for (;;) {
    const Node& n = g.nodes[at];
    auto s = step_of(g, n, value, channels, rank);
    if (!s) break;
    using K = ChainStep::Kind;
    // RPReLU: shift, PReLU, shift. Checked first, or the first shift would fold into the bias.
    if (s->kind == K::kAdd || s->kind == K::kSub) {
      auto prelu_node = single_consumer(g, n.outputs[0]);
      std::optional<ChainStep> prelu, shift_out;
      std::optional<size_t> out_node;
      if (prelu_node) prelu = step_of(g, g.nodes[*prelu_node], n.outputs[0], channels, rank);
      if (prelu && prelu->kind == K::kPrelu) out_node = single_consumer(g, g.nodes[*prelu_node].outputs[0]);
      if (out_node) shift_out = step_of(g, g.nodes[*out_node], g.nodes[*prelu_node].outputs[0], channels, rank);
      if (shift_out && (shift_out->kind == K::kAdd || shift_out->kind == K::kSub)) {
        t.activation = ActivationKind::kRprelu;
        for (int c = 0; c < channels; ++c) {
          t.shift_in.push_back(s->kind == K::kSub ? s->a[c] : -s->a[c]);
          t.shift_out.push_back(shift_out->kind == K::kAdd ? shift_out->a[c] : -shift_out->a[c]);
        }
        t.slope = prelu->a;
        take(at), take(*prelu_node), take(*out_node);
        return t;
      }
    }
    if (s->kind == K::kRelu || s->kind == K::kPrelu || s->kind == K::kClip) {
      if (s->kind == K::kRelu) t.activation = ActivationKind::kRelu;
      if (s->kind == K::kPrelu) t.activation = ActivationKind::kPrelu, t.slope = s->a;
      if (s->kind == K::kClip) t.activation = ActivationKind::kHardtanh, t.min_value = s->a[0], t.max_value = s->b[0];
      take(at);
      return t;
    }
    if (!affine) break;
    double a = 1, b = 0;
    for (int c = 0; c < channels; ++c) {
      switch (s->kind) {
        case K::kScaleShift:
        case K::kAffine: a = s->a[c], b = s->b[c]; break;
        case K::kAdd: a = 1, b = s->a[c]; break;
        case K::kSub: a = 1, b = -double(s->a[c]); break;
        case K::kMul: a = s->a[c], b = 0; break;
        case K::kDiv: a = 1.0 / s->a[c], b = 0; break;
        case K::kNeg: a = -1, b = 0; break;
        default: return t.nodes.empty() ? std::nullopt : std::optional<TransformChain>(t);
      }
      t.scale[c] *= a;
      t.bias[c] = t.bias[c] * a + b;
    }
    take(at);
    auto next = single_consumer(g, n.outputs[0]);
    if (!next) break;
    value = n.outputs[0];
    at = *next;
  }
  if (t.nodes.empty()) return std::nullopt;
  return t;
}

}  // namespace bnn::convert
