/* demo_catalog.h - the bundled demos known to `threadline demo`: one row per
 * concurrency model (see demos/README.md). */
#ifndef TL_DEMO_CATALOG_H
#define TL_DEMO_CATALOG_H

#include <stddef.h>

struct tl_demo {
	const char *id;      /* model id, e.g. "c4" */
	const char *name;    /* binary under <bindir>/demos/, e.g. "c4_deadlock" */
	const char *title;   /* the model in a few words */
	const char *look;    /* what to look for in the report / Perfetto */
};

size_t tl_demo_count(void);
const struct tl_demo *tl_demo_at(size_t i);
/* Finds a demo by id ("c4"), binary name ("c4_deadlock") or name without
 * the id prefix ("deadlock"). NULL if none matches. */
const struct tl_demo *tl_demo_find(const char *key);

#endif
