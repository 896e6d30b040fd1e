/* status.h: placeholder until implemented. */
