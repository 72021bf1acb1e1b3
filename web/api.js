// The API as the console calls it: same origin, the session cookie, and the
// session's CSRF token on every change. An error is thrown as the API's
// error object ({status, code, message, details}).
import { t } from "./i18n.js";

let csrf = sessionStorage.getItem("procurd.csrf") || "";

export function setCsrf(token) {
	csrf = token || "";
	if (csrf) sessionStorage.setItem("procurd.csrf", csrf);
	else sessionStorage.removeItem("procurd.csrf");
}

export async function api(method, path, body) {
	const headers = { Accept: "application/json" };
	if (body !== undefined) headers["Content-Type"] = "application/json";
	return send(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
}

// A file as the body of a POST: its type, and its name in UTF-8 (RFC 6266).
export async function upload(path, file) {
	return send("POST", path, { Accept: "application/json",
		"Content-Type": file.type || "application/octet-stream",
		"Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}` },
	file);
}

async function send(method, path, headers, body) {
	if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
	let res;
	try {
		res = await fetch(path, { method, headers, credentials: "same-origin", body });
	} catch {
		throw { status: 0, code: "network", message: t("error.network"), details: {} };
	}
	const text = await res.text();
	let data = null;
	try { data = text ? JSON.parse(text) : null; } catch { data = null; }
	if (!res.ok) {
		const e = (data && data.error) || { code: "internal", message: text, details: {} };
		throw { status: res.status, code: e.code, message: e.message, details: e.details || {},
			retryAfter: Number(res.headers.get("Retry-After") || 0) };
	}
	return data;
}
