#include "audit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certinfo.h"
#include "json.h"
#include "log.h"

static struct audit_record ring_[GH_AUDIT_RECORDS];
static uint32_t next_seq_ = 1;   /* seq of the next record; ring_[seq % N] */
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

/* The log line, one per request: put together without printf, which took a
 * tenth of a keep-alive request's user time. Every field is a bounded array
 * of the record, so the line fits. */
struct line {
    char buf[640];
    size_t n;
};

static void put(struct line *l, const char *s)
{
    size_t k = strlen(s);
    if (k > sizeof l->buf - l->n)
        k = sizeof l->buf - l->n;
    memcpy(l->buf + l->n, s, k);
    l->n += k;
}

static void put_or_dash(struct line *l, const char *s) { put(l, s[0] ? s : "-"); }

/* A value that comes from the client (a path, a certificate's subject): a
 * newline in it must not start a forged line, nor a quote end the field. */
static void put_escaped(struct line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s && l->n + 4 <= sizeof l->buf; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            l->buf[l->n++] = '\\';
            l->buf[l->n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            l->buf[l->n++] = '\\';
            l->buf[l->n++] = 'x';
            l->buf[l->n++] = hex[c >> 4];
            l->buf[l->n++] = hex[c & 15];
        } else {
            l->buf[l->n++] = (char)c;
        }
    }
}

static void put_num(struct line *l, long long v)
{
    char d[24], *p = d + sizeof d;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    put(l, p);
}

static void log_line(const struct audit_record *r)
{
    struct line l = {.n = 0};
    char fp[65] = "-", kind[2] = {r->kind, '\0'};
    if (r->has_cert)
        certinfo_hex(r->sha256, 32, fp);
    put(&l, "audit seq=");
    put_num(&l, r->seq);
    put(&l, " kind=");
    put(&l, kind);
    put(&l, " status=");
    put_num(&l, r->status);
    put(&l, " reason=");
    put_or_dash(&l, r->reason);
    put(&l, " role=");
    put_or_dash(&l, r->role);
    put(&l, " mapping=\"");
    put_escaped(&l, r->mapping);
    put(&l, "\" gen=");
    put_num(&l, r->generation);
    put(&l, " peer=");
    put_or_dash(&l, r->peer);
    put(&l, " method=");
    if (r->method[0])
        put_escaped(&l, r->method);
    else
        put(&l, "-");
    put(&l, " route=\"");
    put_escaped(&l, r->route);
    put(&l, "\" fingerprint=sha256:");
    put(&l, fp);
    put(&l, " subject=\"");
    put_escaped(&l, r->subject);
    put(&l, "\"");
    if (r->detail[0]) {
        put(&l, " detail=");
        put_escaped(&l, r->detail);
    }
    gh_log_text(GH_LOG_INFO, l.buf, l.n);
}

void audit_add(const struct audit_record *r)
{
    struct audit_record copy = *r;
    copy.time = (int64_t)time(NULL);
    pthread_mutex_lock(&lock_);
    copy.seq = next_seq_++;
    ring_[copy.seq % GH_AUDIT_RECORDS] = copy;
    pthread_mutex_unlock(&lock_);
    log_line(&copy);
}

uint32_t audit_count(void)
{
    uint32_t n;
    pthread_mutex_lock(&lock_);
    n = next_seq_ - 1;
    pthread_mutex_unlock(&lock_);
    return n;
}

static void record_json(struct json *j, const struct audit_record *r)
{
    char fp[72] = "sha256:";
    char when[32];
    struct tm tm;
    time_t t = (time_t)r->time;
    const char *kind = r->kind == AUDIT_HANDSHAKE ? "handshake"
                     : r->kind == AUDIT_PROVISION ? "provision"
                     : r->kind == AUDIT_RELOAD    ? "reload" : "request";
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_obj_open(j, NULL);
    json_int(j, "seq", r->seq);
    json_str(j, "time", when);
    json_str(j, "kind", kind);
    if (r->has_cert) {
        certinfo_hex(r->sha256, 32, fp + 7);
        json_str(j, "fingerprint", fp);
        json_str(j, "subject", r->subject);
    } else {
        json_str(j, "fingerprint", NULL);
        json_str(j, "subject", NULL);
    }
    json_str(j, "mapping", r->mapping[0] ? r->mapping : NULL);
    json_str(j, "role", r->role[0] ? r->role : NULL);
    json_str(j, "reason", r->reason);
    json_str(j, "method", r->method[0] ? r->method : NULL);
    json_str(j, "route", r->route[0] ? r->route : NULL);
    json_str(j, "peer", r->peer);
    json_int(j, "status", r->status);
    json_int(j, "generation", r->generation);
    json_str(j, "detail", r->detail[0] ? r->detail : NULL);
    json_obj_close(j);
}

int audit_json(char *buf, size_t cap, uint32_t since, int limit)
{
    struct json j;
    uint32_t last, first;
    int n = 0;
    json_init(&j, buf, cap);
    json_arr_open(&j, NULL);
    pthread_mutex_lock(&lock_);
    last = next_seq_ - 1;
    first = last >= GH_AUDIT_RECORDS ? last - GH_AUDIT_RECORDS + 1 : 1;
    if (since + 1 > first)
        first = since + 1;
    for (uint32_t s = last; s >= first && s > 0 && (limit <= 0 || n < limit); s--, n++)
        record_json(&j, &ring_[s % GH_AUDIT_RECORDS]);
    pthread_mutex_unlock(&lock_);
    json_arr_close(&j);
    return json_finish(&j) ? (int)j.len : -1;
}
