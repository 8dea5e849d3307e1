// SPDX-License-Identifier: Apache-2.0
// Every limit on what an input may ask for, in one place. Each parser of
// untrusted bytes (model files, .npy, ONNX, and later images, checkpoints and
// camera frames) checks sizes against these before allocating anything, and
// its refusal names the limit. docs/reliability.md lists them with their reasons.
#pragma once

#include <cstdint>

namespace bnn::limits {

// Model files (model_format/validate.cc).
constexpr int kMaxRank = 4;                                   // tensor rank
constexpr int64_t kMaxTensorElements = int64_t{1} << 28;      // per tensor; also keeps counts inside int
constexpr int64_t kMaxTensorBytes = int64_t{1} << 30;         // per tensor
constexpr int64_t kMaxActivationBytes = int64_t{1} << 30;     // all activations together: bounds the arena
constexpr int64_t kMaxChannels = int64_t{1} << 20;             // channels (or features) of one tensor in the converter
constexpr int kMaxBits = 4;                                   // bit planes of a packed tensor
constexpr int kMaxWindow = 1 << 12;                           // kernel, stride, dilation and pad
constexpr int kMaxScheduleKnob = 1 << 16;                     // schedule tiles, unroll, threads
constexpr int64_t kMaxModelBytes = int64_t{2147483647};       // FlatBuffers cannot address more
constexpr int kMaxTensors = 1 << 16;                          // tensors in a model
constexpr int kMaxLayers = 1 << 14;                           // layers in a model (planning is quadratic)
constexpr int kMaxFlatbufferDepth = 64;
constexpr int kMaxFlatbufferTables = 10'000'000;

// bnn-run's buffers: the output batch, and every layer's output with --dump-dir.
constexpr int64_t kMaxRunFloats = int64_t{1} << 28;

// A label list given to bnn-convert --labels (one label a line).
constexpr int64_t kMaxLabelsFileBytes = int64_t{1} << 24;

// .npy files (apps/common/npy.cc).
constexpr int64_t kMaxNpyHeaderBytes = 1 << 16;
constexpr int kMaxNpyRank = 8;
constexpr int64_t kMaxNpyElements = int64_t{1} << 28;        // 1 GiB of float32, as bnn-run's outputs

// ONNX files (converter/onnx_import.cc, converter/simplify.cc).
constexpr int64_t kMaxOnnxBytes = int64_t{1} << 30;
constexpr int64_t kMaxOnnxConstantElements = int64_t{1} << 28;  // an initializer (its data must be in the file)
constexpr int64_t kMaxFoldedElements = int64_t{1} << 26;        // a constant folding creates (no file backs it)
constexpr int64_t kMaxFoldedTotal = int64_t{1} << 27;           // all constants folding creates in one graph
constexpr int kMaxQuantizerSteps = 32;                          // elementwise steps fused before one binarizer
constexpr int kMaxOnnxNodes = 20'000;                           // bounds memory; every pass is near-linear in nodes

// PyTorch checkpoints and safetensors (converter/checkpoint/).
constexpr int64_t kMaxCheckpointBytes = int64_t{1} << 32;     // a checkpoint file
constexpr int kMaxZipEntries = 1 << 16;                       // entries in a torch.save archive
constexpr int64_t kMaxPickleOps = int64_t{1} << 24;           // opcodes run for one data.pkl
constexpr int64_t kMaxPickleValues = int64_t{1} << 20;        // values it may create (~170 MB at most)
constexpr int64_t kMaxJsonValues = int64_t{1} << 20;          // values in a safetensors header
constexpr int kMaxPickleDepth = 64;                           // nesting of containers that we walk
constexpr int64_t kMaxSafetensorsHeaderBytes = int64_t{1} << 24;  // the JSON header (and kMaxJsonValues)

// Pictures and camera frames (apps/common/image_file.cc decodes, engine/imaging/frame.cc
// checks frame descriptors, engine/imaging/preprocess.cc resizes).
constexpr int kMaxImageDimension = 1 << 14;                   // width or height, file, frame or model; STBI_MAX_DIMENSIONS
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;         // 64 Mpixel: 256 MiB decoded as RGBA
constexpr int64_t kMaxFrameStride = int64_t{1} << 30;         // bytes from row to row of a frame plane
constexpr int64_t kMaxFrameBytes = int64_t{1} << 30;          // a frame buffer the tools allocate (frame_bytes)
constexpr int64_t kMaxImageFileBytes = int64_t{1} << 28;      // an image file
constexpr int kMaxJpegScans = 256;                            // each scan revisits every block of the picture

}  // namespace bnn::limits
