/* control.h: placeholder until implemented. */
