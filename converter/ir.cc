#include "converter/ir.h"

namespace bnn::convert {

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

std::vector<size_t> Graph::consumers(const std::string& value) const {
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
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i].outputs) {
      if (out == value) return static_cast<long>(i);
    }
  }
  return -1;
}

}  // namespace bnn::convert
