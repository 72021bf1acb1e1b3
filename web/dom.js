// Building the page from data with DOM calls only: no HTML is ever made
// from a string, so whatever a request stored shows as text.
export function el(tag, attrs = {}, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null || v === false) continue;
		if (k === "class") e.className = v;
		else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
		else e.setAttribute(k, v === true ? "" : v);
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

const SVG = "http://www.w3.org/2000/svg";

// An SVG element with attributes (numbers and text only: never markup).
export function svg(tag, attrs = {}, ...children) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs))
		if (v !== undefined && v !== null) e.setAttribute(k, String(v));
	for (const c of children.flat())
		if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return e;
}

// Horizontal bars, one row per item: LABEL, then each series' bar scaled to
// the largest value, with its figure written beside it (the chart is read
// without colour too). SERIES: [{ key, label, cls }]; FMT formats a value.
export function barChart(id, title, items, label, series, fmt = String) {
	const max = Math.max(1, ...items.flatMap((it) => series.map((s) => Number(it[s.key]) || 0)));
	const rowH = 14 * series.length + 10, left = 150, width = 620, barW = width - left - 110;
	const chart = svg("svg", { id, role: "img", "aria-label": title, class: "chart",
		viewBox: `0 0 ${width} ${items.length * rowH + 34}`, width: "100%" },
	svg("title", {}, title));
	const step = Math.floor((width - left) / series.length);
	series.forEach((s, k) => chart.append(
		svg("rect", { x: left + k * step, y: 4, width: 12, height: 12, class: s.cls }),
		svg("text", { x: left + k * step + 18, y: 14, class: "legend" }, s.label)));
	items.forEach((it, i) => {
		const y = 30 + i * rowH;
		chart.append(svg("text", { x: 0, y: y + 11, class: "axis" }, label(it)));
		series.forEach((s, k) => {
			const v = Number(it[s.key]) || 0, w = Math.round((v / max) * barW);
			chart.append(svg("rect", { x: left, y: y + k * 14, width: Math.max(w, 1), height: 12,
				class: s.cls }, svg("title", {}, `${s.label}: ${fmt(v)}`)),
			svg("text", { x: left + Math.max(w, 1) + 6, y: y + k * 14 + 10, class: "value" }, fmt(v)));
		});
	});
	return chart;
}

// A gauge of USED against CAP: an arc that fills, the figures beside it.
export function gauge(id, title, used, cap, text) {
	const share = cap > 0 ? Math.min(used / cap, 1) : (used > 0 ? 1 : 0);
	const r = 50, cx = 60, cy = 60, a = Math.PI * (1 - share);
	const x = cx + r * Math.cos(a), y = cy - r * Math.sin(a);
	return svg("svg", { id, role: "img", "aria-label": `${title}: ${text}`, class: "gauge",
		viewBox: "0 0 560 70", width: "100%" }, svg("title", {}, title),
	svg("path", { d: `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${cx + r} ${cy}`, class: "gauge-track" }),
	share > 0 ? svg("path", { d: `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)}`,
		class: share >= 1 ? "gauge-over" : "gauge-fill" }) : null,
	svg("text", { x: 125, y: 40, class: "value" }, text));
}
