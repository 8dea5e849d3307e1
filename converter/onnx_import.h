// SPDX-License-Identifier: Apache-2.0
// Reading an ONNX file (as torch.onnx.export writes it, opsets 11 to 17) into
// the converter's graph. The only file that includes ONNX's protobuf headers.
#pragma once

#include <string>

#include "converter/ir.h"

namespace bnn::convert {

// Throws ConvertError naming the file and the problem. Every size in the file
// is checked against limits before anything is allocated for it.
Graph import_onnx(const std::string& path);

// The same on bytes already in memory; `name` labels errors.
Graph import_onnx_bytes(const std::string& bytes, const std::string& name);

}  // namespace bnn::convert
