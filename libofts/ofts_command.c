#include "ofts_command.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "ofts_instrument.h"

const char *
ofts_command_verb(Ofts__CommandType type)
{
    switch (type) {
    case OFTS__COMMAND_TYPE__CMD_PAUSE:   return "pause";
    case OFTS__COMMAND_TYPE__CMD_RESUME:  return "resume";
    case OFTS__COMMAND_TYPE__CMD_FLATTEN: return "flatten";
    case OFTS__COMMAND_TYPE__CMD_KILL:    return "kill";
    default:                              return NULL;
    }
}

int
ofts_command_type(const char *verb)
{
    static const Ofts__CommandType types[] = { OFTS__COMMAND_TYPE__CMD_PAUSE, OFTS__COMMAND_TYPE__CMD_RESUME,
                                               OFTS__COMMAND_TYPE__CMD_FLATTEN, OFTS__COMMAND_TYPE__CMD_KILL };
    for (size_t i = 0; verb && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(verb, ofts_command_verb(types[i])) == 0)
            return (int) types[i];
    return -1;
}

//  "GC SI PL ..." from the instrument table, for the refusal line.
static void
s_known(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ofts_instrument_count() && used < size; i++)
        used += (size_t) snprintf(buf + used, size - used, "%s%s", i ? " " : "", ofts_instrument_at(i)->root);
}

int
ofts_command_check(const Ofts__Command *cmd, char sym[OFTS_SYM_LEN], char *why, size_t whylen)
{
    sym[0] = '\0';
    const char *verb = ofts_command_verb(cmd->type);
    if (!verb) {
        snprintf(why, whylen, "unknown command type %d", (int) cmd->type);
        return -1;
    }
    const char *in = cmd->symbol ? cmd->symbol : "";
    if (!*in)
        return 0;
    if (cmd->type != OFTS__COMMAND_TYPE__CMD_FLATTEN) {
        //  `resume GC` would resume everything: refuse rather than surprise.
        snprintf(why, whylen, "%s takes no symbol (got '%.32s'); it acts on the whole account", verb, in);
        return -1;
    }
    size_t len = strlen(in);
    char upper[OFTS_SYM_LEN];
    for (size_t i = 0; i < len && i < OFTS_SYM_LEN - 1; i++)
        upper[i] = (char) toupper((unsigned char) in[i]);
    upper[len < OFTS_SYM_LEN - 1 ? len : OFTS_SYM_LEN - 1] = '\0';
    const ofts_instrument_t *ins = len < OFTS_SYM_LEN ? ofts_instrument_find(upper) : NULL;
    if (!ins) {
        char known[256];
        s_known(known, sizeof known);
        snprintf(why, whylen, "unknown symbol '%.32s' (known: %s)", in, known);
        return -1;
    }
    snprintf(sym, OFTS_SYM_LEN, "%s", ins->root);
    return 0;
}
