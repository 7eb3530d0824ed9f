/* placeholder */ typedef int s_placeholder_t;
