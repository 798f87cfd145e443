/*
 * libFuzzer: an input is a command line an admin sends (daspool-sh or
 * an admin certificate over TLS). admin_parse must answer DSP_OK or
 * DSP_E_INVALID with a sentence, and hand admin_run only names that
 * are valid; a "?" line lists what may follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char		line[2 * ADMIN_LINE_MAX + 1];
static struct buf_writer	w;

static void
admin_fuzz_fail(const char *why, const char *what)
{
	fprintf(stderr, "admin: %s: '%s'\n", why, what);
	abort();
}

static void
admin_fuzz_names(const struct admin_command *cmd)
{
	unsigned int	i;

	if (cmd->volume[0] != '\0' && !msg_name_valid(cmd->volume))
		admin_fuzz_fail("bad volume name", cmd->volume);
	if (cmd->nregions > ADMIN_MAX_ARGS || cmd->npieces > ADMIN_MAX_ARGS)
		admin_fuzz_fail("too many arguments", "");
	for (i = 0; i < cmd->nregions; i++)
		if (!msg_name_valid(cmd->regions[i].server) ||
		    !msg_name_valid(cmd->regions[i].region))
			admin_fuzz_fail("bad region", cmd->regions[i].region);
	for (i = 0; i < cmd->npieces; i++)
		if (!msg_name_valid(cmd->pieces[i].name))
			admin_fuzz_fail("bad piece", cmd->pieces[i].name);
	if ((cmd->filter.given & ADMIN_FILTER_SERVER) &&
	    !msg_name_valid(cmd->filter.server))
		admin_fuzz_fail("bad server filter", cmd->filter.server);
	if ((cmd->filter.given & ADMIN_FILTER_BORROWER) &&
	    !msg_name_valid(cmd->filter.borrower))
		admin_fuzz_fail("bad borrower filter", cmd->filter.borrower);
	if ((cmd->filter.given & ADMIN_FILTER_FORM) &&
	    dsp_form_name(cmd->filter.form)[0] == 'u')
		admin_fuzz_fail("bad form filter", "");
	if ((cmd->filter.given & ADMIN_FILTER_NAME) &&
	    cmd->filter.pattern[0] == '\0')
		admin_fuzz_fail("empty name filter", "");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct admin_command	cmd;
	char				err[512];
	int				rc;

	/* The manager's text decoder refuses NUL bytes. */
	if (len >= sizeof(line) || memchr(data, '\0', len) != NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	memset(err, 'Z', sizeof(err));
	rc = admin_parse(line, &cmd, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		admin_fuzz_fail("error not terminated", "");
	if (rc == DSP_E_INVALID) {
		if (err[0] == '\0')
			admin_fuzz_fail("refused without a reason", line);
		return 0;
	}
	if (rc != DSP_OK)
		admin_fuzz_fail("unexpected status", line);
	admin_fuzz_names(&cmd);
	if (cmd.action == ADMIN_CHOICES) {
		buf_writer_reset(&w);
		admin_choices(&cmd, &w);
		if (w.error || w.len == 0)
			admin_fuzz_fail("no choices listed", line);
	}
	return 0;
}
