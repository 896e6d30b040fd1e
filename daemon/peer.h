/* peer.h: placeholder until implemented. */
