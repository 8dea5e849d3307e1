// SPDX-License-Identifier: Apache-2.0
#include "converter/weights.h"

#include <cmath>

namespace bnn::convert {
namespace {

// Relative tolerance for "is this a level": folded weights come out of a few
// float32 operations, so they sit within a few ulps of their level.
constexpr double kTolerance = 1e-4;

// Tries to write one channel's weights as alpha * code_value(q); alpha <= 0
// takes the channel's own largest magnitude as the top level. `allow_zero`:
// one bipolar bit with exact zeros (sign(W) of a W with zeros) stores 0 as +1.
bool fit_channel(const std::vector<double>& v, int bits, Encoding enc, bool allow_zero, double alpha,
                 std::vector<uint8_t>* codes, float* scale, int64_t* zeros) {
  const int levels = (1 << bits) - 1;
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  codes->assign(v.size(), 0);
  if (m == 0) {  // an all-zero channel: scale 0 makes every code 0
    *scale = 0;
    if (enc == Encoding::kBipolar) *zeros += static_cast<int64_t>(v.size());
    return true;
  }
  if (alpha <= 0) alpha = m / levels;
  for (size_t i = 0; i < v.size(); ++i) {
    const double u = v[i] / alpha;  // bipolar: 2q - L; unipolar: q
    if (enc == Encoding::kUnipolar) {
      const double q = std::nearbyint(u);
      if (q < 0 || q > levels || std::fabs(u - q) > kTolerance * levels) return false;
      (*codes)[i] = static_cast<uint8_t>(q);
      continue;
    }
    if (allow_zero && v[i] == 0) {
      (*codes)[i] = 1;
      ++*zeros;
      continue;
    }
    const double q = std::nearbyint((u + levels) / 2);
    if (q < 0 || q > levels || std::fabs(2 * q - levels - u) > kTolerance * levels) return false;
    (*codes)[i] = static_cast<uint8_t>(q);
  }
  *scale = static_cast<float>(alpha);
  return true;
}

}  // namespace

std::vector<float> oihw_to_ohwi(const Constant& w) {
  const int64_t o = w.shape[0], i = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  std::vector<float> out(w.values.size());
  for (int64_t a = 0; a < o; ++a)
    for (int64_t b = 0; b < i; ++b)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          out[((a * kh + y) * kw + x) * i + b] = static_cast<float>(w.values[((a * i + b) * kh + y) * kw + x]);
        }
  return out;
}

LowBitWeights low_bit_weights(const Constant& w, const std::string& where) {
  if (w.shape.size() != 4) throw ConvertError(where + ": weights must be 4-D (OIHW)");
  for (double v : w.values) {
    if (!std::isfinite(v)) throw ConvertError(where + ": the weights hold NaN or infinity");
  }
  const int64_t o = w.shape[0], per_channel = w.size() / std::max<int64_t>(o, 1);
  // One scale for the whole tensor first (DoReFa normalizes by the tensor's
  // maximum, so a channel need not reach the top level), then one per channel
  // (XNOR-Net's mean |W| per output channel).
  double tensor_max = 0;
  for (double x : w.values) tensor_max = std::max(tensor_max, std::fabs(x));
  struct Try { int bits; Encoding enc; bool allow_zero; };
  const Try tries[] = {{1, Encoding::kBipolar, false}, {1, Encoding::kUnipolar, false}, {2, Encoding::kBipolar, false},
                       {2, Encoding::kUnipolar, false}, {3, Encoding::kBipolar, false}, {3, Encoding::kUnipolar, false},
                       {4, Encoding::kBipolar, false}, {4, Encoding::kUnipolar, false}, {1, Encoding::kBipolar, true}};
  for (const Try& t : tries) {
   for (const bool per_tensor : {true, false}) {
    LowBitWeights r;
    r.bits = t.bits;
    r.encoding = t.enc;
    std::vector<uint8_t> channel_codes;
    std::vector<uint8_t> codes_oihw;
    bool ok = true;
    for (int64_t c = 0; c < o && ok; ++c) {
      const std::vector<double> v(w.values.begin() + c * per_channel, w.values.begin() + (c + 1) * per_channel);
      float scale = 0;
      const double alpha = per_tensor ? tensor_max / ((1 << t.bits) - 1) : 0.0;
      ok = fit_channel(v, t.bits, t.enc, t.allow_zero, alpha, &channel_codes, &scale, &r.zeros);
      r.scale.push_back(scale);
      codes_oihw.insert(codes_oihw.end(), channel_codes.begin(), channel_codes.end());
    }
    if (!ok) continue;
    // A few exact zeros are sign(W) of a W that was exactly 0; many are a
    // ternary or pruned layer, which one bit would get badly wrong.
    if (t.allow_zero && r.zeros * 100 > w.size()) {
      throw ConvertError(where + ": " + std::to_string(r.zeros) + " of " + std::to_string(w.size()) +
                         " weights are exactly 0 (ternary or pruned?); the weights are not binary or k-bit uniform");
    }
    const int64_t i = w.shape[1], kh = w.shape[2], kw = w.shape[3];
    r.codes_ohwi.resize(codes_oihw.size());
    for (int64_t a = 0; a < o; ++a)
      for (int64_t b = 0; b < i; ++b)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x) {
            r.codes_ohwi[((a * kh + y) * kw + x) * i + b] = codes_oihw[((a * i + b) * kh + y) * kw + x];
          }
    return r;
   }
  }
  throw ConvertError(where + ": the weights are not binary or k-bit uniform (k <= 4) per output channel, so this "
                             "convolution on binarized input cannot run bitserially");
}

}  // namespace bnn::convert
