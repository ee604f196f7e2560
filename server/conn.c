#include "conn.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static struct gh_conn slots_[GH_WORKERS];
static atomic_int busy_[GH_WORKERS];
static int next_;
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

struct gh_conn *conn_slot_for_thread(void)
{
    struct gh_conn *c = NULL;
    pthread_mutex_lock(&lock_);
    if (next_ < GH_WORKERS) {
        c = &slots_[next_];
        c->index = next_++;
    }
    pthread_mutex_unlock(&lock_);
    return c;
}

void conn_set_busy(struct gh_conn *c, int busy)
{
    if (c->index >= 0 && c->index < GH_WORKERS)
        atomic_store(&busy_[c->index], busy);
}

int conn_busy_count(void)
{
    int n = 0;
    for (int i = 0; i < GH_WORKERS; i++)
        n += atomic_load(&busy_[i]);
    return n;
}

void conn_reset(struct gh_conn *c)
{
    conn_set_busy(c, 0);
    c->hs_state = GH_HS_IDLE;
    c->reason[0] = '\0';
    c->detail[0] = '\0';
    c->has_cert = 0;
    c->trust_gen = 0;
    c->decided_gen = 0;
    c->handshake_audited = 0;
    c->handshake_done = 0;
    c->peer[0] = '\0';
    c->crl_problem_active = 0;
    c->clock_unknown = 0;
    c->leaf_der_len = 0;
    memset(&c->decision, 0, sizeof c->decision);
    /* id is overwritten whole by the next handshake; has_cert guards it */
}
