#include "converter/checkpoint/graph_writer.h"

namespace bnn::convert {

GraphWriter::GraphWriter(const WeightFile& weights, std::vector<int64_t> input_nchw) : weights_(weights) {
  graph_.input = "input";
  graph_.input_shape = std::move(input_nchw);
  graph_.opset = 13;
}

std::string GraphWriter::fresh(const std::string& hint) { return hint + "_" + std::to_string(counter_++); }

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

std::string GraphWriter::weight(const std::string& key) {
  if (!graph_.is_constant(key)) graph_.constants[key] = weights_.read(key);
  return key;
}

std::string GraphWriter::weight(const std::string& key, const std::vector<int64_t>& shape) {
  const std::string name = key + ".reshaped";
  if (!graph_.is_constant(name)) {
    Constant c = weights_.read(key);
    c.shape = shape;  // the element count was checked with the expected keys
    graph_.constants[name] = std::move(c);
  }
  return name;
}

std::string GraphWriter::constant(std::vector<int64_t> shape, std::vector<double> values) {
  const std::string name = fresh("const");
  graph_.constants[name] = Constant{std::move(shape), std::move(values)};
  return name;
}

std::string GraphWriter::op(const std::string& type, std::vector<std::string> inputs,
                            std::map<std::string, Attribute> attributes) {
  Node n;
  n.op = type;
  n.name = fresh("/" + type);
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

std::string GraphWriter::batchnorm(const std::string& x, const std::string& prefix, double epsilon) {
  return op("BatchNormalization",
            {x, weight(prefix + ".weight"), weight(prefix + ".bias"), weight(prefix + ".running_mean"),
             weight(prefix + ".running_var")},
            {{"epsilon", real(epsilon)}, {"momentum", real(0.9)}});
}

std::string GraphWriter::conv_bn(const std::string& x, const std::string& w_key, int kernel, int stride, int pad,
                                 const std::string& bn_prefix, double epsilon) {
  const std::string w = weight(w_key);
  const int64_t channels = graph_.constants.at(w).shape.at(0);
  const std::string eps = scalar(static_cast<float>(epsilon));
  const std::string s = op("Div", {weight(bn_prefix + ".weight"), op("Sqrt", {op("Add", {weight(bn_prefix + ".running_var"), eps})})});
  const std::string fused_w = op("Mul", {w, op("Reshape", {s, constant({4}, {double(channels), 1, 1, 1})})});
  const std::string zero = constant({channels}, std::vector<double>(static_cast<size_t>(channels), 0.0));
  const std::string fused_b =
      op("Add", {op("Mul", {op("Sub", {zero, weight(bn_prefix + ".running_mean")}), s}), weight(bn_prefix + ".bias")});
  return conv(x, fused_w, kernel, stride, pad, fused_b);
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

std::string GraphWriter::learnable_bias(const std::string& x, const std::string& key) {
  return op("Add", {x, reshape(weight(key), {-1, 1, 1})});
}

std::string GraphWriter::prelu(const std::string& x, const std::string& key) {
  return op("PRelu", {x, reshape(weight(key), {-1, 1, 1})});
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

std::string GraphWriter::dense(const std::string& x, const std::string& prefix, bool flatten) {
  const std::string flat = flatten ? op("Flatten", {x}, {{"axis", integer(1)}}) : x;
  return op("Gemm", {flat, weight(prefix + ".weight"), weight(prefix + ".bias")},
            {{"alpha", real(1)}, {"beta", real(1)}, {"transB", integer(1)}});
}

Graph GraphWriter::finish(const std::string& output) {
  graph_.output = output;
  return std::move(graph_);
}

}  // namespace bnn::convert
