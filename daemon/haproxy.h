/* haproxy.h: placeholder until implemented. */
