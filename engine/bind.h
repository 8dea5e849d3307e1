// SPDX-License-Identifier: Apache-2.0
// Binding: turning one validated layer of the file into an Op with its kernel
// chosen and its constants resolved.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bnn/engine.h"
#include "engine/op.h"
#include "kernels/conv_geometry.h"
#include "kernels/cpu_features.h"
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

  // The kernel for this layer. This CPU's default is the last entry of the
  // table whose ISA is available and that runs the layer (tables list the
  // reference first), or the one given (bitserial convolutions:
  // default_bitserial_conv_kernel, which also weighs the layer's width). The
  // schedule's kernel is used if it names a kernel that can run here and the
  // schedule was tuned on this kind of CPU (or says nothing of where it was
  // tuned); otherwise the default runs and the reason is noted (TVM's
  // cfg.is_fallback).
  // `usable` says whether a kernel can run this particular layer.
  template <typename Kernel, typename Usable>
  const Kernel* choose(KernelTable<Kernel> table, const Usable& usable) const {
    return choose(table, usable, default_kernel(table, usable));
  }
  // The same with this CPU's default for the layer given (a family whose
  // default depends on the layer's shape).
  template <typename Kernel, typename Usable>
  const Kernel* choose(KernelTable<Kernel> table, const Usable& usable, const Kernel* fallback) const {
    if (!schedule) return fallback;
    const std::string named = schedule->kernel() ? current_kernel_name(schedule->kernel()->str()) : "";
    if (const fb::CpuIdentity* cpu = schedule->tuned_for()) {
      const std::string arch = cpu->arch() ? cpu->arch()->str() : "";
      const std::string model = cpu->model_name() ? cpu->model_name()->str() : "";
      if (arch != cpu_arch() || model != cpu_model_name()) {
        *schedule_note = "tuned for " + model + " (" + arch + "), this is " + cpu_model_name() + " (" + cpu_arch() +
                         "): using this CPU's default '" + fallback->name + "'" +
                         (named.empty() ? "" : " instead of '" + named + "'");
        return fallback;
      }
    }
    if (named.empty()) return fallback;
    for (const Kernel& k : table) {
      if (named != k.name) continue;
      if (isa_available(k.isa) && usable(k)) return &k;
      *schedule_note = "schedule names kernel '" + named + "' (" + isa_name(k.isa) + "), which " +
                       (isa_available(k.isa) ? "cannot run this layer (or, a float kernel, rounds unlike the default)"
                                                 : "this CPU cannot run") +
                       "; using '" +
                       fallback->name + "'";
      return fallback;
    }
    *schedule_note = "schedule names kernel '" + named + "', which this build does not have; using '" +
                     fallback->name + "'";
    return fallback;
  }
  template <typename Kernel>
  const Kernel* choose(KernelTable<Kernel> table) const {
    return choose(table, [](const Kernel&) { return true; });
  }
};

std::unique_ptr<Op> bind_layer(const fb::Layer& layer, const BindContext& ctx);

// One factory per layer family (engine/ops/).
std::unique_ptr<Op> make_conv2d_op(const fb::Conv2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_int8_conv2d_op(const fb::Int8Conv2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_bitserial_conv2d_op(const fb::BitserialConv2D& l, const BindContext& ctx);
// The convolution a BitserialConv2D layer describes (what its kernel choice
// and candidate schedules depend on).
BitserialConvArgs bitserial_conv_args(const fb::BitserialConv2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_quantize_op(const fb::Quantize& l, const BindContext& ctx);
std::unique_ptr<Op> make_batchnorm_op(const fb::BatchNorm& l, const BindContext& ctx);
std::unique_ptr<Op> make_add_op(const fb::Add& l, const BindContext& ctx);
std::unique_ptr<Op> make_activation_op(const fb::ActivationLayer& l, const BindContext& ctx);
std::unique_ptr<Op> make_pool2d_op(const fb::Pool2D& l, const BindContext& ctx);
std::unique_ptr<Op> make_global_avg_pool_op(const fb::GlobalAvgPool& l, const BindContext& ctx);
std::unique_ptr<Op> make_dense_op(const fb::Dense& l, const BindContext& ctx);
std::unique_ptr<Op> make_softmax_op(const fb::Softmax& l, const BindContext& ctx);
std::unique_ptr<Op> make_concat_op(const fb::Concat& l, const BindContext& ctx);

}  // namespace bnn
