/*  broker_projectx - the broker_t interface over the ProjectX REST client
    (projectx_client.h): a real TopstepX account.

    place  -> Order/place with native brackets (stopLossBracket /
              takeProfitBracket, tick distances from the requested entry
              reference; spec §5) and customTag = client order id, so the
              server names the legs <id>-SL / <id>-TP like the paper broker.
    cancel -> Order/cancel by the tracked order id.
    flatten-> Order/cancel of EVERY working order of the account on the
              symbol (Order/searchOpen, tagged by ofts or not, tracked or
              not, plus tracked Suspended legs), then
              Position/closeContract; the close is reported as an order
              named flatten_id that fills when the position reads flat.
              When the open orders cannot be listed the close still goes
              out but the result is BROKER_AMBIGUOUS (retried).
    poll   -> Order/search (statuses of our tags, incl. legs once they
              leave Suspended), Trade/search (fills: fill_id = the trade id),
              Position/searchOpen (positions). Events go out only on change.
              Every order whose tag is ofts's (broker_ofts_tag) is adopted
              and followed whatever its parent's state: a restarted
              gateway-order finds the legs an earlier instance never saved.
              REST is the only source of state. With a user hub URL, the
              SignalR user hub (projectx_userhub) is a doorbell: any order /
              position / trade event, and every (re)connect, triggers a REST
              poll at the next call; while the hub is up the timed poll runs
              every 10 x poll_ms, while it is down every poll_ms. Nothing is
              lost when the stream drops (spec §10.12) and the rate budget
              (200 requests / 60 s, §6) is not spent on idle polling.
    find   -> tracked orders, else Order/search by tag (after a restart).

    Ambiguous place outcomes are resolved by the client itself (tag search);
    when still unknown, BROKER_AMBIGUOUS and the next polls settle it. Never
    resent.                                                                  */
#ifndef BROKER_PROJECTX_H
#define BROKER_PROJECTX_H
#include "broker.h"
#include "projectx_client.h"

typedef struct _broker_projectx_t broker_projectx_t;

#define BROKER_PROJECTX_DEFAULT_POLL_MS 2000

//  Takes ownership of client, which must be logged in (projectx_login).
//  hub_url ("https://rtc.topstepx.com/hubs/user") may be NULL: REST only.
broker_projectx_t *broker_projectx_new(projectx_t *client, int poll_ms, const char *hub_url);
//  True while the user hub is connected and subscribed.
bool broker_projectx_hub_up(broker_projectx_t *self);
void broker_projectx_destroy(broker_projectx_t **self_p);
broker_t *broker_projectx_broker(broker_projectx_t *self);
//  The ProjectX id of an ofts contract month, from the root's active id:
//  ("CON.F.US.GCE.Z26", "GCG7") -> "CON.F.US.GCE.G27"; a contract without a
//  month ("GC", "") -> the active id. -1 when the active id has no month.
int broker_projectx_contract_for(const char *active_id, const char *contract, char *out, size_t size);

#endif
