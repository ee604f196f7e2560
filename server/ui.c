/* GET / and /ui/...: the device UI, compiled in gzip-compressed (ui.cmake
 * generates ui_assets.c from server/ui/ at build time).
 *
 * Only the compressed bytes are kept, to keep the binary small. Every browser
 * accepts gzip; a request without Accept-Encoding accepts any coding (RFC
 * 9110, 12.5.3) and gets gzip too; a client that refuses gzip outright gets
 * 406 rather than bytes it said it cannot read. Each asset has a strong ETag
 * (a hash of its compressed bytes made at build time), so a browser
 * revalidates with If-None-Match and gets 304 until the firmware changes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "routes.h"
#include "ui_assets.h"

static const struct ui_asset *find_asset(const char *uri)
{
    const char *name;
    if (strcmp(uri, "/") == 0)
        name = "index.html";
    else if (strncmp(uri, "/ui/", 4) == 0)
        name = uri + 4;
    else
        return NULL;
    for (size_t i = 0; i < ui_asset_count; i++)
        if (strcmp(ui_assets[i].name, name) == 0)
            return &ui_assets[i];
    return NULL;
}

/* Is the q-value after "q=" zero ("0", "0.", "0.000")? */
static int q_is_zero(const char *p, size_t n)
{
    if (n == 0 || p[0] != '0')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (p[i] != '.' && p[i] != '0')
            return 0;
    return 1;
}

/* One Accept-Encoding element, e.g. " gzip;q=0.5": *name_len and whether
 * its q-value is zero. */
static void parse_coding(const char *s, size_t n, const char **name, size_t *name_len, int *refused)
{
    size_t a = 0, b;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    b = a;
    while (b < n && s[b] != ';' && s[b] != ' ' && s[b] != '\t')
        b++;
    *name = s + a;
    *name_len = b - a;
    *refused = 0;
    const char *q = NULL;
    for (size_t i = b; i + 1 < n; i++)
        if ((s[i] == 'q' || s[i] == 'Q') && s[i + 1] == '=') {
            q = s + i + 2;
            break;
        }
    if (q) {
        size_t qn = 0;
        while (q + qn < s + n && q[qn] != ' ' && q[qn] != ';' && q[qn] != '\t')
            qn++;
        *refused = q_is_zero(q, qn);
    }
}

static int accepts_gzip(const char *header)
{
    int star = -1;   /* -1: "*" not mentioned */
    if (!header)
        return 1;
    for (const char *p = header; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *name;
        size_t len;
        int refused;
        parse_coding(p, n, &name, &len, &refused);
        if ((len == 4 && strncasecmp(name, "gzip", 4) == 0) ||
            (len == 6 && strncasecmp(name, "x-gzip", 6) == 0))
            return !refused;
        if (len == 1 && name[0] == '*')
            star = !refused;
        p += n + (comma ? 1 : 0);
    }
    return star == 1;
}

/* Does If-None-Match list etag (or "*")? Weak comparison, as RFC 9110
 * 13.1.2 asks for If-None-Match. */
static int etag_matches(const char *header, const char *etag)
{
    size_t elen = strlen(etag);
    if (!header)
        return 0;
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (strncmp(p, etag, elen) == 0 && (p[elen] == '\0' || p[elen] == ',' || p[elen] == ' ' ||
                                            p[elen] == '\t'))
            return 1;
        const char *comma = strchr(p, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int ui_serve(struct gh_request *rq)
{
    const struct ui_asset *a = find_asset(rq->ri->local_uri);
    char extra[160];
    if (!a) {
        snprintf(rq->audit->reason, sizeof rq->audit->reason, "not-found");
        return http_error(rq->mc, 404, 0, NULL, "There is no such page on this device.", NULL,
                          rq->head);
    }
    snprintf(extra, sizeof extra, "ETag: %s\r\nVary: Accept-Encoding\r\n", a->etag);
    if (etag_matches(mg_get_header(rq->mc, "If-None-Match"), a->etag)) {
        /* no body; Content-Length says what a 200 would carry (RFC 9110 8.6) */
        http_send(rq->mc, 304, a->type, NULL, a->gz_len, HTTP_ASSET, extra, 1);
        return 304;
    }
    if (!accepts_gzip(mg_get_header(rq->mc, "Accept-Encoding"))) {
        snprintf(rq->audit->detail, sizeof rq->audit->detail, "the client refuses gzip");
        return http_error(rq->mc, 406, 0, NULL,
                          "This device keeps its pages gzip-compressed only, and your client "
                          "refuses gzip (Accept-Encoding). Any web browser can show them.",
                          "Vary: Accept-Encoding\r\n", rq->head);
    }
    snprintf(extra, sizeof extra, "Content-Encoding: gzip\r\nETag: %s\r\nVary: Accept-Encoding\r\n",
             a->etag);
    http_send(rq->mc, 200, a->type, a->gz, a->gz_len, HTTP_ASSET, extra, rq->head);
    return 200;
}
