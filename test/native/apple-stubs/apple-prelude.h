/* Declarations Apple's <pthread.h> and <sys/mman.h> add (MAP_JIT is 0x0800 on macOS). */
#pragma once
#include <pthread.h>
#include <sys/mman.h>
#define MAP_JIT 0x0800
extern "C" void pthread_jit_write_protect_np(int enabled);
/* The thread id call native/helpers.cc uses on macOS. */
extern "C" int pthread_threadid_np(pthread_t thread, unsigned long long* id);
