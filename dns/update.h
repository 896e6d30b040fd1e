/* update.h: placeholder until implemented. */
