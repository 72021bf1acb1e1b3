// What bureaus report upward (002 §3, 003 §3.5): staffing per county and
// township against its floors, spending by funding source, category,
// method and state, and next year's funding plan, with its course. Tables
// from the JSON, charts drawn by the page (dom.js), CSV for spreadsheets.
import { api } from "./api.js";
import { barChart, el, gauge } from "./dom.js";
import { money, t, when } from "./i18n.js";

const yuan = (fen) => money(fen);
const dash = (v) => (v === null || v === undefined ? "—" : v);

function filters(params, me, show) {
	const agency = el("input", { id: "rep-agency", required: true, value: params.agency || me.agency });
	const year = el("input", { id: "rep-year", type: "number", min: "2000", max: "2100", required: true,
		value: params.year || String(new Date().getFullYear()) });
	return { agency, year, form: el("form", { class: "filters", onsubmit: (ev) => {
		ev.preventDefault();
		location.hash = `#/reports?agency=${encodeURIComponent(agency.value)}&year=${year.value}` +
			(params.tab ? `&tab=${params.tab}` : "");
	} }, el("div", {}, el("label", { for: "rep-agency" }, t("inbox.agency")), agency),
	el("div", {}, el("label", { for: "rep-year" }, t("field.fiscal_year")), year),
	el("button", { type: "submit" }, t("inbox.filter.apply"))), show };
}

function tabs(params, current) {
	const q = (tab) => `#/reports?agency=${encodeURIComponent(params.agency || "")}&year=${params.year || ""}&tab=${tab}`;
	return el("nav", { class: "tabs", "aria-label": t("reports.title") },
		...["staffing", "spending", "plan"].map((tab) => el("a", { href: q(tab), id: `tab-${tab}`,
			"aria-current": tab === current ? "page" : null, class: tab === current ? "current" : null },
		t("reports.tab." + tab))));
}

function csvLink(path, params) {
	return el("a", { class: "button", id: "csv-link", download: "",
		href: `${path}?agency=${encodeURIComponent(params.agency)}&year=${params.year}&format=csv` },
	t("reports.csv"));
}

async function staffing(params) {
	const r = await api("GET", `/v1/reports/staffing?agency=${encodeURIComponent(params.agency)}&year=${params.year}`);
	const table = el("table", { id: "staffing" }, el("thead", {}, el("tr", {},
		...["unit", "households", "recipients", "required", "under_contract", "planned", "shortfall",
			"lowest_wage", "special"].map((k) => el("th", {}, t("staffing." + k))))),
	el("tbody", {}, ...r.units.map((u) => el("tr", { class: u.shortfall > 0 ? "short" : null },
		el("td", {}, `${u.name} (${u.unit})`), el("td", {}, dash(u.households)),
		el("td", {}, dash(u.recipients)), el("td", { title: u.cite }, dash(u.required)),
		el("td", {}, u.under_contract), el("td", {}, u.planned),
		el("td", { class: u.shortfall > 0 ? "bad" : null }, dash(u.shortfall)),
		el("td", { class: u.wage_below_floor ? "bad" : null }, u.lowest_wage_fen === null ? "—" :
			`${yuan(u.lowest_wage_fen)}${u.wage_floor_fen ? " / " + yuan(u.wage_floor_fen) : ""}`),
		el("td", {}, u.special_cap_fen === null ? "—" :
			`${yuan(u.special_committed_fen)} / ${yuan(u.special_cap_fen)}`)))));
	const tot = r.totals;
	const capText = t("reports.cap_used", { used: yuan(tot.special_committed_fen || 0),
		cap: yuan(tot.special_cap_fen || 0) });
	return [el("p", {}, csvLink("/v1/reports/staffing", params)),
		el("div", { class: "card" }, el("h2", {}, t("reports.shortfall_chart")),
			r.units.some((u) => u.required !== null) ? null :
				el("p", { class: "hint", id: "no-floor" }, t("reports.no_floor")),
			barChart("chart-staffing", t("reports.shortfall_chart"), r.units,
				(u) => u.name, [{ key: "required", label: t("staffing.required"), cls: "bar-a" },
					{ key: "under_contract", label: t("staffing.under_contract"), cls: "bar-b" },
					{ key: "planned", label: t("staffing.planned"), cls: "bar-c" },
					{ key: "shortfall", label: t("staffing.shortfall"), cls: "bar-bad" }])),
		el("div", { class: "card" }, el("h2", {}, t("reports.cap_title")),
			gauge("cap-gauge", t("reports.cap_title"), tot.special_committed_fen || 0,
				tot.special_cap_fen || 0, capText)),
		el("p", { class: "hint" }, t("staffing.totals", { required: tot.required || 0,
			contracted: tot.under_contract || 0, shortfall: tot.shortfall || 0 })),
		table];
}

async function spending(params) {
	const r = await api("GET", `/v1/reports/spending?agency=${encodeURIComponent(params.agency)}&year=${params.year}`);
	const label = (dim) => (x) => (x.value === null ? "—" :
		dim === "category" ? x.value : t(`${dim}.${x.value}`));
	const part = (dim) => el("div", { class: "card" }, el("h2", {}, t("spending." + dim)),
		barChart(`chart-${dim}`, t("spending." + dim), r["by_" + dim], label(dim),
			[{ key: "budget_fen", label: t("spending.budget"), cls: "bar-a" },
				{ key: "contracted_fen", label: t("spending.contracted"), cls: "bar-b" },
				{ key: "paid_fen", label: t("spending.paid"), cls: "bar-c" }], yuan));
	return [el("p", {}, csvLink("/v1/reports/spending", params)),
		el("p", { class: "card", id: "spending-total" }, t("spending.total", { projects: r.total.projects,
			budget: yuan(r.total.budget_fen), contracted: yuan(r.total.contracted_fen),
			paid: yuan(r.total.paid_fen) })),
		part("category"), part("funding_source"), part("method"), part("state")];
}

async function plan(params, me, errorBox, rerun) {
	const year = Number(params.year);
	const path = `/v1/agencies/${encodeURIComponent(params.agency)}/funding-plan/${year}`;
	const p = await api("GET", path);
	const out = el("div", { "aria-live": "polite" });
	const act = (event, needsReason) => async () => {
		const payload = {};
		if (needsReason) {
			const why = document.getElementById("plan-reason").value.trim();
			if (!why) {
				out.replaceChildren(el("p", { class: "error", role: "alert" }, t("plan.reason_needed")));
				return;
			}
			payload.reason = why;
		}
		try {
			await api("POST", `${path}/events`, { event, expected_version: p.version, payload });
			rerun();
		} catch (e) { out.replaceChildren(errorBox(e)); }
	};
	const own = me.agency === params.agency;
	const buttons = [];
	if (own && p.state === "open" && me.roles.includes("officer"))
		buttons.push(el("button", { type: "button", id: "plan-report", onclick: act("report") },
			t("plan.report")));
	if (own && p.state === "reported" && me.roles.includes("finance"))
		buttons.push(el("button", { type: "button", id: "plan-confirm", onclick: act("confirm") },
			t("plan.confirm")),
		el("label", { for: "plan-reason" }, t("payload.reason")), el("input", { id: "plan-reason" }),
		el("button", { type: "button", id: "plan-return", onclick: act("return", true) },
			t("plan.return")));
	const cap = p.cap;
	return [el("div", { class: "card" },
		el("p", { id: "plan-state" }, t("plan.state", { year, state: t("plan.state." + p.state),
			due: when(p.due_at) }), p.escalated ? ` · ${t("plan.escalated", { level: p.escalated })}` : ""),
		barChart("chart-plan", t("plan.by_source"), p.by_funding_source,
			(x) => t("funding_source." + x.funding_source),
			[{ key: "running_contracts_fen", label: t("plan.running_contracts"), cls: "bar-a" },
				{ key: "positions_to_keep_fen", label: t("plan.positions_to_keep"), cls: "bar-b" },
				{ key: "approved_projects_fen", label: t("plan.approved_projects"), cls: "bar-c" }], yuan),
		el("p", { id: "plan-total" }, t("plan.total", { total: yuan(p.total_fen) })),
		cap.basis_year ? gauge("plan-cap", t("reports.cap_title"), cap.special_need_fen, cap.cap_fen,
			t("plan.cap", { need: yuan(cap.special_need_fen), cap: yuan(cap.cap_fen),
				year: cap.basis_year })) : el("p", { class: "hint" }, t("plan.no_budget")),
		buttons.length ? el("div", { class: "filters" }, ...buttons) : null, out),
	el("table", { id: "plan-lines" }, el("thead", {}, el("tr", {},
		el("th", {}, t("plan.component")), el("th", {}, t("inbox.project")),
		el("th", {}, t("field.funding_source")), el("th", {}, t("plan.amount")))),
	el("tbody", {}, ...p.lines.map((l) => el("tr", {}, el("td", {}, t("plan." + l.component)),
		el("td", {}, el("a", { href: `#/projects/${l.project_id}` }, `#${l.project_id} ${l.title}`),
			l.unit ? ` · ${l.unit} × ${l.count}` : ""),
		el("td", {}, l.funding_source ? t("funding_source." + l.funding_source) : "—"),
		el("td", {}, yuan(l.amount_fen)))))),
	el("h2", {}, t("project.history")),
	el("ol", { class: "timeline", id: "plan-history" }, ...p.history.slice().reverse().map((e) =>
		el("li", {}, el("strong", {}, t("plan.event." + e.event)), " · ", e.actor, " ",
			el("span", { class: "when" }, when(e.at)), e.payload.reason ? ` · ${e.payload.reason}` : "")))];
}

// #/reports?agency=&year=&tab=staffing|spending|plan
export async function reportsPage(params, me, show, errorBox, rerun) {
	params = { agency: params.agency || me.agency, year: params.year ||
		String(new Date().getFullYear()), tab: params.tab || "staffing" };
	const f = filters(params, me, show);
	let body;
	try {
		body = params.tab === "spending" ? await spending(params) :
			params.tab === "plan" ? await plan(params, me, errorBox, rerun) : await staffing(params);
	} catch (e) { body = [errorBox(e)]; }
	show(el("h1", {}, t("reports.title")), tabs(params, params.tab), f.form, ...body);
}
