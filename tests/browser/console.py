#!/usr/bin/python3
"""The console in a real headless Chromium (Debian's chromium and
chromium-driver, driven by Debian's python3-selenium), against the procurd
and PostgreSQL that it_console started. Signs in as people do, acts, and
saves a screenshot of every page it sees in the output folder.

    console.py BASE_URL OUT_DIR < facts.json

facts: officer and reviewer names with their one-time passwords, the
project ids the test made. Exits non-zero with the reason on a failure.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE, OUT = sys.argv[1], sys.argv[2]
FACTS = json.load(sys.stdin)
os.makedirs(OUT, exist_ok=True)
for old in os.listdir(OUT):
    if old.endswith(".png"):
        os.remove(os.path.join(OUT, old))
shots = []


def driver():
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,800", "--lang=zh-CN"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


d = driver()
wait = WebDriverWait(d, 15)


def shot(name):
    path = os.path.join(OUT, name + ".png")
    d.save_screenshot(path)
    shots.append(path)


def text_of(css):
    return wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css))).text


def wait_text(css, want):
    try:
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), want))
    except TimeoutException:
        raise AssertionError(f"{css}: wanted {want!r}, page says {d.find_element(By.TAG_NAME, 'main').text!r}")


def console_clean(where):
    """No script error, no CSP violation, no 5xx. The API's refusals (4xx)
    that the test asks for on purpose show as network entries: fine."""
    bad = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    bad = [e for e in bad if not (e.get("source") == "network" and
                                  any(f"status of {s}" in e["message"]
                                      for s in (401, 403, 404, 409, 422, 429)))]
    assert not bad, f"{where}: console errors {bad}"


def fill(id_, value):
    e = wait.until(EC.element_to_be_clickable((By.ID, id_)))
    e.clear()
    e.send_keys(value)


def sign_in(name, pw):
    d.get(BASE + "/#/signin")
    fill("signin-name", name)
    fill("signin-password", pw)
    d.find_element(By.ID, "signin-submit").click()


def first_sign_in(name, one_time, new_pw, shot_name=None):
    """Sign in with a one-time password, which the console makes one replace."""
    sign_in(name, one_time)
    wait.until(EC.visibility_of_element_located((By.ID, "password-current")))
    if shot_name:
        shot(shot_name)
    fill("password-current", one_time)
    fill("password-new", new_pw)
    fill("password-again", new_pw)
    d.find_element(By.ID, "password-submit").click()
    wait_text("main h1", "待办")


def choose(select_id, value):
    sel = wait.until(EC.visibility_of_element_located((By.ID, select_id)))
    for o in sel.find_elements(By.TAG_NAME, "option"):
        if o.get_attribute("value") == value:
            o.click()


def sign_out():
    d.find_element(By.ID, "signout").click()
    wait.until(EC.visibility_of_element_located((By.ID, "signin-name")))


try:
    # the page itself: strict headers, no third-party code
    d.get(BASE + "/")
    wait.until(EC.visibility_of_element_located((By.ID, "signin-name")))
    shot("01-signin")
    assert "登录" in d.find_element(By.TAG_NAME, "h1").text

    # a wrong password says so in plain words
    sign_in(FACTS["officer"], "not the password at all")
    wait_text(".error", "用户名或密码错误")
    shot("02-signin-wrong")

    # the officer's first sign-in: the one-time password must be replaced
    first_sign_in(FACTS["officer"], FACTS["officer_pw"], "办事员的新密码2026", "03-password-first")
    shot("04-inbox-officer")
    wait_text("main table", FACTS["draft_title"])

    # the officer submits the draft from its page
    d.find_element(By.LINK_TEXT, f"#{FACTS['draft_id']} {FACTS['draft_title']}").click()
    wait.until(EC.visibility_of_element_located((By.ID, "act-event")))
    shot("05-project-draft")
    choose("act-event", "submit")
    d.find_element(By.ID, "act-submit").click()
    wait_text("ol.timeline", "提交")
    wait_text("#stepper", "草稿")
    wait_text("#stepper li.current", "需求审核")
    wait_text("#chain", "哈希链完整")
    wait.until(EC.visibility_of_element_located((By.ID, "deadlines")))
    notes = wait.until(EC.visibility_of_element_located((By.ID, "notifications")))
    d.execute_script("arguments[0].scrollIntoView()", d.find_element(By.ID, "deadlines"))
    shot("06a-project-deadlines")
    assert "submitted" in notes.text or "待发送" in notes.text or "已送达" in notes.text, notes.text
    wait_text("dl.fields", "需求审核")
    shot("06-project-submitted")
    # the officer registers a contractor; the credit code is checked as it
    # is typed, in the page, by the rule the daemon applies
    d.find_element(By.ID, "nav-contractors").click()
    wait.until(EC.visibility_of_element_located((By.ID, "c-code")))
    fill("c-name", "浏览器登记的社工机构")
    bad = FACTS["credit_code"][:17] + ("0" if FACTS["credit_code"][17] != "0" else "1")
    fill("c-code", bad)
    wait_text("#c-code-check", "校验码不对")
    fill("c-code", FACTS["credit_code"].lower())
    wait_text("#c-code-check", "校验通过")
    for q in ("independent_liability", "facilities", "staff", "professional_capability",
              "governance", "financial_management"):
        d.find_element(By.ID, "q-" + q).click()
    shot("06g-contractor-register")
    d.find_element(By.ID, "c-submit").click()
    wait_text("main h1", "浏览器登记的社工机构")
    wait_text("#c-status", "资质齐全")
    ok = d.execute_async_script(
        "const code = arguments[0], done = arguments[arguments.length - 1];"
        "import('/credit.js').then(m => done([m.creditCodeProblem(code), "
        "m.creditCodeProblem('X')]))", FACTS["credit_code"])
    assert ok[0] is None and ok[1]["key"] == "credit.length", ok
    console_clean("officer")
    sign_out()

    # an administrator creates a user and sees its one-time password once
    first_sign_in(FACTS["admin"], FACTS["admin_pw"], "管理员的新密码2026")
    d.find_element(By.ID, "nav-users").click()
    wait_text("main h1", "用户管理")
    fill("user-name", "CON-new-officer")
    d.find_element(By.ID, "role-officer").click()
    d.find_element(By.ID, "user-submit").click()
    wait_text("#notice", "CON-new-officer 的一次性密码")
    wait_text("main table", "CON-new-officer")
    shot("06b-admin-users")
    d.find_element(By.ID, "nav-incidents").click()
    wait_text("main h1", "待处理的事件")
    shot("06b2-admin-incidents")
    d.find_element(By.ID, "nav-registry").click()
    wait_text("#agency-tree", "CON")
    wait.until(EC.visibility_of_element_located((By.ID, "catalog")))
    wait_text("#calendar-years", "2026")
    shot("06b3-admin-registry")
    console_clean("admin")
    sign_out()

    # finance: the cap as a gauge, the over-cap project refused in Chinese
    # with the rule's figures, the one within the cap approved
    first_sign_in(FACTS["finance"], FACTS["finance_pw"], "财政局的新密码2026")
    d.find_element(By.ID, "nav-finance").click()
    wait.until(EC.visibility_of_element_located((By.ID, "fin-year")))
    fill("fin-year", "2026")
    d.find_element(By.ID, "fin-year").send_keys(Keys.ENTER)
    wait.until(EC.visibility_of_element_located((By.ID, "cap-meter")))
    wait_text("#cap-remaining", "¥")
    shot("06c-finance-cap")

    def act(project_id, event, title):
        d.get(BASE + f"/#/projects/{project_id}")
        wait_text("main h1", title)
        choose("act-event", event)
        d.find_element(By.ID, "act-submit").click()

    act(FACTS["over_id"], "approve_budget", "超额的专项项目")
    wait_text(".error", "超出社会救助专项资金 2% 上限")
    err = d.find_element(By.CSS_SELECTOR, ".error").text
    assert "上限 ¥2,000,000.00" in err and "本项目 ¥3,000,000.00" in err, err
    shot("06d-finance-cap-refused")
    act(FACTS["within_id"], "approve_budget", "额度内的专项项目")
    wait_text("dl.fields", "已批准")
    shot("06e-finance-approved")
    console_clean("finance")
    sign_out()

    # an evaluator scores each bid with a sheet that knows each maximum
    first_sign_in(FACTS["evaluator"], FACTS["evaluator_pw"], "评审专家的新密码2026")
    d.get(BASE + f"/#/projects/{FACTS['scoring_id']}")
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "form.sheet")))
    sheets = d.find_elements(By.CSS_SELECTOR, "form.sheet")
    assert len(sheets) == 3, len(sheets)
    plan = sheets[0].find_element(By.CSS_SELECTOR, "input[id$='-service_plan']")
    assert plan.get_attribute("max") == "50", plan.get_attribute("max")
    # over the maximum: the browser itself refuses before sending
    plan.send_keys("60")
    sheets[0].find_element(By.CSS_SELECTOR, "button").click()
    assert not plan.get_property("validity")["valid"]
    for i, s in enumerate(sheets):
        p = s.find_element(By.CSS_SELECTOR, "input[id$='-service_plan']")
        p.clear()
        p.send_keys(str(40 + i))
        s.find_element(By.CSS_SELECTOR, "input[id$='-staffing']").send_keys("25")
        s.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(d, 15).until(lambda _: "评分已提交" in s.text)
    shot("06f-evaluator-sheets")
    console_clean("evaluator")
    sign_out()

    # the reviewer, keyboard alone: tab to each field, enter to send
    d.get(BASE + "/#/signin")
    wait.until(EC.visibility_of_element_located((By.ID, "signin-name")))
    d.switch_to.active_element.send_keys(Keys.TAB)   # main → the name field
    active = d.switch_to.active_element
    if active.get_attribute("id") != "signin-name":
        d.find_element(By.ID, "signin-name").send_keys("")
        active = d.switch_to.active_element
    active.send_keys(FACTS["reviewer"], Keys.TAB)
    d.switch_to.active_element.send_keys(FACTS["reviewer_pw"], Keys.ENTER)
    wait.until(EC.visibility_of_element_located((By.ID, "password-current")))
    d.switch_to.active_element.send_keys(FACTS["reviewer_pw"], Keys.TAB)
    d.switch_to.active_element.send_keys("审核员的新密码2026", Keys.TAB)
    d.switch_to.active_element.send_keys("审核员的新密码2026", Keys.ENTER)
    wait_text("main h1", "待办")

    # the overdue project is red, with the time counted in working days
    row = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "tr.overdue")))
    assert FACTS["overdue_title"] in row.text, row.text
    assert "已逾期" in row.text, row.text
    color = row.find_element(By.CSS_SELECTOR, ".due").value_of_css_property("color")
    assert color in ("rgba(179, 38, 30, 1)", "rgb(179, 38, 30)"), color
    shot("07-inbox-reviewer-overdue")

    # English, remembered
    d.find_element(By.ID, "lang").click()
    wait_text("main h1", "Inbox")
    assert "Overdue" in d.find_element(By.CSS_SELECTOR, "tr.overdue").text
    shot("08-inbox-english")
    d.refresh()
    wait_text("main h1", "Inbox")

    # the reviewer approves the overdue needs from the project's page, with
    # the form the lifecycle table describes
    d.find_element(By.PARTIAL_LINK_TEXT, FACTS["overdue_title"]).click()
    wait.until(EC.visibility_of_element_located((By.ID, "act-comment")))
    choose("act-event", "approve_needs")
    fill("act-comment", "needs are clear; approved")
    d.find_element(By.ID, "act-submit").click()
    wait_text("dl.fields", "Budget review")
    shot("09-project-approved-english")

    # money typed in yuan is sent as exact fen
    fen = d.execute_async_script(
        "const done = arguments[0]; import('/i18n.js').then(m => done(["
        "m.fenOf('0.29'), m.fenOf('1234.5'), m.fenOf('100'), m.money(29), m.money(123456789)]))")
    assert fen == [29, 123450, 10000, "¥0.29", "¥1,234,567.89"], fen
    d.find_element(By.ID, "nav-inbox").click()
    wait_text("main h1", "Inbox")

    # the published evaluations, open to every role
    d.find_element(By.ID, "nav-evaluations").click()
    wait_text("main h1", "Year-end evaluations")
    shot("09b-evaluations")

    # a phone's width
    d.set_window_size(390, 844)
    time.sleep(0.3)
    shot("10-inbox-phone")
    d.set_window_size(1280, 800)
    console_clean("reviewer")
    sign_out()
    print("\n".join(shots))
except Exception as e:  # noqa: BLE001 - the reason goes to the test's output
    shot("zz-failure")
    print(f"console.py: {type(e).__name__}: {e}", file=sys.stderr)
    print("\n".join(shots))
    sys.exit(1)
finally:
    d.quit()
