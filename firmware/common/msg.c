/*
 * Payload layouts. Each decoder reads the whole payload first and
 * answers DSP_E_FRAME if the bytes do not fit the layout (short, long,
 * too many items), and only then checks the fields' domains
 * (DSP_E_INVALID): a client gets "malformed" for framing bugs and
 * "invalid" for a bad value it can fix. Field order is documented in
 * docs/PROTOCOL.md; keep the two in step.
 */
#include <string.h>

#include "msg.h"

#define MSG_REASON_MAX		(sizeof(((struct msg_region *)0)->reason) - 1)
#define MSG_GENERATIONS_MAX	\
	(sizeof(((struct msg_generations *)0)->items) / \
	 sizeof(((struct msg_generations *)0)->items[0]))

int
msg_name_valid(const char *name)
{
	size_t	i;
	char	c;

	if (name == NULL)
		return 0;
	for (i = 0; (c = name[i]) != '\0'; i++) {
		if (i >= DSP_NAME_MAX)
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-')
			continue;
		return 0;
	}
	return i > 0;
}

static void
msg_get_name(struct buf_reader *r, char *out)
{
	buf_get_string(r, out, DSP_NAME_MAX);
}

static void
msg_get_bytes(struct buf_reader *r, uint8_t *out, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		out[i] = buf_get_u8(r);
}

/* Framing verdict: every byte consumed, none missing. */
static int
msg_finish(const struct buf_reader *r)
{
	return buf_reader_finish(r) == 0 ? DSP_OK : DSP_E_FRAME;
}

/* Encoders are handed structs built by our own code; an impossible
 * count is a bug, so fail the writer instead of reading past an array. */
static int
msg_count_ok(struct buf_writer *w, size_t count, size_t max)
{
	if (count > max) {
		w->error = 1;
		return 0;
	}
	return 1;
}

/* REGISTER */

void
msg_encode_register(struct buf_writer *w, const struct msg_register *m)
{
	uint16_t	i;

	if (!msg_count_ok(w, m->region_count, DSP_MAX_REGIONS))
		return;
	buf_put_string(w, m->server);
	buf_put_string(w, m->host);
	buf_put_u16(w, m->port);
	buf_put_u16(w, m->region_count);
	for (i = 0; i < m->region_count; i++) {
		const struct msg_region *rg = &m->regions[i];

		buf_put_string(w, rg->name);
		buf_put_u64(w, rg->size);
		buf_put_u8(w, rg->available);
		buf_put_string(w, rg->reason);
	}
	/* After the regions, so a manager of before reads the rest. */
	for (i = 0; i < m->region_count; i++)
		buf_put_string(w, m->regions[i].backing);
}

int
msg_decode_register(const uint8_t *p, size_t len, struct msg_register *m)
{
	struct buf_reader	r;
	uint16_t		i;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->server);
	msg_get_name(&r, m->host);
	m->port = buf_get_u16(&r);
	m->region_count = buf_get_u16(&r);
	if (m->region_count > DSP_MAX_REGIONS)
		return DSP_E_FRAME;
	for (i = 0; i < m->region_count; i++) {
		struct msg_region *rg = &m->regions[i];

		msg_get_name(&r, rg->name);
		rg->size = buf_get_u64(&r);
		rg->available = buf_get_u8(&r);
		buf_get_string(&r, rg->reason, MSG_REASON_MAX);
	}
	/* Agents of before send no backings; others send every one. */
	if (r.pos < r.len)
		for (i = 0; i < m->region_count; i++)
			buf_get_string(&r, m->regions[i].backing,
			    MSG_BACKING_MAX);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	if (!msg_name_valid(m->server) || !msg_name_valid(m->host) ||
	    m->port == 0)
		return DSP_E_INVALID;
	for (i = 0; i < m->region_count; i++)
		if (!msg_name_valid(m->regions[i].name) ||
		    m->regions[i].available > 1)
			return DSP_E_INVALID;
	return DSP_OK;
}

/* REGISTER reply, FENCE_ACK request */

static void
msg_put_generations(struct buf_writer *w, const struct msg_generations *m)
{
	uint16_t	i;

	if (!msg_count_ok(w, m->count, MSG_GENERATIONS_MAX))
		return;
	buf_put_u16(w, m->count);
	for (i = 0; i < m->count; i++) {
		buf_put_string(w, m->items[i].volume);
		buf_put_u64(w, m->items[i].generation);
		buf_put_u64(w, m->items[i].revision);
		buf_put_bytes(w, m->items[i].digest, DSP_DIGEST_LEN);
	}
}

/* DSP_OK, or DSP_E_FRAME for a count over the limit. */
static int
msg_get_generations(struct buf_reader *r, struct msg_generations *m)
{
	uint16_t	i;

	m->count = buf_get_u16(r);
	if (m->count > MSG_GENERATIONS_MAX)
		return DSP_E_FRAME;
	for (i = 0; i < m->count; i++) {
		msg_get_name(r, m->items[i].volume);
		m->items[i].generation = buf_get_u64(r);
		m->items[i].revision = buf_get_u64(r);
		msg_get_bytes(r, m->items[i].digest, DSP_DIGEST_LEN);
	}
	return DSP_OK;
}

static int
msg_generations_valid(const struct msg_generations *m)
{
	uint16_t	i;

	for (i = 0; i < m->count; i++)
		if (!msg_name_valid(m->items[i].volume))
			return DSP_E_INVALID;
	return DSP_OK;
}

void
msg_encode_generations(struct buf_writer *w, const struct msg_generations *m)
{
	msg_put_generations(w, m);
}

int
msg_decode_generations(const uint8_t *p, size_t len, struct msg_generations *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	if ((rc = msg_get_generations(&r, m)) != DSP_OK)
		return rc;
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	return msg_generations_valid(m);
}

/* REGISTER and GENERATIONS replies */

void
msg_encode_generation_page(struct buf_writer *w,
    const struct msg_generation_page *m)
{
	msg_put_generations(w, &m->gens);
	buf_put_u8(w, m->more);
}

int
msg_decode_generation_page(const uint8_t *p, size_t len,
    struct msg_generation_page *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	if ((rc = msg_get_generations(&r, &m->gens)) != DSP_OK)
		return rc;
	m->more = buf_get_u8(&r);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	/* A page that says more follows names where the next one starts. */
	if (m->more > 1 || (m->more && m->gens.count == 0))
		return DSP_E_INVALID;
	return msg_generations_valid(&m->gens);
}

/* ALLOCATE */

void
msg_encode_allocate(struct buf_writer *w, const struct msg_allocate *m)
{
	buf_put_string(w, m->volume);
	buf_put_u64(w, m->min_size);
}

int
msg_decode_allocate(const uint8_t *p, size_t len, struct msg_allocate *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->volume);
	m->min_size = buf_get_u64(&r);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	/* An empty name asks for any free volume. */
	if (m->volume[0] != '\0' && !msg_name_valid(m->volume))
		return DSP_E_INVALID;
	return DSP_OK;
}

void
msg_encode_allocated(struct buf_writer *w, const struct msg_allocated *m)
{
	buf_put_string(w, m->volume);
	buf_put_u64(w, m->size);
}

int
msg_decode_allocated(const uint8_t *p, size_t len, struct msg_allocated *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->volume);
	m->size = buf_get_u64(&r);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	return msg_name_valid(m->volume) ? DSP_OK : DSP_E_INVALID;
}

/* MOUNT, RENEW, UNMOUNT, RELEASE */

void
msg_encode_volume_ref(struct buf_writer *w, const struct msg_volume_ref *m)
{
	buf_put_string(w, m->volume);
}

int
msg_decode_volume_ref(const uint8_t *p, size_t len, struct msg_volume_ref *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->volume);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	return msg_name_valid(m->volume) ? DSP_OK : DSP_E_INVALID;
}

/* MOUNT and RENEW replies */

static void
msg_encode_extent(struct buf_writer *w, const struct msg_extent *e)
{
	buf_put_string(w, e->server);
	buf_put_string(w, e->host);
	buf_put_u16(w, e->port);
	buf_put_string(w, e->region);
	buf_put_u64(w, e->offset);
	buf_put_u64(w, e->length);
}

static void
msg_decode_extent(struct buf_reader *r, struct msg_extent *e)
{
	msg_get_name(r, e->server);
	msg_get_name(r, e->host);
	e->port = buf_get_u16(r);
	msg_get_name(r, e->region);
	e->offset = buf_get_u64(r);
	e->length = buf_get_u64(r);
}

static int
msg_extent_valid(const struct msg_extent *e)
{
	return msg_name_valid(e->server) && msg_name_valid(e->host) &&
	    e->port != 0 && msg_name_valid(e->region) &&
	    e->offset <= UINT64_MAX - e->length;
}

void
msg_encode_mount_info(struct buf_writer *w, const struct msg_mount_info *m)
{
	uint16_t	i;

	if (!msg_count_ok(w, m->extent_count, DSP_MAX_EXTENTS) ||
	    !msg_count_ok(w, m->ticket_len, DSP_TICKET_MAX))
		return;
	buf_put_string(w, m->volume);
	buf_put_u8(w, m->form);
	buf_put_u64(w, m->size);
	buf_put_u8(w, m->status);
	buf_put_u64(w, m->generation);
	buf_put_u64(w, m->expires_at);
	buf_put_u16(w, m->extent_count);
	for (i = 0; i < m->extent_count; i++)
		msg_encode_extent(w, &m->extents[i]);
	buf_put_blob(w, m->ticket, m->ticket_len);
}

int
msg_decode_mount_info(const uint8_t *p, size_t len, struct msg_mount_info *m)
{
	struct buf_reader	 r;
	const uint8_t		*ticket;
	size_t			 ticket_len;
	uint16_t		 i;
	int			 rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->volume);
	m->form = buf_get_u8(&r);
	m->size = buf_get_u64(&r);
	m->status = buf_get_u8(&r);
	m->generation = buf_get_u64(&r);
	m->expires_at = buf_get_u64(&r);
	m->extent_count = buf_get_u16(&r);
	if (m->extent_count > DSP_MAX_EXTENTS)
		return DSP_E_FRAME;
	for (i = 0; i < m->extent_count; i++)
		msg_decode_extent(&r, &m->extents[i]);
	buf_get_blob(&r, &ticket, &ticket_len, DSP_TICKET_MAX);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	m->ticket_len = (uint32_t)ticket_len;
	if (ticket_len > 0)
		memcpy(m->ticket, ticket, ticket_len);
	if (!msg_name_valid(m->volume) || m->form < DSP_FORM_SINGLE ||
	    m->form > DSP_FORM_SPLIT)
		return DSP_E_INVALID;
	for (i = 0; i < m->extent_count; i++)
		if (!msg_extent_valid(&m->extents[i]))
			return DSP_E_INVALID;
	return DSP_OK;
}

/* ADMIN request and reply */

/* Output longer than DSP_TEXT_MAX is cut: the receiver would refuse it. */
void
msg_encode_text(struct buf_writer *w, const char *text)
{
	size_t	len = text != NULL ? strlen(text) : 0;

	if (len > DSP_TEXT_MAX)
		len = DSP_TEXT_MAX;
	buf_put_blob(w, text, len);
}

int
msg_decode_text(const uint8_t *p, size_t len, char *out)
{
	struct buf_reader	 r;
	const uint8_t		*text;
	size_t			 text_len;
	int			 rc;

	out[0] = '\0';
	buf_reader_init(&r, p, len);
	buf_get_blob(&r, &text, &text_len, DSP_TEXT_MAX);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	if (text_len > 0 && memchr(text, '\0', text_len) != NULL)
		return DSP_E_INVALID;
	if (text_len > 0)
		memcpy(out, text, text_len);
	out[text_len] = '\0';
	return DSP_OK;
}

/* ATTACH request and reply */

void
msg_encode_attach(struct buf_writer *w, const struct msg_attach *m)
{
	buf_put_blob(w, m->ticket, m->ticket_len);
	buf_put_u64(w, m->stream);
}

int
msg_decode_attach(const uint8_t *p, size_t len, struct msg_attach *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_blob(&r, &m->ticket, &m->ticket_len, DSP_TICKET_MAX);
	m->stream = buf_get_u64(&r);
	return msg_finish(&r);
}

void
msg_encode_attached(struct buf_writer *w, const struct msg_attached *m)
{
	buf_put_string(w, m->volume);
	buf_put_u64(w, m->generation);
	buf_put_u64(w, m->expires_at);
}

int
msg_decode_attached(const uint8_t *p, size_t len, struct msg_attached *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->volume);
	m->generation = buf_get_u64(&r);
	m->expires_at = buf_get_u64(&r);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	return msg_name_valid(m->volume) ? DSP_OK : DSP_E_INVALID;
}

/* Data requests: INIT WRITE READ SEARCH ERASE FLUSH */

static int
msg_is_data_op(uint8_t opcode)
{
	return opcode >= DSP_OP_INIT && opcode <= DSP_OP_MAP;
}

/* The checks that depend on the opcode, once the layout has parsed. */
static int
msg_data_request_check(uint8_t opcode, const struct msg_data_request *m)
{
	if (m->offset > UINT64_MAX - m->length)
		return DSP_E_INVALID;
	if (opcode != DSP_OP_SEARCH && m->max_matches != 0)
		return DSP_E_INVALID;
	switch (opcode) {
	case DSP_OP_WRITE:
		if (m->length > DSP_MAX_IO)
			return DSP_E_TOOBIG;
		if (m->data_len != m->length)
			return DSP_E_FRAME;
		break;
	case DSP_OP_READ:
		if (m->length > DSP_MAX_IO)
			return DSP_E_TOOBIG;
		if (m->data_len != 0)
			return DSP_E_FRAME;
		break;
	case DSP_OP_SEARCH:
		if (m->data_len < 1 || m->data_len > DSP_MAX_PATTERN ||
		    m->max_matches > DSP_MAX_MATCHES)
			return DSP_E_INVALID;
		break;
	default:	/* INIT ERASE FLUSH MAP */
		if (m->data_len != 0)
			return DSP_E_FRAME;
		break;
	}
	return DSP_OK;
}

void
msg_encode_data_request(struct buf_writer *w, uint8_t opcode,
    const struct msg_data_request *m)
{
	int	has_data = opcode == DSP_OP_WRITE || opcode == DSP_OP_SEARCH;

	buf_put_string(w, m->requester);
	buf_put_string(w, m->volume);
	buf_put_string(w, m->region);
	buf_put_u64(w, m->offset);
	buf_put_u64(w, m->length);
	buf_put_u32(w, opcode == DSP_OP_SEARCH ? m->max_matches : 0);
	buf_put_blob(w, has_data ? m->data : NULL, has_data ? m->data_len : 0);
}

int
msg_decode_data_request(const uint8_t *p, size_t len, uint8_t opcode,
    struct msg_data_request *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	if (!msg_is_data_op(opcode))
		return DSP_E_OPCODE;
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->requester);
	msg_get_name(&r, m->volume);
	msg_get_name(&r, m->region);
	m->offset = buf_get_u64(&r);
	m->length = buf_get_u64(&r);
	m->max_matches = buf_get_u32(&r);
	buf_get_blob(&r, &m->data, &m->data_len, DSP_MAX_IO);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	if (!msg_name_valid(m->requester) || !msg_name_valid(m->volume) ||
	    !msg_name_valid(m->region))
		return DSP_E_INVALID;
	return msg_data_request_check(opcode, m);
}

/* Data replies */

void
msg_encode_data_reply(struct buf_writer *w, uint8_t opcode,
    const struct msg_data_reply *m)
{
	uint32_t	i;

	buf_put_string(w, m->requester);
	buf_put_string(w, m->volume);
	buf_put_string(w, m->region);
	buf_put_u64(w, m->offset);
	buf_put_u64(w, m->length);
	buf_put_u64(w, m->done);
	if (opcode == DSP_OP_READ)
		buf_put_blob(w, m->data, m->data_len);
	else if (opcode == DSP_OP_SEARCH) {
		if (!msg_count_ok(w, m->match_count, DSP_MAX_MATCHES))
			return;
		buf_put_u32(w, m->match_count);
		for (i = 0; i < m->match_count; i++)
			buf_put_u64(w, m->matches[i]);
	} else if (opcode == DSP_OP_MAP) {
		if (!msg_count_ok(w, m->run_count, DSP_MAX_RUNS))
			return;
		buf_put_u32(w, m->run_count);
		for (i = 0; i < m->run_count; i++) {
			buf_put_u64(w, m->runs[i].length);
			buf_put_u32(w, m->runs[i].flags);
		}
	}
}

static int
msg_get_runs(struct buf_reader *r, struct msg_data_reply *m)
{
	uint32_t	i;

	m->run_count = buf_get_u32(r);
	if (m->run_count > DSP_MAX_RUNS)
		return DSP_E_FRAME;
	for (i = 0; i < m->run_count; i++) {
		m->runs[i].length = buf_get_u64(r);
		m->runs[i].flags = buf_get_u32(r);
	}
	return DSP_OK;
}

/* The runs add up to done, which is within the range asked; none is
 * empty or has a flag not known. */
static int
msg_runs_check(const struct msg_data_reply *m)
{
	uint64_t	sum = 0;
	uint32_t	i;

	if (m->done > m->length || (m->done > 0 && m->run_count == 0))
		return DSP_E_INVALID;
	for (i = 0; i < m->run_count; i++) {
		if (m->runs[i].length == 0 ||
		    (m->runs[i].flags & ~DSP_RUN_HOLE) != 0 ||
		    m->runs[i].length > m->done - sum)
			return DSP_E_INVALID;
		sum += m->runs[i].length;
	}
	return sum == m->done ? DSP_OK : DSP_E_INVALID;
}

int
msg_decode_data_reply(const uint8_t *p, size_t len, uint8_t opcode,
    struct msg_data_reply *m)
{
	struct buf_reader	r;
	uint32_t		i;
	int			rc;

	memset(m, 0, sizeof(*m));
	if (!msg_is_data_op(opcode))
		return DSP_E_OPCODE;
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->requester);
	msg_get_name(&r, m->volume);
	msg_get_name(&r, m->region);
	m->offset = buf_get_u64(&r);
	m->length = buf_get_u64(&r);
	m->done = buf_get_u64(&r);
	if (opcode == DSP_OP_READ)
		buf_get_blob(&r, &m->data, &m->data_len, DSP_MAX_IO);
	else if (opcode == DSP_OP_SEARCH) {
		m->match_count = buf_get_u32(&r);
		if (m->match_count > DSP_MAX_MATCHES)
			return DSP_E_FRAME;
		for (i = 0; i < m->match_count; i++)
			m->matches[i] = buf_get_u64(&r);
	} else if (opcode == DSP_OP_MAP && msg_get_runs(&r, m) != DSP_OK)
		return DSP_E_FRAME;
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	if (!msg_name_valid(m->requester) || !msg_name_valid(m->volume) ||
	    !msg_name_valid(m->region))
		return DSP_E_INVALID;
	/* A READ never returns more than was asked for. */
	if (opcode == DSP_OP_READ && m->data_len > m->length)
		return DSP_E_INVALID;
	return opcode == DSP_OP_MAP ? msg_runs_check(m) : DSP_OK;
}

/* REVOKE */

void
msg_encode_revoke(struct buf_writer *w, const struct msg_revoke *m)
{
	buf_put_string(w, m->volume);
	buf_put_u64(w, m->generation);
}

int
msg_decode_revoke(const uint8_t *p, size_t len, struct msg_revoke *m)
{
	struct buf_reader	r;
	int			rc;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	msg_get_name(&r, m->volume);
	m->generation = buf_get_u64(&r);
	if ((rc = msg_finish(&r)) != DSP_OK)
		return rc;
	return msg_name_valid(m->volume) ? DSP_OK : DSP_E_INVALID;
}
