/* model_maps.c - a process's memory maps over time (TL_PROC_MAPS), kept
 * for naming addresses offline: each capture is one struct tl_maps_snap;
 * a record flagged TL_MAPS_F_CONT extends the capture before it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

static void snap_free(struct tl_maps_snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free((char *)s->maps[i].path);
	free((struct tl_map *)s->maps);
}

void tl_proc_maps_free(struct proc *p)
{
	struct tl_maps_snap *s = p->lv ? p->lv->maps.p : (struct tl_maps_snap *)p->pub.maps;
	size_t n = p->lv ? p->lv->maps.n : p->pub.nmaps;

	for (size_t i = 0; i < n; i++)
		snap_free(&s[i]);
	free(s);
	if (p->lv)
		p->lv->maps = (struct tl_vec){ 0 };
	p->pub.maps = NULL;
	p->pub.nmaps = 0;
}

/* Room for `more` maps after the n a capture has (one growth per record). */
static int reserve_maps(struct tl_maps_snap *s, size_t more)
{
	struct tl_vec v = { (void *)s->maps, s->n, s->n };

	if (tl_vec_reserve(&v, sizeof(struct tl_map), s->n + more))
		return -ENOMEM;
	s->maps = v.p;
	return 0;
}

/* Appends a map; room was reserved. */
static int add_map(struct tl_maps_snap *s, const struct tl_map_view *v)
{
	struct tl_map *a = (struct tl_map *)s->maps;
	char *path = strndup(v->path, v->e.path_len);

	if (!path)
		return -ENOMEM;
	a[s->n++] = (struct tl_map){
		.start = v->e.start, .end = v->e.end, .offset = v->e.offset,
		.stack_tid = v->e.stack_tid, .prot = v->e.prot,
		.build_id_len = v->e.build_id_len, .path = path,
	};
	memcpy(a[s->n - 1].build_id, v->e.build_id, TL_MAP_BUILD_ID_MAX);
	return 0;
}

int tl_model_on_proc_maps(struct tl_model *m, const struct tl_proc_maps *pm)
{
	struct proc *p = tl_proc_get(m, pm->h.tgid, pm->h.ts);
	struct tl_maps_snap *s;
	struct tl_map_view v;
	size_t pos = 0, count = 0;

	if (!p || !p->lv)
		return -ENOMEM;
	struct tl_vec *maps = &p->lv->maps;
	if ((pm->flags & TL_MAPS_F_CONT) && maps->n) {
		s = (struct tl_maps_snap *)maps->p + maps->n - 1;
	} else {
		s = model_push(m, maps, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->ts = pm->h.ts;
	}
	while (tl_proc_maps_next(pm, &pos, &v))
		count++;
	if (reserve_maps(s, count))
		goto oom;
	pos = 0;
	while (tl_proc_maps_next(pm, &pos, &v))
		if (add_map(s, &v))
			goto oom;
	return 0;
oom:
	m->oom = true;
	return -ENOMEM;
}
