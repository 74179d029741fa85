/**
 * The runtime context block that x27 points at while JIT code runs. The runtime owns the
 * memory (a Buffer kept alive with the program); the JIT only embeds its address.
 *
 *   +0   exit request: EXIT_REQUEST_* below (0 = none)
 *   +8   exit value (R0 when the request is 1; the offending id when it is 2; the address
 *        for a sandbox failure or a fault)
 *   +16  exit detail: the native pc where the program stopped (budget, sandbox, fault, depth)
 *   +24  exit detail 2: sandbox: access size | write << 56; fault: the handler's signal word
 *   +32  sandbox: the lowest address a shadow stack frame may start at; helper argument
 *        checks without the sandbox: the entry function's R10 (CTX_STACK_TOP), 0 without one
 *   +40  sandbox: the region table entry reads hit last (the inline check's cache)
 *   +48  sandbox: the region table entry writes hit last (always a writable one)
 *   +56  sandbox: the internal context struct whose data / data_end / data_meta (offsets 0, 8,
 *        16: XDP_INTERNAL, SKB_INTERNAL) the packet regions follow, or 0 (no packet): after a
 *        helper that moves them (changesPacketData) the code rewrites entries 1 (packet
 *        [data, data_end)) and 2 (metadata [data_meta, data)) of the region table
 *   +64  helper argument checks: the run's context pointer (ARG_PTR_TO_CTX must be it), or 0
 *        (unknown: not checked)
 *   +72  sandbox region table (safety/sandbox.ts): SANDBOX_REGIONS entries of 32 bytes
 *        {start, length, flags, element size | stride << 32 (REGION_STRIDED entries)}, then
 *        a terminating entry with flags 0; entry 0 is the live stack frames [current
 *        frame's bottom, shadow stack top). Low in the block so that LDP/STP reach entry 0
 *        from x27
 *   +CTX_HELPERS  helper table: one code address per helper id, HELPER_TABLE_SIZE entries
 *   +CTX_MAPS  the program's maps (helper argument checks): up to MAX_CHECKED_MAPS addresses,
 *        then 0
 *
 * Words +0..+71 (and the region table) are per-call state: JitProgram.call saves and
 * restores them around a run nested in a helper, so each run has its own (re-entrancy).
 */
export const CTX_EXIT_REQUEST = 0;
export const CTX_EXIT_VALUE = 8;
export const CTX_EXIT_DETAIL = 16;
export const CTX_EXIT_DETAIL2 = 24;
export const CTX_SHADOW_LIMIT = 32;
export const CTX_STACK_TOP = 32;
export const CTX_REGION_CACHE_READ = 40;
export const CTX_REGION_CACHE_WRITE = 48;
export const CTX_PACKET_CONTEXT = 56;
export const CTX_ARG_CONTEXT = 64;
export const CTX_REGIONS = 72;
export const REGION_ENTRY_SIZE = 32;
/** with a packet context (CTX_PACKET_CONTEXT), the packet's and the metadata's table entries */
export const REGION_ENTRY_PACKET = 1;
export const REGION_ENTRY_META = 2;
/** region table entries (the stack, the given memory or context, data images, map values, ...) */
export const SANDBOX_REGIONS = 64;
export const CTX_HELPERS = CTX_REGIONS + REGION_ENTRY_SIZE * (SANDBOX_REGIONS + 1);
export const HELPER_TABLE_SIZE = 1024;
export const CTX_MAPS = CTX_HELPERS + 8 * HELPER_TABLE_SIZE;
export const MAX_CHECKED_MAPS = 256;
export const CONTEXT_SIZE = CTX_MAPS + 8 * (MAX_CHECKED_MAPS + 1);
/** the per-call words JitProgram.call saves around a nested run */
export const CTX_PER_CALL_BYTES = 72;
/** the inline check caches only entries at least this long (see safety/sandbox.ts) */
export const REGION_CACHE_MIN = 8;

/** region table entry flags */
export const REGION_LIVE = 1;
export const REGION_WRITABLE = 2;
/** valid iff (addr - start) % stride + size <= element size (map values); never cached */
export const REGION_STRIDED = 4;

export const EXIT_REQUEST_NONE = 0;
/** a helper called env.exit(value): R0 = value */
export const EXIT_REQUEST_HELPER = 1;
/** callx to an id no helper has, or to an address that is no function of the program */
export const EXIT_REQUEST_BAD_CALL = 2;
/** a JS helper threw; the error waits in the JS run state */
export const EXIT_REQUEST_HELPER_ERROR = 3;
/** the instruction budget ran out */
export const EXIT_REQUEST_BUDGET = 4;
/** a sandbox check failed */
export const EXIT_REQUEST_SANDBOX = 5;
/** the fault handler contained a fault (native/fault.cc) */
export const EXIT_REQUEST_FAULT = 6;
/** a call went past the sandbox's shadow stack (MAX_CALL_FRAMES frames) */
export const EXIT_REQUEST_DEPTH = 7;
/**
 * a helper argument check failed (safety/sandbox.ts emitHelperArgChecks): value = the
 * argument, detail = the native pc, detail2 = argument number | check << 8 | size << 16
 * (check: HELPER_ARG_CHECK_*)
 */
export const EXIT_REQUEST_HELPER_ARG = 8;
export const HELPER_ARG_CHECK_MAP = 0;
export const HELPER_ARG_CHECK_READ = 1;
export const HELPER_ARG_CHECK_WRITE = 2;
export const HELPER_ARG_CHECK_CTX = 3;
/**
 * a sandbox pointer-arithmetic check failed (safety/sandbox.ts emitPointerCheck): value = the
 * offset the pointer would have had, detail = the native pc of the check
 */
export const EXIT_REQUEST_POINTER = 9;
