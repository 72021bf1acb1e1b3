// The console: a page per hash route (#/, #/projects/ID, #/signin,
// #/password), built with DOM calls only (no HTML from data), so whatever
// a request stored is shown as text.
import { api, setCsrf } from "./api.js";
import { creditCodeProblem } from "./credit.js";
import { el } from "./dom.js";
import { documentsPicker, documentsSection, pickedDocuments, projectDocuments } from "./documents.js";
import { reportsPage } from "./reports.js";
import { fenOf, language, money, setLanguage, t, when } from "./i18n.js";

const main = document.getElementById("main");
let me = null;

function show(...nodes) {
	main.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
	main.focus();
}

function toast(text) {
	const box = document.getElementById("toast");
	box.textContent = text;
	setTimeout(() => { if (box.textContent === text) box.textContent = ""; }, 4000);
}

// An API error in plain words, with the rule's figures where there are some.
function explain(e) {
	if (e.status === 401 && me) return t("error.session");
	const d = e.details || {};
	if (d.rule === "special_funds_cap")
		return t("rule.special_funds_cap", { cap_percent: d.cap_percent, cap: money(d.cap_fen),
			committed: money(d.committed_fen), asked: money(d.asked_fen) });
	return t("error.generic", { message: e.message || e.code });
}

function errorBox(e) {
	return el("p", { class: "error", role: "alert" }, explain(e));
}

function field(id, label, input) {
	input.id = id;
	return [el("label", { for: id }, label), input];
}

function chrome() {
	document.title = t("app.title") + " · procurd";
	document.getElementById("nav").hidden = !me;
	document.getElementById("who-name").hidden = !me;
	document.getElementById("signout").hidden = !me;
	document.getElementById("nav-inbox").textContent = t("nav.inbox");
	document.getElementById("nav-evaluations").textContent = t("nav.evaluations");
	document.getElementById("nav-reports").textContent = t("nav.reports");
	document.getElementById("nav-contractors").textContent = t("nav.contractors");
	const fin = document.getElementById("nav-finance");
	fin.textContent = t("nav.finance");
	fin.hidden = !(me && (me.roles.includes("finance") || me.roles.includes("admin")));
	const users = document.getElementById("nav-users");
	users.textContent = t("nav.users");
	users.hidden = !(me && me.roles.includes("admin"));
	const reg = document.getElementById("nav-registry");
	reg.textContent = t("nav.registry");
	reg.hidden = !(me && me.roles.includes("admin"));
	const inc = document.getElementById("nav-incidents");
	inc.textContent = t("nav.incidents");
	inc.hidden = !(me && me.roles.includes("admin"));
	document.getElementById("lang").textContent = t("lang.switch");
	document.getElementById("nav-public").textContent = t("nav.public");
	document.getElementById("signout").textContent = t("signout");
	document.getElementById("who-name").textContent = me ? me.name : "";
}

// --- signing in -------------------------------------------------------------

function signinPage(message) {
	const name = el("input", { autocomplete: "username", required: true });
	const pw = el("input", { type: "password", autocomplete: "current-password", required: true });
	const out = el("div");
	const form = el("form", { class: "card", onsubmit: async (ev) => {
		ev.preventDefault();
		try {
			const u = await api("POST", "/v1/sessions", { name: name.value, password: pw.value });
			setCsrf(u.csrf_token);
			me = u;
			if (u.lang) setLanguage(u.lang);	/* the user's own, on any browser */
			location.hash = u.password_change_required ? "#/password" : "#/";
			route();
		} catch (e) {
			pw.value = "";
			out.replaceChildren(el("p", { class: "error", role: "alert" },
				e.status === 429 ? t("signin.locked", { minutes: Math.ceil(e.retryAfter / 60) }) :
				e.status === 401 ? t("signin.failed") : explain(e)));
		}
	} },
	el("h1", {}, t("signin.title")), message ? el("p", { class: "error" }, message) : null,
	field("signin-name", t("signin.name"), name), field("signin-password", t("signin.password"), pw),
	el("button", { type: "submit", id: "signin-submit" }, t("signin.submit")), out);
	show(form);
	name.focus();
}

function passwordPage() {
	const cur = el("input", { type: "password", autocomplete: "current-password", required: true });
	const pw = el("input", { type: "password", autocomplete: "new-password", required: true,
		minlength: "10" });
	const again = el("input", { type: "password", autocomplete: "new-password", required: true });
	const out = el("div");
	show(el("form", { class: "card", onsubmit: async (ev) => {
		ev.preventDefault();
		if (pw.value !== again.value) {
			out.replaceChildren(el("p", { class: "error", role: "alert" }, t("password.differ")));
			return;
		}
		try {
			me = await api("PUT", "/v1/me/password", { current: cur.value, new: pw.value });
			toast(t("password.saved"));
			location.hash = "#/";
		} catch (e) { out.replaceChildren(errorBox(e)); }
	} },
	el("h1", {}, t("password.title")),
	me && me.password_change_required ? el("p", { class: "hint" }, t("password.why")) : null,
	field("password-current", t("password.current"), cur),
	field("password-new", t("password.new"), pw), field("password-again", t("password.again"), again),
	el("button", { type: "submit", id: "password-submit" }, t("password.submit")), out));
	cur.focus();
}

// --- the inbox --------------------------------------------------------------

async function inboxPage(params) {
	const q = new URLSearchParams(params);
	const data = await api("GET", "/v1/tasks?" + q.toString());
	const state = el("select", {}, el("option", { value: "" }, t("all")),
		...Object.keys(data.counts).map((s) => el("option", { value: s, selected: s === q.get("state") },
			t("state." + s))));
	const agency = el("input", { value: q.get("agency") || "" });
	const overdue = el("input", { type: "checkbox", checked: q.get("overdue") === "true" });
	const filters = el("form", { class: "filters", onsubmit: (ev) => {
		ev.preventDefault();
		const p = new URLSearchParams();
		if (state.value) p.set("state", state.value);
		if (agency.value) p.set("agency", agency.value);
		if (overdue.checked) p.set("overdue", "true");
		location.hash = "#/?" + p.toString();
	} },
	el("div", {}, ...field("f-state", t("inbox.filter.state"), state)),
	el("div", {}, ...field("f-agency", t("inbox.filter.agency"), agency)),
	el("div", {}, el("label", { for: "f-overdue" }, overdue, " ", t("inbox.filter.overdue"))),
	el("button", { type: "submit" }, t("inbox.filter.apply")));
	overdue.id = "f-overdue";
	const counts = el("div", { class: "counts" }, ...Object.entries(data.counts).map(([s, n]) =>
		el("span", {}, `${t("state." + s)} ${n}`)));
	const rows = data.items.map((it) => {
		const p = it.project;
		const wd = it.working_days_left;
		const due = !it.due ? "—" : when(it.due) + (wd === null ? "" : wd < 0 ?
			` (${t("inbox.late_by", { n: -wd })})` :
			it.overdue ? "" : ` (${t("inbox.working_days", { n: wd })})`);
		return el("tr", { class: it.overdue ? "overdue" : it.soon ? "soon" : null },
			el("td", {}, el("a", { href: `#/projects/${p.id}` }, `#${p.id} ${p.title}`)),
			el("td", {}, el("span", { class: "state" }, t("state." + p.state))),
			el("td", { class: "wide" }, p.agency),
			el("td", {}, it.events.map((e) => t("event." + e)).join(t("list.sep"))),
			el("td", { class: "due" }, it.overdue ? `${t("inbox.overdue")} · ${due}` : due));
	});
	const table = data.items.length ? el("table", {},
		el("thead", {}, el("tr", {}, el("th", {}, t("inbox.project")), el("th", {}, t("inbox.state")),
			el("th", { class: "wide" }, t("inbox.agency")), el("th", {}, t("inbox.actions")),
			el("th", {}, t("inbox.due")))), el("tbody", {}, rows)) :
		el("p", { class: "card" }, t("inbox.empty"));
	let more = null;
	if (data.next) {
		q.set("after", data.next);
		more = el("p", {}, el("a", { href: "#/?" + q.toString() }, t("inbox.more")));
	}
	const create = me.roles.includes("officer") ?
		el("p", {}, el("a", { href: "#/new", id: "new-project-link", class: "button" }, t("new.title"))) : null;
	show(el("h1", {}, t("inbox.title")), create, counts, filters, table, more);
}

// --- a new project (officer) -------------------------------------------------

const LEVELS = ["province", "city", "county"];

// The catalogue picker offers what the officer's agency may buy: approved,
// purchasable, not restricted, set at its level or above; the method shows
// its statutory window to the bid deadline; money is typed in yuan and
// sent as exact fen.
async function newProjectPage() {
	const [cat, ag, lc] = await Promise.all([api("GET", "/v1/catalog"), api("GET", "/v1/agencies"),
		api("GET", "/v1/lifecycle")]);
	const mine = LEVELS.indexOf(me.agency_level);
	const items = cat.items.filter((i) => i.approved && i.purchasable && !i.restricted &&
		LEVELS.indexOf(i.level) <= mine);
	const agency = el("select", {}, ...ag.items.map((a) => el("option", { value: a.code,
		selected: a.code === me.agency }, `${a.name} (${a.code})`)));
	const year = el("input", { type: "number", min: "2000", max: "2100", step: "1", required: true,
		value: String(new Date().getFullYear()) });
	const title = el("input", { required: true, maxlength: "200" });
	const picks = items.map((i) => el("input", { type: "checkbox", value: i.code, id: `item-${i.code}` }));
	const picker = items.length ? el("fieldset", { id: "new-items" }, el("legend", {}, t("new.items") + " *"),
		...items.map((i, k) => el("div", {}, picks[k], " ", el("label", { for: `item-${i.code}` },
			`${i.name} (${i.code})`)))) : el("p", { class: "error" }, t("new.no_items"));
	const budget = el("input", { inputmode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", required: true,
		placeholder: "0.00" });
	const source = el("select", {}, ...["special_funds", "work_funds", "lottery_funds"].map((v) =>
		el("option", { value: v }, t("funding_source." + v))));
	const windowHint = el("p", { class: "hint", id: "new-method-window", "aria-live": "polite" });
	const method = el("select", {}, ...lc.methods.map((m) => el("option", { value: m.name },
		t("method." + m.name))));
	const showWindow = () => {
		const m = lc.methods.find((x) => x.name === method.value);
		windowHint.textContent = m ? t("new.window", { n: m.bid_window.count,
			unit: t("unit." + m.bid_window.unit) }) : "";
	};
	method.addEventListener("change", showWindow);
	showWindow();
	const quantity = el("input", { required: true, maxlength: "500" });
	const positions = positionsEditor(ag.items.filter((a) => a.level === "county" || a.level === "township"));
	const quality = el("textarea", { required: true });
	const start = el("input", { type: "date", required: true });
	const end = el("input", { type: "date", required: true });
	const out = el("div");
	const form = el("form", { class: "card wide-form", id: "new-project", onsubmit: async (e) => {
		e.preventDefault();
		const chosen = picks.filter((p) => p.checked).map((p) => p.value);
		if (!chosen.length) {
			out.replaceChildren(el("p", { class: "error", role: "alert" }, t("new.pick_one")));
			return;
		}
		try {
			const p = await api("POST", "/v1/projects", { agency: agency.value,
				fiscal_year: parseInt(year.value, 10), title: title.value, catalog_items: chosen,
				budget_fen: fenOf(budget.value), funding_source: source.value, method: method.value,
				quantity: quantity.value, quality_standard: quality.value,
				service_start: start.value, service_end: end.value,
				...(positionsOf(positions).length ? { positions: positionsOf(positions) } : {}) });
			toast(t("new.created", { id: p.id }));
			location.hash = `#/projects/${p.id}`;
		} catch (err) {
			out.replaceChildren(errorBox(err));
		}
	} },
	...field("new-agency", t("field.agency"), agency), ...field("new-year", t("field.fiscal_year"), year),
	...field("new-title", t("field.title"), title), picker,
	...field("new-budget", t("new.budget"), budget), ...field("new-source", t("field.funding_source"), source),
	...field("new-method", t("field.method"), method), windowHint,
	...field("new-quantity", t("field.quantity"), quantity), positions,
	...field("new-quality", t("field.quality_standard"), quality),
	...field("new-start", t("field.service_start"), start), ...field("new-end", t("field.service_end"), end),
	el("button", { type: "submit", id: "new-submit" }, t("new.create")), out);
	show(el("h1", {}, t("new.title")), form);
}

// Positions bought (caseworkers, public-welfare posts), a row per county or
// township: how many, the annual wage a person in yuan, and the households
// and recipients the unit serves; submit checks them against the unit's
// staffing and wage floors.
function positionsEditor(units) {
	const box = el("fieldset", { class: "criteria", id: "new-positions" },
		el("legend", {}, t("positions.title")), el("p", { class: "hint" }, t("positions.hint")));
	const rows = el("div");
	let n = 0;
	const row = () => {
		const i = n++;
		const num = (id, label, attrs = {}) => el("div", {}, ...field(`pos-${i}-${id}`, label,
			el("input", { type: "number", min: "0", step: "1", ...attrs })));
		const r = el("div", { class: "criterion position" },
			el("div", {}, ...field(`pos-${i}-unit`, t("positions.unit"), el("select", {},
				...units.map((u) => el("option", { value: u.code }, `${u.name} (${u.code})`))))),
			num("count", t("positions.count"), { min: "1", required: true }),
			el("div", {}, ...field(`pos-${i}-wage`, t("positions.wage"), el("input", {
				inputmode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", required: true, placeholder: "0.00" }))),
			num("households", t("positions.households")), num("recipients", t("positions.recipients")),
			el("button", { type: "button", class: "link", onclick: () => r.remove() }, t("criteria.remove")));
		rows.append(r);
	};
	box.append(rows, el("button", { type: "button", id: "pos-add", onclick: row }, t("positions.add")));
	return box;
}

function positionsOf(box) {
	return [...box.querySelectorAll(".position")].map((r) => {
		const [unit, count, wage, households, recipients] = r.querySelectorAll("input, select");
		const p = { unit: unit.value, count: parseInt(count.value, 10), annual_wage_fen: fenOf(wage.value) };
		if (households.value !== "") p.households = parseInt(households.value, 10);
		if (recipients.value !== "") p.recipients = parseInt(recipients.value, 10);
		return p;
	});
}

// --- a project --------------------------------------------------------------

// A payload field's input, by the type the daemon checks (GET /v1/lifecycle):
// money (…_fen) typed in yuan, times as local date and time in the
// calendar's zone, objects and lists as JSON.
function inputFor(f, lc, docs, required) {
	const req = f.required || undefined;
	if (f.name === "criteria") return criteriaEditor();
	if (f.name === "documents") return documentsPicker(docs || [], required || []);
	if (f.name === "method" && lc)
		return el("select", { required: req, "data-kind": "text" },
			...lc.methods.map((m) => el("option", { value: m.name }, t("method." + m.name))));
	if (f.name === "finding")
		return el("select", { required: req, "data-kind": "text" },
			...["ok", "issue"].map((v) => el("option", { value: v }, t("finding." + v))));
	if (f.name.endsWith("_fen"))
		return el("input", { inputmode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", required: req,
			placeholder: "0.00", "data-kind": "yuan" });
	if (f.type === "integer")
		return el("input", { type: "number", step: "1", required: req, "data-kind": "integer" });
	if (f.type === "number")
		return el("input", { type: "number", step: "any", required: req, "data-kind": "number" });
	if (f.type === "time")
		return el("input", { type: "datetime-local", required: req, "data-kind": "time" });
	if (f.type === "object" || f.type === "array" || f.type === "any")
		return el("textarea", { spellcheck: "false", required: req, "data-kind": "json" },
			f.type === "array" ? "[]" : "{}");
	if (f.name === "comment" || f.name === "text" || f.name === "report" || f.name === "answer")
		return el("textarea", { required: req, "data-kind": "text" });
	return el("input", { required: req, "data-kind": "text" });
}

// The evaluation criteria of a tender as rows (name, quality or price,
// weight), not JSON: quality first, so the sheet starts with two quality
// criteria and the price at its usual weight; the daemon checks the sum
// (100), the one price criterion and its weight's range.
function criteriaEditor() {
	const box = el("fieldset", { class: "criteria", "data-kind": "criteria" });
	const rows = el("div");
	let n = 0;
	const row = (name, kind, weight) => {
		const i = n++;
		const kindSel = el("select", { id: `crit-${i}-kind` },
			el("option", { value: "quality", selected: kind === "quality" }, t("criteria.quality")),
			el("option", { value: "price", selected: kind === "price" }, t("criteria.price")));
		const r = el("div", { class: "criterion" },
			el("div", {}, ...field(`crit-${i}-name`, t("criteria.name"), el("input", { value: name, required: true }))),
			el("div", {}, ...field(`crit-${i}-kind`, t("criteria.kind"), kindSel)),
			el("div", {}, ...field(`crit-${i}-weight`, t("criteria.weight"),
				el("input", { type: "number", min: "1", max: "100", step: "1", value: weight, required: true }))),
			el("button", { type: "button", class: "link", onclick: () => r.remove() },
				t("criteria.remove")));
		rows.append(r);
	};
	row(t("criteria.default.plan"), "quality", 50);
	row(t("criteria.default.staff"), "quality", 30);
	row(t("criteria.default.price"), "price", 20);
	box.append(el("legend", {}, t("payload.criteria") + " *"), rows,
		el("button", { type: "button", id: "crit-add", onclick: () => row("", "quality", 10) },
			t("criteria.add")));
	return box;
}

function criteriaOf(box) {
	return [...box.querySelectorAll(".criterion")].map((r) => {
		const [name, kind, weight] = r.querySelectorAll("input, select");
		return { name: name.value, kind: kind.value, weight: parseInt(weight.value, 10) };
	});
}

// A field's label and input; a fieldset carries its own legend.
function labelled(id, label, input) {
	if (input.tagName === "FIELDSET") {
		input.id = id;
		return [input];
	}
	return field(id, label, input);
}

function payloadOf(inputs) {
	const body = {};
	for (const { f, input } of inputs) {
		const v = input.value ?? "";
		if (v === "" && !f.required && input.dataset.kind !== "criteria" &&
			input.dataset.kind !== "documents") continue;
		switch (input.dataset.kind) {
		case "criteria": body[f.name] = criteriaOf(input); break;
		case "documents": {
			const ids = pickedDocuments(input);
			if (ids.length) body[f.name] = ids;
			break;
		}
		case "yuan": body[f.name] = fenOf(v); break;
		case "integer": body[f.name] = parseInt(v, 10); break;
		case "number": body[f.name] = Number(v); break;
		case "time": body[f.name] = v.length === 16 ? `${v}:00+08:00` : `${v}+08:00`; break;
		case "json": body[f.name] = JSON.parse(v); break;
		default: body[f.name] = v;
		}
	}
	return body;
}

const shown = ["id", "agency", "fiscal_year", "title", "budget_fen", "funding_source", "method",
	"quantity", "quality_standard", "service_start", "service_end", "state", "version",
	"next_check", "updated_at"];

function value(k, v) {
	if (k === "budget_fen") return money(v);
	if (k === "funding_source" || k === "method") return v ? t(`${k}.${v}`) : "—";
	if (k === "state") return t("state." + v);
	if (k === "next_check" || k === "updated_at") return when(v);
	return v ?? "—";
}

async function projectPage(id) {
	const [p, hist, lc, chain, dls, notes, docs] = await Promise.all([api("GET", `/v1/projects/${id}`),
		api("GET", `/v1/projects/${id}/events`), api("GET", "/v1/lifecycle"),
		api("GET", `/v1/projects/${id}/verify`), api("GET", `/v1/deadlines?project=${id}`),
		api("GET", `/v1/notifications?project=${id}`), projectDocuments(id)]);
	const deadlines = dls.items.length ? el("table", { id: "deadlines" }, el("thead", {},
		el("tr", {}, el("th", {}, t("deadline.kind")), el("th", {}, t("deadline.level")),
			el("th", {}, t("deadline.event")), el("th", {}, t("inbox.due")))),
	el("tbody", {}, ...dls.items.map((x) => el("tr", {}, el("td", {}, x.kind),
		el("td", {}, x.level), el("td", {}, t("event." + x.event)), el("td", {}, when(x.due)))))) :
		el("p", { class: "hint" }, t("deadline.none"));
	const notifications = notes.items.length ? el("table", { id: "notifications" }, el("thead", {},
		el("tr", {}, el("th", {}, t("incidents.recipient")), el("th", {}, t("notice.template")),
			el("th", {}, t("users.status")), el("th", {}, t("incidents.since")))),
	el("tbody", {}, ...notes.items.map((n) => el("tr", {}, el("td", {}, `${n.channel}: ${n.recipient}`),
		el("td", {}, n.template), el("td", {}, t("notice." + n.status)),
		el("td", {}, when(n.created_at)))))) : el("p", { class: "hint" }, t("notice.none"));
	const fields = el("dl", { class: "fields" }, ...shown.filter((k) => k in p).flatMap((k) =>
		[el("dt", {}, t("field." + k)), el("dd", {}, value(k, p[k]))]));
	const mine = lc.transitions.filter((x) => x.from === p.state &&
		x.roles.some((r) => me.roles.includes(r)));
	const out = el("div");
	let actions;
	if (mine.length) {
		const ev = el("select", {}, ...mine.map((x) => el("option", { value: x.event }, t("event." + x.event))));
		const fieldsBox = el("div");
		let inputs = [];
		const evOf = (name) => lc.events.find((x) => x.name === name) ||
			{ fields: [], documents_required: [] };
		const build = () => {
			const spec = evOf(ev.value);
			inputs = spec.fields.map((f) => ({ f, input: inputFor(f, lc, docs,
				spec.documents_required || []) }));
			fieldsBox.replaceChildren(...inputs.flatMap(({ f, input }) =>
				labelled(`act-${f.name}`, t(`payload.${f.name}`) + (f.required ? " *" : ""), input)));
		};
		ev.addEventListener("change", build);
		build();
		actions = el("form", { class: "card wide-form", onsubmit: async (e) => {
			e.preventDefault();
			let body;
			try { body = payloadOf(inputs); } catch (err) {
				out.replaceChildren(el("p", { class: "error", role: "alert" }, String(err.message)));
				return;
			}
			try {
				await api("POST", `/v1/projects/${id}/events`, { event: ev.value,
					expected_version: p.version, payload: body });
				toast(t("project.done", { event: t("event." + ev.value) }));
				route();
			} catch (err) {
				if (err.code === "version_conflict") {
					const now = await api("GET", `/v1/projects/${id}`);
					out.replaceChildren(el("p", { class: "error", role: "alert" },
						t("project.conflict", { state: t("state." + now.state) })));
				} else out.replaceChildren(errorBox(err));
			}
		} }, ...field("act-event", t("project.event"), ev), fieldsBox,
		el("button", { type: "submit", id: "act-submit" }, t("project.submit")), out);
	} else actions = el("p", { class: "card" }, t("project.none"));
	const timeline = el("ol", { class: "timeline" }, ...hist.items.slice().reverse().map((e) =>
		el("li", {}, el("strong", {}, t("event." + e.event)), " · ", e.actor, " ",
			el("span", { class: "when" }, when(e.at)), " ",
			e.from !== e.to ? `${e.from ? t("state." + e.from) + " → " : ""}${t("state." + e.to)}` : "",
			el("pre", {}, JSON.stringify(e.payload, null, 1)))));
	const tender = await tenderSection(p);
	// the path actually taken: every state the history entered, in order
	// (a retender or a change of method shows as a step back)
	const path = [];
	for (const e of hist.items)
		if (e.to && e.to !== path[path.length - 1]) path.push(e.to);
	const stepper = el("ol", { class: "stepper", id: "stepper", "aria-label": t("project.path") },
		...path.map((s, i) => el("li", { class: i === path.length - 1 ? "current" : null,
			"aria-current": i === path.length - 1 ? "step" : null }, t("state." + s))));
	const links = el("p", {}, p.predecessor_id ? el("a", { href: `#/projects/${p.predecessor_id}` },
		t("project.predecessor", { id: p.predecessor_id })) : null, " ",
	p.successor_id ? el("a", { href: `#/projects/${p.successor_id}` },
		t("project.successor", { id: p.successor_id })) : null);
	show(el("h1", {}, `#${p.id} ${p.title}`), stepper, links, el("h2", {}, t("project.fields")), el("div",
		{ class: "card" }, fields), el("h2", {}, t("project.actions")), actions,
	tender, documentsSection(p, docs, me, errorBox, route), el("h2", {}, t("deadline.title")),
	deadlines, el("h2", {}, t("notice.title")),
	notifications, el("h2", {}, t("project.history")), el("p", { class: chain.intact ? "hint" : "error",
		id: "chain" }, chain.intact ? `✓ ${t("project.chain_ok")}` :
		t("project.chain_broken", { seq: chain.broken_at_seq, reason: chain.reason })), timeline);
}

// --- tendering: score sheets and the ranking -------------------------------------

// While bids are scored: an evaluator's sheet per bid, each criterion with
// its maximum (the price and past performance are computed, not scored);
// from scoring on, the ranking with the daemon's figures and their sources.
async function tenderSection(p) {
	if (!p.criteria || !["scoring", "awarded", "contracted", "in_service"].includes(p.state))
		return null;
	const [bids, ranking] = await Promise.all([api("GET", `/v1/projects/${p.id}/bids`),
		api("GET", `/v1/projects/${p.id}/ranking`).catch(() => ({ items: [] }))]);
	const scored = p.criteria.filter((c) => c.kind === "quality" && c.name !== "past_performance");
	const parts = [el("h2", {}, t("tender.title"))];
	if (p.state === "scoring" && me.roles.includes("evaluator")) {
		const current = bids.items.filter((b) => b.round === p.round && !b.declined);
		for (const b of current) {
			const out = el("div");
			const inputs = scored.map((c) => ({ c, input: el("input", { type: "number", min: "0",
				max: String(c.weight), step: "any", required: true }) }));
			parts.push(el("form", { class: "card wide-form sheet", "data-bid": String(b.id),
				onsubmit: async (ev) => {
					ev.preventDefault();
					const scores = {};
					for (const { c, input } of inputs) scores[c.name] = Number(input.value);
					try {
						await api("POST", `/v1/projects/${p.id}/bids/${b.id}/scores`, { scores });
						out.replaceChildren(el("p", { class: "notice" }, t("tender.scored")));
					} catch (e) {
						out.replaceChildren(e.status === 409 ? el("p", { class: "notice" },
							t("tender.already")) : errorBox(e));
					}
				} }, el("h3", {}, t("tender.sheet", { bid: b.id, contractor: b.contractor_name })),
			...inputs.flatMap(({ c, input }) => field(`sheet-${b.id}-${c.name}`,
				t("tender.criterion", { name: c.name, max: c.weight }), input)),
			el("button", { type: "submit" }, t("tender.score")), out));
		}
	}
	if (ranking.items.length)
		parts.push(el("table", { id: "ranking" }, el("thead", {}, el("tr", {},
			el("th", {}, t("tender.rank")), el("th", {}, t("tender.bid")),
			el("th", {}, t("tender.price")), el("th", {}, t("tender.quality")),
			el("th", {}, t("tender.price_score")), el("th", {}, t("tender.total")))),
		el("tbody", {}, ...ranking.items.map((x) => el("tr", {}, el("td", {}, x.rank),
			el("td", {}, `#${x.bid_id}`), el("td", {}, money(x.price_fen)),
			el("td", {}, Number(x.quality_score).toFixed(2)),
			el("td", {}, Number(x.price_score).toFixed(2)), el("td", {}, Number(x.total).toFixed(2)))))));
	return el("section", {}, ...parts);
}

// --- contractors -----------------------------------------------------------------

const KINDS = ["social_organization", "public_institution", "enterprise"];
const QUALS = ["independent_liability", "facilities", "staff", "professional_capability",
	"governance", "financial_management"];

async function contractorsPage(params) {
	const q = el("input", { value: params.q || "", required: true });
	const search = el("form", { class: "filters", onsubmit: (ev) => {
		ev.preventDefault();
		location.hash = `#/contractors?q=${encodeURIComponent(q.value)}`;
	} }, el("div", {}, ...field("c-q", t("contractors.search"), q)),
	el("button", { type: "submit" }, t("inbox.filter.apply")));
	let found = null;
	if (params.q) {
		const data = await api("GET", `/v1/contractors?q=${encodeURIComponent(params.q)}`);
		found = data.items.length ? el("table", { id: "contractors" }, el("tbody", {},
			...data.items.map((c) => el("tr", {}, el("td", {}, el("a", { href: `#/contractors/${c.id}` },
				c.name)), el("td", {}, t("kind." + c.kind)), el("td", {}, c.credit_code),
			el("td", {}, c.banned ? el("span", { class: "bad" }, t("contractors.banned")) :
				c.qualified ? t("contractors.qualified") : t("contractors.unqualified")))))) :
			el("p", { class: "card" }, t("contractors.none"));
	}
	let form = null;
	if (me.roles.includes("officer")) {
		const name = el("input", { required: true });
		const kind = el("select", {}, ...KINDS.map((k) => el("option", { value: k }, t("kind." + k))));
		const code = el("input", { required: true, maxlength: "18", autocomplete: "off",
			spellcheck: "false", "aria-describedby": "c-code-check" });
		const check = el("p", { id: "c-code-check", class: "hint", "aria-live": "polite" });
		code.addEventListener("input", () => {
			code.value = code.value.toUpperCase();
			const p = code.value ? creditCodeProblem(code.value) : null;
			check.className = p ? "error" : "hint";
			check.textContent = !code.value ? "" : p ? t(p.key, p.vars) : `✓ ${t("credit.ok")}`;
			code.setCustomValidity(p ? t(p.key, p.vars) : "");
		});
		const quals = QUALS.map((k) => el("input", { type: "checkbox", id: `q-${k}`, value: k }));
		const out = el("div");
		form = el("form", { class: "card wide-form", onsubmit: async (ev) => {
			ev.preventDefault();
			const body = { name: name.value, kind: kind.value, credit_code: code.value };
			for (const b of quals) body[b.value] = b.checked;
			try {
				const c = await api("POST", "/v1/contractors", body);
				location.hash = `#/contractors/${c.id}`;
			} catch (e) { out.replaceChildren(errorBox(e)); }
		} }, el("h2", {}, t("contractors.register")), ...field("c-name", t("contractors.name"), name),
		...field("c-kind", t("contractors.kind"), kind),
		...field("c-code", t("contractors.code"), code), check,
		el("fieldset", {}, el("legend", {}, t("contractors.quals")), ...quals.map((b) =>
			el("label", { for: b.id, class: "inline" }, b, t("qual." + b.value)))),
		el("button", { type: "submit", id: "c-submit" }, t("contractors.create")), out);
	}
	show(el("h1", {}, t("contractors.title")), search, found, form);
}

async function contractorPage(id) {
	const c = await api("GET", `/v1/contractors/${id}`);
	const fields = el("dl", { class: "fields" },
		el("dt", {}, t("contractors.kind")), el("dd", {}, t("kind." + c.kind)),
		el("dt", {}, t("contractors.code")), el("dd", {}, c.credit_code),
		el("dt", {}, t("contractors.quals")), el("dd", {}, QUALS.filter((k) => c[k])
			.map((k) => t("qual." + k)).join(t("list.sep")) || "—"),
		el("dt", {}, t("users.status")), el("dd", { id: "c-status" }, c.banned ?
			t("contractors.banned") : c.qualified ? t("contractors.qualified") :
			t("contractors.unqualified")));
	const bans = c.bans.length ? el("table", {}, el("tbody", {}, ...c.bans.map((b) => el("tr", {},
		el("td", {}, b.reason), el("td", {}, `${b.starts} – ${b.ends}`),
		el("td", {}, b.active ? t("contractors.banned") : "—"),
		el("td", {}, el("a", { href: `#/projects/${b.project_id}` }, `#${b.project_id}`)))))) :
		el("p", { class: "hint" }, t("contractors.no_bans"));
	const evals = c.evaluations.length ? el("table", {}, el("tbody", {}, ...c.evaluations.map((e) =>
		el("tr", {}, el("td", {}, e.fiscal_year), el("td", {}, el("a", { href: `#/projects/${e.project_id}` },
			`#${e.project_id}`)), el("td", {}, Number(e.composite).toFixed(1)))))) :
		el("p", { class: "hint" }, t("contractors.no_evals"));
	show(el("h1", {}, c.name), el("div", { class: "card" }, fields),
		el("h2", {}, t("contractors.bans")), bans, el("h2", {}, t("contractors.evals")), evals);
}

// --- published evaluations -----------------------------------------------------

async function evaluationsPage(params) {
	const year = params.year || String(new Date().getFullYear());
	const data = await api("GET", `/v1/evaluations?year=${encodeURIComponent(year)}`);
	const y = el("input", { type: "number", min: "2000", max: "2100", value: year });
	const form = el("form", { class: "filters", onsubmit: (ev) => {
		ev.preventDefault();
		location.hash = `#/evaluations?year=${y.value}`;
	} }, el("div", {}, ...field("ev-year", t("field.fiscal_year"), y)),
	el("button", { type: "submit" }, t("inbox.filter.apply")));
	const num = (x) => Number(x).toFixed(1);
	const table = data.items.length ? el("table", {}, el("thead", {}, el("tr", {},
		el("th", {}, t("inbox.project")), el("th", {}, t("evaluations.contractor")),
		el("th", { class: "wide" }, t("inbox.agency")), el("th", {}, t("evaluations.scores")),
		el("th", {}, t("evaluations.composite")))), el("tbody", {}, ...data.items.map((e) =>
		el("tr", {}, el("td", {}, el("a", { href: `#/projects/${e.project_id}` },
			`#${e.project_id} ${e.title}`)), el("td", {}, e.contractor_name),
		el("td", { class: "wide" }, e.agency),
		el("td", {}, `${num(e.purchaser_score)} / ${num(e.recipient_satisfaction)} / ` +
			num(e.third_party_score)), el("td", {}, num(e.composite)))))) :
		el("p", { class: "card" }, t("evaluations.none"));
	show(el("h1", {}, t("evaluations.title")), form, table);
}

// --- finance: a budget and its cap -------------------------------------------

async function financePage(params) {
	const agency = el("input", { required: true, value: params.agency || me.agency });
	const year = el("input", { type: "number", required: true, min: "2000", max: "2100",
		value: params.year || String(new Date().getFullYear()) });
	const form = el("form", { class: "filters", onsubmit: (ev) => {
		ev.preventDefault();
		location.hash = `#/finance?agency=${encodeURIComponent(agency.value)}&year=${year.value}`;
	} }, el("div", {}, ...field("fin-agency", t("inbox.agency"), agency)),
	el("div", {}, ...field("fin-year", t("field.fiscal_year"), year)),
	el("button", { type: "submit" }, t("inbox.filter.apply")));
	let body;
	try {
		const b = await api("GET", `/v1/agencies/${encodeURIComponent(agency.value)}/budgets/${year.value}`);
		const used = b.special_committed_fen, cap = b.special_cap_fen;
		body = el("div", { class: "card" },
			el("h2", {}, t("finance.cap", { percent: b.cap_percent })),
			el("meter", { id: "cap-meter", min: "0", max: String(Math.max(cap, 1)),
				value: String(Math.min(used, cap)), high: String(cap * 0.9), optimum: "0" }),
			el("dl", { class: "fields" },
				el("dt", {}, t("finance.special")), el("dd", {}, money(b.special_funds_fen)),
				el("dt", {}, t("finance.cap_amount")), el("dd", {}, money(cap)),
				el("dt", {}, t("finance.committed")), el("dd", {}, money(used)),
				el("dt", {}, t("finance.remaining")), el("dd", { id: "cap-remaining" },
					money(b.special_remaining_fen)),
				el("dt", {}, t("finance.work")), el("dd", {}, money(b.work_funds_fen)),
				el("dt", {}, t("finance.lottery")), el("dd", {}, money(b.lottery_funds_fen)),
				...expectedWorkFunds(b.expected_work_funds)),
			dibaoForm(agency.value, Number(year.value) - 1));
	} catch (e) {
		body = e.status === 404 ? el("p", { class: "card" }, t("finance.none")) : errorBox(e);
	}
	show(el("h1", {}, t("finance.title")), form, body,
		el("p", {}, el("a", { href: "#/?state=budget_review" }, t("finance.waiting"))));
}

// Guangdong: work funds of 3 % of last year's dibao spending, beside the
// work funds recorded (002 §2.2); nothing when the profile sets none.
function expectedWorkFunds(w) {
	if (!w) return [];
	return [el("dt", {}, t("finance.expected_work", { percent: w.percent, year: w.dibao_year })),
		el("dd", { id: "expected-work", title: w.cite }, w.expected_fen === null ?
			t("finance.dibao_missing", { year: w.dibao_year }) : money(w.expected_fen))];
}

// Finance records an agency's dibao spending of a year.
function dibaoForm(agency, year) {
	if (!(me.roles.includes("finance") || me.roles.includes("admin"))) return null;
	const amount = el("input", { id: "dibao-amount", inputmode: "decimal",
		pattern: "\\d+(\\.\\d{1,2})?", required: true, placeholder: "0.00" });
	const out = el("div", { "aria-live": "polite" });
	return el("form", { class: "card wide-form", id: "dibao-form", onsubmit: async (ev) => {
		ev.preventDefault();
		try {
			await api("PUT", `/v1/agencies/${encodeURIComponent(agency)}/dibao-spending/${year}`,
				{ spending_fen: fenOf(amount.value) });
			route();
		} catch (e) { out.replaceChildren(errorBox(e)); }
	} }, el("div", {}, el("label", { for: "dibao-amount" }, t("finance.dibao", { year })), amount),
	el("button", { type: "submit", id: "dibao-submit" }, t("finance.record")), out);
}

// --- administration: incidents and dead notifications ---------------------------

async function incidentsPage(notice) {
	const [inc, dead] = await Promise.all([api("GET", "/v1/incidents"),
		api("GET", "/v1/notifications?status=dead&limit=200")]);
	const out = el("div");
	const incidents = inc.items.length ? el("table", { id: "incidents" }, el("thead", {}, el("tr", {},
		el("th", {}, t("incidents.kind")), el("th", {}, t("inbox.project")),
		el("th", {}, t("incidents.detail")), el("th", {}, t("incidents.since")))),
	el("tbody", {}, ...inc.items.map((i) => el("tr", {}, el("td", {}, t("incident." + i.kind)),
		el("td", {}, i.project_id ? el("a", { href: `#/projects/${i.project_id}` },
			`#${i.project_id}`) : "—"),
		el("td", {}, i.detail), el("td", {}, when(i.created_at)))))) :
		el("p", { class: "card" }, t("incidents.none"));
	const notifications = dead.items.length ? el("table", { id: "dead" }, el("thead", {},
		el("tr", {}, el("th", {}, "#"), el("th", {}, t("incidents.recipient")),
			el("th", {}, t("incidents.error")), el("th", {}, ""))),
	el("tbody", {}, ...dead.items.map((n) => el("tr", {}, el("td", {}, n.id),
		el("td", {}, `${n.channel}: ${n.recipient}`), el("td", {}, n.last_error || "—"),
		el("td", {}, el("button", { type: "button", class: "small", onclick: async () => {
			try {
				await api("POST", `/v1/notifications/${n.id}/resend`, {});
				incidentsPage(t("incidents.resent", { id: n.id }));
			} catch (e) { out.replaceChildren(errorBox(e)); }
		} }, t("incidents.resend"))))))) : el("p", { class: "card" }, t("incidents.no_dead"));
	show(el("h1", {}, t("incidents.title")), notice ? el("p", { class: "notice", role: "status" },
		notice) : null, out, incidents, el("h2", {}, t("incidents.dead")), notifications);
}

// --- administration: the agency tree, the catalogue, the calendar ---------------

async function registryPage(notice) {
	const [ag, cat, cal] = await Promise.all([api("GET", "/v1/agencies"), api("GET", "/v1/catalog"),
		api("GET", "/v1/calendar")]);
	const depth = {};
	for (const a of ag.items) depth[a.code] = a.parent && a.parent in depth ? depth[a.parent] + 1 : 0;
	const tree = el("ul", { class: "tree", id: "agency-tree" }, ...ag.items.map((a) =>
		el("li", { class: `depth-${Math.min(depth[a.code], 5)}` }, `${a.name} `,
			el("span", { class: "hint" }, `${a.code} · ${t("level." + a.level)} · ${a.effective_profile}` +
				(a.effective_region ? ` · ${t("region." + a.effective_region)}` : "")))));
	const out = el("div");
	const province = me.agency_level === "province";
	const catalog = el("table", { id: "catalog" }, el("thead", {}, el("tr", {},
		el("th", {}, t("catalog.code")), el("th", {}, t("contractors.name")),
		el("th", {}, t("catalog.state")), el("th", {}, ""))),
	el("tbody", {}, ...cat.items.map((i) => el("tr", {}, el("td", {}, i.code), el("td", {}, i.name),
		el("td", {}, i.restricted ? t("catalog.restricted") : [i.approved ? t("catalog.approved") :
			t("catalog.unapproved"), i.purchasable ? t("catalog.purchasable") : ""]
			.filter(Boolean).join(t("list.sep"))),
		el("td", {}, province && !i.approved && !i.restricted ? el("button", { type: "button",
			class: "small", onclick: async () => {
				try {
					await api("PUT", `/v1/catalog/${encodeURIComponent(i.code)}`, { approved: true });
					registryPage(t("catalog.done", { code: i.code }));
				} catch (e) { out.replaceChildren(errorBox(e)); }
			} }, t("catalog.approve")) : "")))));
	const years = el("ul", { id: "calendar-years" }, ...cal.items.map((y) => el("li",
		{ class: y.loaded ? null : "bad" }, y.loaded ? t("calendar.loaded", { year: y.year,
			source: y.source, when: when(y.loaded_at) }) :
			t("calendar.missing", { year: y.year, n: y.incidents_open }))));
	// a subordinate agency, under one in the admin's scope
	const below = LEVELS.concat(["township"]);
	const parent = el("select", {}, ...ag.items.filter((a) => a.level !== "township").map((a) =>
		el("option", { value: a.code }, `${a.name} (${a.code})`)));
	const level = el("select", {});
	const levels = () => {
		const p = ag.items.find((a) => a.code === parent.value);
		const from = p ? below.indexOf(p.level) + 1 : 1;
		level.replaceChildren(...below.slice(from).map((l) => el("option", { value: l }, t("level." + l))));
	};
	parent.addEventListener("change", levels);
	levels();
	const code = el("input", { required: true, maxlength: "32", pattern: "[A-Za-z0-9_\\-]+" });
	const name = el("input", { required: true, maxlength: "200" });
	const addAgency = el("form", { class: "card wide-form", id: "agency-add", onsubmit: async (e) => {
		e.preventDefault();
		try {
			await api("POST", "/v1/agencies", { code: code.value, name: name.value,
				level: level.value, parent: parent.value });
			registryPage(t("registry.agency_added", { code: code.value }));
		} catch (err) { out.replaceChildren(errorBox(err)); }
	} }, el("h3", {}, t("registry.agency_add")), ...field("ag-parent", t("registry.parent"), parent),
	...field("ag-level", t("registry.level"), level), ...field("ag-code", t("catalog.code"), code),
	...field("ag-name", t("contractors.name"), name),
	el("button", { type: "submit", id: "ag-submit" }, t("registry.add")));
	// a catalogue item: the province's own are approved as they are added;
	// a lower level's wait for the province (000 §3.3)
	const icode = el("input", { required: true, maxlength: "64" });
	const iname = el("input", { required: true, maxlength: "200" });
	const icat = el("input", { required: true, maxlength: "64", value: "social_assistance" });
	const ipurch = el("input", { type: "checkbox", checked: true });
	const addItem = el("form", { class: "card wide-form", id: "item-add", onsubmit: async (e) => {
		e.preventDefault();
		try {
			await api("POST", "/v1/catalog", { code: icode.value, name: iname.value, category: icat.value,
				level: me.agency_level === "township" ? "county" : me.agency_level,
				purchasable: ipurch.checked, approved: province });
			registryPage(t("catalog.added", { code: icode.value }));
		} catch (err) { out.replaceChildren(errorBox(err)); }
	} }, el("h3", {}, t("catalog.add")), ...field("it-code", t("catalog.code"), icode),
	...field("it-name", t("contractors.name"), iname), ...field("it-category", t("catalog.category"), icat),
	el("div", {}, el("label", { for: "it-purchasable" }, ipurch, " ", t("catalog.purchasable"))),
	el("button", { type: "submit", id: "it-submit" }, t("registry.add")));
	ipurch.id = "it-purchasable";
	show(el("h1", {}, t("registry.title")), notice ? el("p", { class: "notice", role: "status" },
		notice) : null, out, el("h2", {}, t("registry.agencies")), tree, addAgency,
	el("h2", {}, t("registry.catalog")), catalog, addItem, el("h2", {}, t("registry.calendar")), years,
	el("p", { class: "hint" }, t("calendar.how")));
}

// --- administration: users ---------------------------------------------------

const ROLES = ["officer", "reviewer", "finance", "evaluator", "auditor", "admin"];

async function usersPage(notice) {
	const data = await api("GET", "/v1/users");
	const out = el("div");
	const act = (path, what) => async () => {
		try {
			const r = await api("POST", path, {});
			usersPage(r.one_time_password ? t("users.one_time", { name: r.name,
				password: r.one_time_password }) : t(what, { name: r.name }));
		} catch (e) { out.replaceChildren(errorBox(e)); }
	};
	const rows = data.items.map((u) => el("tr", { class: u.disabled ? "disabled" : null },
		el("td", {}, u.name), el("td", {}, u.roles.map((r) => t("role." + r)).join(t("list.sep"))),
		el("td", { class: "wide" }, u.agency),
		el("td", {}, u.disabled ? t("users.disabled") : u.password_one_time ?
			t("users.one_time_pending") : u.has_password ? t("users.active") : t("users.no_password")),
		el("td", {}, el("button", { type: "button", class: "small",
			onclick: act(`/v1/users/${encodeURIComponent(u.name)}/password`, "") },
		t("users.reset")), " ", el("button", { type: "button", class: "small", onclick: u.disabled ?
			act(`/v1/users/${encodeURIComponent(u.name)}/enable`, "users.enabled") :
			act(`/v1/users/${encodeURIComponent(u.name)}/disable`, "users.disabled_done") },
		u.disabled ? t("users.enable") : t("users.disable")))));
	const name = el("input", { required: true, autocomplete: "off" });
	const agency = el("input", { required: true, value: me.agency });
	const boxes = ROLES.map((r) => el("input", { type: "checkbox", value: r, id: `role-${r}` }));
	const create = el("form", { class: "card wide-form", onsubmit: async (ev) => {
		ev.preventDefault();
		try {
			const r = await api("POST", "/v1/users", { name: name.value, agency: agency.value,
				roles: boxes.filter((b) => b.checked).map((b) => b.value) });
			usersPage(t("users.one_time", { name: r.name, password: r.one_time_password }));
		} catch (e) { out.replaceChildren(errorBox(e)); }
	} }, el("h2", {}, t("users.new")), ...field("user-name", t("signin.name"), name),
	...field("user-agency", t("inbox.agency"), agency),
	el("fieldset", {}, el("legend", {}, t("users.roles")), ...boxes.map((b) =>
		el("label", { for: b.id, class: "inline" }, b, t("role." + b.value)))),
	el("button", { type: "submit", id: "user-submit" }, t("users.create")));
	show(el("h1", {}, t("users.title")), notice ? el("p", { class: "notice", role: "status",
		id: "notice" }, notice) : null, out,
	el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("signin.name")),
		el("th", {}, t("users.roles")), el("th", { class: "wide" }, t("inbox.agency")),
		el("th", {}, t("users.status")), el("th", {}, ""))), el("tbody", {}, rows)), create);
}

// --- the public register (no sign-in) --------------------------------------------

async function publicPage(params) {
	const q = new URLSearchParams(params);
	const data = await api("GET", "/v1/public/projects?" + q.toString());
	const state = el("select", {}, el("option", { value: "" }, t("all")),
		...["announced", "tender_failed", "scoring", "awarded", "contracted", "in_service",
			"acceptance", "payment", "year_end_review", "closed", "takeover", "terminated",
			"cancelled"].map((s) => el("option", { value: s, selected: s === q.get("state") },
			t("state." + s))));
	const year = el("input", { type: "number", min: "2000", max: "2100", value: q.get("year") || "" });
	const filters = el("form", { class: "filters", onsubmit: (ev) => {
		ev.preventDefault();
		const p = new URLSearchParams();
		if (state.value) p.set("state", state.value);
		if (year.value) p.set("year", year.value);
		location.hash = "#/public?" + p.toString();
	} }, el("div", {}, ...field("p-state", t("inbox.filter.state"), state)),
	el("div", {}, ...field("p-year", t("field.fiscal_year"), year)),
	el("button", { type: "submit" }, t("inbox.filter.apply")));
	const rows = data.items.map((p) => el("tr", {},
		el("td", {}, el("a", { href: `#/public/${p.id}` }, p.title)),
		el("td", { class: "wide" }, p.agency.name),
		el("td", {}, el("span", { class: "state" }, t("state." + p.state))),
		el("td", { class: "wide" }, t("method." + p.method)), el("td", {}, money(p.budget_fen)),
		el("td", {}, p.bid_deadline ? when(p.bid_deadline) : "—")));
	const table = rows.length ? el("table", { id: "public-list" }, el("thead", {}, el("tr", {},
		el("th", {}, t("inbox.project")), el("th", { class: "wide" }, t("inbox.agency")),
		el("th", {}, t("inbox.state")), el("th", { class: "wide" }, t("field.method")),
		el("th", {}, t("field.budget_fen")), el("th", {}, t("payload.bid_deadline")))),
	el("tbody", {}, rows)) : el("p", { class: "card" }, t("public.none"));
	let more = null;
	if (data.next) {
		q.set("after", data.next);
		more = el("p", {}, el("a", { href: "#/public?" + q.toString() }, t("inbox.more")));
	}
	show(el("h1", {}, t("public.title")), el("p", { class: "hint" }, t("public.what")), filters,
		table, more);
}

async function publicProjectPage(id) {
	const p = await api("GET", `/v1/public/projects/${id}`);
	const dl = (pairs) => el("dl", { class: "fields" }, ...pairs.filter(([, v]) => v !== undefined &&
		v !== null).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
	const who = (c) => c ? `${c.name || "#" + c.id}${c.credit_code ? ` (${c.credit_code})` : ""}` : "—";
	const parts = [el("h1", {}, p.title), el("p", {}, el("span", { class: "state" }, t("state." + p.state)),
		" ", el("a", { href: `/v1/ocds/records/${encodeURIComponent(p.ocid)}`, id: "ocds-link" },
			t("public.ocds", { ocid: p.ocid }))),
	el("h2", {}, t("public.announcement")), el("div", { class: "card" }, dl([
		[t("field.agency"), p.agency.name], [t("field.fiscal_year"), p.fiscal_year],
		[t("new.items"), p.catalog_items.map((i) => i.name).join(t("list.sep"))],
		[t("field.quantity"), p.quantity], [t("field.quality_standard"), p.quality_standard],
		[t("field.method"), t("method." + p.method)], [t("field.budget_fen"), money(p.budget_fen)],
		[t("payload.bid_deadline"), p.bid_deadline ? when(p.bid_deadline) : null],
		[t("payload.requirements"), p.requirements],
		[t("payload.criteria"), p.criteria ? p.criteria.map((c) =>
			`${c.name} ${c.weight}`).join(t("list.sep")) : null]]))];
	if (p.award) {
		parts.push(el("h2", {}, t("public.award")), el("div", { class: "card", id: "public-award" },
			dl([[t("public.winner"), who(p.award.contractor)], [t("tender.price"), money(p.award.price_fen)],
				[t("public.awarded_at"), when(p.award.awarded_at)]])));
	}
	if (p.bids) {
		const rank = p.ranking || [];
		parts.push(el("h2", {}, t("public.bids")), el("table", { id: "public-bids" }, el("thead", {},
			el("tr", {}, el("th", {}, t("contractors.name")), el("th", {}, t("tender.price")),
				el("th", {}, t("tender.rank")), el("th", {}, t("tender.total")))),
		el("tbody", {}, ...p.bids.map((b) => {
			const r = rank.find((x) => x.contractor.id === b.contractor.id);
			return el("tr", {}, el("td", {}, who(b.contractor)), el("td", {}, money(b.price_fen)),
				el("td", {}, r ? r.rank : "—"), el("td", {}, r ? r.total.toFixed(2) : "—"));
		}))));
	}
	if (p.contract) {
		parts.push(el("h2", {}, t("public.contract")), el("div", { class: "card" }, dl([
			[t("payload.contract_no"), p.contract.contract_no],
			[t("public.amount"), money(p.contract.amount_fen)],
			[t("public.period"), `${p.contract.period.start} – ${p.contract.period.end}`],
			[t("public.signed_at"), when(p.contract.signed_at)]])));
	}
	if (p.payments) {
		parts.push(el("h2", {}, t("public.payments")), el("ul", {}, ...p.payments.map((x) =>
			el("li", {}, `${when(x.date)} · ${money(x.amount_fen)}`))));
	}
	if (p.termination) {
		parts.push(el("h2", {}, t("public.termination")), el("p", {}, `${when(p.termination.at)} · `,
			t("public.reason." + p.termination.reason)));
	}
	if (p.predecessor_id || p.successor_id)
		parts.push(el("p", {}, p.predecessor_id ? el("a", { href: `#/public/${p.predecessor_id}` },
			t("project.predecessor", { id: p.predecessor_id })) : null, " ",
		p.successor_id ? el("a", { href: `#/public/${p.successor_id}` },
			t("project.successor", { id: p.successor_id })) : null));
	if (p.evaluation) {
		parts.push(el("h2", {}, t("public.evaluation")), el("div", { class: "card" }, dl([
			[t("payload.purchaser_score"), p.evaluation.purchaser_score],
			[t("payload.recipient_satisfaction"), p.evaluation.recipient_satisfaction],
			[t("payload.third_party_score"), p.evaluation.third_party_score],
			[t("public.composite"), p.evaluation.composite?.toFixed(2)]])));
	}
	parts.push(el("h2", {}, t("public.history")), el("ol", { class: "timeline", id: "public-history" },
		...p.history.slice().reverse().map((e) => el("li", {}, el("strong", {}, t("event." + e.event)),
			" ", el("span", { class: "when" }, when(e.at)), " → ", t("state." + e.state)))));
	show(...parts);
}

// --- routing ----------------------------------------------------------------

async function route() {
	chrome();
	const hash = location.hash || "#/";
	const [path, query] = hash.slice(1).split("?");
	try {
		/* the public register: open to all, signed in or not */
		if (path === "/public")
			return await publicPage(Object.fromEntries(new URLSearchParams(query || "")));
		const pm = path.match(/^\/public\/(\d+)$/);
		if (pm) return await publicProjectPage(pm[1]);
		if (!me && path !== "/signin") {
			try {
				me = await api("GET", "/v1/me");
				if (me.csrf_token) setCsrf(me.csrf_token);
				if (me.lang && me.lang !== language()) setLanguage(me.lang);
			} catch { me = null; }
			chrome();
			if (!me) return signinPage();
		}
		if (path === "/signin") return signinPage();
		if (me.password_change_required || path === "/password") return passwordPage();
		if (path === "/admin/users" && me.roles.includes("admin")) return await usersPage();
		if (path === "/admin/incidents" && me.roles.includes("admin")) return await incidentsPage();
		if (path === "/admin/registry" && me.roles.includes("admin")) return await registryPage();
		if (path === "/contractors")
			return await contractorsPage(Object.fromEntries(new URLSearchParams(query || "")));
		const cm = path.match(/^\/contractors\/(\d+)$/);
		if (cm) return await contractorPage(cm[1]);
		if (path === "/evaluations")
			return await evaluationsPage(Object.fromEntries(new URLSearchParams(query || "")));
		if (path === "/new" && me.roles.includes("officer")) return await newProjectPage();
		if (path === "/finance") return await financePage(Object.fromEntries(new URLSearchParams(query || "")));
		if (path === "/reports")
			return await reportsPage(Object.fromEntries(new URLSearchParams(query || "")), me, show,
				errorBox, route);
		const m = path.match(/^\/projects\/(\d+)$/);
		if (m) return await projectPage(m[1]);
		return await inboxPage(Object.fromEntries(new URLSearchParams(query || "")));
	} catch (e) {
		if (e.status === 401) {
			me = null;
			chrome();
			return signinPage(t("error.session"));
		}
		show(errorBox(e));
	}
}

document.getElementById("lang").addEventListener("click", async () => {
	setLanguage(language() === "zh" ? "en" : "zh");
	if (me) {
		try {
			me = await api("PUT", "/v1/me/language", { lang: language() });
		} catch (e) { toast(explain(e)); }
	}
	route();
});
document.getElementById("signout").addEventListener("click", async () => {
	try { await api("DELETE", "/v1/sessions/current"); } catch { /* gone already */ }
	setCsrf("");
	me = null;
	location.hash = "#/signin";
	route();
});
window.addEventListener("hashchange", route);
setLanguage(language());
route();
