/* probe_usdt.c - hits every threadline USDT probe once, in a fixed order,
 * with known arguments, for the probe integration test.
 *
 * usage: probe_usdt INFO_FILE
 * INFO_FILE receives "queue=0xADDR section=0xADDR". */
#include <stdio.h>
#include "threadline_usdt.h"

static int queue_obj;
static int section_obj;

int main(int argc, char **argv)
{
	FILE *info;

	if (argc != 2)
		return 2;
	info = fopen(argv[1], "w");
	if (!info)
		return 99;
	fprintf(info, "queue=%#lx section=%#lx\n", (unsigned long)&queue_obj,
		(unsigned long)&section_obj);
	fclose(info);
	THREADLINE_CORO_SWITCH(1, 2, "coro-two");
	THREADLINE_QUEUE_PUT(&queue_obj, 5, "jobs");
	THREADLINE_QUEUE_GET(&queue_obj, 4, "jobs");
	THREADLINE_TASK_BEGIN(42, "task-forty-two");
	THREADLINE_TASK_END(42);
	THREADLINE_SECTION_ENTER(&section_obj, "critical");
	THREADLINE_SECTION_EXIT(&section_obj);
	THREADLINE_MARK(-7, "a label longer than thirty-one bytes is cut");
	return 0;
}
