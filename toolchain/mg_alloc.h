/* mg_alloc.h: civetweb's memory comes from our fixed web pool (server/pool.c).
 *
 * Force-included into civetweb.c only (toolchain/deps.cmake: -include), so
 * civetweb stays unpatched. civetweb allocates only through its inline
 * mg_malloc/mg_calloc/mg_realloc/mg_free, which call malloc/calloc/realloc/free
 * and come before its own "#define malloc DO_NOT_USE_THIS_FUNCTION..." guard:
 * renaming those four here sends every civetweb allocation to the pool, and
 * any later direct use still hits civetweb's guard.
 *
 * Function-like macros: <stdlib.h>'s declarations of the four, read later,
 * become declarations of the pool functions with the same signatures, which
 * is harmless. Only <stddef.h> here: <stdlib.h> would be read before civetweb
 * defines _GNU_SOURCE and break its feature tests.
 *
 * Also from budget.h, civetweb's thread stacks (USE_STACK_SIZE): what an idle
 * worker reserves in address space; RAM is only what a handshake touches;
 * and the bounds of a graceful close. */
#ifndef GH_MG_ALLOC_H
#define GH_MG_ALLOC_H

#include <stddef.h>

#include "../server/budget.h"

void *pool_web_malloc(size_t size);
void *pool_web_calloc(size_t n, size_t size);
void *pool_web_realloc(void *p, size_t size);
void pool_web_free(void *p);

#define malloc(size) pool_web_malloc(size)
#define calloc(n, size) pool_web_calloc(n, size)
#define realloc(p, size) pool_web_realloc(p, size)
#define free(p) pool_web_free(p)

#define USE_STACK_SIZE GH_WORKER_STACK_BYTES

/* The graceful close of patches/civetweb-0003 (linger_timeout_ms is its
 * whole bound, serve.c) */
#define MG_CLOSE_DRAIN 1
#define MG_CLOSE_QUIET_MS GH_CLOSE_QUIET_MS
#define MG_CLOSE_DRAIN_BYTES GH_CLOSE_DRAIN_BYTES

#endif
