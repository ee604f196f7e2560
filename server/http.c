#include "http.h"

#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "json.h"

/* The same on every answer. The UI is our own files only: no inline script,
 * no third-party origin, never framed. */
static const char common_headers[] =
    "Strict-Transport-Security: max-age=31536000\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n";

/* The head and a body that fit GH_HTTP_COALESCE_BYTES go out in one
 * mg_write: one TLS record and one send(). Written apart they cost a second
 * record, a second system call and a second wake-up of the client on every
 * keep-alive request (a third of the server's CPU per GET in a profile). */
void http_send(struct mg_connection *mc, int status, const char *content_type, const void *body,
               size_t len, int kind, const char *extra, int head)
{
    char buf[GH_HTTP_COALESCE_BYTES];
    size_t blen = head ? 0 : len;
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d %s\r\n"
                     "%s"
                     "Cache-Control: %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "\r\n",
                     status, mg_get_response_code_text(mc, status), common_headers,
                     kind == HTTP_ASSET ? "no-cache" : "no-store", content_type, len,
                     extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof buf)
        return;   /* cannot happen: the head is a few hundred bytes */
    if (blen <= sizeof buf - (size_t)n) {
        if (blen)
            memcpy(buf + n, body, blen);
        mg_write(mc, buf, (size_t)n + blen);
        return;
    }
    mg_write(mc, buf, (size_t)n);
    mg_write(mc, body, blen);
}

static void html_escape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep) {
            size_t k = strlen(rep);
            memcpy(out + n, rep, k);
            n += k;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
}

int http_error(struct mg_connection *mc, int status, int is_api, const char *reason,
               const char *msg, const char *extra, int head)
{
    char body[1536];
    if (is_api) {
        struct json j;
        json_init(&j, body, sizeof body);
        json_obj_open(&j, NULL);
        json_str(&j, "error", msg);
        if (reason)
            json_str(&j, "reason", reason);
        json_obj_close(&j);
        if (!json_finish(&j))
            snprintf(body, sizeof body, "{\"error\":\"internal error\"}");
        http_send(mc, status, "application/json", body, strlen(body), HTTP_API, extra, head);
    } else {
        char m[640], r[64];
        html_escape(msg, m, sizeof m);
        html_escape(reason ? reason : "", r, sizeof r);
        snprintf(body, sizeof body,
                 "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>%d %s</title></head>"
                 "<body class=\"error-page\"><main><h1>%d %s</h1><p class=\"message\">%s</p>"
                 "%s%s%s</main></body></html>\n",
                 status, mg_get_response_code_text(mc, status), status,
                 mg_get_response_code_text(mc, status), m, r[0] ? "<p class=\"reason\">Reason: <code>" : "",
                 r, r[0] ? "</code></p>" : "");
        http_send(mc, status, "text/html; charset=utf-8", body, strlen(body), HTTP_PAGE, extra, head);
    }
    return status;
}

int http_send_json(struct gh_request *rq, int status, struct json *j)
{
    if (!json_finish(j))
        return http_error(rq->mc, 500, 1, NULL, "The answer does not fit the response buffer.", NULL,
                          rq->head);
    http_send(rq->mc, status, "application/json", j->buf, j->len, HTTP_API, NULL, rq->head);
    return status;
}

long http_read_body(struct mg_connection *mc, char *buf, size_t cap)
{
    const struct mg_request_info *ri = mg_get_request_info(mc);
    long long want = ri->content_length;
    size_t got = 0;
    if (want > (long long)cap)
        return -413;
    /* A client that asked to be told before it sends (curl does for every
     * upload) would otherwise wait a second for nothing (RFC 9110 10.1.1);
     * a refusal above is its final answer instead. */
    const char *expect = mg_get_header(mc, "Expect");
    if (expect && mg_strcasecmp(expect, "100-continue") == 0 && strcmp(ri->http_version, "1.1") == 0 &&
        mg_write(mc, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
        return -400;
    for (;;) {
        /* read one byte past cap to tell "exactly cap" from "more" when the
         * length is not announced (chunked) */
        char extra;
        int n = got < cap ? mg_read(mc, buf + got, cap - got) : mg_read(mc, &extra, 1);
        if (n == MG_READ_TOO_LARGE)
            return -413;   /* a chunk declared more than any body may be */
        if (n < 0)
            return -400;
        if (n == 0)
            break;
        if (got >= cap)
            return -413;
        got += (size_t)n;
    }
    if (want >= 0 && (long long)got != want)
        return -400;
    return (long)got;
}
