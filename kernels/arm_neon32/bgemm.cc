// ARMv7 NEON build of the shared NEON microkernel (32-bit Raspberry Pi OS):
// 16 q registers, so 16-bit accumulation without the byte stage.
#define BNN_NEON_NAMESPACE neon32
#define BNN_NEON_BYTE_STAGE false
#include "kernels/arm_neon/bgemm-neon.inc"
