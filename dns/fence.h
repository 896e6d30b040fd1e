/* fence.h: placeholder until implemented. */
