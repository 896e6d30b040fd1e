/* health.h: placeholder until implemented. */
