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

static void log_line(const struct audit_record *r)
{
    char fp[65] = "-";
    if (r->has_cert)
        certinfo_hex(r->sha256, 32, fp);
    gh_log(GH_LOG_INFO,
           "audit seq=%u kind=%c status=%d reason=%s role=%s mapping=\"%s\" gen=%u "
           "peer=%s method=%s route=\"%s\" fingerprint=sha256:%s subject=\"%s\"%s%s",
           r->seq, r->kind, r->status, r->reason[0] ? r->reason : "-",
           r->role[0] ? r->role : "-", r->mapping, r->generation,
           r->peer[0] ? r->peer : "-", r->method[0] ? r->method : "-", r->route, fp,
           r->subject, r->detail[0] ? " detail=" : "", r->detail);
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
