/* dns.h: placeholder until implemented. */
