// SPDX-License-Identifier: Apache-2.0
#include "converter/checkpoint/graph_writer.h"

namespace bnn::convert {

GraphWriter::GraphWriter(const WeightFile* weights, std::vector<int64_t> input_nchw) : weights_(weights) {
  graph_.input = "input";
  graph_.input_shape = std::move(input_nchw);
  graph_.opset = 13;
}

std::string GraphWriter::fresh(const std::string& hint) { return hint + "_" + std::to_string(counter_++); }

void GraphWriter::record(const std::string& key, const std::vector<int64_t>& shape) {
  for (const auto& [seen, seen_shape] : keys_) {
    if (seen == key) return;
  }
  keys_.emplace_back(key, shape);
  scope_ = key.substr(0, key.rfind('.'));
}

Attribute GraphWriter::ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

Attribute GraphWriter::integer(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

Attribute GraphWriter::real(double v) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = v;
  return a;
}

Constant GraphWriter::read(const std::string& key, const std::vector<int64_t>& shape) {
  record(key, shape);
  if (!weights_) return Constant{shape, {}};  // recording: shapes only, nothing allocated for them
  return weights_->read(key);                 // its shape was checked against the recorded one
}

std::string GraphWriter::weight(const std::string& key, const std::vector<int64_t>& shape) {
  if (!graph_.is_constant(key)) graph_.constants[key] = read(key, shape);
  record(key, shape);
  return key;
}

std::string GraphWriter::weight(const std::string& key, const std::vector<int64_t>& stored,
                                const std::vector<int64_t>& shape) {
  const std::string name = key + ".reshaped";
  if (!graph_.is_constant(name)) {
    Constant c = read(key, stored);
    c.shape = shape;  // the element count was checked with the expected keys
    graph_.constants[name] = std::move(c);
  }
  record(key, stored);
  return name;
}

void GraphWriter::unused(const std::string& key, const std::vector<int64_t>& shape) { record(key, shape); }

std::string GraphWriter::constant(std::vector<int64_t> shape, std::vector<double> values) {
  const std::string name = fresh("const");
  graph_.constants[name] = Constant{std::move(shape), std::move(values)};
  return name;
}

std::string GraphWriter::op(const std::string& type, std::vector<std::string> inputs,
                            std::map<std::string, Attribute> attributes) {
  Node n;
  n.op = type;
  n.name = fresh(scope_ + "/" + type);
  n.inputs = std::move(inputs);
  n.outputs = {n.name + "_output"};
  n.attributes = std::move(attributes);
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back().outputs[0];
}

std::string GraphWriter::conv(const std::string& x, const std::string& w, int kernel, int stride, int pad,
                              const std::string& bias) {
  const int64_t k = kernel;
  std::vector<std::string> inputs = {x, w};
  if (!bias.empty()) inputs.push_back(bias);
  return op("Conv", inputs,
            {{"kernel_shape", ints({k, k})}, {"strides", ints({stride, stride})}, {"pads", ints({pad, pad, pad, pad})},
             {"dilations", ints({1, 1})}, {"group", integer(1)}});
}

void GraphWriter::record_batchnorm(const std::string& prefix, int64_t channels) {
  for (const char* field : {".weight", ".bias", ".running_mean", ".running_var"}) record(prefix + field, {channels});
  record(prefix + ".num_batches_tracked", {});
}

std::string GraphWriter::batchnorm(const std::string& x, const std::string& prefix, int64_t channels, double epsilon) {
  record_batchnorm(prefix, channels);  // listed in the state dict's order
  const std::string out =
      op("BatchNormalization",
         {x, weight(prefix + ".weight", {channels}), weight(prefix + ".bias", {channels}),
          weight(prefix + ".running_mean", {channels}), weight(prefix + ".running_var", {channels})},
         {{"epsilon", real(epsilon)}, {"momentum", real(0.9)}});
  return out;
}

std::string GraphWriter::conv_bn(const std::string& x, const std::string& w_key, const std::vector<int64_t>& w_shape,
                                 int stride, int pad, const std::string& bn_prefix, double epsilon) {
  const std::string w = weight(w_key, w_shape);
  const int64_t channels = w_shape.at(0);
  record_batchnorm(bn_prefix, channels);
  const std::string eps = scalar(static_cast<float>(epsilon));
  const std::string s =
      op("Div", {weight(bn_prefix + ".weight", {channels}),
                 op("Sqrt", {op("Add", {weight(bn_prefix + ".running_var", {channels}), eps})})});
  const std::string fused_w = op("Mul", {w, op("Reshape", {s, constant({4}, {double(channels), 1, 1, 1})})});
  const std::string zero = constant({channels}, std::vector<double>(static_cast<size_t>(channels), 0.0));
  const std::string fused_b = op("Add", {op("Mul", {op("Sub", {zero, weight(bn_prefix + ".running_mean", {channels})}), s}),
                                         weight(bn_prefix + ".bias", {channels})});
  return conv(x, fused_w, static_cast<int>(w_shape.at(2)), stride, pad, fused_b);
}

std::string GraphWriter::sign(const std::string& x) {
  const std::string ge = op("GreaterOrEqual", {x, scalar(0)});
  return op("Where", {ge, scalar(1), scalar(-1)});
}

std::string GraphWriter::mean_abs_scale(const std::string& w) {
  std::string scale = op("Abs", {w});
  for (int64_t axis : {3, 2, 1}) scale = op("ReduceMean", {scale}, {{"axes", ints({axis})}, {"keepdims", integer(1)}});
  return scale;
}

std::string GraphWriter::binarized_weight(const std::string& w) { return op("Mul", {mean_abs_scale(w), op("Sign", {w})}); }

std::string GraphWriter::reshape(const std::string& x, std::vector<int64_t> shape) {
  std::vector<double> dims(shape.begin(), shape.end());
  return op("Reshape", {x, constant({static_cast<int64_t>(dims.size())}, dims)});
}

std::string GraphWriter::learnable_bias(const std::string& x, const std::string& key, int64_t channels) {
  return op("Add", {x, reshape(weight(key, {1, channels, 1, 1}), {-1, 1, 1})});
}

std::string GraphWriter::prelu(const std::string& x, const std::string& key, int64_t channels) {
  return op("PRelu", {x, reshape(weight(key, {channels}), {-1, 1, 1})});
}

std::string GraphWriter::avg_pool(const std::string& x, int kernel, int stride, bool ceil_mode) {
  return op("AveragePool", {x},
            {{"kernel_shape", ints({kernel, kernel})}, {"strides", ints({stride, stride})},
             {"pads", ints({0, 0, 0, 0})}, {"ceil_mode", integer(ceil_mode)}, {"count_include_pad", integer(1)}});
}

std::string GraphWriter::max_pool(const std::string& x, int kernel, int stride, int pad) {
  return op("MaxPool", {x},
            {{"kernel_shape", ints({kernel, kernel})}, {"strides", ints({stride, stride})},
             {"pads", ints({pad, pad, pad, pad})}, {"ceil_mode", integer(0)}});
}

std::string GraphWriter::dense(const std::string& x, const std::string& prefix, int64_t in, int64_t out, bool flatten) {
  const std::string flat = flatten ? op("Flatten", {x}, {{"axis", integer(1)}}) : x;
  return op("Gemm", {flat, weight(prefix + ".weight", {out, in}), weight(prefix + ".bias", {out})},
            {{"alpha", real(1)}, {"beta", real(1)}, {"transB", integer(1)}});
}

Graph GraphWriter::finish(const std::string& output) {
  graph_.output = output;
  return std::move(graph_);
}

}  // namespace bnn::convert
