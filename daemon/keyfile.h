/* keyfile.h: placeholder until implemented. */
