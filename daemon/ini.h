/* ini.h: placeholder until implemented. */
