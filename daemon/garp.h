/* garp.h: placeholder until implemented. */
