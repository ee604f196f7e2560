/* GET / and /ui/...: the device UI, compiled in gzip-compressed (ui.cmake
 * generates ui_assets.c from server/ui/ at build time).
 *
 * Only the compressed bytes are kept, to keep the binary small. A client
 * that accepts gzip (every browser) gets them as they are; one that does not
 * say so (curl without --compressed sends no Accept-Encoding) gets the files
 * themselves, decompressed once into memory that stays untouched until such
 * a client comes; one that refuses both gets 406. Each representation has
 * its own strong ETag (a hash of the compressed bytes made at build time,
 * "-identity" for the plain one), so a client revalidates with If-None-Match
 * and gets 304 until the firmware changes. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gunzip.h"
#include "log.h"
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

/* Does Accept-Encoding accept the coding (given as its name, and an alias
 * or NULL)? Unnamed codings follow "*"; identity is acceptable unless
 * refused by name or by "*;q=0" (RFC 9110 12.5.3). */
static int accepts(const char *header, const char *coding, const char *alias, int unnamed)
{
    int star = -1;   /* -1: "*" not mentioned */
    for (const char *p = header; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *name;
        size_t len;
        int refused;
        parse_coding(p, n, &name, &len, &refused);
        if ((len == strlen(coding) && strncasecmp(name, coding, len) == 0) ||
            (alias && len == strlen(alias) && strncasecmp(name, alias, len) == 0))
            return !refused;
        if (len == 1 && name[0] == '*')
            star = !refused;
        p += n + (comma ? 1 : 0);
    }
    return star == -1 ? unnamed : star;
}

/* ---- the plain files, decompressed on first demand ---- */

static unsigned char plain_[UI_RAW_TOTAL];
static size_t plain_at_[UI_ASSET_COUNT];
static int plain_ok_;
static pthread_once_t plain_once_ = PTHREAD_ONCE_INIT;

static void plain_decode(void)
{
    size_t off = 0;
    for (size_t i = 0; i < ui_asset_count && i < UI_ASSET_COUNT; i++) {
        const struct ui_asset *a = &ui_assets[i];
        struct gh_error e;
        size_t n = 0;
        if (a->raw_len > sizeof plain_ - off ||
            gh_gunzip(a->gz, a->gz_len, plain_ + off, a->raw_len, &n, &e) != 0 || n != a->raw_len) {
            gh_log(GH_LOG_ERR, "ui: %s: cannot decompress the built-in copy: %s", a->name,
                   a->raw_len > sizeof plain_ - off ? "larger than the build said" : e.msg);
            return;
        }
        plain_at_[i] = off;
        off += n;
    }
    plain_ok_ = 1;
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
    const char *ae = mg_get_header(rq->mc, "Accept-Encoding");
    char extra[192], etag[48];
    if (!a) {
        snprintf(rq->audit->reason, sizeof rq->audit->reason, "not-found");
        return http_error(rq->mc, 404, 0, NULL, "There is no such page on this device.", NULL,
                          rq->head);
    }
    /* gzip only when asked for: no Accept-Encoding means "any", but a
     * client that sends none (curl, scripts) cannot read gzip either */
    int gzip = ae && accepts(ae, "gzip", "x-gzip", 0);
    if (!gzip && ae && !accepts(ae, "identity", NULL, 1)) {
        snprintf(rq->audit->detail, sizeof rq->audit->detail, "the client refuses gzip and identity");
        return http_error(rq->mc, 406, 0, NULL,
                          "This device has its pages gzip-compressed or plain, and your client "
                          "refuses both (Accept-Encoding). Any web browser can show them.",
                          "Vary: Accept-Encoding\r\n", rq->head);
    }
    const unsigned char *body = a->gz;
    size_t len = a->gz_len;
    if (gzip) {
        snprintf(etag, sizeof etag, "%s", a->etag);
    } else {
        pthread_once(&plain_once_, plain_decode);
        if (!plain_ok_)
            return http_error(rq->mc, 500, 0, NULL, "This device cannot unpack its pages; a client "
                              "that accepts gzip (any web browser) can show them.", NULL, rq->head);
        body = plain_ + plain_at_[a - ui_assets];
        len = a->raw_len;
        /* "HASH" -> "HASH-identity": a representation of its own */
        snprintf(etag, sizeof etag, "%.*s-identity\"", (int)strlen(a->etag) - 1, a->etag);
    }
    snprintf(extra, sizeof extra, "%sETag: %s\r\nVary: Accept-Encoding\r\n",
             gzip ? "Content-Encoding: gzip\r\n" : "", etag);
    if (etag_matches(mg_get_header(rq->mc, "If-None-Match"), etag)) {
        /* no body; Content-Length says what a 200 would carry (RFC 9110 8.6) */
        http_send(rq->mc, 304, a->type, NULL, len, HTTP_ASSET, extra, 1);
        return 304;
    }
    http_send(rq->mc, 200, a->type, body, len, HTTP_ASSET, extra, rq->head);
    return 200;
}
