#include "converter/ir.h"

#include <algorithm>

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
