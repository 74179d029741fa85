/* Declarations Apple's <pthread.h> and <sys/mman.h> add (MAP_JIT is 0x0800 on macOS). */
#pragma once
#include <pthread.h>
#include <sys/mman.h>
#define MAP_JIT 0x0800
extern "C" void pthread_jit_write_protect_np(int enabled);
