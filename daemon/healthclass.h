/* healthclass.h: placeholder until implemented. */
