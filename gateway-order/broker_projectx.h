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
    poll   -> applies the newest answers of the I/O thread's last REST
              poll: Order/search (statuses of our tags, incl. legs once they
              leave Suspended), Trade/search (fills: fill_id = the trade id),
              Position/searchOpen (positions). Events go out only on change.
              Every order whose tag is ofts's (broker_ofts_tag) is adopted
              and followed whatever its parent's state: a restarted
              gateway-order finds the legs an earlier instance never saved.
              poll() itself never touches the network: a lock and a pointer
              test when there is nothing new.
    I/O thread (one per adapter): makes every REST poll; a hub thread
              (with hub_url) services the SignalR user hub
              (projectx_userhub) - apart, so that a read waiting for the
              login's request budget never delays the hub's handshake,
              pings and events. REST is the only
              source of state; the hub is a doorbell: any event, and every
              (re)connect, triggers a poll, and so does a place/cancel/close
              of ours - at most one poll per poll_ms (default 2 s), however
              many events (a burst = one poll). While the hub is up
              the timed poll runs every 10 x poll_ms, while it is down every
              poll_ms. Its reads come second in the client's request budget
              (projectx_client.h), so a place never waits behind them.
              Nothing is lost when the stream drops (spec §10.12).
    window -> Order/search and Trade/search ask from 5 min before the oldest
              order still working (else before the last poll) to now, with no
              row cap: a moving window, so days of orders never push the
              newest out of the reply.
    find   -> tracked orders, else Order/search by tag (after a restart).

    Ambiguous place outcomes are resolved by the client itself (tag search);
    when still unknown, BROKER_AMBIGUOUS and the next polls settle it. Never
    resent.                                                                  */
#ifndef BROKER_PROJECTX_H
#define BROKER_PROJECTX_H
#include "broker.h"
#include "projectx_client.h"
#include "projectx_userhub.h"

typedef struct _broker_projectx_t broker_projectx_t;

#define BROKER_PROJECTX_DEFAULT_POLL_MS 2000

//  Takes ownership of client, which must be logged in (projectx_login).
//  hub_url ("https://rtc.topstepx.com/hubs/user") may be NULL: REST only.
broker_projectx_t *broker_projectx_new(projectx_t *client, int poll_ms, const char *hub_url);
//  Several accounts of one login (docs/accounts.md): one adapter per account,
//  each over its projectx_view of the one session (its own orders,
//  positions, polls). The user hub is one for the login: make the other
//  accounts' adapters first with hub_url NULL, then this one with them as
//  peers - its hub subscribes their accounts too, and every event and every
//  hub up/down rings them (each then polls its own account). Destroy this
//  one before its peers.
broker_projectx_t *broker_projectx_new_shared(projectx_t *client, int poll_ms, const char *hub_url,
                                              broker_projectx_t **peers, size_t npeers);
//  Limit entries not filled within entry_tif_ms (of the clock place and
//  poll are given) are cancelled and reported EXPIRED; 0 = good till
//  cancelled (the default). gateway-order passes gateway_order.entry_tif_ms.
void broker_projectx_set_entry_tif(broker_projectx_t *self, int64_t entry_tif_ms);
//  True while the user hub is connected and subscribed.
bool broker_projectx_hub_up(broker_projectx_t *self);
//  True once a poll's orders, trades and positions have each been applied
//  (by poll(), on its caller's thread; their events emitted before): until
//  then positions() and open_orders() are not the broker's but empty. Any
//  thread.
bool broker_projectx_synced(broker_projectx_t *self);

typedef struct {
    uint64_t polls;                 //  REST polls made (3 reads each)
    uint64_t snapshots_replaced;    //  polls superseded before being applied
    uint64_t polls_incomplete;      //  polls with a read that failed (asked again soon)
    uint64_t hub_events, hub_ups;   //  doorbells, (re)connections that subscribed
    uint64_t max_rows;              //  most Order/search rows in one poll
    size_t tracked;                 //  orders followed now
    uint64_t positions_held;        //  position reads held: the fills told did not explain them yet
    uint64_t positions_forced;      //  held ones told anyway after the grace (a real discrepancy)
} broker_projectx_stats_t;
void broker_projectx_stats(broker_projectx_t *self, broker_projectx_stats_t *out);
void broker_projectx_destroy(broker_projectx_t **self_p);
broker_t *broker_projectx_broker(broker_projectx_t *self);
//  The ProjectX id of an ofts contract month, from the root's active id:
//  ("CON.F.US.GCE.Z26", "GCG7") -> "CON.F.US.GCE.G27"; a contract without a
//  month ("GC", "") -> the active id. -1 when the active id has no month.
int broker_projectx_contract_for(const char *active_id, const char *contract, char *out, size_t size);

#endif
