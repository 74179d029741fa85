/* Stub of the macOS arm64 ucontext declarations the fault handler uses (<sys/ucontext.h> and
 * <mach/arm/_structs.h>: uc_mcontext is a pointer to struct __darwin_mcontext64, whose __ss
 * holds x0-x28, fp, lr, sp, pc, cpsr and __es the fault address and ESR). It shadows glibc's
 * header of the same name, so the __APPLE__ branch of native/fault.cc can be type-checked on
 * Linux. Not a build: only the names and types the code touches. */
#pragma once
#include <stdint.h>
#include <bits/types/stack_t.h>
#include <bits/types/sigset_t.h>
struct __darwin_arm_exception_state64 {
  uint64_t __far;
  uint32_t __esr;
  uint32_t __exception;
};
struct __darwin_arm_thread_state64 {
  uint64_t __x[29];
  uint64_t __fp;
  uint64_t __lr;
  uint64_t __sp;
  uint64_t __pc;
  uint32_t __cpsr;
  uint32_t __pad;
};
struct __darwin_mcontext64 {
  struct __darwin_arm_exception_state64 __es;
  struct __darwin_arm_thread_state64 __ss;
};
typedef struct __darwin_ucontext {
  int uc_onstack;
  sigset_t uc_sigmask;
  stack_t uc_stack;
  struct __darwin_ucontext *uc_link;
  size_t uc_mcsize;
  struct __darwin_mcontext64 *uc_mcontext;
} ucontext_t;
