// SPDX-License-Identifier: Apache-2.0
// Constant folding's evaluators: one per ONNX op, in one table
// (constant_eval.cc), each computing what PyTorch's float32 op gave. Weight
// math written in the graph (sign(W) * mean|W|, XNOR's norm(1) scales, DoReFa's
// tanh levels, expand_as) folds through them into plain weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "converter/ir.h"

namespace bnn::convert {

// Evaluates one node on constant inputs (nullptr for an omitted optional
// input). Returns false for an op it does not evaluate or inputs it refuses
// (a result past the folding limit, a shape that does not broadcast, ...).
bool evaluate_constant_node(const Node& node, const std::vector<const Constant*>& inputs, Constant* out);

// Whether `op` has an evaluator.
bool can_evaluate(const std::string& op);

// Elements of a shape, or -1 past the folding limit (limits::kMaxFoldedElements).
int64_t constant_element_count(const std::vector<int64_t>& shape);

}  // namespace bnn::convert
