/*  ofts-rerun - the recorded session through the analyzer and risk cores
    again, compared with what the services published (rec_rerun.h).

      ofts rerun [--config C] [--max-diffs N] SEGMENT|DIR ...

    Without --config: the config recorded at the head of the segments, and
    the streams aligned: exit 0 and "MATCH" when every signal and every risk
    decision is the same, else exit 1 with the first diverging message.
    With --config C: what C would have done differently (signals and risk
    decisions matched by signal id, each difference listed).             */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_log.h"
#include "rec_rerun.h"
#include "rec_scan.h"
#include "rec_writer.h"

typedef struct {
    int max_diffs, shown;
} s_tool_t;

static void
s_print_diff(void *arg, const char *line)
{
    s_tool_t *self = arg;
    if (self->shown++ < self->max_diffs)
        printf("%s\n", line);
}

static void
s_setup(rec_rerun_t *rerun, void *arg)
{
    rec_rerun_set_line_fn(rerun, s_print_diff, arg);
}

static char *
s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t) n + 1);
    size_t got = fread(text, 1, (size_t) n, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

int
main(int argc, char **argv)
{
    ofts_log_init("rerun", OFTS_LOG_ERROR);    //  the cores' own log lines are the live services' story
    s_tool_t self = { .max_diffs = 20 };
    char *config_text = NULL;
    char **args = calloc((size_t) argc, sizeof *args);
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            free(config_text);
            config_text = s_slurp(argv[++i]);
            if (!config_text) {
                fprintf(stderr, "rerun: cannot read %s\n", argv[i]);
                free(args);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--max-diffs") == 0 && i + 1 < argc)
            self.max_diffs = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: ofts rerun [--config C] [--max-diffs N] SEGMENT|DIR ...\n");
            free(args);
            free(config_text);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
        else
            args[nargs++] = argv[i];
    }
    char **paths;
    size_t n = rec_expand(nargs, args, &paths);
    free(args);
    bool aligned = config_text == NULL;
    char err[512];
    rec_rerun_t *rerun = rec_rerun_scan(paths, n, config_text, aligned, aligned ? NULL : s_setup, &self, err, sizeof err);
    rec_free_list(&paths, n);
    free(config_text);
    if (!rerun) {
        fprintf(stderr, "rerun: %s\n", err);
        return 2;
    }
    const rec_rerun_result_t *r = rec_rerun_result(rerun);
    printf("rerun: %s config; %llu md messages; signals: recorded %llu, re-run %llu, equal %llu; risk decisions: "
           "recorded %llu (%llu approved), re-run %llu (%llu approved), equal %llu\n",
           aligned ? "recorded" : "given", (unsigned long long) r->md, (unsigned long long) r->signals_recorded,
           (unsigned long long) r->signals_rerun, (unsigned long long) r->signals_equal,
           (unsigned long long) r->decisions_recorded, (unsigned long long) r->approvals_recorded,
           (unsigned long long) r->decisions_rerun, (unsigned long long) r->approvals_rerun,
           (unsigned long long) r->decisions_equal);
    if (r->beyond)
        printf("rerun: %llu re-run signals came from md the live analyzer never applied (it was stopped or "
               "behind when the recording ended): not compared\n", (unsigned long long) r->beyond);
    int rc = 0;
    if (!r->differences)
        printf("rerun: MATCH\n");
    else {
        if (aligned)
            printf("rerun: first divergence: %s\n", r->first);
        printf("rerun: %llu differences\n", (unsigned long long) r->differences);
        rc = 1;
    }
    rec_rerun_destroy(&rerun);
    return rc;
}
