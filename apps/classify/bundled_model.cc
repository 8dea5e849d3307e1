#include "apps/classify/bundled_model.h"

#ifdef BNN_BUNDLED_MODEL_PATH
// The file's bytes, placed by the assembler (.incbin): no generated source,
// no copy at startup. 16-byte aligned like a FlatBuffers buffer wants.
asm(".section .rodata\n"
    ".balign 16\n"
    "bnn_bundled_model_begin:\n"
    ".incbin \"" BNN_BUNDLED_MODEL_PATH "\"\n"
    "bnn_bundled_model_end:\n"
    ".previous\n");
extern "C" const uint8_t bnn_bundled_model_begin[];
extern "C" const uint8_t bnn_bundled_model_end[];
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
