/* GET /v1/agencies and GET /v1/calendar (admin.h). */
#include "admin.h"

#include "registry.h"
#include "render.h"
#include "rows.h"
#include "timebase.h"

json_t *
admin_agencies(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)r;
	(void)status;
	struct rows *rows = registry_agency_list(c);
	if (rows == NULL)
		return NULL;
	json_t *o = render_agencies(rows, ctx_offset(c));
	rows_free(rows);
	return o;
}

json_t *
admin_calendar(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)r;
	(void)status;
	struct rows *rows = timebase_calendar_status(c->db);
	if (rows == NULL)
		return ctx_dbfail(c, "reading the calendar's years");
	json_t *o = render_calendar(rows, ctx_offset(c));
	rows_free(rows);
	return o;
}
