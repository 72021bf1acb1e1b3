/* Who must hear of an event: the notifications a lifecycle event implies. */
#include "notice.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Per event: the template and which role of the project's agency must act
 * next or know. A second role may be told too. */
struct notice_rule {
	enum lc_event ev;
	const char *template;
	const char *role;
	const char *also;
};

static const struct notice_rule rules[] = {
	{ EV_SUBMIT, "needs_submitted", "reviewer", NULL },
	{ EV_APPROVE_NEEDS, "needs_approved", "finance", "officer" },
	{ EV_RETURN_NEEDS, "needs_returned", "officer", NULL },
	{ EV_APPROVE_BUDGET, "budget_approved", "officer", NULL },
	{ EV_RETURN_BUDGET, "budget_returned", "officer", NULL },
	{ EV_REJECT_BUDGET, "budget_rejected", "officer", "reviewer" },
	{ EV_PUBLISH, "tender_published", "officer", "evaluator" },
	{ EV_CLOSE_BIDDING, "bidding_closed", "officer", "evaluator" },
	{ EV_RETENDER, "tender_published", "officer", NULL },
	{ EV_CHANGE_METHOD, "needs_approved", "finance", NULL },
	{ EV_AWARD, "award_made", "officer", "reviewer" },
	{ EV_DECLINE_AWARD, "award_declined", "officer", "reviewer" },
	{ EV_CHALLENGE, "challenge_opened", "officer", "reviewer" },
	{ EV_ANSWER_CHALLENGE, "challenge_answered", "officer", NULL },
	{ EV_SIGN_CONTRACT, "contract_signed", "officer", "finance" },
	{ EV_START_SERVICE, "service_started", "officer", NULL },
	{ EV_RECORD_SUPERVISION, "supervision_recorded", "officer", NULL },
	{ EV_COMPLETE_SERVICE, "service_completed", "reviewer", NULL },
	{ EV_ACCEPT, "acceptance_passed", "finance", "officer" },
	{ EV_REJECT_ACCEPTANCE, "acceptance_rejected", "officer", NULL },
	{ EV_CONFIRM_PAYMENT, "payment_confirmed", "reviewer", "officer" },
	{ EV_EVALUATE, "evaluation_published", "officer", "finance" },
	{ EV_CONTRACTOR_EXIT, "contractor_exit", "reviewer", "officer" },
	{ EV_REPORT_SUBCONTRACTING, "contractor_exit", "reviewer", "officer" },
	{ EV_COMPLETE_TAKEOVER, "takeover_completed", "officer", "reviewer" },
	{ EV_CANCEL, "project_cancelled", "officer", "finance" },
};

static void
add(json_t *rows, const struct notice_ctx *n, const char *recipient, const char *template,
    const char *lang)
{
	/* member by member rather than json_pack: one row per notification of
	 * every event, and the format's parsing was a third of the cost */
	json_t *data = json_object();
	json_object_set_new_nocheck(data, "project_id", json_integer((json_int_t)n->project_id));
	json_object_set_new_nocheck(data, "title", json_string(n->title ? n->title : ""));
	json_object_set_new_nocheck(data, "event", json_string(n->ev_name));
	json_object_set_new_nocheck(data, "from", json_string(lc_state_name(n->from)));
	json_object_set_new_nocheck(data, "to", json_string(lc_state_name(n->to)));
	json_object_set_new_nocheck(data, "actor", json_string(n->actor ? n->actor : ""));
	const char *k;
	json_t *v;
	if (json_is_object(n->payload))
		json_object_foreach((json_t *)n->payload, k, v)
			if (json_object_get(data, k) == NULL)
				json_object_set(data, k, v);
	if (lang == NULL || (strcmp(lang, "zh") && strcmp(lang, "en")))
		lang = "zh";
	json_t *row = json_object();
	json_object_set_new_nocheck(row, "channel", json_string("spool"));
	json_object_set_new_nocheck(row, "recipient", json_string(recipient));
	json_object_set_new_nocheck(row, "template", json_string(template));
	json_object_set_new_nocheck(row, "lang", json_string(lang));
	json_object_set_new_nocheck(row, "data", data);
	json_array_append_new(rows, row);
}

static void
mailbox(char *buf, size_t len, const char *agency, const char *role)
{
	snprintf(buf, len, "agency:%s:%s", agency, role);
}

json_t *
notice_rows(const struct notice_ctx *n)
{
	json_t *rows = json_array();
	char rcpt[160];

	if (n->ev == EV_ESCALATE) {
		/* level 1: a reminder to the officer; 2: the agency's reviewers;
		 * 3: the parent agency's reviewers (the deadline module decides) */
		json_int_t level = json_integer_value(json_object_get(n->payload, "level"));
		const char *tmpl = level <= 1 ? "deadline_reminder" : "deadline_escalation";
		bool up = level >= 3 && n->parent_agency;
		mailbox(rcpt, sizeof rcpt, up ? n->parent_agency : n->agency,
		    level <= 1 ? "officer" : "reviewer");
		add(rows, n, rcpt, tmpl, up ? n->parent_lang : n->lang);
		return rows;
	}
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		if (rules[i].ev != n->ev)
			continue;
		/* close_bidding that failed says so */
		const char *tmpl = rules[i].template;
		if (n->ev == EV_CLOSE_BIDDING && n->to == ST_TENDER_FAILED)
			tmpl = "tender_failed";
		if (n->ev == EV_DECLINE_AWARD && n->to == ST_TENDER_FAILED)
			tmpl = "tender_failed";
		mailbox(rcpt, sizeof rcpt, n->agency, rules[i].role);
		add(rows, n, rcpt, tmpl, n->lang);
		if (rules[i].also) {
			mailbox(rcpt, sizeof rcpt, n->agency, rules[i].also);
			add(rows, n, rcpt, tmpl, n->lang);
		}
	}
	if ((n->ev == EV_CONTRACTOR_EXIT || n->ev == EV_REPORT_SUBCONTRACTING) &&
	    json_is_object(n->takeover_plan)) {
		/* 001 §2.7: the takeover plan starts at once — the interim provider
		 * and the recipients' coordinators hear of it in this transaction;
		 * the parent agency's supervisors too */
		json_t *ip = json_object_get(n->takeover_plan, "interim_provider");
		if (json_is_integer(ip))
			snprintf(rcpt, sizeof rcpt, "contractor:%" JSON_INTEGER_FORMAT, json_integer_value(ip));
		else
			mailbox(rcpt, sizeof rcpt, n->agency, "officer");
		add(rows, n, rcpt, "takeover_activated", n->lang);
		size_t i;
		json_t *ct;
		json_array_foreach(json_object_get(n->takeover_plan, "contacts"), i, ct) {
			const char *who = json_is_string(ct) ? json_string_value(ct) :
			    json_string_value(json_object_get(ct, "email")) ?
			    json_string_value(json_object_get(ct, "email")) :
			    json_string_value(json_object_get(ct, "name"));
			if (who && *who) {
				/* a contact may say which language it reads */
				const char *cl = json_string_value(json_object_get(ct, "lang"));
				snprintf(rcpt, sizeof rcpt, "contact:%s", who);
				add(rows, n, rcpt, "takeover_activated", cl ? cl : n->lang);
			}
		}
		if (n->parent_agency) {
			mailbox(rcpt, sizeof rcpt, n->parent_agency, "reviewer");
			add(rows, n, rcpt, "contractor_exit", n->parent_lang);
		}
	}
	return rows;
}
