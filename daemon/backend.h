/* backend.h: placeholder until implemented. */
