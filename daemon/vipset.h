/* vipset.h: placeholder until implemented. */
