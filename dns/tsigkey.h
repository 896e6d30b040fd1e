/* tsigkey.h: placeholder until implemented. */
