#!/usr/bin/env bash
# zsyncctl serve's page in a real headless browser (Debian's chromium, chromium-driver, python3-selenium):
# it loads with nothing from elsewhere, shows the doctor report, and a typed query streams results from a
# local apt repository (real apt-get update into a scratch root, searched through --root) with the
# per-manager board, and a result's name opens its details (/v1/info); the page loaded from localhost
# works the same (the server's Host check answers both names); with --token-file the page asks for the
# token, refuses a wrong one and works with the right one. Skips (77) only when chromium, its driver
# or selenium is not installed.
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
DRIVER=$(command -v chromedriver || true)
[ -n "$CHROMIUM" ] || skip "chromium is not installed (Debian package chromium)"
[ -n "$DRIVER" ] || skip "chromedriver is not installed (Debian package chromium-driver)"
# Debian's python3 (not a pyenv or venv one first on PATH) has python3-selenium.
PY=/usr/bin/python3
"$PY" -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed"
for tool in dpkg-deb dpkg-scanpackages apt-get; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages apt, dpkg-dev)"
done
. "$TESTS_DIR/serve_lib.sh"
export HOME="$SCRATCH/home"
mkdir -p "$HOME"

# The local repository: two packages in a scratch apt root, indexed by the real apt-get update.
T="$SCRATCH/apt"
R="$T/root"
mkdir -p "$T/repo" "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
    "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg/updates" \
    "$R/var/lib/dpkg/info" "$R/var/log"
for p in zs-browser-hello:1.4-2 zs-browser-tools:0.9-1; do
    mkdir -p "$T/${p%%:*}/DEBIAN"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: T <t@example.invalid>\nDescription: %s\n' \
        "${p%%:*}" "${p#*:}" "Browser test package ${p%%:*}" >"$T/${p%%:*}/DEBIAN/control"
    dpkg-deb -b "$T/${p%%:*}" "$T/repo/${p%%:*}_${p#*:}_all.deb" >/dev/null || fail "dpkg-deb ${p%%:*}"
done
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"
: >"$R/var/lib/dpkg/status"
# Detection under --root finds apt by its files (nothing in the root is run): an apt-get to find.
mkdir -p "$R/usr/bin"
: >"$R/usr/bin/apt-get"
chmod +x "$R/usr/bin/apt-get"
echo "deb [trusted=yes] file:$T/repo ./" >"$R/etc/apt/sources.list"
APTO=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
    -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d"
    -o "Dir::Cache=$R/var/cache/apt" -o Debug::NoLocking=1)
timeout 60 apt-get "${APTO[@]}" -q update >"$T/apt-update.log" 2>&1 || {
    fail "apt-get update in the scratch root failed: $(tail -3 "$T/apt-update.log")"
    finish
}

start_server "$SCRATCH/serve.log" --root "$R" || finish

# The page names nothing outside itself.
curl -sS --max-time 10 -D "$SCRATCH/page.h" "http://127.0.0.1:$PORT/" >"$SCRATCH/page.html"
grep -qi "^Content-Security-Policy: default-src 'none'" "$SCRATCH/page.h" && ok || fail "no CSP on the page"
if grep -Eiq '(src|href)=["'"'"']?(https?:)?//' "$SCRATCH/page.html"; then fail "the page loads something from elsewhere"; else ok; fi

# browser(chromium, driver, scratch, profile): headless Chromium under chromedriver with a profile of its own
# in SCRATCH, the browser console kept for the checks.
mkdir -p "$SCRATCH/py"
cat >"$SCRATCH/py/browser.py" <<'PY'
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(chromium, driver, scratch, profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--user-data-dir=" + scratch + "/" + profile, "--no-proxy-server", "--window-size=1200,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if "log_output" in Service.__init__.__code__.co_varnames:
        service = Service(driver, log_output=scratch + "/chromedriver-" + profile + ".log")
    else:
        service = Service(driver)
    return webdriver.Chrome(service=service, options=opts)


def search(b, wait, query):
    """Types QUERY into the page's search box once the doctor report is in; the search note once it ends."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#checks tr.check")) > 3)
    q = b.find_element(By.ID, "q")
    q.clear()
    q.send_keys(query)
    q.send_keys(Keys.ENTER)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-search-done") == "1")
    return b.find_element(By.ID, "search-note").text
PY

if timeout -k 5 120 "$PY" - "$PORT" "$CHROMIUM" "$DRIVER" "$SCRATCH" >"$SCRATCH/browser.out" 2>&1 <<'PY'; then ok; else fail "browser: $(cat "$SCRATCH/browser.out")"; fi
import sys
sys.path.insert(0, sys.argv[4] + "/py")
from browser import browser, search
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

port, chromium, driver, scratch = sys.argv[1:5]
b = browser(chromium, driver, scratch, "chrome")
try:
    b.set_page_load_timeout(30)
    b.get("http://127.0.0.1:%s/" % port)
    wait = WebDriverWait(b, 60)
    # The doctor report: check rows with a status each.
    try:
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#checks tr.check")) > 3)
    except Exception:
        print("doctor:", b.find_element(By.ID, "doctor-summary").text, b.get_log("browser"))
        raise
    statuses = {e.text for e in b.find_elements(By.CSS_SELECTOR, "#checks tr.check td.status")}
    assert statuses <= {"ok", "warn", "fail", "info", "skip", "config"}, statuses
    assert "ok" in b.find_element(By.ID, "doctor-summary").text
    # Type a query: results from the local repository stream in; the board shows apt's status.
    q = b.find_element(By.ID, "q")
    q.send_keys("zs-browser")
    q.send_keys(Keys.ENTER)
    try:
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#board .mgr[data-manager=apt][data-status]"))
    except Exception:
        print("search:", b.find_element(By.ID, "search-note").text, b.find_element(By.ID, "board").get_attribute("outerHTML"), b.get_log("browser"))
        raise
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-search-done") == "1")
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in b.find_elements(By.CSS_SELECTOR, "#results tr.result")]
    assert ["apt", "zs-browser-hello", "1.4-2", "Browser test package zs-browser-hello"] in rows, rows
    assert ["apt", "zs-browser-tools", "0.9-1", "Browser test package zs-browser-tools"] in rows, rows
    board = b.find_element(By.CSS_SELECTOR, "#board .mgr[data-manager=apt]")
    assert board.get_attribute("data-status") == "ok" and "2 found" in board.text, board.text
    note = b.find_element(By.ID, "search-note").text
    assert note.startswith("2 results"), note
    # A second search replaces the first: an exact name.
    b.find_element(By.ID, "exact").click()
    q.clear()
    q.send_keys("zs-browser-tools")
    q.send_keys(Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "search-note").text.startswith("1 result"))
    rows = [tr.text for tr in b.find_elements(By.CSS_SELECTOR, "#results tr.result")]
    assert len(rows) == 1 and "zs-browser-tools" in rows[0], rows
    # Its name opens its details (GET /v1/info): apt's candidate from the local repository.
    b.find_element(By.CSS_SELECTOR, "#results tr.result button.link").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results tr.info[data-loaded]"))
    info = b.find_element(By.CSS_SELECTOR, "#results tr.info").text
    assert "not installed" in info and "candidate 0.9-1" in info, info
    errors = [l for l in b.get_log("browser") if l["level"] == "SEVERE"]
    assert not errors, errors
    # Loaded as http://localhost:PORT/, the page's requests (the doctor's fetch, the search's event
    # stream) carry that Host, which the server answers too.
    b.get("http://localhost:%s/" % port)
    local_note = search(b, wait, "zs-browser")
    assert local_note.startswith("2 results"), local_note
    errors = [l for l in b.get_log("browser") if l["level"] == "SEVERE"]
    assert not errors, errors
    print("browser ok:", len(statuses), "check statuses;", note, "; from localhost:", local_note)
finally:
    b.quit()
PY

kill -TERM "$PID"
wait_exit "$PID" 15
[ "$STATUS" = 0 ] && ok || fail "serve exit after the browser left: $STATUS"

# A server with --token-file: the page (served without the token) asks for it; a wrong one is refused,
# the right one loads the doctor report and a search streams its results.
printf 'browser-token-%s\n' "$$" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
start_server "$SCRATCH/serve-token.log" --root "$R" --token-file "$SCRATCH/token" || finish
if timeout -k 5 120 "$PY" - "$PORT" "$CHROMIUM" "$DRIVER" "$SCRATCH" "browser-token-$$" >"$SCRATCH/browser-token.out" 2>&1 <<'PY'; then ok; else fail "browser with a token: $(cat "$SCRATCH/browser-token.out")"; fi
import sys
sys.path.insert(0, sys.argv[4] + "/py")
from browser import browser, search
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

port, chromium, driver, scratch, secret = sys.argv[1:6]
b = browser(chromium, driver, scratch, "chrome-token")
try:
    b.set_page_load_timeout(30)
    b.get("http://127.0.0.1:%s/" % port)
    wait = WebDriverWait(b, 60)
    wait.until(lambda d: d.find_element(By.ID, "auth").is_displayed())
    assert "needs its token" in b.find_element(By.ID, "doctor-summary").text, b.find_element(By.ID, "doctor-summary").text
    t = b.find_element(By.ID, "token")
    t.send_keys("wrong-token")
    t.send_keys(Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "auth").is_displayed()
               and d.find_element(By.ID, "token").get_attribute("placeholder") == "that token was refused")
    t.clear()
    t.send_keys(secret)
    t.send_keys(Keys.ENTER)
    note = search(b, wait, "zs-browser")
    assert not b.find_element(By.ID, "auth").is_displayed()
    assert note.startswith("2 results"), note
    # Kept for the tab: a reload needs no second asking.
    b.refresh()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#checks tr.check")) > 3)
    assert not b.find_element(By.ID, "auth").is_displayed()
    print("token page ok:", note)
finally:
    b.quit()
PY
kill -TERM "$PID"
wait_exit "$PID" 15
[ "$STATUS" = 0 ] && ok || fail "the token server's exit: $STATUS"
finish
