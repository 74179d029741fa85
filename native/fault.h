// Fault containment (fault.cc): the process-wide signal handler and the code-range registry.
#pragma once
#include <napi.h>

namespace a64jit {
// Installs the handler (once per process) and this thread's alternate signal stack, and adds
// registerCodeRange, unregisterCodeRange, codeRangeAt and faultState to the exports.
void RegisterFault(Napi::Env env, Napi::Object exports);
}  // namespace a64jit
