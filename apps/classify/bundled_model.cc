// SPDX-License-Identifier: Apache-2.0
#include "apps/classify/bundled_model.h"

#ifdef BNN_BUNDLED_MODEL_PATH
// The file's bytes, placed by the assembler (.incbin): no generated source,
// no copy at startup. 16-byte aligned like a FlatBuffers buffer wants.
// The labels are global but hidden, so the compiler addresses them directly
// (PC-relative) instead of through the GOT: on aarch64 the linker gave the
// two local labels' GOT references the same slot, and the size came out 0.
asm(".section .rodata\n"
    ".balign 16\n"
    ".globl bnn_bundled_model_begin\n"
    ".hidden bnn_bundled_model_begin\n"
    ".globl bnn_bundled_model_end\n"
    ".hidden bnn_bundled_model_end\n"
    "bnn_bundled_model_begin:\n"
    ".incbin \"" BNN_BUNDLED_MODEL_PATH "\"\n"
    "bnn_bundled_model_end:\n"
    ".previous\n");
extern "C" __attribute__((visibility("hidden"))) const uint8_t bnn_bundled_model_begin[];
extern "C" __attribute__((visibility("hidden"))) const uint8_t bnn_bundled_model_end[];
#endif

namespace bnn {

BundledModel bundled_model() {
#ifdef BNN_BUNDLED_MODEL_PATH
  return {bnn_bundled_model_begin, static_cast<size_t>(bnn_bundled_model_end - bnn_bundled_model_begin)};
#else
  return {};
#endif
}

}  // namespace bnn
