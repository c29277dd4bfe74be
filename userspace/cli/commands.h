/* commands.h - the subcommands of the threadline command line. Each parses
 * its own options (argp, --help with examples) and returns the process exit
 * status. main() only dispatches on the first word. */
#ifndef TL_COMMANDS_H
#define TL_COMMANDS_H

int tl_cmd_record(int argc, char **argv);  /* record.c */
int tl_cmd_report(int argc, char **argv);  /* report_cmd.c */
int tl_cmd_export(int argc, char **argv);  /* export_cmd.c */
int tl_cmd_demo(int argc, char **argv);    /* demo_cmd.c */

#endif
