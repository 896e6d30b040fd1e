/* vip.h: placeholder until implemented. */
