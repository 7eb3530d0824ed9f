/*  replay_checkpoint: a save is read back for the same files only; done
    forgets it; no path, no checkpoint; and the real gateway-md, killed with
    SIGKILL mid-replay, resumes after the checkpoint instead of from the top. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"
#include "replay_checkpoint.h"

static void
t_save_resume_done(void **state)
{
    (void) state;
    char dir[] = "/tmp/ofts-ckpt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[300], b[300], path[300];
    snprintf(a, sizeof a, "%s/a.dbn", dir);
    snprintf(b, sizeof b, "%s/b.dbn", dir);
    snprintf(path, sizeof path, "%s/var/gm.checkpoint", dir);
    FILE *f = fopen(a, "w");
    fputs("aaaa", f);
    fclose(f);
    f = fopen(b, "w");
    fputs("bbbbbb", f);
    fclose(f);
    const char *files[2] = { a, b };
    assert_null(replay_checkpoint_new("", files, 2));
    assert_int_equal(replay_checkpoint_resume(NULL), 0);
    replay_checkpoint_t *c = replay_checkpoint_new(path, files, 2);
    assert_int_equal(replay_checkpoint_resume(c), 0);               //  nothing yet
    assert_int_equal(replay_checkpoint_save(c, 12345), 0);
    replay_checkpoint_destroy(&c);
    c = replay_checkpoint_new(path, files, 2);
    assert_int_equal(replay_checkpoint_resume(c), 12345);
    replay_checkpoint_destroy(&c);
    c = replay_checkpoint_new(path, files, 1);                       //  other files: from the top
    assert_int_equal(replay_checkpoint_resume(c), 0);
    replay_checkpoint_destroy(&c);
    f = fopen(b, "a");                                               //  b changed size: other data
    fputs("b", f);
    fclose(f);
    c = replay_checkpoint_new(path, files, 2);
    assert_int_equal(replay_checkpoint_resume(c), 0);
    replay_checkpoint_save(c, 7);
    assert_int_equal(replay_checkpoint_resume(c), 7);
    replay_checkpoint_done(c);                                       //  finished: forgotten
    assert_int_equal(replay_checkpoint_resume(c), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    replay_checkpoint_destroy(&c);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static unsigned long long
s_checkpoint_records(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long hash, records = 0;
    if (f) {
        if (fscanf(f, "ofts-gateway-md replay checkpoint 1 files %llx records %llu", &hash, &records) != 2)
            records = 0;
        fclose(f);
    }
    return records;
}

//  The real service: SIGKILL once a checkpoint is written, start again on
//  the same file: it says where it resumed, finishes, forgets the checkpoint.
static void
t_gateway_md_resumes_after_kill9(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("ckpt");
    char *sim = e2e_sim_file(dir, "m.dbn.zst", 3, 5);
    assert_non_null(sim);
    char ckpt[600], extra[1500], bin[512], log1[600], log2[600];
    snprintf(ckpt, sizeof ckpt, "%s/var/gm.checkpoint", dir);
    snprintf(extra, sizeof extra, "{\"gateway_md\":{\"checkpoint\":\"%s\",\"start_delay_ms\":0}}", ckpt);
    char *cfg = e2e_write_config(dir, extra);
    e2e_bin("ofts-gateway-md", bin, sizeof bin);
    snprintf(log1, sizeof log1, "%s/gm1.log", dir);
    snprintf(log2, sizeof log2, "%s/gm2.log", dir);
    char *argv[] = { bin, "--config", cfg, "--replay", sim, "--speed", "6", NULL };
    e2e_proc_t gm;
    assert_int_equal(e2e_spawn(&gm, argv, false, log1), 0);
    int64_t deadline = e2e_now_ms() + 30000;
    while (s_checkpoint_records(ckpt) < 1000 && e2e_now_ms() < deadline)
        usleep(50000);
    kill(gm.pid, SIGKILL);
    e2e_stop(&gm, SIGKILL, 2000);
    unsigned long long at = s_checkpoint_records(ckpt);
    assert_true(at >= 1000);
    char *fast[] = { bin, "--config", cfg, "--replay", sim, "--speed", "0", NULL };
    assert_int_equal(e2e_spawn(&gm, fast, false, log2), 0);
    int status = e2e_wait_exit(&gm, 60000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char want[120];
    snprintf(want, sizeof want, "resumed from the checkpoint after %llu records", at);
    assert_int_equal(e2e_count_lines(log2, want), 1);
    assert_int_equal(e2e_count_lines(log2, "replay done"), 1);
    assert_int_not_equal(access(ckpt, F_OK), 0);          //  finished: the next run starts from the top
    e2e_rmtree(dir);
    free(cfg);
    free(sim);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_save_resume_done),
        cmocka_unit_test(t_gateway_md_resumes_after_kill9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
