/*  hist_client against ofts-mock-databento-hist on loopback: the body lands
    byte for byte; 401/422/500 carry Databento's message; 429 honours
    Retry-After; time-outs fail clearly; truncated bodies are resumed (Range)
    or restarted; the key never reaches stderr.                              */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dbn_file.h"
#include "hist_client.h"
#include "mock_dbn.h"
#include "net_mockproc.h"
#include "ofts_log.h"

#define KEY "db-HistKeyHistKeyHistKeyHist9Q7x"

static char s_dir[64];
static char s_out[128];
static char s_base[64];
static mockproc_t s_mock;

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/ofts-hist-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    snprintf(s_out, sizeof s_out, "%s/out.dbn.zst", s_dir);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    mockproc_stop(&s_mock);
    char path[160];
    unlink(s_out);
    snprintf(path, sizeof path, "%s.part", s_out);
    unlink(path);
    rmdir(s_dir);
    return 0;
}

static void s_start(const char *const *argv)
{
    assert_int_equal(mockproc_start(&s_mock, argv, 5000), 0);
    snprintf(s_base, sizeof s_base, "http://127.0.0.1:%d", s_mock.port);
}

static void s_request(hist_request_t *req, const char *key)
{
    hist_request_defaults(req);
    req->base_url = s_base;
    req->api_key = key;
    req->symbols = "GC.FUT,NQ.FUT";
    req->stype_in = "parent";
    req->schema = "trades";
    req->start = "2025-12-01T00:00:00";
    req->end = "2025-12-02";
    req->output = s_out;
    req->timeout_s = 2;
    req->connect_timeout_s = 2;
    req->max_retries = 3;
    req->retry_min_ms = 50;
    req->retry_max_s = 5;
    req->progress = false;
}

static uint8_t *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

//  The file equals the mock's body exactly and decodes to the known records.
static void s_assert_body(size_t n)
{
    size_t want_len, got_len;
    uint8_t *want = mock_dbn_body(DBN_RTYPE_MBP0, n, true, &want_len);
    uint8_t *got = s_read_file(s_out, &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(want);
    free(got);
    char err[256];
    dbn_file_t *f = dbn_file_new(s_out, err, sizeof err);
    assert_non_null(f);
    assert_true(dbn_file_compressed(f));
    const dbn_record_t *rec;
    size_t count = 0;
    while (dbn_file_next(f, &rec) == 1) {
        if (count == 0) {
            assert_int_equal(rec->rtype, DBN_RTYPE_MBP0);
            assert_int_equal(rec->instrument_id, 1001);
            assert_int_equal(rec->mbp.price, 2000000000000LL);
            assert_int_equal(rec->mbp.side, 'B');
        }
        if (count == 7) {
            assert_int_equal(rec->mbp.price, 2000700000000LL);     //  2000.0 + 7 * 0.1
            assert_int_equal(rec->mbp.size, 3);                    //  1 + 7 % 5
            assert_int_equal(rec->mbp.side, 'A');
            assert_int_equal(rec->ts_event, 1764547200007000000ULL);
        }
        count++;
    }
    assert_int_equal(count, n);
    dbn_file_destroy(&f);
    char part[160];
    snprintf(part, sizeof part, "%s.part", s_out);
    assert_int_equal(access(part, F_OK), -1);
}

static void test_success(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--records", "3000", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    req.progress = true;
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), 0);
    assert_string_equal(res.error, "");
    assert_int_equal(res.http_status, 200);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(res.records, 3000);
    assert_string_equal(res.request_id, "mock-1");
    s_assert_body(3000);
}

static void test_401_message_and_no_key(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, NULL };
    s_start(argv);
    hist_request_t req;
    const char *wrong = "db-WrongWrongWrongWrongWrong12345";
    s_request(&req, wrong);
    hist_result_t res;
    int saved = stderr_capture_start();
    int rc = hist_download(&req, &res);
    char *err = stderr_capture_stop(saved);
    assert_int_equal(rc, -1);
    assert_int_equal(res.http_status, 401);
    assert_int_equal(res.attempts, 1);             //  no retry on 401
    assert_non_null(strstr(res.error, "HTTP 401: Authentication failed. [auth_authentication_failed]"));
    assert_non_null(strstr(res.error, "(request-id mock-1)"));
    assert_non_null(strstr(err, "Authentication failed."));
    assert_null(strstr(err, wrong));
    assert_null(strstr(err, KEY));
    free(err);
    assert_int_equal(access(s_out, F_OK), -1);
    char part[160];
    snprintf(part, sizeof part, "%s.part", s_out);
    assert_int_equal(access(part, F_OK), -1);       //  nothing half-written left behind
}

static void test_422_bad_dataset(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    req.dataset = "GLBX.NOPE";
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), -1);
    assert_int_equal(res.http_status, 422);
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(res.error, "HTTP 422: Invalid dataset 'GLBX.NOPE'. [dataset_invalid]"));
}

static void test_500_retried_then_fails(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "500", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    req.max_retries = 2;
    hist_result_t res;
    int64_t t0 = mockproc_now_ms();
    assert_int_equal(hist_download(&req, &res), -1);
    assert_int_equal(res.attempts, 3);
    assert_int_equal(res.http_status, 500);
    //  back-off 50 + 100 ms between the three attempts
    assert_true(mockproc_now_ms() - t0 >= 150);
    assert_non_null(strstr(res.error, "failed after 3 attempt(s): HTTP 500: Internal Server Error"));
}

static void test_500_then_ok(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "500", "--fail", "1",
                           "--records", "100", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), 0);
    assert_int_equal(res.attempts, 2);
    s_assert_body(100);
}

static void test_429_retry_after(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "429", "--fail", "2",
                           "--retry-after", "1", "--records", "100", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    hist_result_t res;
    int64_t t0 = mockproc_now_ms();
    assert_int_equal(hist_download(&req, &res), 0);
    //  two 429s, each followed by the server's Retry-After: 1 s (not 50 ms)
    assert_true(mockproc_now_ms() - t0 >= 2000);
    assert_int_equal(res.attempts, 3);
    assert_int_equal(res.http_status, 200);
    s_assert_body(100);
}

static void test_429_bounded(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "429", "--retry-after", "30",
                           NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    req.max_retries = 1;
    req.retry_max_s = 1;          //  caps the server's 30 s
    hist_result_t res;
    int64_t t0 = mockproc_now_ms();
    assert_int_equal(hist_download(&req, &res), -1);
    int64_t took = mockproc_now_ms() - t0;
    assert_true(took >= 1000 && took < 5000);
    assert_int_equal(res.attempts, 2);
    assert_non_null(strstr(res.error, "HTTP 429: Too many requests. Retry later. [rate_limit_exceeded]"));
}

static void test_timeout(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "slow", "--slow-ms", "20000", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    req.timeout_s = 1;
    req.max_retries = 1;
    hist_result_t res;
    int64_t t0 = mockproc_now_ms();
    assert_int_equal(hist_download(&req, &res), -1);
    int64_t took = mockproc_now_ms() - t0;
    assert_true(took >= 2000 && took < 10000);
    assert_int_equal(res.attempts, 2);
    assert_non_null(strstr(res.error, "timed out (no data for 1 s)"));
    assert_int_equal(access(s_out, F_OK), -1);
    char part[160];
    snprintf(part, sizeof part, "%s.part", s_out);
    assert_int_equal(access(part, F_OK), -1);
}

static void test_truncated_resumed_with_range(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "truncate", "--fail", "1",
                           "--ranges", "--records", "3000", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), 0);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.resumed, 1);
    assert_int_equal(res.http_status, 206);
    s_assert_body(3000);
}

static void test_truncated_restarted(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--mode", "truncate", "--fail", "1",
                           "--records", "3000", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), 0);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.resumed, 0);
    assert_int_equal(res.http_status, 200);
    s_assert_body(3000);
}

//  A complete HTTP answer whose body is not whole DBN: refused, kept as .part.
static void test_body_does_not_decode(void **state)
{
    (void) state;
    char body[160];
    snprintf(body, sizeof body, "%s/cut.dbn.zst", s_dir);
    size_t len;
    uint8_t *good = mock_dbn_body(DBN_RTYPE_MBP0, 500, true, &len);
    FILE *f = fopen(body, "wb");
    fwrite(good, 1, len - 100, f);          //  last frame cut short
    fclose(f);
    free(good);
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--body", body, NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), -1);
    assert_int_equal(res.http_status, 200);
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(res.error, "downloaded data does not decode (kept "));
    assert_int_equal(access(s_out, F_OK), -1);
    char part[160];
    snprintf(part, sizeof part, "%s.part", s_out);
    assert_int_equal(access(part, F_OK), 0);
    unlink(body);
}

static void test_connection_refused(void **state)
{
    (void) state;
    //  start and stop a mock to get a port nobody listens on
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, NULL };
    s_start(argv);
    mockproc_stop(&s_mock);
    hist_request_t req;
    s_request(&req, KEY);
    req.max_retries = 1;
    hist_result_t res;
    assert_int_equal(hist_download(&req, &res), -1);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.http_status, 0);
    assert_non_null(strstr(res.error, "Couldn't connect"));
}

static void test_metadata_numbers(void **state)
{
    (void) state;
    const char *argv[] = { "ofts-mock-databento-hist", "--key", KEY, "--records", "1234", "--mode", "429",
                           "--fail", "1", "--retry-after", "1", NULL };
    s_start(argv);
    hist_request_t req;
    s_request(&req, KEY);
    hist_result_t res;
    double v = -1;
    //  first answer is a 429: retried after Retry-After, then the number
    assert_int_equal(hist_metadata_number(&req, "metadata.get_record_count", &v, &res), 0);
    assert_int_equal(res.attempts, 2);
    assert_true(v == 1234.0);
    assert_int_equal(hist_metadata_number(&req, "metadata.get_cost", &v, &res), 0);
    assert_true(v > 1.2339 && v < 1.2341);
    //  bad dataset: Databento's message, no number
    req.dataset = "XNAS.NOPE";
    assert_int_equal(hist_metadata_number(&req, "metadata.get_cost", &v, &res), -1);
    assert_non_null(strstr(res.error, "metadata.get_cost failed: HTTP 422: Invalid dataset 'XNAS.NOPE'."));
    //  an unknown method is a 404 with the message
    req.dataset = "GLBX.MDP3";
    assert_int_equal(hist_metadata_number(&req, "metadata.get_nothing", &v, &res), -1);
    assert_non_null(strstr(res.error, "HTTP 404: Not found."));
}

static void test_error_messages(void **state)
{
    (void) state;
    char out[256];
    const char *rich = "{\"detail\": {\"case\": \"c1\", \"message\": \"m1\", \"docs\": \"u\", \"payload\": {}}}";
    hist_error_message(rich, strlen(rich), out, sizeof out);
    assert_string_equal(out, "m1 [c1] see u");
    const char *simple = "{\"detail\": \"Authorization failed: illegal chars in username.\"}";
    hist_error_message(simple, strlen(simple), out, sizeof out);
    assert_string_equal(out, "Authorization failed: illegal chars in username.");
    const char *html = "<html>\n<b>502</b>\x01</html>";
    hist_error_message(html, strlen(html), out, sizeof out);
    assert_string_equal(out, "<html> <b>502</b>?</html>");
    const char *broken = "{\"detail\": ";
    hist_error_message(broken, strlen(broken), out, sizeof out);
    assert_string_equal(out, "{\"detail\": ");
    hist_error_message("", 0, out, sizeof out);
    assert_string_equal(out, "(empty body)");
    //  missing fields and key: refused before any request
    hist_request_t req;
    hist_result_t res;
    hist_request_defaults(&req);
    assert_int_equal(hist_download(&req, &res), -1);
    assert_string_equal(res.error, "no API key (set DATABENTO_API_KEY)");
    req.api_key = KEY;
    assert_int_equal(hist_download(&req, &res), -1);
    assert_string_equal(res.error, "dataset, symbols, schema, start and output are required");
}

static void test_config(void **state)
{
    (void) state;
    char err[256];
    ofts_config_t *c = ofts_config_parse(
        "{\"gateway_md\": {\"historical\": {\"base_url\": \"http://127.0.0.1:9\", \"max_retries\": 2}}}",
        "t.json", err, sizeof err);
    ofts_cfgsec_t *sec = ofts_config_section(c, "gateway_md");
    hist_request_t req;
    assert_int_equal(hist_request_config_read(&req, sec), 0);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), 0);
    assert_string_equal(req.base_url, "http://127.0.0.1:9");
    assert_int_equal(req.max_retries, 2);
    assert_int_equal(req.timeout_s, 100);
    ofts_config_destroy(&c);
    c = ofts_config_parse("{\"gateway_md\": {\"historical\": {\"base_url\": \"ftp://x\"}}}", "t.json", err,
                          sizeof err);
    sec = ofts_config_section(c, "gateway_md");
    assert_int_equal(hist_request_config_read(&req, sec), -1);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
    assert_non_null(strstr(err, "gateway_md.historical.base_url"));
    ofts_config_destroy(&c);
}

int main(void)
{
    ofts_log_init("test-hist", OFTS_LOG_INFO);
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_config),
        T(test_success),
        T(test_401_message_and_no_key),
        T(test_422_bad_dataset),
        T(test_500_retried_then_fails),
        T(test_500_then_ok),
        T(test_429_retry_after),
        T(test_429_bounded),
        T(test_timeout),
        T(test_truncated_resumed_with_range),
        T(test_truncated_restarted),
        T(test_connection_refused),
        T(test_body_does_not_decode),
        T(test_metadata_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
