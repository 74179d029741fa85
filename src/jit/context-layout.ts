/**
 * The runtime context block that x27 points at while JIT code runs. The runtime owns the
 * memory (a Buffer kept alive with the program); the JIT only embeds its address.
 *
 *   +0   exit request: 0 = none, 1 = a helper asked the program to stop, 2 = bad callx
 *   +8   exit value (R0 when the request is 1; the offending id when it is 2)
 *   +16  reserved
 *   +64  helper table: one code address per helper id, HELPER_TABLE_SIZE entries
 */
export const CTX_EXIT_REQUEST = 0;
export const CTX_EXIT_VALUE = 8;
export const CTX_HELPERS = 64;
export const HELPER_TABLE_SIZE = 1024;
export const CONTEXT_SIZE = CTX_HELPERS + 8 * HELPER_TABLE_SIZE;

export const EXIT_REQUEST_NONE = 0;
export const EXIT_REQUEST_HELPER = 1;
export const EXIT_REQUEST_BAD_CALL = 2;
