// AArch64 NEON build of the shared NEON microkernel (Raspberry Pi 3/4/5, 64-bit OS).
#define BNN_NEON_NAMESPACE neon64
#include "kernels/arm_neon/bgemm-4x4-neon.inc"
