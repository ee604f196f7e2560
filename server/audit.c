#include "audit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certinfo.h"
#include "json.h"
#include "log.h"

/* Two rings, so that a flood of allowed requests (a thousand a second is
 * ordinary for a UI that polls) cannot push out what an operator must find:
 * refusals, provisioning, reloads, warnings. Each record is in one ring;
 * seq is global, so the two merge into one history. */
struct ring {
    struct audit_record *rec;
    uint32_t cap;
    uint32_t added;   /* records ever put here; the newest is rec[(added - 1) % cap] */
};
static struct audit_record requests_[GH_AUDIT_REQUEST_RECORDS];
static struct audit_record security_[GH_AUDIT_SECURITY_RECORDS];
static struct ring request_ring_ = {requests_, GH_AUDIT_REQUEST_RECORDS, 0};
static struct ring security_ring_ = {security_, GH_AUDIT_SECURITY_RECORDS, 0};
static uint32_t next_seq_ = 1;   /* seq of the next record */
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

static int is_security(const struct audit_record *r)
{
    return r->kind != AUDIT_REQUEST || r->status >= 400 || r->status < 100;
}

static void ring_put(struct ring *g, const struct audit_record *r)
{
    g->rec[g->added % g->cap] = *r;
    g->added++;
}

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

static void put_fields(struct line *l, const struct audit_record *r)
{
    char fp[65] = "-", kind[2] = {r->kind, '\0'};
    if (r->has_cert)
        certinfo_hex(r->sha256, 32, fp);
    put(l, " kind=");
    put(l, kind);
    put(l, " status=");
    put_num(l, r->status);
    put(l, " reason=");
    put_or_dash(l, r->reason);
    put(l, " role=");
    put_or_dash(l, r->role);
    put(l, " mapping=\"");
    put_escaped(l, r->mapping);
    put(l, "\" gen=");
    put_num(l, r->generation);
    put(l, " peer=");
    put_or_dash(l, r->peer);
    put(l, " method=");
    if (r->method[0])
        put_escaped(l, r->method);
    else
        put(l, "-");
    put(l, " route=\"");
    put_escaped(l, r->route);
    put(l, "\" fingerprint=sha256:");
    put(l, fp);
    put(l, " subject=\"");
    put_escaped(l, r->subject);
    put(l, "\"");
    if (r->detail[0]) {
        put(l, " detail=");
        put_escaped(l, r->detail);
    }
}

static void log_line(const struct audit_record *r)
{
    struct line l = {.n = 0};
    put(&l, "audit seq=");
    put_num(&l, r->seq);
    put_fields(&l, r);
    gh_log_text(GH_LOG_INFO, l.buf, l.n);
}

/* ---- the log's summary of repeats
 * A request or refused handshake is written in full the first time its key
 * (kind, certificate or, without one, the address, method, route, status,
 * reason) is seen in an interval of GH_AUDIT_SUMMARY_INTERVAL_S; repeats are
 * only counted, and one line per key with the count ends the interval. With
 * all GH_AUDIT_SUMMARY_SLOTS keys taken, further keys are counted together.
 * So an interval writes at most 2 * slots + 1 such lines, whatever the load
 * (README "Audit"). Provisioning, reloads and warnings are written each. */
struct sum_slot {
    uint32_t hash;   /* 0: free */
    uint32_t count;  /* repeats since the record written in full */
    uint32_t last_seq;
    struct audit_record rec;
};
static struct sum_slot slots_[GH_AUDIT_SUMMARY_SLOTS];
static uint32_t overflow_count_, overflow_first_, overflow_last_;
static int64_t window_start_;   /* CLOCK_MONOTONIC seconds */

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static uint32_t mix(uint32_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;   /* FNV-1a */
    return h;
}

static uint32_t key_hash(const struct audit_record *r)
{
    uint32_t h = 2166136261u;
    h = mix(h, &r->kind, 1);
    h = mix(h, &r->status, sizeof r->status);
    if (r->has_cert)
        h = mix(h, r->sha256, 32);
    else
        h = mix(h, r->peer, strlen(r->peer));
    h = mix(h, r->method, strlen(r->method));
    h = mix(h, r->route, strlen(r->route));
    h = mix(h, r->reason, strlen(r->reason));
    return h ? h : 1;
}

static int same_key(const struct audit_record *a, const struct audit_record *b)
{
    return a->kind == b->kind && a->status == b->status && a->has_cert == b->has_cert &&
           (a->has_cert ? !memcmp(a->sha256, b->sha256, 32) : !strcmp(a->peer, b->peer)) &&
           !strcmp(a->method, b->method) && !strcmp(a->route, b->route) &&
           !strcmp(a->reason, b->reason);
}

static void summary_line(const struct sum_slot *s, int64_t secs)
{
    struct line l = {.n = 0};
    put(&l, "audit summary count=");
    put_num(&l, s->count);
    put(&l, " seconds=");
    put_num(&l, secs);
    put(&l, " seq=");
    put_num(&l, s->rec.seq);
    put(&l, "..");
    put_num(&l, s->last_seq);
    put(&l, " repeats of");
    put_fields(&l, &s->rec);
    gh_log_text(GH_LOG_INFO, l.buf, l.n);
}

/* Called with lock_ held (rarely: once an interval, and at exit). */
static void flush_locked(int64_t now)
{
    int64_t secs = now - window_start_;
    for (size_t i = 0; i < GH_AUDIT_SUMMARY_SLOTS; i++) {
        if (slots_[i].hash && slots_[i].count)
            summary_line(&slots_[i], secs);
        slots_[i].hash = 0;
    }
    if (overflow_count_) {
        struct line l = {.n = 0};
        put(&l, "audit summary count=");
        put_num(&l, overflow_count_);
        put(&l, " seconds=");
        put_num(&l, secs);
        put(&l, " seq=");
        put_num(&l, overflow_first_);
        put(&l, "..");
        put_num(&l, overflow_last_);
        put(&l, " records of more certificates and routes than the summary table holds "
                "(GH_AUDIT_SUMMARY_SLOTS = " GH_STR(GH_AUDIT_SUMMARY_SLOTS) "): see GET /api/audit");
        gh_log_text(GH_LOG_INFO, l.buf, l.n);
    }
    overflow_count_ = 0;
    window_start_ = now;
}

/* Returns 1 when the record is to be written in full. lock_ held. */
static int summarise_locked(const struct audit_record *r)
{
    if (r->kind != AUDIT_REQUEST && r->kind != AUDIT_HANDSHAKE)
        return 1;
    int64_t now = mono_now();
    if (now - window_start_ >= GH_AUDIT_SUMMARY_INTERVAL_S)
        flush_locked(now);
    uint32_t h = key_hash(r);
    struct sum_slot *free_slot = NULL;
    for (size_t i = 0; i < GH_AUDIT_SUMMARY_SLOTS; i++) {
        struct sum_slot *s = &slots_[(h + i) % GH_AUDIT_SUMMARY_SLOTS];
        if (!s->hash) {
            free_slot = s;   /* open addressing, no deletions in a window */
            break;
        }
        if (s->hash == h && same_key(&s->rec, r)) {
            s->count++;
            s->last_seq = r->seq;
            return 0;
        }
    }
    if (!free_slot) {
        if (!overflow_count_++)
            overflow_first_ = r->seq;
        overflow_last_ = r->seq;
        return 0;
    }
    free_slot->hash = h;
    free_slot->count = 0;
    free_slot->last_seq = r->seq;
    free_slot->rec = *r;
    return 1;
}

void audit_flush(void)
{
    pthread_mutex_lock(&lock_);
    flush_locked(mono_now());
    pthread_mutex_unlock(&lock_);
}

static int add(struct audit_record *copy)
{
    int full;
    copy->time = (int64_t)time(NULL);
    pthread_mutex_lock(&lock_);
    copy->seq = next_seq_++;
    ring_put(is_security(copy) ? &security_ring_ : &request_ring_, copy);
    full = summarise_locked(copy);
    pthread_mutex_unlock(&lock_);
    return full;
}

void audit_add(const struct audit_record *r)
{
    struct audit_record copy = *r;
    if (add(&copy))
        log_line(&copy);
}

void audit_note(char kind, const char *reason, uint32_t generation, const char *detail)
{
    struct audit_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.generation = generation;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    audit_add(&r);
}

void audit_warning(const char *text, size_t len)
{
    struct audit_record r;
    memset(&r, 0, sizeof r);
    r.kind = AUDIT_WARNING;
    snprintf(r.reason, sizeof r.reason, "warning");
    if (len > sizeof r.detail - 1)
        len = sizeof r.detail - 1;   /* the log line has it whole */
    memcpy(r.detail, text, len);
    r.detail[len] = '\0';
    add(&r);   /* the warning's own log line is its line */
}

int audit_filter(const char *name)
{
    static const struct {
        const char *name;
        int filter;
    } names[] = {
        {"all", AUDIT_ALL},           {"security", AUDIT_SECURITY},
        {"request", AUDIT_REQUEST},   {"handshake", AUDIT_HANDSHAKE},
        {"provision", AUDIT_PROVISION}, {"reload", AUDIT_RELOAD},
        {"warning", AUDIT_WARNING},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].name))
            return names[i].filter;
    return -1;
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
                     : r->kind == AUDIT_RELOAD    ? "reload"
                     : r->kind == AUDIT_WARNING   ? "warning" : "request";
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

/* The newest record of g at or below position *pos (counting down from
 * g->added), or NULL when the ring has no older one. */
static const struct audit_record *ring_at(const struct ring *g, uint32_t pos)
{
    if (pos == 0 || g->added - pos >= g->cap)
        return NULL;
    return &g->rec[(pos - 1) % g->cap];
}

static int wanted(const struct audit_record *r, int filter)
{
    if (filter == AUDIT_ALL)
        return 1;
    if (filter == AUDIT_SECURITY)
        return is_security(r);
    return r->kind == filter;
}

int audit_json(char *buf, size_t cap, uint32_t since, int limit, int filter)
{
    struct json j;
    int n = 0;
    json_init(&j, buf, cap);
    json_arr_open(&j, NULL);
    pthread_mutex_lock(&lock_);
    /* newest first: merge the two rings by seq */
    uint32_t rp = filter == AUDIT_SECURITY ? 0 : request_ring_.added;
    uint32_t sp = security_ring_.added;
    while (limit <= 0 || n < limit) {
        const struct audit_record *a = ring_at(&request_ring_, rp);
        const struct audit_record *b = ring_at(&security_ring_, sp);
        const struct audit_record *r;
        if (a && (!b || a->seq > b->seq)) {
            r = a;
            rp--;
        } else if (b) {
            r = b;
            sp--;
        } else {
            break;
        }
        if (r->seq <= since)
            break;
        if (!wanted(r, filter))
            continue;
        record_json(&j, r);
        n++;
    }
    pthread_mutex_unlock(&lock_);
    json_arr_close(&j);
    return json_finish(&j) ? (int)j.len : -1;
}
