// Every string of the console, in Chinese first and English second; the
// markup and the code hold none. t(key, vars) fills {name} placeholders.
const catalogs = {
	zh: {
		"app.title": "政府购买服务", "nav.inbox": "待办", "lang.switch": "English", "list.sep": "、",
		"tender.title": "评审", "tender.sheet": "投标 #{bid}：{contractor}", "tender.score": "提交评分",
		"tender.criterion": "{name}（0–{max} 分）", "tender.scored": "评分已提交。",
		"tender.already": "您已为该投标评过分。", "tender.rank": "名次", "tender.bid": "投标",
		"tender.price": "报价", "tender.quality": "质量得分", "tender.price_score": "价格得分",
		"tender.total": "总分",
		"nav.evaluations": "绩效评价公示", "evaluations.title": "年终绩效评价（公示）",
		"evaluations.contractor": "承接方", "evaluations.scores": "购买主体 / 服务对象 / 第三方",
		"evaluations.composite": "综合得分", "evaluations.none": "该年度尚无公示的评价。",
		"project.path": "已走过的流程", "project.predecessor": "← 原项目 #{id}",
		"project.successor": "接续项目 #{id} →",
		"nav.finance": "预算", "finance.title": "预算与专项资金上限",
		"finance.cap": "社会救助专项资金 {percent}% 上限", "finance.special": "社会救助专项资金",
		"finance.cap_amount": "上限", "finance.committed": "已占用", "finance.remaining": "剩余",
		"finance.work": "工作经费", "finance.lottery": "福利彩票公益金",
		"finance.none": "该单位该年度尚未录入预算。", "finance.waiting": "待批准预算的项目",
		"nav.users": "用户管理", "users.title": "用户管理", "users.roles": "角色", "users.status": "状态",
		"users.new": "新用户", "users.create": "创建", "users.reset": "重置密码", "users.disable": "停用",
		"users.enable": "启用", "users.disabled": "已停用", "users.active": "正常",
		"users.no_password": "仅令牌", "users.one_time_pending": "待设置密码",
		"users.one_time": "{name} 的一次性密码：{password}（只显示这一次，请当面或通过安全渠道告知）",
		"users.enabled": "{name} 已启用。", "users.disabled_done": "{name} 已停用，并已退出所有会话。",
		"role.officer": "经办人", "role.reviewer": "审核人", "role.finance": "财政", "role.evaluator": "评审专家",
		"role.auditor": "审计", "role.admin": "管理员",
		"signout": "退出", "signin.title": "登录", "signin.name": "用户名",
		"signin.password": "密码", "signin.submit": "登录",
		"signin.failed": "用户名或密码错误。",
		"signin.locked": "登录失败次数过多，请 {minutes} 分钟后再试。",
		"password.title": "设置新密码",
		"password.why": "这是管理员给您的一次性密码，请先设置您自己的密码。",
		"password.current": "当前密码", "password.new": "新密码（至少 10 个字符，不能是用户名）",
		"password.again": "再次输入新密码", "password.submit": "保存",
		"password.differ": "两次输入的新密码不一致。", "password.saved": "新密码已保存。",
		"inbox.title": "待办", "inbox.empty": "目前没有需要您处理的项目。",
		"inbox.project": "项目", "inbox.state": "状态", "inbox.agency": "单位",
		"inbox.actions": "可办理", "inbox.due": "期限", "inbox.overdue": "已逾期",
		"inbox.soon": "即将到期", "inbox.filter.state": "状态", "inbox.filter.agency": "单位",
		"inbox.filter.overdue": "只看逾期", "inbox.filter.apply": "筛选", "all": "全部",
		"inbox.more": "下一页", "inbox.working_days": "还有 {n} 个工作日",
		"inbox.late_by": "逾期 {n} 个工作日",
		"funding_source.special_funds": "社会救助专项资金", "funding_source.work_funds": "工作经费",
		"funding_source.lottery_funds": "福利彩票公益金",
		"method.public_tender": "公开招标", "method.invited_tender": "邀请招标",
		"method.competitive_negotiation": "竞争性谈判",
		"method.competitive_consultation": "竞争性磋商", "method.single_source": "单一来源",
		"project.fields": "项目信息", "project.history": "审计记录",
		"project.chain_ok": "哈希链完整",
		"project.chain_broken": "哈希链在第 {seq} 条记录处断开：{reason}", "project.actions": "办理", "project.event": "事项",
		"project.payload": "内容（JSON）", "project.submit": "提交",
		"money.invalid": "金额以元为单位，最多两位小数，例如 1234.56。",
		"payload.comment": "备注", "payload.reason": "原因", "payload.bid_deadline": "投标截止时间",
		"payload.requirements": "资格要求", "payload.evaluators_required": "评审专家人数",
		"payload.criteria": "评审标准（JSON）", "payload.method": "采购方式",
		"payload.supplier": "质疑供应商", "payload.text": "质疑内容", "payload.challenge_id": "质疑编号",
		"payload.answer": "答复", "payload.contract_no": "合同编号", "payload.amount_fen": "金额（元）",
		"payload.takeover_plan": "应急接管方案（JSON）", "payload.inspection": "检查事项",
		"payload.finding": "检查结论", "payload.report": "验收报告", "payload.rectify_by": "整改期限",
		"payload.voucher_no": "国库支付凭证号", "payload.purchaser_score": "购买主体评分",
		"payload.recipient_satisfaction": "服务对象满意度", "payload.third_party_score": "第三方评分",
		"payload.detail": "详情", "payload.evidence": "证据", "payload.level": "级别",
		"payload.deadline": "期限", "payload.due": "到期时间",
		"project.done": "已办理：{event}", "project.conflict":
			"该项目已被他人更新（现为“{state}”），请查看最新状态后再办理。",
		"project.none": "您目前不能对该项目办理任何事项。",
		"field.id": "编号", "field.agency": "单位", "field.fiscal_year": "年度",
		"field.title": "名称", "field.budget_fen": "预算", "field.funding_source": "资金来源",
		"field.method": "采购方式", "field.quantity": "数量", "field.quality_standard": "质量标准",
		"field.service_start": "服务开始", "field.service_end": "服务结束",
		"field.state": "状态", "field.version": "版本", "field.next_check": "下次检查",
		"field.updated_at": "更新时间",
		"error.generic": "出错了：{message}", "error.network": "无法连接服务器。",
		"error.session": "登录已过期，请重新登录。",
		"rule.special_funds_cap":
			"超出社会救助专项资金 {cap_percent}% 上限：上限 {cap}，已占用 {committed}，本项目 {asked}。",
		"state.draft": "草稿", "state.needs_review": "需求审核", "state.budget_review": "预算审核",
		"state.approved": "已批准", "state.announced": "已公告", "state.tender_failed": "流标",
		"state.scoring": "评审中", "state.awarded": "已确定承接方", "state.contracted": "已签约",
		"state.in_service": "服务中", "state.acceptance": "验收", "state.payment": "支付",
		"state.year_end_review": "年终评价", "state.closed": "已结项", "state.takeover": "接管中",
		"state.terminated": "已终止", "state.cancelled": "已取消",
		"event.submit": "提交", "event.approve_needs": "通过需求审核",
		"event.return_needs": "退回需求", "event.approve_budget": "批准预算",
		"event.return_budget": "退回预算", "event.reject_budget": "否决预算",
		"event.publish": "发布公告", "event.close_bidding": "截止投标", "event.retender": "重新招标",
		"event.change_method": "变更采购方式", "event.award": "确定承接方",
		"event.decline_award": "放弃中标", "event.challenge": "质疑",
		"event.answer_challenge": "答复质疑", "event.sign_contract": "签订合同",
		"event.start_service": "开始服务", "event.record_supervision": "记录监督检查",
		"event.complete_service": "服务完成", "event.accept": "验收通过",
		"event.reject_acceptance": "验收不通过", "event.confirm_payment": "确认支付",
		"event.evaluate": "年终评价", "event.contractor_exit": "承接方退出",
		"event.report_subcontracting": "报告转包", "event.complete_takeover": "完成接管",
		"event.cancel": "取消", "event.create": "创建", "event.escalate": "催办",
	},
	en: {
		"app.title": "Purchase of services", "nav.inbox": "Inbox", "lang.switch": "中文",
		"list.sep": ", ",
		"tender.title": "Evaluation", "tender.sheet": "Bid #{bid}: {contractor}",
		"tender.score": "Submit scores", "tender.criterion": "{name} (0–{max} points)",
		"tender.scored": "Scores submitted.", "tender.already": "You have scored this bid already.",
		"tender.rank": "Rank", "tender.bid": "Bid", "tender.price": "Price",
		"tender.quality": "Quality", "tender.price_score": "Price score", "tender.total": "Total",
		"nav.evaluations": "Published evaluations",
		"evaluations.title": "Year-end evaluations (published)",
		"evaluations.contractor": "Contractor",
		"evaluations.scores": "Purchaser / recipients / third party",
		"evaluations.composite": "Composite", "evaluations.none": "No evaluation published for this year.",
		"project.path": "The path taken", "project.predecessor": "← Predecessor #{id}",
		"project.successor": "Successor #{id} →",
		"nav.finance": "Budgets", "finance.title": "Budgets and the special-funds cap",
		"finance.cap": "{percent}% cap on social-assistance special funds",
		"finance.special": "Special funds", "finance.cap_amount": "Cap",
		"finance.committed": "Committed", "finance.remaining": "Remaining",
		"finance.work": "Work funds", "finance.lottery": "Lottery funds",
		"finance.none": "No budget recorded for this agency and year.",
		"finance.waiting": "Projects waiting for budget approval",
		"nav.users": "Users", "users.title": "Users", "users.roles": "Roles", "users.status": "Status",
		"users.new": "New user", "users.create": "Create", "users.reset": "Reset password",
		"users.disable": "Disable", "users.enable": "Enable", "users.disabled": "Disabled",
		"users.active": "Active", "users.no_password": "Token only",
		"users.one_time_pending": "Must set a password",
		"users.one_time": "One-time password of {name}: {password} (shown this once: hand it over in person or over a safe channel)",
		"users.enabled": "{name} enabled.", "users.disabled_done": "{name} disabled and signed out everywhere.",
		"role.officer": "Officer", "role.reviewer": "Reviewer", "role.finance": "Finance",
		"role.evaluator": "Evaluator", "role.auditor": "Auditor", "role.admin": "Admin",
		"signout": "Sign out", "signin.title": "Sign in", "signin.name": "Name",
		"signin.password": "Password", "signin.submit": "Sign in",
		"signin.failed": "Wrong name or password.",
		"signin.locked": "Too many failed sign-ins: try again in {minutes} minutes.",
		"password.title": "Set a new password",
		"password.why": "An administrator gave you this password once: set your own first.",
		"password.current": "Current password",
		"password.new": "New password (at least 10 characters, not your name)",
		"password.again": "New password again", "password.submit": "Save",
		"password.differ": "The two new passwords differ.", "password.saved": "New password saved.",
		"inbox.title": "Inbox", "inbox.empty": "Nothing waits for you now.",
		"inbox.project": "Project", "inbox.state": "State", "inbox.agency": "Agency",
		"inbox.actions": "You may", "inbox.due": "Due", "inbox.overdue": "Overdue",
		"inbox.soon": "Due soon", "inbox.filter.state": "State", "inbox.filter.agency": "Agency",
		"inbox.filter.overdue": "Overdue only", "inbox.filter.apply": "Filter", "all": "All",
		"inbox.more": "Next page", "inbox.working_days": "{n} working days left",
		"inbox.late_by": "{n} working days late",
		"funding_source.special_funds": "Special funds", "funding_source.work_funds": "Work funds",
		"funding_source.lottery_funds": "Lottery funds",
		"method.public_tender": "Public tender", "method.invited_tender": "Invited tender",
		"method.competitive_negotiation": "Competitive negotiation",
		"method.competitive_consultation": "Competitive consultation",
		"method.single_source": "Single source",
		"project.fields": "Project", "project.history": "Audit history",
		"project.chain_ok": "hash chain intact",
		"project.chain_broken": "The hash chain breaks at event {seq}: {reason}", "project.actions": "Act", "project.event": "Event",
		"project.payload": "Payload (JSON)", "project.submit": "Submit",
		"money.invalid": "Money is in yuan with at most two decimals, as 1234.56.",
		"payload.comment": "Comment", "payload.reason": "Reason", "payload.bid_deadline": "Bid deadline",
		"payload.requirements": "Requirements", "payload.evaluators_required": "Evaluators",
		"payload.criteria": "Evaluation criteria (JSON)", "payload.method": "Method",
		"payload.supplier": "Supplier", "payload.text": "Challenge", "payload.challenge_id": "Challenge id",
		"payload.answer": "Answer", "payload.contract_no": "Contract number",
		"payload.amount_fen": "Amount (yuan)", "payload.takeover_plan": "Takeover plan (JSON)",
		"payload.inspection": "Inspection", "payload.finding": "Finding", "payload.report": "Report",
		"payload.rectify_by": "Rectify by", "payload.voucher_no": "Treasury voucher",
		"payload.purchaser_score": "Purchaser's score",
		"payload.recipient_satisfaction": "Recipients' satisfaction",
		"payload.third_party_score": "Third party's score", "payload.detail": "Detail",
		"payload.evidence": "Evidence", "payload.level": "Level", "payload.deadline": "Deadline",
		"payload.due": "Due",
		"project.done": "Done: {event}", "project.conflict":
			"Someone else moved this project (now “{state}”): look at it again before acting.",
		"project.none": "You cannot act on this project now.",
		"field.id": "Id", "field.agency": "Agency", "field.fiscal_year": "Fiscal year",
		"field.title": "Title", "field.budget_fen": "Budget", "field.funding_source": "Funds",
		"field.method": "Method", "field.quantity": "Quantity",
		"field.quality_standard": "Quality standard", "field.service_start": "Service starts",
		"field.service_end": "Service ends", "field.state": "State", "field.version": "Version",
		"field.next_check": "Next check", "field.updated_at": "Updated",
		"error.generic": "Something went wrong: {message}",
		"error.network": "The server cannot be reached.",
		"error.session": "Your session has ended: sign in again.",
		"rule.special_funds_cap": "Over the {cap_percent}% cap on social-assistance special " +
			"funds: cap {cap}, committed {committed}, this project {asked}.",
		"state.draft": "Draft", "state.needs_review": "Needs review",
		"state.budget_review": "Budget review", "state.approved": "Approved",
		"state.announced": "Announced", "state.tender_failed": "Tender failed",
		"state.scoring": "Scoring", "state.awarded": "Awarded", "state.contracted": "Contracted",
		"state.in_service": "In service", "state.acceptance": "Acceptance",
		"state.payment": "Payment", "state.year_end_review": "Year-end review",
		"state.closed": "Closed", "state.takeover": "Takeover", "state.terminated": "Terminated",
		"state.cancelled": "Cancelled",
		"event.submit": "Submit", "event.approve_needs": "Approve needs",
		"event.return_needs": "Return needs", "event.approve_budget": "Approve budget",
		"event.return_budget": "Return budget", "event.reject_budget": "Reject budget",
		"event.publish": "Publish tender", "event.close_bidding": "Close bidding",
		"event.retender": "Retender", "event.change_method": "Change method",
		"event.award": "Award", "event.decline_award": "Decline award",
		"event.challenge": "Challenge", "event.answer_challenge": "Answer challenge",
		"event.sign_contract": "Sign contract", "event.start_service": "Start service",
		"event.record_supervision": "Record supervision",
		"event.complete_service": "Complete service", "event.accept": "Accept",
		"event.reject_acceptance": "Reject acceptance", "event.confirm_payment": "Confirm payment",
		"event.evaluate": "Year-end evaluation", "event.contractor_exit": "Contractor exit",
		"event.report_subcontracting": "Report subcontracting",
		"event.complete_takeover": "Complete takeover", "event.cancel": "Cancel",
		"event.create": "Create", "event.escalate": "Escalation",
	},
};

let lang = localStorage.getItem("procurd.lang") === "en" ? "en" : "zh";

export function language() { return lang; }

export function setLanguage(l) {
	lang = l === "en" ? "en" : "zh";
	localStorage.setItem("procurd.lang", lang);
	document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function t(key, vars = {}) {
	const s = catalogs[lang][key] ?? catalogs.zh[key] ?? key;
	return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// Times as the calendar shows them (Asia/Shanghai): 2026-12-03 18:23.
const clock = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric",
	month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
export function when(iso) {
	if (!iso) return "—";
	const p = Object.fromEntries(clock.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
	return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

// Money from exact fen, never through floating point: ¥1,234.56.
export function money(fen) {
	if (fen === null || fen === undefined) return "—";
	const neg = fen < 0, f = BigInt(Math.abs(fen));
	const yuan = (f / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	return `${neg ? "-" : ""}¥${yuan}.${(f % 100n).toString().padStart(2, "0")}`;
}

// Exact fen from yuan typed as "1234.5": digits, never floating point
// (0.29 yuan is 29 fen, not 28.999…).
export function fenOf(text) {
	const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(text).trim());
	if (!m) throw new Error(t("money.invalid"));
	return Number(BigInt(m[1]) * 100n + BigInt((m[2] || "").padEnd(2, "0")));
}
