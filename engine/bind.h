// Binding: turning one validated layer of the file into an Op with its kernel
// chosen and its constants resolved.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bnn/engine.h"
#include "engine/op.h"
#include "kernels/conv_geometry.h"
#include "kernels/output_transform.h"
#include "kernels/registry.h"
#include "kernels/types.h"
#include "model_format/schema.h"

namespace bnn {

struct BindContext {
  const std::vector<TensorInfo>& infos;
  const std::vector<TensorRecord>& tensors;
  const fb::Schedule* schedule = nullptr;  // the layer's, may be null
  std::string* schedule_note = nullptr;    // set when the schedule cannot be followed
  std::vector<int>* constants_read = nullptr;  // every constant the layer binds

  template <typename T>
  const T* constant(int index) const {
    if (index < 0) return nullptr;
    constants_read->push_back(index);
    return reinterpret_cast<const T*>(tensors[index].constant);
  }
  const TensorInfo& info(int index) const { return infos[index]; }
  Encoding encoding(int index) const { return infos[index].bipolar ? Encoding::kBipolar : Encoding::kUnipolar; }

  ConvGeometry geometry(const fb::Window& window, int input, int output, int groups) const;
  ActivationParams activation(const fb::Activation* activation) const;
  FloatTransform float_transform(const fb::OutputTransform* transform) const;

  // The kernel the schedule names, or the default (the first usable entry)
  // when it names none or one this build cannot run; the latter is noted.
  template <typename Kernel>
  const Kernel* choose(KernelTable<Kernel> table) const {
    const Kernel* fallback = table.begin();
    if (!schedule || !schedule->kernel() || schedule->kernel()->size() == 0) return fallback;
    for (const Kernel& k : table) {
      if (schedule->kernel()->str() == k.name) return &k;
    }
    *schedule_note = "schedule names kernel '" + schedule->kernel()->str() + "', which this build cannot run; using '" +
                     fallback->name + "'";
    return fallback;
  }
};

std::unique_ptr<Op> bind_layer(const fb::Layer& layer, const BindContext& ctx);

// One factory per layer family (engine/ops/).
std::unique_ptr<Op> make_conv2d_op(const fb::Conv2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_bitserial_conv2d_op(const fb::BitserialConv2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_quantize_op(const fb::Quantize& l, const BindContext& ctx);
std::unique_ptr<Op> make_batchnorm_op(const fb::BatchNorm& l, const BindContext& ctx);
std::unique_ptr<Op> make_add_op(const fb::Add& l, const BindContext& ctx);
std::unique_ptr<Op> make_activation_op(const fb::ActivationLayer& l, const BindContext& ctx);
std::unique_ptr<Op> make_pool2d_op(const fb::Pool2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_global_avg_pool_op(const fb::GlobalAvgPool& l, const BindContext& ctx);
std::unique_ptr<Op> make_dense_op(const fb::Dense& l, const BindContext& ctx);
std::unique_ptr<Op> make_softmax_op(const fb::Softmax& l, const BindContext& ctx);

}  // namespace bnn
