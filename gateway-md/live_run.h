/*  live_run - gateway-md's live mode: live_client on the service's zloop,
    every record through md_normalizer, envelopes onto the bus.

    main.c calls it after reading config and seeing --live:
        live_client_config_t lcfg;
        live_client_config_read(&lcfg, sec);           //  gateway_md.live
        ...
        rc = live_run(svc, &lcfg, norm);                //  norm may be NULL
    The API key is taken from DATABENTO_API_KEY (ofts_config_secret) when
    cfg->api_key is NULL. Returns 0 on a clean stop (SIGINT/SIGTERM), 1 when
    the gateway rejected us (bad key, dataset, licence), 2 on config errors. */
#ifndef OFTS_LIVE_RUN_H
#define OFTS_LIVE_RUN_H
#include "live_client.h"
#include "md_normalizer.h"
#include "ofts_service.h"

int live_run(ofts_service_t *svc, const live_client_config_t *cfg, md_normalizer_t *norm);

#endif
