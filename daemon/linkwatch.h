/* linkwatch.h: placeholder until implemented. */
