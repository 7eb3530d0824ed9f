#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pub_record.h"

pub_t pub_log[PUB_MAX];
int pub_n;

static void
s_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void
pub_record(void *arg, const char *topic, Ofts__Envelope *env)
{
    (void) arg;
    assert_true(pub_n < PUB_MAX);
    pub_t *p = &pub_log[pub_n++];
    memset(p, 0, sizeof(*p));
    s_copy(p->topic, sizeof(p->topic), topic);
    p->body = env->body_case;
    if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_UPDATE) {
        const Ofts__OrderUpdate *u = env->order_update;
        s_copy(p->id, sizeof(p->id), u->client_order_id);
        s_copy(p->account, sizeof(p->account), u->account);
        s_copy(p->text, sizeof(p->text), u->text);
        p->status = u->status;
        p->role = u->role;
        p->quantity = (int32_t) u->quantity;
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_FILL) {
        s_copy(p->id, sizeof(p->id), env->fill->fill_id);
        s_copy(p->account, sizeof(p->account), env->fill->account);
        p->quantity = (int32_t) env->fill->quantity;
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_POSITION) {
        const Ofts__Position *pos = env->position;
        s_copy(p->id, sizeof(p->id), pos->client_order_id);
        s_copy(p->account, sizeof(p->account), pos->account);
        p->quantity = pos->quantity;
        p->protected_ = pos->protected_;
        p->upnl = pos->unrealized_pnl_cents;
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_ACCOUNT) {
        s_copy(p->account, sizeof(p->account), env->account->account_id);
        s_copy(p->text, sizeof(p->text), env->account->state_reason);
        p->status = env->account->state;
    }
}
