// A project's documents: the list with their hashes and download links, an
// upload form, and the picker an event's form names them with (the kinds
// the event rests on marked, GET /v1/lifecycle's documents_required).
import { api, upload } from "./api.js";
import { el } from "./dom.js";
import { t, when } from "./i18n.js";

export const KINDS = ["tender_documents", "contract", "inspection_record", "acceptance_report",
	"treasury_voucher", "attachment"];

// A kind's name, or the kind itself when the catalogue has none for it.
function kindName(k) {
	const s = t("doc.kind." + k);
	return s.startsWith("doc.kind.") ? k : s;
}

function size(n) {
	return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${Math.ceil(n / 1024)} kB` :
		`${n} B`;
}

// The section of project P (DOCS: GET …/documents' items); ON_CHANGE after
// an upload. An upload is for the roles that may make one.
export function documentsSection(p, docs, me, errorBox, onChange) {
	const list = docs.length ? el("table", { id: "documents" }, el("thead", {}, el("tr", {},
		el("th", {}, t("doc.file")), el("th", {}, t("doc.kind")), el("th", {}, t("doc.size")),
		el("th", {}, "SHA-256"), el("th", {}, t("doc.by")))),
	el("tbody", {}, ...docs.map((d) => el("tr", {},
		el("td", {}, el("a", { href: `/v1/projects/${p.id}/documents/${d.id}`, download: d.filename },
			d.filename)),
		el("td", {}, kindName(d.kind)), el("td", {}, size(d.size)),
		el("td", { class: "hash", title: d.sha256 }, d.sha256.slice(0, 12) + "…"),
		el("td", {}, `${d.uploaded_by} · ${when(d.created_at)}`))))) :
		el("p", { class: "hint" }, t("doc.none"));
	const may = ["officer", "reviewer", "finance"].some((r) => me.roles.includes(r)) &&
		!["closed", "terminated", "cancelled"].includes(p.state);
	if (!may) return el("section", {}, el("h2", {}, t("doc.title")), list);
	const kind = el("select", { id: "doc-kind" }, ...KINDS.map((k) =>
		el("option", { value: k }, kindName(k))));
	const file = el("input", { type: "file", id: "doc-file", required: true,
		accept: ".pdf,.png,.jpg,.jpeg,.gif,.tif,.tiff,.webp,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.ofd" });
	const out = el("div", { "aria-live": "polite" });
	const form = el("form", { class: "card wide-form", id: "doc-upload", onsubmit: async (ev) => {
		ev.preventDefault();
		if (!file.files.length) return;
		try {
			const d = await upload(`/v1/projects/${p.id}/documents?kind=${kind.value}`, file.files[0]);
			out.replaceChildren(el("p", { class: "notice" }, t("doc.uploaded", { name: d.filename })));
			onChange();
		} catch (e) { out.replaceChildren(errorBox(e)); }
	} }, el("div", {}, el("label", { for: "doc-kind" }, t("doc.kind")), kind),
	el("div", {}, el("label", { for: "doc-file" }, t("doc.file")), file),
	el("button", { type: "submit", id: "doc-submit" }, t("doc.upload")), out);
	return el("section", {}, el("h2", {}, t("doc.title")), list, form);
}

// The documents field of an event's form: a box per document of the
// project, those of a required kind checked; data-kind="documents".
export function documentsPicker(docs, required) {
	const box = el("fieldset", { class: "documents", "data-kind": "documents" },
		el("legend", {}, t("payload.documents") + (required.length ? " *" : "")));
	if (required.length)
		box.append(el("p", { class: "hint", id: "doc-required" }, t("doc.required", {
			kinds: required.map(kindName).join(t("list.sep")) })));
	if (!docs.length) box.append(el("p", { class: "hint" }, t("doc.none")));
	for (const d of docs)
		box.append(el("div", {}, el("input", { type: "checkbox", value: String(d.id), id: `pick-${d.id}`,
			checked: required.includes(d.kind) }), " ",
		el("label", { for: `pick-${d.id}` }, `${d.filename} (${kindName(d.kind)})`)));
	return box;
}

export function pickedDocuments(box) {
	return [...box.querySelectorAll("input:checked")].map((i) => Number(i.value));
}

export async function projectDocuments(id) {
	return (await api("GET", `/v1/projects/${id}/documents`)).items;
}
