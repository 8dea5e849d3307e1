// ARMv7 NEON build of the shared NEON microkernel (32-bit Raspberry Pi OS),
// compiled with -mfpu=neon.
#define BNN_NEON_NAMESPACE neon32
#include "kernels/arm_neon/bgemm-4x4-neon.inc"
