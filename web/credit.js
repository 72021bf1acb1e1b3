// The unified social credit code's check (GB 32100-2015), as the daemon
// checks it (rules_credit_code_check): 18 characters of the alphabet
// without I, O, S, V, Z; the last is the check character of the 17 before.
const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

// null when CODE is a valid credit code, else why not: {key, vars} for t().
export function creditCodeProblem(code) {
	if (code.length !== 18) return { key: "credit.length", vars: { n: code.length } };
	const values = [];
	for (let i = 0; i < 18; i++) {
		const v = ALPHABET.indexOf(code[i]);
		if (v < 0) return { key: "credit.char", vars: { c: code[i], pos: i + 1 } };
		values.push(v);
	}
	let sum = 0;
	for (let i = 0; i < 17; i++) sum += values[i] * WEIGHTS[i];
	const check = (31 - (sum % 31)) % 31;
	if (values[17] !== check) return { key: "credit.check", vars: { want: ALPHABET[check] } };
	return null;
}
