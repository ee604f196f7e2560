/* fuzz_certmap_load: any bytes as certmap.ini. The loader must neither crash
 * nor read past the buffer (it is not NUL-terminated), must say why whenever
 * it refuses, and a table it accepts must respect every limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct certmap table;
static struct gh_error errs[GH_MAX_LOAD_ERRORS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = -1;
    int rc = certmap_load(&table, "fuzz.ini", (const char *)data, size, errs, GH_MAX_LOAD_ERRORS, &n);
    if ((rc == 0) != (n == 0) || n < 0)
        abort();
    for (int i = 0; i < n && i < GH_MAX_LOAD_ERRORS; i++)
        if (errs[i].msg[0] == '\0' || errs[i].line < 0 || (i > 0 && errs[i].line < errs[i - 1].line))
            abort();
    if (rc != 0)
        return 0;
    if (table.count > GH_MAX_MAPPINGS || table.version != 1)
        abort();
    for (int i = 0; i < table.count; i++) {
        const struct certmap_mapping *m = &table.maps[i];
        size_t len = strlen(m->name);
        if (len == 0 || len > GH_MAP_NAME_MAX || strspn(m->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "abcdefghijklmnopqrstuvwxyz0123456789._-") != len)
            abort();
        if (m->kind == CERTMAP_BY_MATCH ? m->nmatch == 0 : m->nmatch != 0)
            abort();
        if (m->nmatch > GH_MAX_MATCH_PER_MAPPING || m->role > GH_ROLE_ADMIN ||
            (m->deny ? m->role != GH_ROLE_NONE : m->role == GH_ROLE_NONE))
            abort();
        for (int j = 0; j < m->nmatch; j++)
            if (m->match[j].pattern[0] == '\0' || m->match[j].field >= GH_F_COUNT)
                abort();
    }
    return 0;
}
