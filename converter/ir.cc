// SPDX-License-Identifier: Apache-2.0
#include "converter/ir.h"

#include <algorithm>
#include <unordered_map>

namespace bnn::convert {

std::string shown(const std::string& text) {
  constexpr size_t kShown = 200;
  if (text.size() <= kShown) return text;
  return text.substr(0, kShown) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string quoted(const std::string& text) { return "'" + shown(text) + "'"; }

int64_t Node::int_attr(const std::string& key, int64_t fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.i;
}

double Node::float_attr(const std::string& key, double fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.f;
}

std::vector<int64_t> Node::ints_attr(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.ints;
}

struct Graph::UseIndex {
  std::unordered_map<std::string, std::vector<size_t>> consumers;
  std::unordered_map<std::string, size_t> producer;  // the first writer, as the scan finds it
};

GraphIndex::GraphIndex(const Graph& g) : g_(g), index_(std::make_unique<Graph::UseIndex>()) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      // A node reading a value twice is listed once, as the scan lists it.
      if (std::find(n.inputs.begin(), n.inputs.begin() + static_cast<long>(k), n.inputs[k]) ==
          n.inputs.begin() + static_cast<long>(k)) {
        index_->consumers[n.inputs[k]].push_back(i);
      }
    }
    for (const std::string& out : n.outputs) index_->producer.emplace(out, i);
  }
  g.index.index = index_.get();
}

GraphIndex::~GraphIndex() { g_.index.index = nullptr; }

std::vector<size_t> Graph::consumers(const std::string& value) const {
  if (const UseIndex* use = index.index) {
    auto it = use->consumers.find(value);
    return it == use->consumers.end() ? std::vector<size_t>{} : it->second;
  }
  std::vector<size_t> found;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& in : nodes[i].inputs) {
      if (in == value) {
        found.push_back(i);
        break;
      }
    }
  }
  return found;
}

long Graph::producer(const std::string& value) const {
  if (const UseIndex* use = index.index) {
    auto it = use->producer.find(value);
    return it == use->producer.end() ? -1 : static_cast<long>(it->second);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i].outputs) {
      if (out == value) return static_cast<long>(i);
    }
  }
  return -1;
}

SliceAxis slice_axis(double start, double end, int64_t step, int64_t dim) {
  // In double first: starts and ends may be +-2^63. With a negative step,
  // starts clamp to [0, dim - 1] and ends to [-1, dim - 1].
  auto clamp = [&](double v, int64_t lo, int64_t hi) {
    if (v < 0) v += static_cast<double>(dim);
    return static_cast<int64_t>(std::min(std::max(v, static_cast<double>(lo)), static_cast<double>(hi)));
  };
  SliceAxis a;
  a.step = step;
  a.begin = step > 0 ? clamp(start, 0, dim) : clamp(start, 0, dim - 1);
  const int64_t e = step > 0 ? clamp(end, 0, dim) : clamp(end, -1, dim - 1);
  a.count = step > 0 ? std::max<int64_t>(0, (e - a.begin + step - 1) / step)
                     : std::max<int64_t>(0, (a.begin - e - step - 1) / -step);
  return a;
}

bool broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>* out) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> result(rank, 1);  // not written to *out directly: out may alias a or b
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    result[i] = da == 1 ? db : da;  // numpy: 1 broadcasts to anything, including 0
  }
  *out = std::move(result);
  return true;
}

}  // namespace bnn::convert
