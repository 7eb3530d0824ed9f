/* placeholder while being written */
typedef int ofts_placeholder_t;
