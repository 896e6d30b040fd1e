/* daemon.h: placeholder until implemented. */
