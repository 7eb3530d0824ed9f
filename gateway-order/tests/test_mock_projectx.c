/*  test_mock_projectx - the mock itself must fail the way the real service
    does (issue #13): a hub upgrade without or with a wrong token gets HTTP
    401, negotiate and plain GETs on the hub port answer, a client Close
    gets a Close back, a silent client gets an error Close, Subscribe*
    with missing or non-integer arguments is an error, the catalogue has a
    real one's breadth and shape, and pushed events look like LIVE ones.
    A raw socket client is used so nothing of ours hides what the mock
    sends.                                                                 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ofts_instrument.h"
#include "projectx_client.h"
#include "projectx_harness.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define USER "ofts-user"
#define KEY "mock-k3y-19af"
#define ACCOUNT "PRAC-V2-645601-47191819"

typedef struct {
    mock_server_t mock;
    projectx_t *px;
} fx_t;

static int
s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    const char *args[] = { "--user", USER, "--key", KEY, "--hub-ping-ms", "400",
                           "--hub-client-timeout-ms", "1500", NULL };
    if (mock_start(&f->mock, args) != 0) {
        free(f);
        return -1;
    }
    projectx_config_t cfg;
    mock_client_config(&f->mock, &cfg, USER, KEY, ACCOUNT);
    f->px = projectx_new(&cfg);
    if (!f->px || projectx_login(f->px) != PROJECTX_OK)
        return -1;
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    projectx_destroy(&f->px);
    mock_stop(&f->mock);
    free(f);
    return 0;
}

//  --------------------------------------------------------------------------
//  A raw HTTP / WebSocket client

static int
s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof a), 0);
    return fd;
}

//  Read what arrives within timeout_ms (until the peer closes or the head
//  of a response is complete when head_only).
static size_t
s_read(int fd, char *out, size_t size, int timeout_ms, bool head_only)
{
    size_t len = 0;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        ssize_t n = read(fd, out + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t) n;
        out[len] = 0;
        if (head_only && strstr(out, "\r\n\r\n"))
            break;
    }
    out[len] = 0;
    return len;
}

static void
s_http(fx_t *f, const char *request, char *out, size_t size)
{
    int fd = s_connect(f->mock.hub_port);
    assert_true(write(fd, request, strlen(request)) == (ssize_t) strlen(request));
    s_read(fd, out, size, 3000, false);
    close(fd);
}

//  Open a WebSocket on path; returns the fd after a 101, else -1 with the
//  status line in status.
static int
s_ws_open(fx_t *f, const char *path, char *status, size_t size)
{
    int fd = s_connect(f->mock.hub_port);
    char req[2048];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n", path, f->mock.hub_port);
    assert_true(write(fd, req, strlen(req)) == (ssize_t) strlen(req));
    char head[4096];
    s_read(fd, head, sizeof head, 3000, true);
    char *eol = strstr(head, "\r\n");
    if (eol)
        *eol = 0;
    snprintf(status, size, "%s", head);
    if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
s_ws_send(int fd, const char *text)
{
    size_t len = strlen(text);
    unsigned char frame[4096];
    size_t n = 0;
    frame[n++] = 0x81;                          //  FIN + text
    if (len < 126)
        frame[n++] = (unsigned char) (0x80 | len);
    else {
        frame[n++] = 0x80 | 126;
        frame[n++] = (unsigned char) (len >> 8);
        frame[n++] = (unsigned char) len;
    }
    const unsigned char mask[4] = { 1, 2, 3, 4 };
    memcpy(frame + n, mask, 4);
    n += 4;
    for (size_t i = 0; i < len; i++)
        frame[n++] = (unsigned char) text[i] ^ mask[i % 4];
    assert_true(write(fd, frame, n) == (ssize_t) n);
}

//  Text of the frames that arrive until `want` appears in it (or the
//  deadline, or the peer closes). closed: the peer ended the connection.
static bool
s_ws_until(int fd, const char *want, char *text, size_t size, int timeout_ms, bool *closed)
{
    static unsigned char buf[1 << 16];
    size_t have = 0, tlen = 0;
    text[0] = 0;
    *closed = false;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, timeout_ms) <= 0)
            return false;
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0) {
            *closed = true;
            return want && strstr(text, want);
        }
        have += (size_t) n;
        //  Unmasked server frames: 2 (+2 / +8) header bytes, then payload.
        while (have >= 2) {
            size_t len = buf[1] & 0x7f, hdr = 2;
            if (len == 126) {
                if (have < 4)
                    break;
                len = ((size_t) buf[2] << 8) | buf[3];
                hdr = 4;
            } else if (len == 127)
                fail_msg("frame too large for this test");
            if (have < hdr + len)
                break;
            if ((buf[0] & 0x0f) == 0x8)
                *closed = true;                 //  WebSocket close frame
            else if (tlen + len < size) {
                memcpy(text + tlen, buf + hdr, len);
                tlen += len;
                text[tlen] = 0;
            }
            memmove(buf, buf + hdr + len, have - hdr - len);
            have -= hdr + len;
        }
        if (want && strstr(text, want))
            return true;
    }
}

static int
s_ws_session(fx_t *f)
{
    char path[1200], status[256], text[1024];
    snprintf(path, sizeof path, "/hubs/user?access_token=%s", projectx_token(f->px));
    int fd = s_ws_open(f, path, status, sizeof status);
    assert_true(fd >= 0);
    s_ws_send(fd, "{\"protocol\":\"json\",\"version\":1}\x1e");
    bool closed;
    assert_true(s_ws_until(fd, "{}\x1e", text, sizeof text, 3000, &closed));
    return fd;
}

//  --------------------------------------------------------------------------

static void
t_upgrade_needs_token_401(void **state)
{
    fx_t *f = *state;
    char status[256];
    assert_int_equal(s_ws_open(f, "/hubs/user", status, sizeof status), -1);
    assert_int_equal(strncmp(status, "HTTP/1.", 7), 0);
    assert_non_null(strstr(status, " 401 Unauthorized"));
    assert_int_equal(s_ws_open(f, "/hubs/user?access_token=not.a.token", status, sizeof status), -1);
    assert_non_null(strstr(status, " 401 Unauthorized"));
    json_t *st = mock_admin(&f->mock, "/mock/state", NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "hub"), "refused")), 2);
    json_decref(st);
}

static void
t_http_on_hub_port(void **state)
{
    fx_t *f = *state;
    static char out[8192];
    char req[2048];
    snprintf(req, sizeof req, "POST /hubs/user/negotiate?negotiateVersion=1&access_token=%s HTTP/1.1\r\n"
             "Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", projectx_token(f->px));
    s_http(f, req, out, sizeof out);
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    assert_non_null(strstr(out, "\"connectionToken\""));
    assert_non_null(strstr(out, "\"transport\":\"WebSockets\""));
    s_http(f, "POST /hubs/user/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: x\r\n"
              "Content-Length: 0\r\nConnection: close\r\n\r\n", out, sizeof out);
    assert_non_null(strstr(out, "HTTP/1.1 401"));
    s_http(f, "GET /hubs/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    assert_non_null(strstr(out, "HTTP/1.1 400"));
    s_http(f, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    assert_non_null(strstr(out, "HTTP/1.1 404"));
}

//  Send one invocation with id `id` and return the text of its Completion.
static const char *
s_invoke(int fd, const char *id, const char *target, const char *arguments)
{
    static char text[8192];
    char msg[512], want[64];
    snprintf(msg, sizeof msg, "{\"type\":1,\"invocationId\":\"%s\",\"target\":\"%s\",\"arguments\":%s}\x1e",
             id, target, arguments);
    snprintf(want, sizeof want, "\"invocationId\":\"%s\"", id);
    s_ws_send(fd, msg);
    bool closed;
    assert_true(s_ws_until(fd, want, text, sizeof text, 3000, &closed));
    return text;
}

static void
t_subscribe_arguments_and_close(void **state)
{
    fx_t *f = *state;
    int fd = s_ws_session(f);
    static char text[8192];
    bool closed;
    assert_non_null(strstr(s_invoke(fd, "0", "SubscribeOrders", "[]"),
                           "Invocation provides 0 argument(s) but target expects 1."));
    assert_non_null(strstr(s_invoke(fd, "1", "SubscribeTrades", "[\"26282486\"]"),
                           "Error binding arguments"));
    assert_non_null(strstr(s_invoke(fd, "2", "SubscribeAccounts", "[1]"), "\"error\""));
    assert_null(strstr(s_invoke(fd, "3", "SubscribeOrders", "[26282486]"), "\"error\""));
    //  Our Close is answered with a Close, then the socket ends.
    s_ws_send(fd, "{\"type\":7}\x1e");
    assert_true(s_ws_until(fd, "{\"type\":7}\x1e", text, sizeof text, 3000, &closed));
    s_ws_until(fd, NULL, text, sizeof text, 3000, &closed);
    assert_true(closed);
    close(fd);
}

static void
t_silent_client_gets_error_close(void **state)
{
    fx_t *f = *state;
    int fd = s_ws_session(f);
    static char text[8192];
    bool closed;
    //  Pings arrive (every 400 ms) but we never answer: 1.5 s later, an error Close.
    assert_true(s_ws_until(fd, "\"error\":\"Connection closed with an error.\"", text, sizeof text,
                           4000, &closed));
    assert_non_null(strstr(text, "{\"type\":6}"));
    s_ws_until(fd, NULL, text, sizeof text, 3000, &closed);
    assert_true(closed);
    close(fd);
}

static size_t
s_body(char *ptr, size_t size, size_t n, void *arg)
{
    strncat((char *) arg, ptr, size * n < 200000 ? size * n : 0);
    return size * n;
}

static void
t_catalogue_breadth_and_shape(void **state)
{
    fx_t *f = *state;
    static char body[262144];
    body[0] = 0;
    CURL *c = curl_easy_init();
    char url[128], auth[1200];
    snprintf(url, sizeof url, "%s/api/Contract/available", f->mock.base_url);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", projectx_token(f->px));
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"live\":false}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    json_t *reply = json_loads(body, 0, NULL);
    json_t *list = json_object_get(reply, "contracts");
    size_t active = 0, globex = 0;
    bool gce = false, enq = false, cpe = false, nqu6 = false, eur = false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *row = json_array_get(list, i);
        const char *sym = json_string_value(json_object_get(row, "symbolId"));
        const char *name = json_string_value(json_object_get(row, "name"));
        const char *desc = json_string_value(json_object_get(row, "description"));
        const char *id = json_string_value(json_object_get(row, "id"));
        assert_non_null(sym);
        assert_non_null(name);
        assert_non_null(desc);
        assert_true(json_is_number(json_object_get(row, "tickSize")));
        assert_true(json_is_number(json_object_get(row, "tickValue")));
        assert_int_equal(strncmp(id, "CON.", 4), 0);
        assert_int_equal(strncmp(id + 4, sym, strlen(sym)), 0);     //  CON.<symbolId>.<M><YY>
        active += json_is_true(json_object_get(row, "activeContract"));
        globex += strstr(desc, " (Globex): ") != NULL;
        gce |= !strcmp(sym, "F.US.GCE");
        enq |= !strcmp(sym, "F.US.ENQ");
        cpe |= !strcmp(sym, "F.US.CPE") && strstr(desc, "Copper (Globex): ");
        nqu6 |= !strcmp(id, "CON.F.US.ENQ.U26") && !strcmp(name, "NQU6");
        eur |= !strcmp(id, "CON.F.US.EU6.Z26") && !strcmp(name, "6EZ6");
    }
    json_decref(reply);
    assert_true(active >= 40);
    assert_true(globex >= 20);
    assert_true(gce && enq && cpe && nqu6 && eur);
}

//  /mock/roll: a test whose data trades another month makes it the root's
//  active contract (an existing one, or a new one copied from the active
//  month); the old month stays listed, inactive.
static void
t_roll_active_month(void **state)
{
    fx_t *f = *state;
    json_t *r = mock_admin(&f->mock, "/mock/roll", "{\"contractId\":\"CON.F.US.ENQ.Z26\"}");
    assert_true(json_is_true(json_object_get(r, "success")));
    json_decref(r);
    r = mock_admin(&f->mock, "/mock/roll", "{\"contractId\":\"CON.F.US.SIE.Z26\",\"name\":\"SIZ6\"}");
    assert_true(json_is_true(json_object_get(r, "success")));
    json_decref(r);
    r = mock_admin(&f->mock, "/mock/roll", "{\"contractId\":\"CON.F.US.XXX.Z26\",\"name\":\"XXZ6\"}");
    assert_false(json_is_true(json_object_get(r, "success")));     //  no such root
    json_decref(r);
    projectx_contract_t c;
    assert_int_equal(projectx_resolve_contract(f->px, "NQ", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.ENQ.Z26");
    assert_int_equal(projectx_resolve_contract(f->px, "SI", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.SIE.Z26");
    assert_int_equal(c.tick_size, 5000000);                         //  0.005, copied from SIU6
}

//  The first push of an order is action 1 and omits null prices (LIVE);
//  a position's close push carries every field with type 0 and size 0.
static void
t_pushed_events_shape(void **state)
{
    fx_t *f = *state;
    int fd = s_ws_session(f);
    static char text[65536];
    bool closed;
    s_ws_send(fd, "{\"type\":1,\"invocationId\":\"0\",\"target\":\"SubscribeOrders\",\"arguments\":[26282486]}\x1e"
                  "{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubscribePositions\",\"arguments\":[26282486]}\x1e");
    assert_true(s_ws_until(fd, "\"invocationId\":\"1\"", text, sizeof text, 3000, &closed));
    projectx_order_t o = { .contract_id = "CON.F.US.GCE.Z26", .side = PROJECTX_SIDE_BUY,
                           .type = PROJECTX_TYPE_MARKET, .size = 1, .custom_tag = "shape-1" };
    o.limit_price = o.stop_price = OFTS_UNDEF_PRICE;
    projectx_place_result_t r;
    assert_int_equal(projectx_place(f->px, &o, &r), PROJECTX_OK);
    assert_true(s_ws_until(fd, "\"customTag\":\"shape-1\"", text, sizeof text, 3000, &closed));
    char *first = strstr(text, "\"target\":\"GatewayUserOrder\"");
    assert_non_null(first);
    char *end = strchr(first, '\x1e');
    *end = 0;
    assert_non_null(strstr(first, "\"action\":1"));
    assert_null(strstr(first, "limitPrice"));
    assert_null(strstr(first, "null"));
    projectx_status_t st;
    assert_int_equal(projectx_close_contract(f->px, "CON.F.US.GCE.Z26", &st), PROJECTX_OK);
    assert_true(s_ws_until(fd, "\"action\":2", text, sizeof text, 3000, &closed));
    char *close_push = strstr(text, "\"action\":2");
    assert_non_null(strstr(close_push, "\"type\":0"));
    assert_non_null(strstr(close_push, "\"size\":0"));
    assert_non_null(strstr(close_push, "\"contractDisplayName\":\"GCZ6\""));
    assert_non_null(strstr(close_push, "\"creationTimestamp\""));
    close(fd);
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_upgrade_needs_token_401, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_http_on_hub_port, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_subscribe_arguments_and_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_silent_client_gets_error_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_catalogue_breadth_and_shape, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_pushed_events_shape, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_roll_active_month, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
