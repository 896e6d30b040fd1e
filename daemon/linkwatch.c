/* linkwatch.c: placeholder until implemented. */
typedef int kcw_placeholder_linkwatch;
