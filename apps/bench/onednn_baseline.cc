// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/onednn_baseline.h"

#if defined(BNN_HAVE_ONEDNN)
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace bnn::bench {

#if defined(BNN_HAVE_ONEDNN)

bool onednn_available() { return true; }

Timing onednn_conv(const ConvShape& s, bool int8, int threads) {
  using namespace dnnl;
  omp_set_num_threads(threads);  // Debian's oneDNN runs on OpenMP
  const ConvGeometry g = s.geometry();
  engine eng(engine::kind::cpu, 0);
  stream st(eng);
  const memory::data_type src_t = int8 ? memory::data_type::u8 : memory::data_type::f32;
  const memory::data_type wei_t = int8 ? memory::data_type::s8 : memory::data_type::f32;
  const memory::data_type dst_t = int8 ? memory::data_type::s32 : memory::data_type::f32;
  const memory::desc src_md({1, g.in_c, g.in_h, g.in_w}, src_t, memory::format_tag::any);
  const memory::desc wei_md({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, wei_t, memory::format_tag::any);
  const memory::desc dst_md({1, g.out_c, g.out_h, g.out_w}, dst_t, memory::format_tag::any);
  const convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct, src_md, wei_md,
                                       dst_md, {s.stride, s.stride}, {s.pad, s.pad}, {s.pad, s.pad});
  const convolution_forward::primitive_desc pd(desc, eng);
  memory src(pd.src_desc(), eng), wei(pd.weights_desc(), eng), dst(pd.dst_desc(), eng);
  // Ordinary values: a byte pattern would make fp32 denormals, which run
  // slowly on x86 and would flatter the comparison.
  if (int8) {
    std::memset(src.get_data_handle(), 1, pd.src_desc().get_size());
    std::memset(wei.get_data_handle(), 1, pd.weights_desc().get_size());
  } else {
    float* s = static_cast<float*>(src.get_data_handle());
    std::fill(s, s + pd.src_desc().get_size() / sizeof(float), 1.0f);
    float* w = static_cast<float*>(wei.get_data_handle());
    std::fill(w, w + pd.weights_desc().get_size() / sizeof(float), 0.01f);
  }
  convolution_forward conv(pd);
  return measure([&] {
    conv.execute(st, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
    st.wait();
  });
}

#else

bool onednn_available() { return false; }
Timing onednn_conv(const ConvShape&, bool, int) { return {}; }

#endif

}  // namespace bnn::bench
