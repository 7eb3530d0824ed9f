/*  broker_projectx - the broker_t interface over the ProjectX REST client
    (projectx_client.h): a real TopstepX account.

    place  -> Order/place with native brackets (stopLossBracket /
              takeProfitBracket, tick distances from the requested entry
              reference; spec §5) and customTag = client order id, so the
              server names the legs <id>-SL / <id>-TP like the paper broker.
    cancel -> Order/cancel by the tracked order id.
    flatten-> Order/cancel of the symbol's working orders, then
              Position/closeContract; the close is reported as an order
              named flatten_id that fills when the position reads flat.
    poll   -> every poll_ms: Order/search (statuses of our tags, incl. legs
              once they leave Suspended), Trade/search (fills: fill_id = the
              trade id), Position/searchOpen (positions). Events go out only
              on change. REST polling, not the SignalR hub: slower (poll_ms)
              but with no state that a dropped stream can lose (spec §10.12).
    find   -> tracked orders, else Order/search by tag (after a restart).

    Ambiguous place outcomes are resolved by the client itself (tag search);
    when still unknown, BROKER_AMBIGUOUS and the next polls settle it. Never
    resent.                                                                  */
#ifndef BROKER_PROJECTX_H
#define BROKER_PROJECTX_H
#include "broker.h"
#include "projectx_client.h"

typedef struct _broker_projectx_t broker_projectx_t;

#define BROKER_PROJECTX_DEFAULT_POLL_MS 1000

//  Takes ownership of client (logged in or not: the first call logs in).
broker_projectx_t *broker_projectx_new(projectx_t *client, int poll_ms);
void broker_projectx_destroy(broker_projectx_t **self_p);
broker_t *broker_projectx_broker(broker_projectx_t *self);

#endif
