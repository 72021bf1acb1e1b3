/* Inside the store: the columns of a project's row, in projectrow.h's
 * order, for every statement that reads one (project.c, publication.c). */
#ifndef PROCURD_PROJECTSQL_H
#define PROCURD_PROJECTSQL_H

/* Columns of a project as the API shows it and the guards read it. What the
 * scope check and the notifications need of its agency comes from the
 * agency cache (cache_agency()), not from a join. */
#define PROJECT_COLS \
	"p.id, p.agency, p.fiscal_year, p.title, array_to_json(p.catalog_items)::text, " \
	"p.budget_fen, p.funding_source, p.method, p.quantity, p.quality_standard, " \
	"p.service_start::text, p.service_end::text, p.state, p.version, ts2us(p.next_check), " \
	"p.created_by, p.submitted_by, p.completed_by, ts2us(p.published_at), " \
	"ts2us(p.bid_deadline), p.requirements, p.evaluators_required, p.criteria::text, " \
	"p.award_bid_id, p.award_contractor_id, p.award_price_fen, ts2us(p.awarded_at), " \
	"p.contract::text, p.paid_fen, p.evaluation::text, p.predecessor_id, p.successor_id, " \
	"p.last_seq, encode(p.last_hash, 'hex'), ts2us(p.created_at), ts2us(p.updated_at), " \
	"p.budget_approved, p.round, p.positions::text"
#define PROJECT_FROM " FROM project p "

/* The states whose positions are under contract (migration 017): from the
 * signature to closed; a contractor's exit (takeover, terminated) gives
 * them back. For report.c, plan.c and effects.c alike. */
#define UNDER_CONTRACT "('contracted', 'in_service', 'acceptance', 'payment', " \
	"'year_end_review', 'closed')"

#endif
